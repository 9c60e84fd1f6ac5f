"""The live conversation checklist: start a conversation from a step, tap through it, finish it.

Every tap and note is its own small htmx request that returns just what changed; see
conversations.py for how each save is made safe to retry.
"""
import datetime
import hashlib

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

import audit
from db import SCHOOL_TIMEZONE, db
from domain import conversations, followups, protocols
from forms.common import error_summary
from forms.conversations import AppointmentForm, FinishForm, StartConversationForm
from models import (
    CONVERSATION_LINE_KINDS, CaseStep, ChecklistEntry, Conversation, ConversationAmendment, ConversationLine, User,
    roles_for,
)
from permissions import (
    EDIT, get_case_or_404, get_conversation_or_404, get_entry_or_404, may_complete_step, may_hold_talk,
    may_work_on_talk, refuse,
)
from terminology import label

bp = Blueprint("conversations", __name__, url_prefix="/gesprekken")


@bp.route("/nieuw/<int:case_id>/<step_key>", methods=["GET", "POST"])
@login_required
def new(case_id, step_key):
    """Choose the conversation guide of a step and who takes part, then open the checklist."""
    case = get_case_or_404(case_id)
    row = CaseStep.get_or_none(CaseStep.case == case, CaseStep.step_key == step_key)
    if not may_hold_talk(current_user, case, row.owner if row else None):
        refuse(403, case)
    protocol = protocols.of_case(case)
    step = protocol.step(step_key) if protocol else None
    if step is None or not step.templates:
        abort(404)
    involvements = list(case.involved_pupils())
    form = StartConversationForm(templates=step.templates, involvements=involvements)
    if not form.is_submitted():
        form.preselect(request.args.get("sjabloon"))
    if form.validate_on_submit():
        chosen = {i.pupil_id: i for i in involvements if i.pupil_id in set(form.pupils.data)}
        participants = [(i.pupil, i.pupil.display_name, i.role) for i in chosen.values()]
        participants += [(None, name, "other") for name in form.other_names()]
        try:
            with db.atomic():
                conversation = conversations.start(case, step_key, form.template.data, current_user, participants)
                audit.record("conversation.start", conversation)
        except conversations.ChecklistError as error:
            form.template.errors.append(str(error))
        else:
            return redirect(url_for("conversations.checklist", conversation_id=conversation.id))
    summary = error_summary(form, "start-form")
    return render_template("conversations/new.html", case=case, step=step, form=form, error_summary=summary,
                           under_way=talks_under_way(case, step_key)), 400 if form.is_submitted() else 200


def talks_under_way(case, step_key):
    """The talks of this step begun and not finished that the user may go on with: a to-do or a step's button
    leads here again after the user left a talk halfway, and a second talk is then rarely what they want."""
    talks = (Conversation.select(Conversation, User).join(User, on=(Conversation.held_by == User.id))
             .where(Conversation.case == case, Conversation.step_key == step_key, Conversation.ended_at.is_null())
             .order_by(Conversation.started_at))
    return [talk for talk in talks if may_work_on_talk(current_user, talk, case)]


def leads_to_parent_contact(conversation):
    """A talk with the parents is done as a parent contact: finishing it (in an open case) leads to that form,
    filled in from the talk, and the contact completes the step."""
    return conversation.case.status == "open" and conversations.records_parent_contact(conversation)


