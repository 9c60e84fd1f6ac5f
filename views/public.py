"""The public report page (meldknop): report without an account, then read the answers and reply.

Only when the school switched it on. What is sent here is kept without the sender's address;
the counters that limit abuse key on a hash of it that changes daily and expire within the hour.
A browser that opened its thread holds a token whose access the server keeps and ends.
"""
from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.exceptions import RequestEntityTooLarge

from audit import client_address
from db import db, utcnow
from domain import notify, public
from forms.public import PublicReportForm, ReplyForm, StatusForm
from models import AuditEvent, PublicThread, SchoolSettings

bp = Blueprint("public", __name__, url_prefix="/melden")

SESSION_KEY = "meldknop"


@bp.before_request
def only_when_switched_on():
    """Off (the default): a friendly page that says so and where else to go."""
    if not SchoolSettings.cached().public_reports_enabled:
        return render_template("public/off.html"), 404


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """More than the server reads: say so plainly (what was typed is still in the browser)."""
    return render_template("public/too_large.html"), 413


def _record(action, obj):
    """Audit without user or address: whoever uses this page stays anonymous, staff included."""
    with db.atomic():
        AuditEvent.append(action, object_type=type(obj).__name__.lower(), object_id=obj.id)


@bp.route("", methods=["GET", "POST"])
def report():
    """The report form; after sending, the receipt code and secret phrase, shown this once."""
    form = PublicReportForm()
    if form.validate_on_submit():
        mail = None
        with db.atomic():
            allowed = public.take(public.send_limits(client_address()))
            if allowed:
                thread, code, phrase = public.file_report(form.values())
                mail = notify.new_report(thread.report) if thread.report_id else notify.new_complaint(thread.complaint)
        if not allowed:
            return render_template("public/report.html", form=form, limited=True), 429
        notify.deliver_later(mail)
        record = thread.report if thread.report_id else thread.complaint
        _record("public.report" if thread.report_id else "public.complaint", record)
        return render_template("public/receipt.html", code=code, phrase=phrase, thread=thread)
    return render_template("public/report.html", form=form, limited=False), 400 if form.is_submitted() else 200


def _open_thread():
    """The thread this browser opened with code and phrase, while the server still grants that
    access (not closed, not idle for half an hour), or None."""
    opened = session.get(SESSION_KEY)
    token = opened.get("token") if isinstance(opened, dict) else None
    thread = public.thread_of_access(token) if isinstance(token, str) else None
    if thread is None:
        session.pop(SESSION_KEY, None)
    return thread


def _thread_page(thread, reply_form, status=200):
    messages = list(thread.messages_in_order())
    return render_template("public/thread.html", thread=thread, messages=messages, form=reply_form), status


@bp.route("/status", methods=["GET", "POST"])
def status():
    """Read the school's answers: first code and phrase, then the conversation."""
    thread = _open_thread()
    if thread is not None:
        with db.atomic():
            PublicThread.update(reporter_seen_at=utcnow()).where(PublicThread.id == thread.id).execute()
        return _thread_page(thread, ReplyForm())
    form = StatusForm()
    problem = None
    status = 400 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            thread = public.open_thread(form.code.data, form.phrase.data, client_address())
        except public.PublicError as error:
            # One message whatever was wrong, so no one learns whether a code exists.
            problem = _("De code of de geheime zin klopt niet. Kijk goed of je alles goed hebt overgetypt.")
            if error.locked:
                problem = ngettext("Te veel verkeerde pogingen met deze code. Probeer het over %(num)d minuut "
                                   "opnieuw.", "Te veel verkeerde pogingen met deze code. Probeer het over "
                                   "%(num)d minuten opnieuw.", error.wait_minutes)
                status = 429
        else:
            with db.atomic():
                session[SESSION_KEY] = {"token": public.grant_access(thread)}
            return redirect(url_for("public.status"), 303)
    return render_template("public/status.html", form=form, problem=problem), status


@bp.route("/status/bericht", methods=["POST"])
def reply():
    """The reporter writes to the school again."""
    thread = _open_thread()
    if thread is None:
        flash(_("Vul eerst je code en geheime zin in."), "error")
        return redirect(url_for("public.status"), 303)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _thread_page(thread, form, 400)
    mail = None
    with db.atomic():
        allowed = public.take(public.send_limits(client_address(), thread))
        if allowed:
            message = public.add_reporter_message(thread, form.body.data)
            mail = notify.new_reporter_message(thread)
    if not allowed:
        form.body.errors.append(_("Je hebt net al veel berichten gestuurd. Probeer het over een uur opnieuw."))
        return _thread_page(thread, form, 429)
    notify.deliver_later(mail)
    _record("public.reply", message)
    flash(_("Je bericht is verstuurd. De school leest het."), "success")
    return redirect(url_for("public.status"), 303)


@bp.route("/status/sluiten", methods=["POST"])
def leave():
    """Close the conversation on this device (a shared computer): the server forgets this browser's
    access, so not even a copy of its cookie opens the thread again."""
    opened = session.pop(SESSION_KEY, None)
    token = opened.get("token") if isinstance(opened, dict) else None
    if isinstance(token, str):
        with db.atomic():
            public.end_access(token)
    flash(_("Je gesprek is gesloten op dit apparaat. Met je code en geheime zin kun je altijd terugkomen."), "success")
    return redirect(url_for("public.status"), 303)
