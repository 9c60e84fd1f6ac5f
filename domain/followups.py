"""After the agreement: follow-up talks with each pupil, and escalation when agreements are broken.

Seed 001 step 5: the mentor checks that the agreements hold with short talks with the bullied pupil
and with the bully (and followers) after two days, a week and a month, then less often for two
years. Each pupil has their own series (the protocol file's schedule): the pupils of the signed
agreement, or without one the pupils of the roles the protocol names, planned when its follow-up
step comes due. That step is then done when every series is, and until then shows the next date.

Broken once, the pupil gets one more chance; broken again, the next escalation phase is proposed
to those the protocol names to decide it: counted per pupil who committed (a bully or follower).
A talk held with several pupils together, from before follow-ups were per pupil, counts for each
of them. The case keeps the phase it stands at and the roles it waits for (sync_escalation, run
here whenever a talk is recorded, and by domain/escalation.py, which presents the proposals and
records the measures, as escalation.sync). Functions that write expect to run inside the caller's
transaction.

Refusals speak the user's language; the timeline texts written here ("Gaat goed", "Voorstel:
fase 3") are stored, so they are written in Dutch, the language of the case file, whoever
happens to read them later.
"""
import calendar
import collections
import dataclasses
import datetime
import functools
import operator

from babel.dates import format_date
from flask_babel import gettext as _
from peewee import JOIN, Value, fn

from db import Prepared, day_of, local_date, today, utcnow
from domain import protocols
from i18n import long_date
from models import (
    Agreement, AgreementParty, Case, CaseEvent, CaseStep, Conversation, FollowUp, Involvement, Measure, Pupil,
)
from terminology import dutch_term

OUTCOMES = ("going_well", "not_kept", "not_held")
AGREEMENT_PUPIL_ROLES = ("victim", "bully", "follower")  # the pupils of an agreement who get a series
BREAKING_ROLES = ("bully", "follower")  # whose broken agreements count towards the next phase
ROLE_ORDER = {role: number for number, role in enumerate(("victim", "bully", "follower", "helper", "bystander"))}


# The timeline's lines that choose the approach again (chosen, switched, kept): a switch is proposed for talks after.
APPROACH_EVENTS = ("approach", "approach_switched", "approach_kept")
APPROACH_WORDS = {"confrontational": "confronterende aanpak", "non_confrontational": "niet-confronterende aanpak"}
LEVEL_WORDS = {"individual": "individueel", "group": "in de groep", "class": "in de klas"}


class FollowUpError(Exception):
    """Something the follow-up or measure refuses; the message is for the user, in their language."""


def dutch_day(day):
    """A day as the case file (in Dutch) writes it."""
    return format_date(day, "d MMMM yyyy", locale="nl")


# The schedule

def add_months(day, months):
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def series_dates(schedule, start):
    """The dates of the protocol's follow-up schedule, counted from `start`."""
    dates = []
    for rule in schedule:
        if rule.days or rule.weeks:
            dates.append(start + datetime.timedelta(days=rule.days + 7 * rule.weeks))
        elif rule.months:
            dates.append(add_months(start, rule.months))
        else:
            # Every n months after the last fixed follow-up, up to the limit.
            month = (max(dates, default=start) - start).days // 30 + rule.every_months
            while month <= rule.until_months:
                dates.append(add_months(start, month))
                month += rule.every_months
    return sorted(set(dates))


def _plan(case, pupils, start, schedule, agreement=None, evaluation_on=None, appointments=None):
    """Each pupil their own series from `start`, and the evaluation talk on its day (one of the
    series when it falls on the same day). A pupil with a talk's next appointment (`appointments`:
    pupil id -> its open follow-up) due before the series' second talk has it as their first: the
    series starts with it, not with a second talk in the same days. Returns the rows made."""
    rows = []
    dates = series_dates(schedule, start)
    for pupil in pupils:
        days = set(dates) | ({evaluation_on} if evaluation_on else set())
        appointment = (appointments or {}).get(pupil.id)
        if (appointment is not None and dates and dates[0] != evaluation_on
                and start <= appointment.due_on <= (dates[1:] or dates)[0]):
            days.discard(dates[0])
            appointment.agreement = agreement
            appointment.save(only=[FollowUp.agreement])
        for day in sorted(days):
            rows.append(FollowUp.create(case=case, pupil=pupil, agreement=agreement, due_on=day,
                                        evaluation=day == evaluation_on))
    return rows


