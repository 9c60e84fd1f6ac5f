"""The support team's work: the pupils referred to it, its sessions, and what it reports back.

A session's notes stay with the support team (and the coordinator); the mentor reads the
report back on the case. The case's timeline says that a session took place, never what was said.
"""
from flask_babel import gettext as _
from peewee import JOIN, fn

from db import local_date, today
from models import (
    SUPPORT_SESSION_KINDS, Case, CaseEvent, CaseMember, Pupil, Referral, SchoolClass, SupportSession, User,
)
from terminology import label


class SupportError(Exception):
    """A session or referral change the rules refuse; the message is for the team member."""


def referrals():
    """Referrals to the support team, open ones first, with pupil, class, case and who referred."""
    referrer = User.alias()
    return (Referral.select(Referral, Case, Pupil, SchoolClass, referrer)
            .join(Case).switch(Referral)
            .join(Pupil, JOIN.LEFT_OUTER).join(SchoolClass, JOIN.LEFT_OUTER).switch(Referral)
            .join(referrer, JOIN.LEFT_OUTER, on=(Referral.by_user == referrer.id))
            .where(Referral.target == "support_team")
            .order_by(Referral.closed_on.is_null(False), Referral.closed_on.desc(), Referral.referred_on.desc(),
                      Referral.id.desc()))


def added_cases(user):
    """Cases the user was added to that were not referred to the support team."""
    referred = Referral.select(Referral.case).where(Referral.target == "support_team")
    return (Case.select().join(CaseMember).where(CaseMember.user == user, Case.id.not_in(referred))
            .order_by(Case.status.desc(), Case.opened_at.desc()))


def session_counts(case_ids):
    """{case id: (number of sessions, last day)} for the workspace's rows, in one query."""
    if not case_ids:
        return {}
    rows = (SupportSession.select(SupportSession.case, fn.COUNT(SupportSession.id), fn.MAX(SupportSession.held_on))
            .where(SupportSession.case.in_(case_ids)).group_by(SupportSession.case).tuples())
    return {case_id: (count, last) for case_id, count, last in rows}


def case_referrals(case):
    """The case's referrals to the support team, for the session form's choice."""
    return (Referral.select(Referral, Pupil).join(Pupil, JOIN.LEFT_OUTER)
            .where(Referral.case == case, Referral.target == "support_team").order_by(Referral.referred_on))


def _check(case, kind, held_on, participants, referral):
    if kind not in dict(SUPPORT_SESSION_KINDS):
        raise SupportError(_("Kies wat voor sessie het was."))
    if held_on is None:
        raise SupportError(_("Vul een datum in."))
    if held_on > today():
        raise SupportError(_("Een datum in de toekomst kan niet."))
    if held_on < local_date(case.opened_at):
        raise SupportError(_("De sessie kan niet vóór de opening van het dossier liggen."))
    if not (participants or "").strip():
        raise SupportError(_("Schrijf op wie erbij waren."))
    if referral is not None and (referral.case_id != case.id or referral.target != "support_team"):
        raise SupportError(_("Deze doorverwijzing hoort niet bij dit dossier."))


def record_session(case, user, kind, held_on, participants, notes="", report_back="", referral=None):
    """Record a session; the case's timeline says that it took place (and that there is a report back)."""
    _check(case, kind, held_on, participants, referral)
    session = SupportSession.create(case=case, referral=referral, kind=kind, held_on=held_on,
                                    participants=participants.strip(), notes=notes.strip(),
                                    report_back=report_back.strip(), recorded_by=user)
    CaseEvent.add(case, "support_session", str(label(SUPPORT_SESSION_KINDS, kind)), user)
    if session.report_back:
        CaseEvent.add(case, "support_report", "", user)
    return session


def update_session(session, user, kind, held_on, participants, notes="", report_back="", referral=None):
    """Change a session; a report back written for the first time shows on the case's timeline."""
    _check(session.case, kind, held_on, participants, referral)
    first_report = not session.report_back and report_back.strip()
    session.kind, session.held_on, session.referral = kind, held_on, referral
    session.participants, session.notes, session.report_back = participants.strip(), notes.strip(), report_back.strip()
    session.save()
    if first_report:
        CaseEvent.add(session.case, "support_report", "", user)
    return session


def close_referral(referral, user, on=None):
    """The support team's guidance after this referral has ended."""
    if referral.closed_on is not None:
        raise SupportError(_("Deze begeleiding is al afgerond."))
    referral.closed_on, referral.closed_by = on or today(), user
    referral.save()
    who = referral.pupil.display_name if referral.pupil_id else ""
    CaseEvent.add(referral.case, "referral_closed", who, user)
    return referral
