"""The confidential counsellor's complaints: list, intake, status, advice, the committee, private notes.

Only the counsellor's role reaches these pages. The audit log records every read and write,
never what a note says.
"""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import audit
from db import db
from domain import complaints, public
from forms.common import error_summary
from forms.complaints import AdviceForm, CommitteeForm, ComplaintForm, NoteForm, StatusForm
from models import Complaint
from permissions import (
    get_complaint_or_404, may_answer_thread, may_handle_complaints, may_read_complaint_notes, refuse,
)
from views.thread import thread_context

bp = Blueprint("complaints", __name__, url_prefix="/klachten")


def _require_counsellor():
    if not may_handle_complaints(current_user):
        refuse(403, object_type="complaint")


@bp.route("/")
@login_required
def index():
    """Every complaint, those still running first."""
    _require_counsellor()
    rows = list(Complaint.open_first())
    audit.seen("complaint.list", detail="%d klachten" % len(rows), object_type="complaint")
    return render_template("complaints/index.html", complaints=rows)


@bp.route("/nieuw", methods=["GET", "POST"])
@login_required
def new():
    """Take in a complaint: who, about which pupil and case, and what about."""
    _require_counsellor()
    form = ComplaintForm()
    if form.validate_on_submit():
        try:
            with db.atomic():
                complaint = complaints.record(current_user, **form.values())
                audit.record("complaint.create", complaint, detail=_linked(complaint))
        except complaints.ComplaintError as problem:
            form.description.errors.append(str(problem))
        else:
            flash(_("De klacht is vastgelegd."), "success")
            return redirect(url_for("complaints.detail", complaint_id=complaint.id))
    return render_template("complaints/form.html", form=form, complaint=None), 400 if form.is_submitted() else 200


@bp.route("/<int:complaint_id>")
@login_required
def detail(complaint_id):
    """One complaint with its status, advice, committee referral and private notes."""
    complaint = get_complaint_or_404(complaint_id)
    audit.seen("complaint.view", complaint)
    return detail_page(complaint)


@bp.route("/<int:complaint_id>/bewerken", methods=["GET", "POST"])
@login_required
def edit(complaint_id):
    """Change the intake details (not of a closed complaint)."""
    complaint = get_complaint_or_404(complaint_id)
    form = ComplaintForm(complaint=complaint, data=None if request.method == "POST" else {
        "received_on": complaint.received_on, "complainant_kind": complaint.complainant_kind,
        "complainant_name": complaint.complainant_name, "complainant_contact": complaint.complainant_contact,
        "pupil": complaint.pupil_id, "case_reference": complaint.case.reference if complaint.case else "",
        "description": complaint.description})
    problem = None
    if form.validate_on_submit():
        try:
            with db.atomic():
                complaints.update(complaint, **form.values())
                audit.record("complaint.update", complaint, detail=_linked(complaint))
        except complaints.ComplaintError as error:
            problem = str(error)
        else:
            flash(_("De klacht is bijgewerkt."), "success")
            return redirect(url_for("complaints.detail", complaint_id=complaint.id))
    if not form.is_submitted():
        audit.seen("complaint.view", complaint, detail="bewerken")
        if complaint.status == "closed":
            problem = _("Deze klacht is gesloten. Zet haar eerst terug op ‘In onderzoek’ om iets te wijzigen.")
    return render_template("complaints/form.html", form=form, complaint=complaint, problem=problem), \
        400 if form.is_submitted() else 200


def _save_section(complaint, form, name, field, change, saved_message, anchor):
    """A section form of the complaint's page: make the change (and its audit line) in one
    transaction and go back to the section; a refusal shows next to `field`, the page again 400."""
    if form.validate_on_submit():
        try:
            with db.atomic():
                change()
        except complaints.ComplaintError as problem:
            field.errors.append(str(problem))
        else:
            flash(saved_message, "success")
            return redirect(url_for("complaints.detail", complaint_id=complaint.id) + anchor)
    return detail_page(complaint, 400, **{name: form})


@bp.route("/<int:complaint_id>/status", methods=["POST"])
@login_required
def change_status(complaint_id):
    """Move the complaint on (or back), as the rules allow."""
    complaint = get_complaint_or_404(complaint_id)
    form = StatusForm(prefix="status", complaint=complaint)

    def change():
        old = complaints.change_status(complaint, form.status.data)
        audit.record("complaint.status", complaint, detail="%s -> %s" % (old, complaint.status))
    return _save_section(complaint, form, "status_form", form.status, change, _("De status is gewijzigd."), "#status")


