"""Referrals: to the support team, the CLB, a training, external help or the police; and closing them.

A referral to the support team is what puts the pupil on the support team's list.
"""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

import audit
from db import db
from domain import cases
from forms.referrals import CloseReferralForm, ReferralForm
from models import REFERRAL_TARGETS, REFERRAL_TRAININGS, CaseEvent, Pupil, Referral
from permissions import get_open_case_or_404, get_referral_to_close_or_404, may_complete_step
from terminology import label, term

bp = Blueprint("referrals", __name__)


def referral_form(case):
    """The form to refer on from this case, offering the police step when the user may complete it."""
    steps = [(row, step) for row, step in cases.open_steps_recorded_with(case, "police_referral")
             if may_complete_step(current_user, case, row.owner)]
    return ReferralForm(pupils=[involvement.pupil for involvement in case.involved_pupils()], steps=steps)


def _timeline_text(referral):
    """The referral in a line, in the school's language: 'Ondersteuningsteam: Noor Hoekstra'."""
    with force_locale("nl"):
        where = str(label(REFERRAL_TARGETS, referral.target))
        if referral.training:
            where = str(label(REFERRAL_TRAININGS, referral.training))
    who = referral.pupil.display_name if referral.pupil_id else "het dossier"
    detail = referral.detail if referral.detail and not referral.is_confidential else ""  # the counsellor's alone
    return "%s: %s%s" % (where, who, " (%s)" % detail if detail else "")


@bp.route("/dossiers/<int:case_id>/doorverwijzingen/nieuw", methods=["GET", "POST"])
@login_required
def new(case_id):
    """Refer a pupil (or, to the police, the case) on; a police referral may complete the police step."""
    case = get_open_case_or_404(case_id)
    form = referral_form(case)
    if request.method == "GET" and request.args.get("naar") in {value for value, _label in REFERRAL_TARGETS}:
        form.target.data = request.args["naar"]
    if request.method == "GET" and current_app.htmx:
        return render_template("referrals/_form.html", case=case, form=form)
    if form.validate_on_submit():
        try:
            with db.atomic():
                referral = Referral.create(
                    case=case, pupil=Pupil.get_by_id(form.pupil.data) if form.pupil.data else None,
                    target=form.target.data, training=form.training.data or None, detail=form.detail.data,
                    referred_on=form.referred_on.data, by_user=current_user, note=form.note.data)
                CaseEvent.add(case, "referral", _timeline_text(referral), current_user)
                if form.complete_step.data:
                    cases.complete_step(case, form.complete_step.data, current_user,
                                           note="politie: %s" % referral.detail)
                audit.record("case.referral", case, detail="doorverwijzing %d naar %s" % (referral.id, referral.target))
        except cases.WorkflowError as error:
            form.complete_step.errors.append(str(error))
        else:
            message = _("De doorverwijzing is vastgelegd.")
            if referral.target == "support_team":
                message += " " + _("De leerling staat nu op de lijst van het %(support)s.", support=term("support"))
            if referral.is_confidential:
                message += " " + _("De vertrouwenspersoon ziet de doorverwijzing op de eigen startpagina.")
            flash(message, "success")
            return redirect(url_for("cases.detail", case_id=case.id) + "#referrals")
    return render_template("referrals/new.html", case=case, form=form), 400 if form.is_submitted() else 200


def _after_closing(referral):
    """Back to where the referral is listed: the case page, or the counsellor's home page for a referral to them
    (the counsellor need not read the case)."""
    if referral.is_confidential:
        return url_for("home.index") + "#counsellor-referrals"
    return url_for("cases.detail", case_id=referral.case_id) + "#referrals"


@bp.route("/doorverwijzingen/<int:referral_id>/afsluiten", methods=["GET", "POST"])
@login_required
def close(referral_id):
    """Close a referral: when, and how it ended."""
    referral = get_referral_to_close_or_404(referral_id)
    case = referral.case
    if not referral.is_open:
        flash(_("Deze doorverwijzing is al afgesloten."), "error")
        return redirect(_after_closing(referral))
    form = CloseReferralForm(referral=referral)
    if form.validate_on_submit():
        with db.atomic():
            # Read again inside the write lock: two people closing at once close it once.
            fresh = Referral.get_by_id(referral.id)
            if fresh.is_open:
                fresh.closed_on, fresh.closed_by, fresh.close_note = (form.closed_on.data, current_user,
                                                                      form.close_note.data)
                fresh.save()
                CaseEvent.add(case, "referral_closed", _timeline_text(fresh), current_user)
                audit.record("case.referral_closed", case, detail="doorverwijzing %d" % referral.id)
        flash(_("De doorverwijzing is afgesloten.") if fresh.closed_by_id == current_user.id
              else _("Deze doorverwijzing is al afgesloten."), "success")
        return redirect(_after_closing(referral))
    return render_template("referrals/close.html", case=case, referral=referral, form=form,
                           back=_after_closing(referral)), \
        400 if form.is_submitted() else 200