def _cancel(rows, user, text):
    """Cancel open follow-ups (they stay on record), said on the timeline."""
    ids = [row.id for row in rows]
    if ids:
        FollowUp.update(cancelled_at=utcnow()).where(FollowUp.id.in_(ids)).execute()
        CaseEvent.add(rows[0].case_id, "follow_ups_cancelled", text % len(ids), user)
    return len(ids)


def _series(case):
    """The case's follow-ups that the protocol's follow-up step stands for: not cancelled, not a
    conversation's appointment."""
    return FollowUp.select().where(FollowUp.case == case, FollowUp.conversation.is_null(),
                                   FollowUp.cancelled_at.is_null())


def plan_for_agreement(agreement, user=None):
    """On signing: the agreement's pupils get their series from the day it was signed, and its
    evaluation talk; earlier versions are superseded and the follow-ups they (or the protocol)
    planned that are still to come are cancelled. Those due on the signing day or before stay open,
    tied to the version they check."""
    case = agreement.case
    protocol = protocols.of_case(case)
    protocol = protocol.series_lead() if protocol else None
    older = list(Agreement.select().where(Agreement.case == case, Agreement.id != agreement.id,
                                          Agreement.superseded_at.is_null()).order_by(Agreement.version))
    if older:
        Agreement.update(superseded_at=utcnow()).where(Agreement.id.in_([row.id for row in older])).execute()
        CaseEvent.add(case, "agreement_superseded", "%s vervangen door versie %d" % (
            ", ".join("versie %d%s" % (row.version, " (concept)" if row.status == "draft" else "")
                      for row in older), agreement.version), user)
    start = local_date(agreement.locked_at) if agreement.locked_at else today()
    # A talk due on the signing day or late checks the version before: the mentor may be about to hold it,
    # and agreements found broken there count. It stays open, tied to its version; only talks to come go.
    open_rows = list(_series(case).where(FollowUp.done_at.is_null(),
                                         (FollowUp.agreement != agreement) | FollowUp.agreement.is_null()))
    replaced = [row for row in open_rows if row.due_on > start]
    kept = len(open_rows) - len(replaced)
    _cancel(replaced, user, "%%d open vervolggesprek(ken) vervangen door die van herstelovereenkomst versie %d"
            % agreement.version)
    pupils = [party.pupil for party in agreement.parties.order_by(AgreementParty.id)
              if party.pupil_id is not None and party.role in AGREEMENT_PUPIL_ROLES]
    appointments = {}  # a talk's next appointment per pupil, the earliest: the mentor set it with them
    for row in (FollowUp.select().where(FollowUp.case == case, FollowUp.conversation.is_null(False),
                                        FollowUp.pupil.is_null(False), FollowUp.done_at.is_null(),
                                        FollowUp.cancelled_at.is_null()).order_by(FollowUp.due_on, FollowUp.id)):
        appointments.setdefault(row.pupil_id, row)
    rows = _plan(case, pupils, start, protocol.follow_up_schedule if protocol else (), agreement,
                 agreement.evaluation_on, appointments)
    kept_text = (("1 vervolggesprek dat op of vóór de dag van ondertekening gepland stond, blijft open: het toetst "
                  "de vorige afspraken") if kept == 1 else
                 ("%d vervolggesprekken die op of vóór de dag van ondertekening gepland stonden, blijven open: ze "
                  "toetsen de vorige afspraken" % kept) if kept else "")
    if rows:
        CaseEvent.add(case, "follow_ups_planned", "Herstelovereenkomst versie %d: %s%s" % (
            agreement.version, _series_summary(pupils, rows), ". " + kept_text if kept_text else ""), user)
    elif kept_text:
        CaseEvent.add(case, "follow_ups_planned", kept_text[0].upper() + kept_text[1:], user)
    settle_step(case, user)
    return rows


