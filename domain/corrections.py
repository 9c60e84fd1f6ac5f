"""Correcting a case after it was opened: its pupils and their roles, its mentor, its online and criminal
flags, a step set aside by hand, and a second protocol beside its first (issue 20).

Every correction is an event on the timeline saying what it was before, and the steps are synced at
once (deadlines, conditional steps). What was recorded stays as it was: a conversation, agreement or
follow-up keeps the role the pupil had then (they copy it). Each function runs inside the caller's
transaction; the caller writes the audit line. Timeline texts are stored, so in Dutch (see cases).
"""
from flask_babel import gettext as _

from db import local_date, utcnow
from domain import cases, followups, protocols
from domain.cases import WorkflowError
from models import INVOLVEMENT_ROLES, Case, CaseEvent, CaseHandover, CaseStep, FollowUp, Involvement, User
from terminology import label, term


def _dutch_role(role):
    return str(label(INVOLVEMENT_ROLES, role)).lower() if role else "-"


def _open(case):
    if case.status != "open":
        raise WorkflowError(_("Dit dossier is gesloten."))


def _keeps_a_victim(case, pupil, new_role=None):
    others = Involvement.select().where(Involvement.case == case, Involvement.pupil != pupil,
                                        Involvement.role == "victim").exists()
    if not others and new_role != "victim":
        raise WorkflowError(_("Een dossier heeft minstens één gepeste leerling."))


def add_pupil(case, pupil, role, user):
    """Add a pupil with a role; a pupil already in the case is refused."""
    _open(case)
    if role not in dict(INVOLVEMENT_ROLES):
        raise WorkflowError(_("Onbekende rol."))
    if Involvement.select().where(Involvement.case == case, Involvement.pupil == pupil).exists():
        raise WorkflowError(_("%(name)s hoort al bij dit dossier.", name=pupil.display_name))
    Involvement.create(case=case, pupil=pupil, role=role)
    CaseEvent.add(case, "correction", "Leerling toegevoegd: %s als %s" % (pupil.display_name, _dutch_role(role)),
                  user)


def change_role(case, pupil, role, user):
    """Give a pupil another role (a bystander turns out to be a follower); returns the role before."""
    _open(case)
    if role not in dict(INVOLVEMENT_ROLES):
        raise WorkflowError(_("Onbekende rol."))
    involvement = Involvement.get_or_none(Involvement.case == case, Involvement.pupil == pupil)
    if involvement is None:
        raise WorkflowError(_("Deze leerling hoort niet bij dit dossier."))
    if involvement.role == role:
        return role
    _keeps_a_victim(case, pupil, role)
    before = involvement.role
    involvement.role, involvement.role_since = role, utcnow()
    involvement.save(only=[Involvement.role, Involvement.role_since])
    CaseEvent.add(case, "correction", "Rol van %s gewijzigd: was %s, nu %s" % (
        pupil.display_name, _dutch_role(before), _dutch_role(role)), user)
    return before


def remove_pupil(case, pupil, reason, user):
    """Take out a pupil added by mistake, with the reason; the follow-ups still planned for them are
    cancelled, what was recorded with them stays."""
    _open(case)
    if not (reason or "").strip():
        raise WorkflowError(_("Geef een reden."))
    involvement = Involvement.get_or_none(Involvement.case == case, Involvement.pupil == pupil)
    if involvement is None:
        raise WorkflowError(_("Deze leerling hoort niet bij dit dossier."))
    _keeps_a_victim(case, pupil)
    involvement.delete_instance()
    cancelled = (FollowUp.update(cancelled_at=utcnow())
                 .where(FollowUp.case == case, FollowUp.pupil == pupil, FollowUp.done_at.is_null(),
                        FollowUp.cancelled_at.is_null()).execute())
    CaseEvent.add(case, "correction", "Leerling verwijderd: %s (was %s). Reden: %s%s" % (
        pupil.display_name, _dutch_role(involvement.role), reason.strip(),
        " (%d gepland vervolggesprek(ken) geannuleerd)" % cancelled if cancelled else ""), user)
    cases.sync_steps(case)


def hand_over(case, mentor, user):
    """Hand the case to another mentor (leave, a class change); returns the mentor before. The handover is
    kept as a row: the school may let the previous mentor read on (permissions.rules)."""
    _open(case)
    if not mentor.is_active or not mentor.has_role("mentor"):
        raise WorkflowError(_("Kies een actieve %(mentor)s.", mentor=term("mentor")))
    before = case.mentor
    if before is not None and before.id == mentor.id:
        return before
    case.mentor = mentor
    case.save(only=[type(case).mentor])
    if before is not None:
        CaseHandover.create(case=case, from_mentor=before, to_mentor=mentor, handed_over_by=user)
    CaseEvent.add(case, "correction", "Overgedragen: was %s, nu %s" % (
        before.full_name if before else "geen", mentor.full_name), user)
    return before


