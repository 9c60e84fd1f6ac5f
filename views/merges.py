"""Merging two cases into one (the coordinator): a confirmation page first, then the merge, and undoing it on
the same day. Both are on the timeline of both cases and in the audit log (case.correction)."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import audit
from db import db
from domain import merges
from domain.cases import WorkflowError
from forms.common import ActionForm, error_summary
from forms.merges import MergeForm
from models import Case, CaseMerge
from permissions import MANAGE, get_case_or_404, refuse
from views import corrections

bp = Blueprint("merges", __name__, url_prefix="/dossiers")


def _page(case, form, status=200, problem=None):
    """The confirmation page: the form, and what would move once a case is chosen (one of the form's own)."""
    offered = {choice.value for choice in form.other.choices if choice.value != ""}
    chosen = Case.get_by_id(form.other.data) if form.other.data in offered else None
    summary = error_summary(form, "merge")
    if problem:
        summary.append(("other" if chosen else "merge", problem))
    audit.seen("case.view", case, detail="samenvoegen")
    return render_template("merges/confirm.html", case=case, form=form, error_summary=summary, chosen=chosen,
                           moves=merges.what_moves(chosen) if chosen else None, problem=problem), status


@bp.route("/<int:case_id>/samenvoegen", methods=["GET", "POST"])
@login_required
def confirm(case_id):
    """Choose the case that goes into this one and confirm; then merge."""
    case = get_case_or_404(case_id, need=MANAGE)
    form = MergeForm(cases=merges.candidates(case))
    if not form.is_submitted():
        return _page(case, form)
    if not form.validate_on_submit():
        return _page(case, form, 400)
    other = Case.get_by_id(form.other.data)
    try:
        with db.atomic():
            merges.merge(case, other, current_user)
            audit.record("case.correction", case, detail="samengevoegd: dossier %d erin" % other.id)
            audit.record("case.correction", other, detail="samengevoegd met dossier %d" % case.id)
    except WorkflowError as error:
        return _page(case, form, 409, str(error))
    flash(_("Dossier %(other)s is samengevoegd met dit dossier en gesloten.", other=other.reference), "success")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.route("/<int:case_id>/samenvoegen/<int:merge_id>/ongedaan", methods=["POST"])
@login_required
def undo(case_id, merge_id):
    """Undo a merge into this case on the day it was made: every record goes back."""
    case = get_case_or_404(case_id, need=MANAGE)
    record = CaseMerge.get_or_none(CaseMerge.id == merge_id, CaseMerge.kept == case)
    if record is None:
        refuse(404, case)
    if not ActionForm().validate_on_submit():
        return corrections.render(case, 400, error=_("Het formulier is ongeldig."), section="merges")
    try:
        with db.atomic():
            kept, merged = merges.undo(record, current_user)
            audit.record("case.correction", kept, detail="samenvoegen ongedaan: dossier %d eruit" % merged.id)
            audit.record("case.correction", merged, detail="samenvoegen met dossier %d ongedaan" % kept.id)
    except WorkflowError as error:
        return corrections.render(case, 409, error=str(error), section="merges")
    flash(_("Het samenvoegen is ongedaan gemaakt: dossier %(other)s staat weer apart.", other=merged.reference),
          "success")
    return redirect(url_for("corrections.page", case_id=case.id))