def _series_summary(pupils, rows):
    """For the timeline: for whom, until when, and the evaluation talk."""
    names = ", ".join(pupil.display_name for pupil in pupils)
    last = max(row.due_on for row in rows)
    evaluation = next((row.due_on for row in rows if row.evaluation), None)
    return "voor %s, tot %s%s" % (names, dutch_day(last),
                                  "; evaluatiegesprek op %s" % dutch_day(evaluation) if evaluation else "")


def settle_step(case, user=None, anchor=None):
    """The protocol's follow-up step as its series stands: under way (open, due on the next talk)
    while a talk is still to come, done when every talk is recorded. On a case with two protocols
    that share their follow-up steps (`shared: follow-up`) the one series stands for both, and both
    are settled alike (protocols.Protocol.series_steps).

    Without a series yet and with the step come due (`anchor`, the day it counts from), the pupils
    of the roles the protocol names get theirs from that day: a case without an agreement is
    followed up all the same. Returns the first follow-up step's row (None without one)."""
    protocol = protocols.of_case(case)
    keys = protocol.series_steps() if protocol else ()
    if not keys:
        return None
    found = {row.step_key: row for row in CaseStep.select().where(CaseStep.case == case, CaseStep.step_key.in_(keys))}
    rows = [found[key] for key in keys if key in found and found[key].status != "not_applicable"]
    if not rows:
        return found.get(keys[0])
    lead = protocol.series_lead()
    series = list(_series(case))
    if not series and anchor is not None and case.status == "open" and any(row.status == "open" for row in rows):
        involvements = [involvement for involvement in case.involved_pupils()
                        if involvement.role in lead.follow_up_with]
        involvements.sort(key=lambda involvement: lead.follow_up_with.index(involvement.role))
        pupils = [involvement.pupil for involvement in involvements]
        series = _plan(case, pupils, anchor, lead.follow_up_schedule)
        if series:
            CaseEvent.add(case, "follow_ups_planned", "Volgens het protocol: %s" % _series_summary(pupils, series),
                          user)
    if not series:
        return found.get(keys[0])
    to_come = [follow_up for follow_up in series if follow_up.done_at is None]
    for row in rows:
        if to_come:
            row.status, row.done_at, row.done_by = "open", None, None
            row.due_on = min(follow_up.due_on for follow_up in to_come)
        else:
            row.due_on = max(follow_up.due_on for follow_up in series)
            if row.status != "done":
                last = max(series, key=lambda follow_up: follow_up.done_at)
                row.status, row.done_at, row.done_by = "done", last.done_at, last.done_by_id
                title = protocols.step_title(case.protocol_key, row.step_key) if protocol.second else \
                    protocol.step(row.step_key).title
                CaseEvent.add(case, "step_done", "%s: elk vervolggesprek is vastgelegd" % title, user)
        row.save()
    return found.get(keys[0])


def series_anchor(protocol, case, dates):
    """The day a case's follow-up series counts from when none is planned yet: the earliest day one of the
    steps it stands for counts from, once that step has come due (`dates`: domain.cases.due_dates); None
    while each still waits."""
    anchors = []
    for key in protocol.series_steps() if protocol else ():
        due = dates.get(key)
        if due is not None:
            anchors.append(due - datetime.timedelta(days=protocol.step(key).deadline.for_severity(case.severity).days))
    return min(anchors, default=None)


def series_under_way(case, step_key):
    """The step is one the case's follow-up series stands for and a talk of the series is still to come: it
    completes itself, and the follow-ups stand for it in every list."""
    protocol = protocols.of_case(case)
    return bool(protocol and step_key in protocol.series_steps()
                and _series(case).where(FollowUp.done_at.is_null()).exists())


# Each registry's series step rules, under its protocols' identities (a registry changed in place, as a test does,
# is another key; the protocols are kept with the rules, so an identity is not reused while the rules are kept).
_SERIES_STEP_RULES = collections.OrderedDict()