def _page_context(conversation):
    entries = list(ChecklistEntry.select().where(ChecklistEntry.conversation == conversation)
                   .order_by(ChecklistEntry.position))
    phases = []
    for entry in entries:
        if not phases or phases[-1][0] != entry.phase:
            phases.append((entry.phase, []))
        phases[-1][1].append(entry)
    lines = {kind: [] for kind, _ in CONVERSATION_LINE_KINDS}
    for line in (ConversationLine.select().where(ConversationLine.conversation == conversation)
                 .order_by(ConversationLine.created_at, ConversationLine.id)):
        lines[line.kind].append(line)
    amendments = list(ConversationAmendment.select(ConversationAmendment, User)
                      .join(User, on=(ConversationAmendment.user == User.id))
                      .where(ConversationAmendment.conversation == conversation)
                      .order_by(ConversationAmendment.at))
    step = CaseStep.get_or_none(CaseStep.case == conversation.case_id, CaseStep.step_key == conversation.step_key)
    protocol = protocols.of_case(conversation.case)
    completes_itself = bool(step and step.status == "open"
                            and followups.series_under_way(conversation.case, conversation.step_key))
    # Only whoever may complete the talk's step (its owner, or the coordinator) completes it by finishing.
    completes_step = bool(step and step.status == "open" and not completes_itself
                          and may_complete_step(current_user, conversation.case, step.owner))
    to_parent_contact = leads_to_parent_contact(conversation)
    return {
        "conversation": conversation, "case": conversation.case, "phases": phases,
        "done": sum(entry.done for entry in entries), "total": len(entries), "lines": lines,
        "line_kinds": CONVERSATION_LINE_KINDS, "new_keys": {kind: conversations.new_line_key() for kind in lines},
        "participants": list(conversation.participants), "amendments": amendments,
        "step_row": step, "step": protocol.step(conversation.step_key) if protocol else None,
        "appointment_form": AppointmentForm(moment=_local(conversation.next_appointment_at)),
        "finish_form": FinishForm(complete_step=completes_step), "completes_step": completes_step,
        "to_parent_contact": to_parent_contact,
        "may_work": may_work_on_talk(current_user, conversation, conversation.case),
        # The follow-up step is done when every pupil's talks are recorded, not by one conversation.
        "step_completes_itself": completes_itself,
    }


def _local(moment):
    """A stored UTC moment as the school's local time (for the appointment field)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=datetime.timezone.utc).astimezone(SCHOOL_TIMEZONE).replace(tzinfo=None)


@bp.route("/<int:conversation_id>")
@login_required
def checklist(conversation_id):
    """The checklist, full screen; a finished conversation reads as a report (and can be amended)."""
    conversation = get_conversation_or_404(conversation_id)
    audit.seen("conversation.view", conversation)
    context = _page_context(conversation)
    amend = request.args.get("aanvullen") == "1"
    # Whoever may only read the case (the counsellor) reads a conversation under way as a report too.
    if (conversation.is_finished and not amend) or not context["may_work"]:
        return render_template("conversations/report.html", **context)
    return render_template("conversations/checklist.html", amend=amend, **context)


@bp.route("/<int:conversation_id>/punten/<int:entry_id>", methods=["POST"])
@login_required
def tick(conversation_id, entry_id):
    """Set an item to the state the mentor tapped it to; return the item (the page counts its ticks itself)."""
    entry = get_entry_or_404(conversation_id, entry_id)
    conversation = entry.conversation
    with db.atomic():
        conversations.set_done(entry, request.form.get("done") == "1", current_user)
        audit.record("conversation.tick", conversation, detail="punt %d: %s" % (entry.position, entry.done))
    return render_template("conversations/_tick.html", entry=entry, conversation=conversation)


@bp.route("/<int:conversation_id>/punten/<int:entry_id>/notitie", methods=["POST"])
@login_required
def note(conversation_id, entry_id):
    """Save an item's note; a note changed meanwhile on another device gives a conflict, not a loss."""
    entry = get_entry_or_404(conversation_id, entry_id)
    conversation = entry.conversation
    text = (request.form.get("note") or "").replace("\r\n", "\n")
    base_version = request.form.get("base_version", type=int)
    merged = request.form.get("merge") == "1" and bool(entry.note) and text != entry.note
    if merged:
        text, base_version = entry.note.rstrip() + "\n" + text, entry.note_version
    try:
        with db.atomic():
            conversations.save_note(entry, text, base_version, current_user)
            audit.record("conversation.note", conversation, detail="punt %d" % entry.position)
    except conversations.NoteConflict:
        return render_template("conversations/_note_status.html", entry=entry, conversation=conversation,
                               conflict=True, mine=text), 409
    except conversations.ChecklistError as error:
        return render_template("conversations/_note_status.html", entry=entry, conversation=conversation,
                               error=str(error)), 422
    return render_template("conversations/_note_status.html", entry=entry, conversation=conversation, saved=True,
                           merged=merged)


