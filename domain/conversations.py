"""A conversation's live checklist: the snapshot, ticks, notes, lines, the next appointment, finishing.

Every change is written so that a save can be retried safely: a tick carries the state the
mentor wants (not "toggle"), a note carries the version it was based on, an added line
carries a key the server made. A change to a finished conversation is kept as an amendment.
Functions that write expect to run inside the caller's transaction.

Refusals speak the user's language; what is stored (amendments, timeline events, follow-up
notes) is written in Dutch, the language of the case file, whoever happens to read it later.
"""
import datetime
import secrets

from flask_babel import gettext as _

from db import local_date, utcnow
from domain import cases, followups, protocols
from models import (
    CaseEvent, CaseStep, ChecklistEntry, Conversation, ConversationAmendment, ConversationLine,
    ConversationParticipant, FollowUp,
)

NOTE_MAX_LENGTH = 20_000
LINE_MAX_LENGTH = 2_000


class ChecklistError(Exception):
    """A change the checklist refuses; the message is for the mentor, in their language."""


class NoteConflict(Exception):
    """The note changed on another device since this one last saw it."""

    def __init__(self, entry):
        super().__init__("note conflict")
        self.entry = entry


def new_line_key():
    """The key the server writes into an add form, so a retried add is stored once."""
    return secrets.token_urlsafe(16)


def start(case, step_key, template_key, user, participants):
    """Start a conversation: copy the template's items, so later protocol edits never change it.

    participants: [(pupil or None, name, role)]. In a talk with the parents (a guide with `parents_of`) a pupil
    the guide is not written for is there as the one whose parents are spoken with: role "parents".
    """
    protocol = protocols.of_case(case)
    step = protocol.step(step_key) if protocol else None
    template = next((t for t in step.templates if t.key == template_key), None) if step else None
    if template is None:
        raise ChecklistError(_("Dit gesprek hoort niet bij deze stap van het protocol."))
    if case.status != "open":
        raise ChecklistError(_("Dit dossier is gesloten."))
    conversation = Conversation.create(case=case, step_key=step_key, template_key=template_key,
                                       title=template.title, held_by=user)
    position = 0
    rows = []
    for phase in template.phases:
        for item in phase.items:
            position += 1
            rows.append({"conversation": conversation, "position": position, "phase": phase.title,
                         "text": item.text, "hint": item.hint})
    ChecklistEntry.insert_many(rows).execute()
    whose = []
    for pupil, name, role in participants:
        if pupil is not None and template.parents_of and role not in template.participants:
            role = "parents"
            whose.append(name)
        ConversationParticipant.create(conversation=conversation, pupil=pupil, name=name, role=role)
    CaseEvent.add(case, "conversation_started", template.title + (
        " (ouders van %s)" % ", ".join(whose) if whose else ""), user)
    return conversation


def _amend(conversation, user, description):
    if conversation.is_finished:
        ConversationAmendment.create(conversation=conversation, user=user, description=description)


def set_done(entry, done, user):
    """Tick an item (or untick it); setting the state it already has changes nothing."""
    if entry.done == done:
        return entry
    entry.done, entry.updated_at = done, utcnow()
    entry.done_at, entry.done_by = (utcnow(), user) if done else (None, None)
    entry.store_done()
    _amend(entry.conversation, user, "Punt %d %s: %s" % (
        entry.position, "afgevinkt" if done else "niet meer afgevinkt", entry.text))
    return entry


def save_note(entry, text, base_version, user):
    """Save an item's note, unless another device changed it since `base_version`.

    A retried save whose text is already stored is not a conflict: it simply succeeded.
    """
    if len(text) > NOTE_MAX_LENGTH:
        raise ChecklistError(_("Deze notitie is te lang (hoogstens %(max)d tekens).", max=NOTE_MAX_LENGTH))
    if text == entry.note:
        return entry
    if base_version != entry.note_version:
        raise NoteConflict(entry)
    entry.note, entry.note_version, entry.updated_at = text, entry.note_version + 1, utcnow()
    entry.save()
    _amend(entry.conversation, user, "Notitie bij punt %d: %s" % (entry.position, text or "(leeg)"))
    return entry


def add_line(conversation, kind, text, client_key, user):
    """Add a note, wish or agreement; a retry with the same key returns the line already stored."""
    text = text.strip()
    if not text:
        raise ChecklistError(_("Schrijf eerst iets op."))
    if len(text) > LINE_MAX_LENGTH:
        raise ChecklistError(_("Dit is te lang (hoogstens %(max)d tekens).", max=LINE_MAX_LENGTH))
    existing = ConversationLine.get_or_none(ConversationLine.client_key == client_key)
    if existing is not None:
        if existing.conversation_id != conversation.id:
            raise ChecklistError(_("Ongeldig formulier; laad de pagina opnieuw."))
        return existing, False
    line = ConversationLine.create(conversation=conversation, kind=kind, text=text, client_key=client_key,
                                   created_by=user)
    _amend(conversation, user, "Toegevoegd (%s): %s" % (kind, text))
    return line, True