def series_step_rules():
    """(first protocol key, second protocol key or None for any, step key) for every step a follow-up series
    can stand for, over every protocol and every pair of them: worked out once per set of loaded protocols, as
    pairing every two protocols costs more than the query that uses them."""
    registry = protocols.registry()
    key = tuple((name, id(protocol)) for name, protocol in registry.items())
    kept = _SERIES_STEP_RULES.get(key)
    if kept is None:
        kept = _SERIES_STEP_RULES[key] = (tuple(registry.values()), _series_step_rules(registry))
        while len(_SERIES_STEP_RULES) > 16:  # the apps a test process builds
            _SERIES_STEP_RULES.popitem(last=False)
    return kept[1]


def _series_step_rules(registry):
    rules = set()
    for first in registry.values():
        rules.update((first.key, None, key) for key in first.series_steps())
        for second in registry.values():
            if second.key != first.key:
                both = protocols.beside(first, second)
                rules.update((first.key, second.key, key) for key in both.series_steps()
                             if protocols.BESIDE in key)
    return tuple(sorted(rules, key=lambda rule: (rule[0], rule[1] or "", rule[2])))


def steps_under_way():
    """SQL for a CaseStep (joined to its Case) that its case's follow-up series stands for with a talk of the
    series still to come: lists of what is due show those talks instead."""
    rules = series_step_rules()
    if not rules:
        return Value(False)
    is_series_step = functools.reduce(operator.or_, [
        (Case.protocol_key == first) & (CaseStep.step_key == step)
        & (Value(True) if second is None else (Case.second_protocol_key == second))
        for first, second, step in rules])
    talk_to_come = fn.EXISTS(FollowUp.select(FollowUp.id).where(
        FollowUp.case == CaseStep.case, FollowUp.conversation.is_null(), FollowUp.done_at.is_null(),
        FollowUp.cancelled_at.is_null()))
    return is_series_step & talk_to_come


@dataclasses.dataclass
class PupilSeries:
    """One pupil's follow-up talks as the case page shows them (pupil None: talks held with several
    pupils together, before follow-ups were per pupil)."""

    pupil: object
    role: str
    held: list = dataclasses.field(default_factory=list)
    due: list = dataclasses.field(default_factory=list)  # to be held: their day has come
    planned: list = dataclasses.field(default_factory=list)  # their day is still to come


def by_pupil(involvements, follow_ups, on):
    """The case's follow-ups (not cancelled) per pupil: victim first, then bullies and followers, each
    in name order; talks with several pupils together last."""
    involvements = sorted(involvements, key=lambda involvement: ROLE_ORDER.get(involvement.role, len(ROLE_ORDER)))
    order = {involvement.pupil_id: number for number, involvement in enumerate(involvements)}
    roles = {involvement.pupil_id: involvement.role for involvement in involvements}
    series = {}
    for row in follow_ups:
        if row.cancelled_at is not None:
            continue
        group = series.get(row.pupil_id)
        if group is None:
            group = series[row.pupil_id] = PupilSeries(row.pupil if row.pupil_id else None, roles.get(row.pupil_id))
        (group.held if row.done_at else group.due if row.due_on <= on else group.planned).append(row)
    return sorted(series.values(), key=lambda group: (group.pupil is None, order.get(
        group.pupil.id if group.pupil else None, len(order))))


# Recording a talk

