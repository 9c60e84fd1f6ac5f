"""After the agreement: recording follow-ups, and escalation measures."""
from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import audit
from db import db
from domain import escalation, followups
from forms.common import ActionForm
from forms.followups import FollowUpForm, RefuseMeasureForm
from i18n import long_date
from models import FollowUp, Measure, Pupil
from permissions import EDIT, check_case_record, get_case_or_404, may_answer_measure, refuse
from terminology import term
from views import case_page

bp = Blueprint("followups", __name__)

OUTCOME_MESSAGES = {
    "ok": lambda: _("Vervolggesprek vastgelegd: het gaat goed."),
    "not_held": lambda: _("Vastgelegd: het vervolggesprek is niet gehouden."),
    "not_kept": lambda: _("Vastgelegd: de afspraken zijn niet nagekomen."),
    "one_more_chance": lambda: _("Vastgelegd: de afspraken zijn niet nagekomen. De leerling krijgt nog één kans."),
    "escalate": lambda: _("Vastgelegd: de afspraken zijn opnieuw niet nagekomen. De volgende fase is voorgesteld."),
}


@bp.route("/vervolg/<int:follow_up_id>", methods=["POST"])
@login_required
def record(follow_up_id):
    """Record how a follow-up talk with a pupil went (going well, agreements not kept, or not held
    and why), on the day it was held: never before the day it was planned for."""
    follow_up = FollowUp.get_or_none(FollowUp.id == follow_up_id)
    if follow_up is None:
        abort(404)
    case = check_case_record(follow_up, follow_up.case, EDIT)
    form = FollowUpForm(prefix="f%d" % follow_up.id, due_on=follow_up.due_on)
    if not form.validate_on_submit():
        return case_page.render(case, 400, follow_up=(follow_up.id, form, None))
    try:
        with db.atomic():
            meaning = followups.record(follow_up, current_user, form.outcome.data, form.held_on.data,
                                       form.with_whom.data, form.note.data)
            audit.record("follow_up.record", case, detail=form.outcome.data)
    except followups.FollowUpError as error:  # recorded meanwhile, on another tablet
        return case_page.render(case, 409, follow_up=(follow_up.id, form, str(error)))
    proposed = [proposal for proposal in escalation.proposals(case)
                if follow_up.pupil_id in (None, proposal.pupil.id)] if meaning == "escalate" else []
    for proposal in proposed:  # each pupil this talk proposes a phase for, by name
        flash(_("Vastgelegd: de afspraken zijn opnieuw niet nagekomen. Voorgesteld voor %(name)s: fase %(phase)d, "
                "%(title)s. Daarover beslist: %(deciders)s.", name=proposal.pupil.display_name,
                phase=proposal.phase.phase, title=proposal.phase.title,
                deciders=escalation.deciders_text(proposal.deciders)), "aftercare:warning")
    handed = [item for item in followups.hand_overs(case) if follow_up.pupil_id in (None, item.pupil.id)] \
        if proposed else []
    if handed:  # seed 001 step 5: the first time agreements break again, the mentor hands the case over
        flash(_("Het dossier gaat nu naar de %(role)s, die de leerlingen en hun ouders spreekt en vanaf nu de regie "
                "heeft.", role=term(handed[0].rule.hand_to)), "aftercare:warning")
    if not proposed:  # shown in the follow-up section, where the page returns to
        flash(OUTCOME_MESSAGES[meaning](), "aftercare:success" if meaning == "ok" else "aftercare:warning")
    planned = getattr(follow_up, "checks_planned", [])
    if planned:  # the one more chance is checked soon (the protocol's follow_up_after_broken)
        flash(_("Extra vervolggesprek gepland op %(date)s met %(names)s.", date=long_date(planned[0].due_on),
                names=", ".join(row.pupil.display_name for row in planned)), "aftercare:warning")
    return redirect(url_for("cases.detail", case_id=case.id) + "#aftercare")