@bp.route("/<int:conversation_id>/regels", methods=["POST"])
@login_required
def add_line(conversation_id):
    """Add a note, a wish of the pupil or an agreement to the conversation's lists."""
    conversation = get_conversation_or_404(conversation_id, need=EDIT)
    kind = request.form.get("kind")
    if kind not in dict(CONVERSATION_LINE_KINDS):
        abort(400)
    text = (request.form.get("text") or "").strip()
    # The same form key with other text is another line, never a silent duplicate of the first.
    key = "%s:%s" % ((request.form.get("client_key") or "")[:40], _short_hash(text))
    try:
        with db.atomic():
            line, created = conversations.add_line(conversation, kind, text, key, current_user)
            if created:
                audit.record("conversation.line", conversation, detail=kind)
    except conversations.ChecklistError as error:
        return render_template("conversations/_line_error.html", kind=kind, error=str(error)), 422, {
            "HX-Retarget": "#line-error-%s" % kind, "HX-Reswap": "innerHTML"}
    return render_template("conversations/_line.html", line=line, conversation=conversation, kind=kind,
                           new_key=conversations.new_line_key(), oob=True)


def _short_hash(text):
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@bp.route("/<int:conversation_id>/regels/<int:line_id>/doorhalen", methods=["POST"])
@login_required
def remove_line(conversation_id, line_id):
    """Strike a line through (it stays readable)."""
    conversation = get_conversation_or_404(conversation_id, need=EDIT)
    line = ConversationLine.get_or_none(ConversationLine.id == line_id, ConversationLine.conversation == conversation)
    if line is None:
        abort(404)
    line.conversation = conversation
    with db.atomic():
        conversations.remove_line(line, current_user)
        audit.record("conversation.line_removed", conversation, detail=str(line.id))
    return render_template("conversations/_line.html", line=line, conversation=conversation, kind=line.kind)


@bp.route("/<int:conversation_id>/afspraak", methods=["POST"])
@login_required
def appointment(conversation_id):
    """Set the next appointment; it becomes a follow-up on the case."""
    conversation = get_conversation_or_404(conversation_id, need=EDIT)
    form = AppointmentForm()
    status = 200
    if form.validate_on_submit():
        moment = form.moment.data.replace(tzinfo=SCHOOL_TIMEZONE).astimezone(datetime.timezone.utc)
        try:
            with db.atomic():
                conversations.set_appointment(conversation, moment.replace(tzinfo=None), current_user)
                audit.record("conversation.appointment", conversation)
        except conversations.ChecklistError as error:
            form.moment.errors = [str(error)]
            status = 422
    else:
        status = 422
    return render_template("conversations/_appointment.html", conversation=conversation,
                           appointment_form=form, saved=status == 200), status


@bp.route("/<int:conversation_id>/afronden", methods=["POST"])
@login_required
def finish(conversation_id):
    """Finish the conversation: record when it ended and, if asked, mark its step done."""
    conversation = get_conversation_or_404(conversation_id, need=EDIT)
    form = FinishForm()
    if form.validate_on_submit():
        try:
            with db.atomic():
                step = CaseStep.get_or_none(CaseStep.case == conversation.case_id,
                                            CaseStep.step_key == conversation.step_key)
                # Only whoever may complete the talk's step completes it by finishing the talk.
                owner_completes = step is not None and may_complete_step(current_user, conversation.case, step.owner)
                to_parent_contact = leads_to_parent_contact(conversation)
                conversations.finish(conversation, current_user, complete_step=(
                    form.complete_step.data and owner_completes and not to_parent_contact))
                audit.record("conversation.finish", conversation)
        except conversations.ChecklistError as error:
            flash(str(error), "error")
        else:
            if to_parent_contact:
                flash(_("Het gesprek is afgerond. Kijk het oudercontact na en leg het vast: het is ingevuld uit "
                        "het gesprek."), "success")
                return redirect(url_for("parents.new", case_id=conversation.case_id, gesprek=conversation.id))
            flash(_("Het gesprek is afgerond."), "success")
    return redirect(url_for("conversations.checklist", conversation_id=conversation.id))


def participant_label(participant, approach=None):
    """'Noor Hoekstra (gepeste leerling)' for the page header, in the words of the case's approach."""
    if participant.role == "other":
        return participant.name
    if participant.role == "parents":
        return _("de ouders van %(name)s", name=participant.name)
    return "%s (%s)" % (participant.name, str(label(roles_for(approach), participant.role)).lower())


bp.add_app_template_global(participant_label)