def record(follow_up, user, outcome, held_on, with_whom="", note=""):
    """Record a follow-up talk; returns what it means: 'ok', 'not_held', 'not_kept' (said by a pupil
    who did not commit), 'one_more_chance' or 'escalate'."""
    if follow_up.case.status != "open":
        raise FollowUpError(_("Dit dossier is gesloten."))
    if follow_up.cancelled_at is not None:
        raise FollowUpError(_("Dit vervolggesprek is geannuleerd: een nieuwe herstelovereenkomst verving het."))
    if follow_up.done_at is not None:
        raise FollowUpError(_("Dit vervolggesprek is al vastgelegd."))
    if outcome not in OUTCOMES:
        raise FollowUpError(_("Kies of het goed gaat, of de afspraken niet zijn nagekomen, of dat het gesprek "
                              "niet is gehouden."))
    problem = held_on_problem(held_on, follow_up.due_on)
    if problem:
        raise FollowUpError(problem)
    note = (note or "").strip()
    if outcome == "not_held" and not note:
        raise FollowUpError(_("Schrijf op waarom het gesprek niet is gehouden."))
    follow_up.outcome, follow_up.held_on, follow_up.done_at, follow_up.done_by = outcome, held_on, utcnow(), user
    follow_up.with_whom = (with_whom or follow_up.with_whom)[:200]
    follow_up.note = note[:5000]
    follow_up.save()
    case = follow_up.case
    who = follow_up.pupil.display_name + ": " if follow_up.pupil_id else ""
    meaning = _meaning(follow_up)
    text = {
        "ok": "Gaat goed", "not_held": "Niet gehouden", "not_kept": "Afspraken niet nagekomen",
        "one_more_chance": "Afspraken niet nagekomen: nog één kans",
        "escalate": "Afspraken opnieuw niet nagekomen",
    }[meaning]
    CaseEvent.add(case, "follow_up", who + text + (": " + note if note and meaning in ("ok", "not_held") else ""),
                  user)
    # The view says when the extra talks are; the timeline says it too.
    follow_up.checks_planned = check_soon(follow_up, user) if outcome == "not_kept" else []
    switch = approach_switch(case) if outcome == "not_kept" else None
    if switch is not None and _broken_since_approach(case).count() == 1:  # the first: proposed once
        CaseEvent.add(case, "approach_switch_proposed", "Overschakelen op de %s; beslist: %s" % (
            APPROACH_WORDS[switch.to], dutch_term("coordinator")), user)
    if meaning == "escalate":
        for pupil, number in pupil_proposals(case):
            if follow_up.pupil_id in (None, pupil.id):
                CaseEvent.add(case, "escalation_proposed", proposal_text(case, pupil, number), user)
        handed = [item for item in hand_overs(case) if follow_up.pupil_id in (None, item.pupil.id)]
        if handed:  # seed 001 step 5: the mentor hands the case over
            CaseEvent.add(case, "escalation_proposed", "Afspraken opnieuw niet nagekomen: dossier naar de %s" %
                          dutch_term(handed[0].rule.hand_to), user)
    settle_step(case, user)
    sync_escalation(case)  # a proposal shows the case to those who decide its phase
    return meaning


def _broken_since_approach(case):
    """The follow-up talks that found the agreements not kept since the approach was last chosen (or kept)."""
    last = (CaseEvent.select(CaseEvent.at).where(CaseEvent.case == case, CaseEvent.kind.in_(APPROACH_EVENTS))
            .order_by(CaseEvent.at.desc()).first())
    broken = FollowUp.select().where(FollowUp.case == case, FollowUp.outcome == "not_kept",
                                     FollowUp.cancelled_at.is_null())
    return broken.where(FollowUp.done_at > last.at) if last else broken


def approach_switch(case):
    """The protocol's switch of approach (protocols.ApproachSwitch) proposed for this case, or None: the case is
    open under the approach the protocol switches away from, and a follow-up talk since that approach was chosen
    found the agreements not kept (seed 004: when the support group does not work, the school can switch to the
    confrontational approach). Whoever chooses the approach switches, or keeps it, with one tap."""
    protocol = protocols.of_case(case)
    rule = protocol.approach_switch if protocol else None
    if rule is None or case.status != "open" or case.approach != rule.away_from:
        return None
    return rule if _broken_since_approach(case).exists() else None


def check_soon(follow_up, user=None):
    """Agreements not kept: each pupil of the case's series talks again within the protocol's short term
    (`follow_up_after_broken`) after this talk, unless their next talk is sooner. Seed 001 step 5 gives the
    pupil one more chance; without this its test would wait for the schedule's next talk, three months on
    in the second year. Returns the rows made (in the series of the agreement the pupil's talks belong to)."""
    case = follow_up.case
    lead = lead_of(case)
    days = lead.follow_up_after_broken if lead else 0
    if not days or follow_up.held_on is None:
        return []
    day = follow_up.held_on + datetime.timedelta(days=days)
    # Each pupil's own rows, the pupil read with them (an inner join leaves out talks with no pupil).
    series = list(_series(case).select_extend(Pupil).join(Pupil).order_by(FollowUp.due_on, FollowUp.id))
    rows = []
    for pupil_id in dict.fromkeys(row.pupil_id for row in series):
        own = [row for row in series if row.pupil_id == pupil_id]
        if any(row.done_at is None and row.due_on <= day for row in own):
            continue  # their next talk comes sooner
        rows.append(FollowUp.create(case=case, pupil=own[-1].pupil, agreement=own[-1].agreement_id, due_on=day))
    if rows:
        names = ", ".join(row.pupil.display_name for row in rows)
        CaseEvent.add(case, "follow_ups_planned", "Afspraken niet nagekomen: extra vervolggesprek op %s met %s" % (
            dutch_day(day), names), user)
    return rows