def remove_line(line, user):
    """Strike a line through; it stays readable as removed."""
    if line.removed_at is None:
        line.removed_at = utcnow()
        line.save()
        _amend(line.conversation, user, "Doorgehaald: %s" % line.text)
    return line


def set_appointment(conversation, moment, user, now=None):
    """Set the next appointment (a UTC moment); it becomes the conversation's follow-up on the case."""
    if moment <= (now or utcnow()):
        raise ChecklistError(_("Deze afspraak ligt in het verleden."))
    if moment > (now or utcnow()) + datetime.timedelta(days=366):
        raise ChecklistError(_("Deze afspraak ligt meer dan een jaar vooruit."))
    conversation.next_appointment_at = moment
    conversation.save()
    to_come = FollowUp.select().where(FollowUp.conversation == conversation, FollowUp.done_at.is_null(),
                                      FollowUp.cancelled_at.is_null())
    if to_come.exists():
        FollowUp.update(due_on=local_date(moment)).where(FollowUp.id.in_(to_come.select(FollowUp.id))).execute()
    else:  # a talk with each pupil who took part (each their own outcome), or with whoever was there
        participants = list(conversation.participants.order_by(ConversationParticipant.id))
        pupils = [participant.pupil_id for participant in participants if participant.pupil_id]
        with_whom = "" if pupils else ", ".join(participant.name for participant in participants)[:200]
        for pupil_id in pupils or [None]:
            FollowUp.create(case=conversation.case, conversation=conversation, pupil=pupil_id,
                            due_on=local_date(moment), with_whom=with_whom,
                            note="Vervolgafspraak uit: %s" % conversation.title)
    CaseEvent.add(conversation.case, "appointment", conversation.title, user)
    _amend(conversation, user, "Vervolgafspraak gezet")


def finish(conversation, user, complete_step=False):
    """Record the end of the conversation; optionally mark its protocol step done."""
    if conversation.is_finished:
        raise ChecklistError(_("Dit gesprek is al afgerond."))
    conversation.ended_at = utcnow()
    conversation.save()
    CaseEvent.add(conversation.case, "conversation_finished", conversation.title, user)
    if complete_step:
        step = CaseStep.get_or_none(CaseStep.case == conversation.case, CaseStep.step_key == conversation.step_key)
        if step is not None and step.status == "open" and not followups.series_under_way(
                conversation.case, conversation.step_key):  # that step completes itself
            cases.complete_step(conversation.case, conversation.step_key, user,
                                   note="Gesprek: %s" % conversation.title)


def records_parent_contact(conversation):
    """Whether this talk is held under a step the protocol completes with a parent contact (seed 001 step 6:
    the parents hear of it in a talk at school or at home), so finishing it should lead to recording one."""
    protocol = protocols.of_case(conversation.case)
    step = protocol.step(conversation.step_key) if protocol else None
    return step is not None and step.recorded_with == "parent_contact"


def parent_contact_draft(conversation):
    """What a parent contact recorded from this talk says, for the mentor to check before saving: whose
    parents (the one pupil in the talk, if one), a talk at school, the day and who held it, what was noted and
    agreed. Whose parents: the one pupil whose parents the talk was with (else the one pupil in it), if one.
    Stored when saved, so written in Dutch like the rest of the case file."""
    participants = [participant for participant in conversation.participants if participant.pupil_id]
    whose = [participant.pupil_id for participant in participants if participant.role == "parents"]
    pupils = whose or [participant.pupil_id for participant in participants]
    lines = {"note": [], "agreement": []}
    for line in (ConversationLine.select().where(ConversationLine.conversation == conversation,
                                                 ConversationLine.kind.in_(list(lines)))
                 .order_by(ConversationLine.created_at, ConversationLine.id)):
        lines[line.kind].append(line.text)
    summary = "Gesprek gevoerd met de leidraad «%s»." % conversation.title
    return {"pupil": pupils[0] if len(set(pupils)) == 1 else None, "channel": "school",
            "contacted_on": local_date(conversation.started_at), "by_user": conversation.held_by_id,
            "summary": "\n".join([summary] + lines["note"]), "agreed": "\n".join(lines["agreement"])}
