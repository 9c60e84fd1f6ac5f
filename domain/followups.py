"""After the agreement: follow-ups that check it holds, and escalation when it does not.

Seed 001: agreements not kept a first time give the pupil one more chance; a second time,
the next escalation phase is proposed to those the protocol names to decide it (see
domain/escalation.py, which also records the measures). Functions that write expect to run
inside the caller's transaction.

Refusals speak the user's language; the timeline texts written here ("Gaat goed", "Voorstel:
fase 3") are stored, so they are written in Dutch, the language of the case file, whoever
happens to read them later.
"""
import datetime

from flask_babel import gettext as _
from peewee import JOIN, fn

from db import day_of, today, utcnow
from models import Case, CaseEvent, FollowUp, Measure


class FollowUpError(Exception):
    """Something the follow-up or measure refuses; the message is for the user, in their language."""


def record(follow_up, user, outcome, with_whom="", note=""):
    """Record a follow-up; returns what it means: 'ok', 'one_more_chance' or 'escalate'."""
    if follow_up.done_at is not None:
        raise FollowUpError(_("Dit vervolggesprek is al vastgelegd."))
    if outcome not in ("going_well", "not_kept"):
        raise FollowUpError(_("Kies of het goed gaat of dat de afspraken niet zijn nagekomen."))
    follow_up.outcome, follow_up.done_at, follow_up.done_by = outcome, utcnow(), user
    follow_up.with_whom = (with_whom or follow_up.with_whom)[:200]
    follow_up.note = note[:5000]
    follow_up.save()
    if outcome == "going_well":
        CaseEvent.add(follow_up.case, "follow_up", "Gaat goed" + (": " + note if note else ""), user)
        return "ok"
    broken = FollowUp.select().where(FollowUp.case == follow_up.case, FollowUp.outcome == "not_kept").count()
    if broken == 1:
        CaseEvent.add(follow_up.case, "follow_up", "Afspraken niet nagekomen: nog één kans", user)
        return "one_more_chance"
    CaseEvent.add(follow_up.case, "escalation_proposed", "Voorstel: fase %d" % proposed_phase(follow_up.case), user)
    return "escalate"


def proposed_phase(case):
    """The escalation phase to propose: one past the highest taken so far."""
    return _phase_after(Measure.select(fn.MAX(Measure.phase)).where(Measure.case == case).scalar())


def _phase_after(highest):
    """The phase after the highest taken (None: none yet); the fifth is the last."""
    return min((highest or 0) + 1, 5)


def escalation_proposal(case, follow_ups=None, measures=None):
    """The phase proposed to the coordinator, when agreements were broken again since the last measure.

    `follow_ups` and `measures` are the case's when the caller has read them already (the case page)."""
    follow_ups = FollowUp.of_case(case) if follow_ups is None else follow_ups
    broken = sorted((row for row in follow_ups if row.outcome == "not_kept"), key=lambda row: row.done_at)
    if len(broken) < 2:
        return None
    measures = list(Measure.of_case(case)) if measures is None else measures
    last_measure = max((measure.decided_on for measure in measures), default=None)
    if last_measure and last_measure >= broken[-1].done_at.date():
        return None
    return _phase_after(max((measure.phase for measure in measures), default=None))


def open_proposals():
    """Open cases whose agreements were broken again since their last measure, with the proposed
    phase: what escalation_proposal says of each case, for the whole school in one query (the
    coordinator's home page asks on every visit)."""
    broken = (FollowUp.select(FollowUp.case, fn.MAX(FollowUp.done_at).alias("last_broken"))
              .where(FollowUp.outcome == "not_kept").group_by(FollowUp.case).having(fn.COUNT(FollowUp.id) >= 2))
    measures = (Measure.select(Measure.case, fn.MAX(Measure.decided_on).alias("last_measure"),
                               fn.MAX(Measure.phase).alias("highest_phase"))
                .group_by(Measure.case))
    rows = (Case.select(Case, broken.c.last_broken, measures.c.last_measure, measures.c.highest_phase)
            .join(broken, on=(broken.c.case_id == Case.id))
            .join(measures, JOIN.LEFT_OUTER, on=(measures.c.case_id == Case.id))
            .where(Case.status == "open").order_by(Case.reference).objects())
    return [(case, _phase_after(case.highest_phase)) for case in rows
            if not case.last_measure or day_of(case.last_measure) < day_of(case.last_broken)]


def due_for(user, horizon_days=7):
    """Open follow-ups of the user's own cases (as mentor) due within the horizon, earliest first."""
    return list(FollowUp.select(FollowUp, Case).join(Case)
                .where(Case.mentor == user, Case.status == "open", FollowUp.done_at.is_null(),
                       FollowUp.due_on <= today() + datetime.timedelta(days=horizon_days))
                .order_by(FollowUp.due_on))