def proposal_text(case, pupil, number):
    """The timeline's line for a proposed phase: its number and title, for whom, and who decides it."""
    phase = phase_of(case, number)
    if phase is None:
        return "Voorstel: fase %d voor %s" % (number, pupil.display_name)
    return "Voorstel: fase %d (%s) voor %s; beslist: %s" % (
        number, phase.title, pupil.display_name, dutch_roles(phase.decided_by))


def held_on_problem(held_on, due_on):
    """Why a talk cannot have been held on that day, or None: not before its planned day, not in the future."""
    if held_on is None:
        return _("Vul de datum van het gesprek in.")
    if held_on > today():
        return _("Een gesprek dat nog moet komen kan niet worden vastgelegd.")
    if held_on < due_on:
        return _("Dit vervolggesprek staat gepland op %(date)s: leg het vast op of na die dag.",
                 date=long_date(due_on))
    return None


def _meaning(follow_up):
    """What a recorded talk means for the pupil it was with."""
    if follow_up.outcome == "going_well":
        return "ok"
    if follow_up.outcome == "not_held":
        return "not_held"
    breakers = {involvement.pupil_id for involvement in Involvement.select(Involvement.pupil).where(
        Involvement.case == follow_up.case, Involvement.role.in_(BREAKING_ROLES))}
    concerned = breakers if follow_up.pupil_id is None else breakers & {follow_up.pupil_id}
    if not concerned:
        return "not_kept"  # the bullied pupil says the agreements were not kept: noted, no phase for them
    proposed = {pupil.id for pupil, _phase in pupil_proposals(follow_up.case)}
    if proposed & concerned:
        return "escalate"
    broken = FollowUp.select().where(FollowUp.case == follow_up.case, FollowUp.outcome == "not_kept",
                                     (FollowUp.pupil.in_(list(concerned))) | FollowUp.pupil.is_null()).count()
    return "one_more_chance" if broken == 1 else "not_kept"


# Escalation

def _phase_after(highest):
    """The phase after the highest taken (None: none yet); the fifth is the last."""
    return min((highest or 0) + 1, 5)


def escalation_proposal(case, follow_ups=None, measures=None, involvements=None):
    """The highest phase proposed for any pupil of the case (see pupil_proposals), or None: where the
    case as a whole stands."""
    return max((phase for _pupil, phase in pupil_proposals(case, follow_ups, measures, involvements)), default=None)


def pupil_proposals(case, follow_ups=None, measures=None, involvements=None):
    """Each bully or follower who broke the agreements again since their last measure (a refused one is not
    taken), with the phase proposed for them: [(pupil, phase)], in the case's order of pupils.

    `follow_ups`, `measures` and `involvements` are the case's when the caller has read them already
    (the case page)."""
    follow_ups = FollowUp.of_case(case) if follow_ups is None else follow_ups
    measures = list(Measure.of_case(case)) if measures is None else measures
    involvements = case.involved_pupils() if involvements is None else involvements
    proposals = []
    for involvement in involvements:
        if involvement.role not in BREAKING_ROLES:
            continue
        pupil_id = involvement.pupil_id
        broken = [row.held_on or day_of(row.done_at) for row in follow_ups
                  if row.outcome == "not_kept" and row.pupil_id in (None, pupil_id)]
        if len(broken) < 2:
            continue
        own = [measure for measure in measures if measure.pupil_id == pupil_id and measure.refused_at is None]
        last_measure = max((measure.decided_on for measure in own), default=None)
        if last_measure and last_measure >= max(broken):
            continue
        proposals.append((involvement.pupil, _phase_after(max((measure.phase for measure in own), default=None))))
    return proposals


