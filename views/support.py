"""The support team's workspace: the pupils referred to it, its sessions, what it reports back."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import audit
from db import db
from domain import support
from forms.common import ActionForm
from forms.support import SupportSessionForm
from permissions import (
    get_support_case_or_404, get_support_referral_or_404, get_support_session_or_404, may_use_support_workspace,
    refuse,
)

bp = Blueprint("support", __name__, url_prefix="/ondersteuning")


@bp.route("/")
@login_required
def index():
    """The referrals to the support team (open ones first) and the cases the member was added to."""
    if not may_use_support_workspace(current_user):
        refuse(403, object_type="referral")
    referrals = list(support.referrals())
    added = list(support.added_cases(current_user))
    counts = support.session_counts({referral.case_id for referral in referrals} | {case.id for case in added})
    audit.seen("support.list", detail="%d doorverwijzingen, %d dossiers" % (len(referrals), len(added)),
               object_type="referral")
    return render_template("support/index.html", open_referrals=[r for r in referrals if r.closed_on is None],
                           closed_referrals=[r for r in referrals if r.closed_on is not None], added=added,
                           counts=counts, close_form=ActionForm())


@bp.route("/dossiers/<int:case_id>/sessies/nieuw", methods=["GET", "POST"])
@login_required
def new_session(case_id):
    """Record a session on a case: individual guidance, a training or a support group meeting."""
    case = get_support_case_or_404(case_id)
    referrals = list(support.case_referrals(case))
    form = SupportSessionForm(case=case, referrals=referrals)
    open_referrals = [referral for referral in referrals if referral.closed_on is None]
    if not form.is_submitted() and len(open_referrals) == 1:
        form.referral.data = open_referrals[0].id
    if form.validate_on_submit():
        try:
            with db.atomic():
                session = support.record_session(case, current_user, form.kind.data, form.held_on.data,
                                                 form.participants.data, form.notes.data, form.report_back.data,
                                                 form.chosen_referral())
                audit.record("support_session.create", session, object_type="support_session",
                             detail="dossier %s" % case.reference)
        except support.SupportError as problem:
            form.participants.errors.append(str(problem))
        else:
            flash(_("De sessie is vastgelegd."), "success")
            return redirect(url_for("cases.detail", case_id=case.id) + "#case-support")
    return render_template("support/session_form.html", form=form, case=case, session=None), \
        400 if form.is_submitted() else 200


@bp.route("/sessies/<int:session_id>", methods=["GET", "POST"])
@login_required
def edit_session(session_id):
    """Change a session, for instance to write the report back afterwards."""
    session = get_support_session_or_404(session_id)
    case = session.case
    form = SupportSessionForm(case=case, referrals=list(support.case_referrals(case)), obj=session)
    if not form.is_submitted():
        form.referral.data = session.referral_id
        audit.seen("support_session.view", session, object_type="support_session")
    if form.validate_on_submit():
        try:
            with db.atomic():
                support.update_session(session, current_user, form.kind.data, form.held_on.data,
                                       form.participants.data, form.notes.data, form.report_back.data,
                                       form.chosen_referral())
                audit.record("support_session.update", session, object_type="support_session")
        except support.SupportError as problem:
            form.participants.errors.append(str(problem))
        else:
            flash(_("De sessie is bijgewerkt."), "success")
            return redirect(url_for("cases.detail", case_id=case.id) + "#case-support")
    return render_template("support/session_form.html", form=form, case=case, session=session), \
        400 if form.is_submitted() else 200


@bp.route("/doorverwijzingen/<int:referral_id>/afronden", methods=["POST"])
@login_required
def close_referral(referral_id):
    """The team's guidance after a referral has ended; it moves down the list."""
    referral = get_support_referral_or_404(referral_id)
    form = ActionForm()
    if not form.validate_on_submit():
        flash(_("Het formulier is verlopen. Probeer het opnieuw."), "error")
        return redirect(url_for("support.index"))
    try:
        with db.atomic():
            support.close_referral(referral, current_user)
            audit.record("referral.close", referral, detail="dossier %s" % referral.case.reference)
    except support.SupportError as problem:
        flash(str(problem), "error")
    else:
        flash(_("De begeleiding is afgerond."), "success")
    return redirect(url_for("support.index"))