@bp.route("/dossiers/<int:case_id>/maatregelen", methods=["POST"])
@login_required
def measure(case_id):
    """Record an escalation measure of a phase the protocol gives the user to decide."""
    case = get_case_or_404(case_id)
    if not escalation.phases_for(current_user, case):
        refuse(403, case)
    form = case_page.measure_form(case)
    if form.validate_on_submit():
        try:
            with db.atomic():
                measure = escalation.decide_measure(case, Pupil.get_by_id(form.pupil.data), form.phase.data,
                                                    form.description.data, current_user, form.decided_on.data,
                                                    form.informed.data)
                audit.record("case.measure", case, detail="fase %d" % form.phase.data)
                # Ticked: the parents heard of it, recorded in the same transaction (all or nothing).
                told = [form.parents[pupil_id][0] for pupil_id in form.parents_informed.data or ()]
                for contact in escalation.record_parents_informed(measure, told, form.parents_channel.data,
                                                                  current_user):
                    audit.record("case.parent_contact", case, detail="oudercontact %d, %s, over de maatregel" % (
                        contact.id, contact.channel))
        except escalation.MeasureError as error:  # what the form checks already, checked again where it is kept
            form.form_errors.append(str(error))
        else:
            if measure.waiting_roles:
                flash(_("De maatregel is vastgelegd. Hij wacht nog op het besluit van: %(deciders)s.",
                        deciders=escalation.deciders_text(measure.waiting_roles)), "success")
            else:
                flash(_("De maatregel is vastgelegd."), "success")
            return redirect(url_for("cases.detail", case_id=case.id) + "#aftercare")
    return case_page.render(case, 400, measure_form=form)


def _measure_to_answer(measure_id):
    """The measure and its case, for a user who may agree to it or refuse it: else 404 or 403."""
    measure = Measure.get_or_none(Measure.id == measure_id)
    if measure is None:
        abort(404)
    case = check_case_record(measure, measure.case)
    if not may_answer_measure(current_user, case, measure):
        refuse(403, measure)
    return measure, case


@bp.route("/maatregelen/<int:measure_id>/akkoord", methods=["POST"])
@login_required
def agree(measure_id):
    """Agree to a measure that waits for a role the user decides for (management after the team leader)."""
    measure, case = _measure_to_answer(measure_id)
    form = ActionForm()
    if not form.validate_on_submit():
        return case_page.render(case, 400, measure_error=_("Het formulier is ongeldig."))
    try:
        with db.atomic():
            escalation.agree(measure, case, current_user)
            audit.record("case.measure_agreed", case, detail="fase %d" % measure.phase)
    except escalation.MeasureError as error:  # agreed meanwhile, on another device, or the case closed
        return case_page.render(case, 409, measure_error=str(error))
    flash(_("Je besluit over de maatregel is vastgelegd."), "success")
    return redirect(url_for("cases.detail", case_id=case.id) + "#aftercare")


@bp.route("/maatregelen/<int:measure_id>/weigeren", methods=["POST"])
@login_required
def refuse_measure(measure_id):
    """Refuse a measure that waits for a role the user decides for (or send it back), saying why: it is not taken,
    and the proposal it answered comes back to those who decide it."""
    measure, case = _measure_to_answer(measure_id)
    form = RefuseMeasureForm(prefix="r%d" % measure.id)
    if not form.validate_on_submit():
        return case_page.render(case, 400, refusal=(measure.id, form))
    try:
        with db.atomic():
            escalation.refuse(measure, case, current_user, form.reason.data)
            audit.record("case.measure_refused", case, detail="fase %d" % measure.phase)
    except escalation.MeasureError as error:  # agreed or refused meanwhile, on another device, or the case closed
        return case_page.render(case, 409, measure_error=str(error))
    flash(_("Je hebt de maatregel geweigerd. Wie hem voorstelde ziet waarom, en beslist opnieuw."), "success")
    return redirect(url_for("cases.detail", case_id=case.id) + "#measure-%d" % measure.id)