def open_proposals():
    """(case, phase) for each open case with a proposal: escalation_proposal for the whole school, from
    open_pupil_proposals' one query."""
    highest = {}
    for case, _pupil, phase in open_pupil_proposals():
        if case.id not in highest or phase > highest[case.id][1]:
            highest[case.id] = (case, phase)
    return list(highest.values())


def _open_pupil_proposal_rows():
    concerns = (FollowUp.pupil == Involvement.pupil) | FollowUp.pupil.is_null()
    held_on = fn.COALESCE(FollowUp.held_on, fn.DATE(FollowUp.done_at))
    broken = (FollowUp.select(Involvement.case, Involvement.pupil, fn.MAX(held_on).alias("last_broken"))
              .join(Involvement, on=((FollowUp.case == Involvement.case) & concerns))
              .where(FollowUp.outcome == "not_kept", Involvement.role.in_(BREAKING_ROLES))
              .group_by(Involvement.case, Involvement.pupil).having(fn.COUNT(FollowUp.id) >= 2))
    measures = (Measure.select(Measure.case, Measure.pupil, fn.MAX(Measure.decided_on).alias("last_measure"),
                               fn.MAX(Measure.phase).alias("highest_phase"))
                .where(Measure.refused_at.is_null()).group_by(Measure.case, Measure.pupil))
    return (Case.select(Case, Pupil, broken.c.last_broken, measures.c.last_measure, measures.c.highest_phase)
            .join_from(Case, broken, on=(broken.c.case_id == Case.id), attr="broken")
            .join_from(Case, Pupil, on=(Pupil.id == broken.c.pupil_id), attr="proposed_pupil")
            .join_from(Case, measures, JOIN.LEFT_OUTER, attr="measured", on=(
                (measures.c.case_id == Case.id) & (measures.c.pupil_id == broken.c.pupil_id)))
            .where(Case.status == "open").order_by(Case.reference, *Pupil.dutch_order()))


# The home page and the overview ask on every visit; building its SQL cost more than running it.
_OPEN_PUPIL_PROPOSALS = Prepared(_open_pupil_proposal_rows)


def open_pupil_proposals():
    """(case, pupil, phase) for each bully or follower of an open case who broke the agreements again
    since their last measure: what pupil_proposals says of each case, for the whole school in one
    query (the coordinator's home page asks on every visit)."""
    rows = _OPEN_PUPIL_PROPOSALS.all()
    proposals = []
    for case in rows:
        last_broken, measured = case.broken.last_broken, case.measured
        last_measure = measured.last_measure if measured is not None else None
        if not last_measure or day_of(last_measure) < day_of(last_broken):
            proposals.append((case, case.proposed_pupil, _phase_after(measured.highest_phase if measured else None)))
    return proposals


def phase_of(case, number):
    """The case's protocol's escalation phase with this number (title, description, decided_by), or None. A case
    with two protocols has one escalation, as it has one series of follow-up talks whose broken agreements
    propose it: that of the protocol the series follows (the case's own, unless only the second has a series),
    so a measure keeps its phase when a second protocol is added or taken away."""
    protocol = lead_of(case)
    return protocol.phase(number) if protocol and number else None


def lead_of(case):
    """The protocol whose follow-up series and escalation phases a case follows (protocols.Protocol.series_lead),
    or None for an unknown protocol."""
    protocol = protocols.of_case(case)
    return protocol.series_lead() if protocol else None


@dataclasses.dataclass(frozen=True)
class HandOver:
    """A pupil who broke the agreements again, whose case the protocol hands to `rule.hand_to` for its talk
    (`rule.talk`, held at the case's follow-up step `step_key`)."""

    pupil: object
    rule: object
    step_key: str
    title: str  # the talk's, from the protocol


