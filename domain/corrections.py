"""Correcting a case after it was opened: its pupils and their roles, its mentor, its online and criminal
flags, and a step set aside by hand (issue 20).

Every correction is an event on the timeline saying what it was before, and the steps are synced at
once (deadlines, conditional steps). What was recorded stays as it was: a conversation, agreement or
follow-up keeps the role the pupil had then (they copy it). Each function runs inside the caller's
transaction; the caller writes the audit line. Timeline texts are stored, so in Dutch (see cases).
"""
from flask_babel import gettext as _

from db import utcnow
from domain import cases, protocols
from domain.cases import WorkflowError
from models import INVOLVEMENT_ROLES, CaseEvent, CaseStep, FollowUp, Involvement, User
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
    involvement.role = role
    involvement.save(only=[Involvement.role])
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
    """Hand the case to another mentor (leave, a class change); returns the mentor before."""
    _open(case)
    if not mentor.is_active or not mentor.has_role("mentor"):
        raise WorkflowError(_("Kies een actieve %(mentor)s.", mentor=term("mentor")))
    before = case.mentor
    if before is not None and before.id == mentor.id:
        return before
    case.mentor = mentor
    case.save(only=[type(case).mentor])
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


def mentors():
    """The active mentors a case can be handed to, by name."""
    return list(User.with_role("mentor").where(User.is_active == True))  # noqa: E712