@bp.route("/<int:complaint_id>/advies", methods=["POST"])
@login_required
def advice(complaint_id):
    """Record the experts consulted and the advice to the school board."""
    complaint = get_complaint_or_404(complaint_id)
    form = AdviceForm(prefix="advice")

    def change():
        complaints.write_advice(complaint, form.experts_consulted.data, form.advice.data)
        audit.record("complaint.advice", complaint)
    return _save_section(complaint, form, "advice_form", form.advice, change,
                         _("Het onderzoek en advies zijn opgeslagen."), "#advice")


@bp.route("/<int:complaint_id>/commissie", methods=["POST"])
@login_required
def committee(complaint_id):
    """Record that the complainant took the complaint to the external complaints committee."""
    complaint = get_complaint_or_404(complaint_id)
    form = CommitteeForm(prefix="committee", complaint=complaint)

    def change():
        complaints.refer_to_committee(complaint, form.referred_on.data)
        audit.record("complaint.committee", complaint, detail=form.referred_on.data.isoformat())
    return _save_section(complaint, form, "committee_form", form.referred_on, change,
                         _("De doorverwijzing naar de klachtencommissie is vastgelegd."), "#committee")


@bp.route("/<int:complaint_id>/notities", methods=["POST"])
@login_required
def add_note(complaint_id):
    """Add a private note; htmx gets the notes back, a plain form the complaint's page."""
    complaint = get_complaint_or_404(complaint_id)
    form = NoteForm(prefix="note")
    if form.validate_on_submit():
        if not may_read_complaint_notes(current_user):
            form.body.errors.append(_("Je notities zijn verzegeld; deze notitie is niet opgeslagen. Log in met je "
                                      "eigen tweede factor (of stel er een in onder Mijn account) en sla haar dan op."))
        else:
            try:
                with db.atomic():
                    note = complaints.add_note(complaint, current_user, form.body.data)
                    # The note's id and its complaint, never its words.
                    audit.record("complaint.note_add", note, object_type="complaint_note",
                                 detail="klacht %d" % complaint.id)
            except complaints.ComplaintError as problem:
                form.body.errors.append(str(problem))
            else:
                if current_app.htmx:
                    return _notes_fragment(complaint, NoteForm(prefix="note", formdata=None), saved=True)
                flash(_("De notitie is opgeslagen."), "success")
                return redirect(url_for("complaints.detail", complaint_id=complaint.id) + "#notes")
    if current_app.htmx:
        return _notes_fragment(complaint, form, status=422)
    return detail_page(complaint, 400, note_form=form)


def _linked(complaint):
    return "dossier %s" % complaint.case.reference if complaint.case_id else ""


def _own_notes(complaint):
    """The counsellor's notes on the complaint; none while an administrator's reset keeps them sealed."""
    return list(complaints.notes_of(complaint, current_user)) if may_read_complaint_notes(current_user) else []


def _notes_fragment(complaint, form, status=200, saved=False):
    body = render_template("complaints/_notes.html", complaint=complaint,
                           notes=_own_notes(complaint), note_form=form, saved=saved)
    return body, status, {"Vary": "HX-Request"}


def detail_page(complaint, status=200, **forms):
    """The complaint's page; a form that came back with errors replaces its empty twin."""
    context = {
        "status_form": StatusForm(prefix="status", complaint=complaint, formdata=None),
        "advice_form": AdviceForm(prefix="advice", formdata=None, experts_consulted=complaint.experts_consulted,
                                  advice=complaint.advice),
        "committee_form": CommitteeForm(prefix="committee", complaint=complaint, formdata=None,
                                        referred_on=complaint.committee_referred_on),
        "note_form": NoteForm(prefix="note", formdata=None),
    }
    context.update(forms)
    context["error_summary"] = [item for form in forms.values() for item in error_summary(form)]
    thread = public.thread_for(complaint)
    if thread is not None and may_answer_thread(current_user, thread):
        with db.atomic():
            context.update(thread_context(thread, forms.get("answer_form")))
    return render_template("complaints/detail.html", complaint=complaint, notes=_own_notes(complaint), **context), \
        status, {"Vary": "HX-Request"}