def hand_overs(case, proposals=None, follow_ups=None, measures=None):
    """Seed 001 step 5: when agreements break again after the one more chance, the mentor hands the case to the
    anti-bullying coordinator, who talks with the pupils and their parents and steers from then on. The protocol's
    `after_broken_again` names the role and the talk. One HandOver per pupil proposed a first phase for (a pupil
    with a measure already is in the coordinator's hands), until a talk of that guide is started on or after their
    last broken agreement. `proposals` (pupil_proposals), `follow_ups` and `measures` are the case's when the
    caller has them."""
    lead = lead_of(case)
    rule = lead.after_broken_again if lead else None
    if rule is None or case.status != "open":
        return []
    proposals = pupil_proposals(case) if proposals is None else proposals
    measures = list(Measure.select(Measure.pupil).where(Measure.case == case)) if measures is None else measures
    measured = {measure.pupil_id for measure in measures}
    proposals = [(pupil, phase) for pupil, phase in proposals if pupil.id not in measured]
    if not proposals:
        return []
    follow_ups = FollowUp.of_case(case) if follow_ups is None else follow_ups
    talks = [local_date(talk.started_at) for talk in Conversation.select(Conversation.started_at).where(
        Conversation.case == case, Conversation.template_key == rule.talk)]
    step_key = protocols.of_case(case).series_steps()[0]
    title = lead.template(rule.talk).title
    result = []
    for pupil, _phase in proposals:
        broken = max((row.held_on or day_of(row.done_at) for row in follow_ups
                      if row.outcome == "not_kept" and row.pupil_id in (None, pupil.id)), default=None)
        if not any(broken is None or day >= broken for day in talks):
            result.append(HandOver(pupil, rule, step_key, title))
    return result


def dutch_roles(roles):
    """Roles as the case file (in Dutch) names them: "teamleider en directie"."""
    words = [dutch_term(role) for role in roles]
    return "%s en %s" % (", ".join(words[:-1]), words[-1]) if len(words) > 1 else "".join(words)


def sync_escalation(case):
    """Keep the case's escalation phase (the highest taken, or proposed for any pupil) and the roles that
    decide on it: that phase's, then those of each pupil's open proposal and of each measure that still
    waits for a role, so that everyone the case waits for finds it in one query (permissions.visible_cases).
    Run wherever a talk or a measure is recorded (escalation.sync is this)."""
    measures = list(Measure.select(Measure.phase, Measure.waiting_for).where(  # a refused one was not taken
        Measure.case == case, Measure.refused_at.is_null()))
    proposed = [number for _pupil, number in pupil_proposals(case)]
    number = max([measure.phase for measure in measures] + proposed, default=None)
    roles = []
    for deciders in ([getattr(phase_of(case, n), "decided_by", ()) for n in [number] + proposed]
                     + [measure.waiting_roles for measure in measures]):
        roles += [role for role in deciders if role not in roles]
    case.escalation_phase = number
    case.escalation_deciders = " ".join(roles)
    Case.update(escalation_phase=case.escalation_phase, escalation_deciders=case.escalation_deciders).where(
        Case.id == case.id).execute()


# Lists of what is due

def open_follow_ups():
    """Follow-ups still to be held in open cases: not recorded, not cancelled."""
    return (FollowUp.select(FollowUp, Case, Pupil).join(Case).switch(FollowUp).join(Pupil, JOIN.LEFT_OUTER)
            .where(Case.status == "open", FollowUp.done_at.is_null(), FollowUp.cancelled_at.is_null()))


def to_come(case):
    """The case's follow-ups still to be held (not recorded, not cancelled), by date, with their pupil."""
    return (FollowUp.select(FollowUp, Pupil).join(Pupil, JOIN.LEFT_OUTER)
            .where(FollowUp.case == case, FollowUp.done_at.is_null(), FollowUp.cancelled_at.is_null())
            .order_by(FollowUp.due_on, FollowUp.id))


def due_for(user, horizon_days=7):
    """Open follow-ups of the user's own cases (as mentor) due within the horizon, earliest first."""
    return _DUE_FOR.all(user.id, today() + datetime.timedelta(days=horizon_days))


# Every home page asks.
_DUE_FOR = Prepared(lambda mentor_id, until: (
    open_follow_ups().where(Case.mentor == mentor_id, FollowUp.due_on <= until)
    .order_by(FollowUp.due_on, Case.reference, FollowUp.id)))
