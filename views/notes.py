"""Personal work notes on a case: only their author reads them; not the coordinator, not an administrator.

They live in a table of their own and are never part of an export of the case.
"""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import audit
from db import db, utcnow
from forms.common import ActionForm
from forms.notes import PersonalNoteForm
from models import PersonalNote
from permissions import get_case_or_404, get_personal_note_or_404, may_keep_notes, refuse

bp = Blueprint("notes", __name__)


def _back_to(case):
    return redirect(url_for("cases.detail", case_id=case.id) + "#notes")


@bp.route("/dossiers/<int:case_id>/werkaantekeningen/nieuw", methods=["GET", "POST"])
@login_required
def new(case_id):
    """Write a work note on the case that only you can read."""
    case = get_case_or_404(case_id)
    if not may_keep_notes(current_user, case):
        refuse(403, case)
    form = PersonalNoteForm()
    if form.validate_on_submit():
        with db.atomic():
            note = PersonalNote.create(case=case, author=current_user, body=form.body.data)
            audit.record("personal_note.create", note, detail="dossier %s" % case.reference)
        flash(_("Je werkaantekening is bewaard. Alleen jij kunt haar lezen."), "success")
        return _back_to(case)
    return render_template("notes/edit.html", case=case, form=form, note=None), 400 if form.is_submitted() else 200


@bp.route("/werkaantekeningen/<int:note_id>", methods=["GET", "POST"])
@login_required
def edit(note_id):
    """Change one of your own work notes."""
    note = get_personal_note_or_404(note_id)
    form = PersonalNoteForm(obj=note)
    if form.validate_on_submit():
        with db.atomic():
            PersonalNote.update(body=form.body.data, updated_at=utcnow()).where(PersonalNote.id == note.id).execute()
            audit.record("personal_note.update", note, detail="dossier %s" % note.case.reference)
        flash(_("Je werkaantekening is bijgewerkt."), "success")
        return _back_to(note.case)
    if not form.is_submitted():
        audit.seen("personal_note.view", note, detail="dossier %s" % note.case.reference)
    return render_template("notes/edit.html", case=note.case, form=form, note=note, delete_form=ActionForm()), \
        400 if form.is_submitted() else 200


@bp.route("/werkaantekeningen/<int:note_id>/verwijderen", methods=["POST"])
@login_required
def delete(note_id):
    """Delete one of your own work notes."""
    note = get_personal_note_or_404(note_id)
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("Het formulier is verlopen of ongeldig. Laad de pagina opnieuw en probeer het nog eens."), "error")
        return redirect(url_for("notes.edit", note_id=note.id))
    with db.atomic():
        PersonalNote.delete().where(PersonalNote.id == note.id).execute()
        audit.record("personal_note.delete", note, detail="dossier %s" % note.case.reference)
    flash(_("Je werkaantekening is verwijderd."), "success")
    return _back_to(note.case)
