"""Parents: contacts with a pupil's parents, recorded on the case; one can complete the protocol's parent step."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

import audit
from db import db
from domain import cases, complaints, conversations
from forms.common import row_id
from forms.parents import ParentContactForm
from models import PARENT_CHANNELS, CaseEvent, Conversation, ParentContact, Pupil, User, UserRole
from permissions import get_open_case_or_404, may_complete_step
from terminology import label

bp = Blueprint("parents", __name__)

STAFF_ROLES = ("mentor", "coordinator", "support")


def _staff(user):
    """Who can have spoken with parents: mentors, coordinators and the support team (and the user)."""
    staff = list(User.select().join(UserRole)
                 .where(UserRole.role.in_(STAFF_ROLES), User.is_active == True)  # noqa: E712
                 .distinct().order_by(User.full_name))
    if user.id not in {member.id for member in staff}:
        staff.insert(0, user)
    return staff


def contact_form(case):
    """The form to record a parent contact on this case, offering the parent steps the user may complete."""
    steps = [(row, step) for row, step in cases.open_steps_recorded_with(case, "parent_contact")
             if may_complete_step(current_user, case, row.owner)]
    form = ParentContactForm(pupils=[involvement.pupil for involvement in case.involved_pupils()],
                             staff=_staff(current_user), steps=steps)
    if not form.is_submitted():
        form.by_user.data = current_user.id
    return form


def prefill_from_talk(form, case, conversation_id):
    """Fill the form from a talk with the parents held through its guide on this case (a talk of another case
    fills nothing), leaving the fields the talk cannot tell (whose parents, when several pupils took part)."""
    talk = Conversation.get_or_none(Conversation.id == conversation_id, Conversation.case == case)
    if talk is None or not conversations.records_parent_contact(talk):
        return
    audit.seen("conversation.view", talk, detail="oudercontact invullen")  # its notes fill the form
    draft = conversations.parent_contact_draft(talk)
    form.pupil.data = draft["pupil"] if draft["pupil"] in {choice.value for choice in form.pupil.choices} else None
    form.channel.data, form.contacted_on.data = draft["channel"], draft["contacted_on"]
    if draft["by_user"] in {choice.value for choice in form.by_user.choices}:
        form.by_user.data = draft["by_user"]
    form.summary.data, form.agreed.data = draft["summary"], draft["agreed"]
    if talk.step_key in {choice.value for choice in form.complete_step.choices}:
        form.complete_step.data = talk.step_key


@bp.route("/dossiers/<int:case_id>/oudercontacten/nieuw", methods=["GET", "POST"])
@login_required
def new(case_id):
    """Record a contact with a pupil's parents; it may complete the protocol's step about the parents."""
    case = get_open_case_or_404(case_id)
    form = contact_form(case)
    if request.method == "GET":
        # The step asked for; else the protocol's open parents' step, which the contact completes without a tap
        # more, unless the form came for something else: a measure's parents (the to-do's ?leerling=) or a talk
        # (?gesprek=, which fills in its own step).
        offered = [choice.value for choice in form.complete_step.choices if choice.value]
        asked = request.args.get("stap")
        came_for_other = any(name in request.args for name in ("stap", "leerling", "gesprek"))
        form.complete_step.data = asked if asked in offered else offered[0] if offered and not came_for_other else ""
    if request.method == "GET" and request.args.get("leerling") in {str(choice.value) for choice in form.pupil.choices
                                                                    if choice.value != ""}:
        form.pupil.data = int(request.args["leerling"])  # from the to-do "inform the parents of ... of a measure"
    if request.method == "GET" and row_id(request.args.get("gesprek")):  # a number some talk could have
        prefill_from_talk(form, case, row_id(request.args["gesprek"]))
    if request.method == "GET" and current_app.htmx:
        return render_template("parents/_form.html", case=case, form=form,
                               counsellor_route=complaints.counsellor_route())
    if form.validate_on_submit():
        pupil = Pupil.get_by_id(form.pupil.data)
        try:
            with db.atomic():
                contact = ParentContact.create(
                    case=case, pupil=pupil, channel=form.channel.data, contacted_on=form.contacted_on.data,
                    by_user=form.by_user.data, summary=form.summary.data, agreed=form.agreed.data)
                with force_locale("nl"):  # the timeline keeps the school's language
                    how = str(label(PARENT_CHANNELS, contact.channel)).lower()
                CaseEvent.add(case, "parent_contact", "ouders van %s (%s)" % (pupil.display_name, how), current_user)
                if form.complete_step.data:
                    cases.complete_step(case, form.complete_step.data, current_user,
                                           note="oudercontact van %s" % contact.contacted_on.strftime("%d-%m-%Y"))
                step_done = ", stap " + form.complete_step.data if form.complete_step.data else ""
                audit.record("case.parent_contact", case,
                             detail="oudercontact %d, %s%s" % (contact.id, contact.channel, step_done))
        except cases.WorkflowError as error:
            form.complete_step.errors.append(str(error))
        else:
            flash(_("Het oudercontact is vastgelegd.") + (" " + _("De stap is afgerond.")
                                                          if form.complete_step.data else ""), "success")
            return redirect(url_for("cases.detail", case_id=case.id) + "#parents")
    return render_template("parents/new.html", case=case, form=form, counsellor_route=complaints.counsellor_route()), \
        400 if form.is_submitted() else 200
