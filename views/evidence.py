"""Online evidence: the case's evidence log, uploads checked by content, files served only to the case's
people, and the log as a PDF for a report to the police. Every view and download is in the audit log."""
import io
import re

import peewee
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required

import audit
from db import db, school_time_to_utc
from domain import evidence, pdf
from forms.common import ActionForm
from forms.evidence import EvidenceForm
from models import CaseEvent, Evidence, SchoolSettings
from permissions import (
    get_evidence_or_404, get_evidence_to_delete_or_404, get_open_case_or_404, get_whole_case_or_404,
)

bp = Blueprint("evidence", __name__)


@bp.app_template_filter("exact_time")
def exact_time(value):
    """A moment to the second, in the school's time zone: evidence needs the exact time."""
    return format_datetime(value, "d MMMM yyyy HH:mm:ss") if value else ""


def _safe_reference(case):
    return re.sub(r"[^0-9A-Za-z-]", "", case.reference)


@bp.route("/dossiers/<int:case_id>/bewijs/nieuw", methods=["GET", "POST"])
@login_required
def new(case_id):
    """Log a piece of online evidence, with an optional screenshot, photo or saved chat."""
    case = get_open_case_or_404(case_id)
    form = EvidenceForm()
    if request.method == "GET" and current_app.htmx:
        return render_template("evidence/_form.html", case=case, form=form)
    status = 400
    if form.validate_on_submit():
        try:
            _save(case, form)
        except (OSError, peewee.DatabaseError) as error:  # a full disk, a read-only database
            current_app.logger.error("evidence not saved: %s", error)
            form.form_errors.append(_("Het bewijs kon niet worden opgeslagen. Probeer het opnieuw."))
            status = 503
        else:
            flash(_("Het bewijs is vastgelegd."), "success")
            return redirect(url_for("cases.detail", case_id=case.id) + "#evidence")
    return render_template("evidence/new.html", case=case, form=form), status if form.is_submitted() else 200


def _save(case, form):
    """Store the checked file, then its row. Nothing half-saved: a file whose row does not make it
    into the database is removed again."""
    clean = form.clean_file
    file_name = evidence.store(clean) if clean else None
    try:
        with db.atomic():
            item = Evidence.create(
                case=case, captured_at=school_time_to_utc(form.captured_at.data), platform=form.platform.data,
                url=form.url.data, usernames=form.usernames.data, description=form.description.data,
                collected_by=current_user, file_name=file_name, original_name=form.original_name if clean else "",
                content_type=clean.content_type if clean else "", size=len(clean.data) if clean else 0,
                sha256=clean.sha256 if clean else "")
            CaseEvent.add(case, "evidence", item.platform + (" (met bestand)" if clean else ""), current_user)
            audit.record("case.evidence_add", case, detail="bewijs %d%s" % (
                item.id, ", %s, sha256 %s" % (item.content_type, item.sha256) if clean else ""))
    except BaseException:
        if file_name:
            evidence.remove(file_name)
        raise


def _send(item, as_attachment, action):
    """Send a stored file with its checked type, and log who saw it; the browser never guesses the type."""
    if not item.file_name:
        abort(404)
    try:
        data = evidence.read(item.file_name)
    except (OSError, ValueError):
        current_app.logger.error("evidence file of item %d is missing", item.id)
        abort(404)
    with db.atomic():
        audit.record(action, item, detail="dossier %s" % item.case.reference)
    name = "bewijs-%s-%d%s" % (_safe_reference(item.case), item.id, evidence.EXTENSIONS[item.content_type])
    response = send_file(io.BytesIO(data), mimetype=item.content_type, as_attachment=as_attachment,
                         download_name=name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/bewijs/<int:evidence_id>/bekijken")
@login_required
def show(evidence_id):
    """Look at an evidence image in the browser (a PDF is always downloaded)."""
    item = get_evidence_or_404(evidence_id)
    return _send(item, as_attachment=not item.is_image, action="evidence.view")


@bp.route("/bewijs/<int:evidence_id>/downloaden")
@login_required
def download(evidence_id):
    """Download an evidence file."""
    return _send(get_evidence_or_404(evidence_id), as_attachment=True, action="evidence.download")


@bp.route("/bewijs/<int:evidence_id>/verwijderen", methods=["POST"])
@login_required
def delete(evidence_id):
    """Remove a mistaken piece of evidence; its file goes from disk once the row's deletion is committed."""
    item = get_evidence_to_delete_or_404(evidence_id)
    case = item.case
    back = redirect(url_for("cases.detail", case_id=case.id) + "#evidence")
    if not ActionForm().validate_on_submit():
        flash(_("Het formulier is verlopen of ongeldig. Laad de pagina opnieuw en probeer het nog eens."), "error")
        return back
    try:
        with db.atomic():
            deleted = Evidence.delete().where(Evidence.id == item.id).execute()
            if deleted:
                CaseEvent.add(case, "evidence_deleted", item.platform + (" (met bestand)" if item.file_name else ""),
                              current_user)
                audit.record("evidence.delete", item, detail="dossier %s%s" % (
                    case.reference, ", %s, sha256 %s" % (item.content_type, item.sha256) if item.file_name else ""))
    except peewee.DatabaseError as error:  # nothing was deleted: the file stays with its row
        current_app.logger.error("evidence %d not deleted: %s", item.id, error)
        flash(_("Het bewijs kon niet worden verwijderd. Probeer het opnieuw."), "error")
        return back
    if deleted and item.file_name:
        try:
            evidence.remove(item.file_name)
        except OSError as error:  # flask retention removes what is left over
            current_app.logger.error("evidence file of deleted item %d not removed: %s", item.id, error)
    flash(_("Het bewijs is verwijderd.") if deleted else _("Dit bewijs was al verwijderd."), "success")
    return back


@bp.route("/dossiers/<int:case_id>/bewijs.pdf")
@login_required
def report(case_id):
    """The evidence log as a PDF, to hand to the police."""
    case = get_whole_case_or_404(case_id)
    items = list(Evidence.of_case(case))
    images = {}
    for item in items:
        if item.file_name and item.is_image:
            try:
                images[item.id] = evidence.read(item.file_name)
            except OSError:
                current_app.logger.error("evidence file of item %d is missing", item.id)
    data = pdf.evidence_pdf(case, items, SchoolSettings.current().school_name, printed_by=current_user.full_name,
                            images=images)
    audit.seen("evidence.print", case, detail="%d stukken bewijs" % len(items))
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                     download_name="bewijs-%s.pdf" % _safe_reference(case))