def set_flags(case, online, criminal, user):
    """Set or clear the online and possibly-criminal flags; the protocol's steps that depend on them
    appear or become not applicable, and what was done stays done. Returns whether anything changed."""
    _open(case)
    changes = []
    for name, field, value in (("online", "online", online), ("mogelijk strafbaar", "possibly_criminal", criminal)):
        if bool(getattr(case, field)) != bool(value):
            changes.append("%s: was %s, nu %s" % (name, "ja" if getattr(case, field) else "nee",
                                                 "ja" if value else "nee"))
            setattr(case, field, bool(value))
    if not changes:
        return False
    case.save()
    CaseEvent.add(case, "correction", "Kenmerken gewijzigd: " + "; ".join(changes), user)
    cases.sync_steps(case)
    return True


def set_aside(case, step_key, reason, user):
    """Mark an open step not applicable by hand, with the reason; the protocol's rules leave it so."""
    _open(case)
    if not (reason or "").strip():
        raise WorkflowError(_("Geef een reden."))
    row = CaseStep.get_or_none(CaseStep.case == case, CaseStep.step_key == step_key)
    if row is None:
        raise WorkflowError(_("Deze stap hoort niet bij het protocol van dit dossier."))
    if row.status != "open":
        raise WorkflowError(_("Alleen een open stap kan niet van toepassing worden verklaard."))
    row.status, row.set_aside_reason, row.due_on = "not_applicable", reason.strip(), None
    row.save()
    CaseEvent.add(case, "correction", "Stap niet van toepassing: %s. Reden: %s" % (
        protocols.step_title(case.protocol_key, step_key), reason.strip()), user)
    cases.sync_steps(case)


def undo_set_aside(case, step_key, user):
    """Undo a step set aside by hand: it follows the protocol again (open, with its deadline)."""
    _open(case)
    row = CaseStep.get_or_none(CaseStep.case == case, CaseStep.step_key == step_key)
    if row is None or not row.set_aside_reason:
        raise WorkflowError(_("Deze stap is niet met de hand op niet van toepassing gezet."))
    reason = row.set_aside_reason
    row.set_aside_reason = ""
    row.status = "open"
    row.save()
    CaseEvent.add(case, "correction", "Stap weer van toepassing: %s (was niet van toepassing: %s)" % (
        protocols.step_title(case.protocol_key, step_key), reason), user)
    cases.sync_steps(case)


def second_protocols(case):
    """The protocols that can run beside the case's own: those offered to the school, but its own."""
    return [protocol for protocol in protocols.offered() if protocol.key != case.protocol_key]


def add_second_protocol(case, protocol_key, user):
    """Run a second protocol beside the case's own (the online protocol beside the school's): its steps
    count from today, and what the two share and was done already is done in it too."""
    _open(case)
    if case.second_protocol_key:
        raise WorkflowError(_("Dit dossier volgt al een tweede protocol; haal dat eerst weg."))
    protocol = next((p for p in second_protocols(case) if p.key == protocol_key), None)
    if protocol is None:
        raise WorkflowError(_("Kies een protocol dat naast dat van het dossier kan lopen."))
    case.second_protocol_key, case.second_protocol_added_at = protocol.key, utcnow()
    case.save(only=[Case.second_protocol_key, Case.second_protocol_added_at])
    CaseEvent.add(case, "correction", "Tweede protocol erbij: %s, naast %s" % (
        protocol.name, protocols.get(case.protocol_key).name), user)
    cases.sync_steps(case)
    cases.signal_recorded_by_report(case)  # as when the case was opened with it (cases.open_case)
    return protocol


def remove_second_protocol(case, reason, user):
    """Stop the second protocol, with the reason: its steps leave the case page; the timeline keeps what
    was done in it (and says it again here), and what it shared with the first stays done there."""
    _open(case)
    if not (reason or "").strip():
        raise WorkflowError(_("Geef een reden."))
    if not case.second_protocol_key:
        raise WorkflowError(_("Dit dossier volgt geen tweede protocol."))
    key = case.second_protocol_key
    rows = list(CaseStep.select().where(CaseStep.case == case, CaseStep.step_key.startswith(key + protocols.BESIDE))
                .order_by(CaseStep.position))
    second = protocols.get(key)

    def title(row):
        step = second.step(protocols.split_step_key(row.step_key)[1]) if second else None
        return step.title if step else row.step_key

    done = ["%s (%s)" % (title(row), followups.dutch_day(local_date(row.done_at)))
            for row in rows if row.status == "done"]
    CaseStep.delete().where(CaseStep.id.in_([row.id for row in rows] or [0])).execute()
    name = second.name if second else key
    case.second_protocol_key, case.second_protocol_added_at = None, None
    case.save(only=[Case.second_protocol_key, Case.second_protocol_added_at])
    CaseEvent.add(case, "correction", "Tweede protocol weggehaald: %s. Reden: %s. Gedaan waren: %s" % (
        name, reason.strip(), "; ".join(done) or "geen stappen"), user)
    cases.sync_steps(case)
    return key


def mentors():
    """The active mentors a case can be handed to, by name."""
    return list(User.with_role("mentor").where(User.is_active == True))  # noqa: E712
