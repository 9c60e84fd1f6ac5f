"""Escalation: who the protocol names to decide each phase, the proposal they get, the measures they record.

A protocol file gives each of its five phases a title, a description and who decides it
(`decided_by`: one role, or several that decide together, as seed 001's team leader "in overleg
met de directie"). permissions.may_decide_phase checks a user against those roles; this module
passes them in. A measure of a phase with two deciding roles is recorded by one and waits for
the other, who agrees to it: the measure then names both, each with who decided and when.

Proposals are counted per pupil (domain.followups.pupil_proposals: broken once, one more chance;
broken again, the next phase after that pupil's own last measure); each names its pupil. The case
keeps the phase it stands at and the roles it waits for (sync, run wherever a follow-up talk or a
measure is recorded), so that the team leader and management find the cases they decide in one
query (permissions.visible_cases).

Refusals speak the user's language; timeline texts are stored, so they are written in Dutch, the
language of the case file, whoever reads them later.
"""
import dataclasses
import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from peewee import JOIN, SQL, fn

from db import Prepared, local_date, today, utcnow
from domain import followups
from models import PARENT_CHANNELS, Case, CaseEvent, Involvement, Measure, MeasureDecider, ParentContact, Pupil, User
from permissions import deciding_roles, may_decide_phase, sees_every_case
from terminology import label, term

# Whom a measure is about: the pupils who committed to the agreements, whose broken agreements propose a phase.
CONCERNED_ROLES = followups.BREAKING_ROLES


class MeasureError(Exception):
    """Something the measure refuses; the message is for the user, in their language."""


@dataclasses.dataclass(frozen=True)
class Proposal:
    """The next phase proposed for one pupil (a bully or follower) who broke the agreements again since
    their own last measure: counted per pupil (domain.followups.pupil_proposals)."""

    case: object
    pupil: object  # models.Pupil: whose series broke
    phase: object  # protocols.EscalationPhase: its number, title, description and decided_by

    @property
    def deciders(self):
        return self.phase.decided_by


# The case's protocol's phase with a number, and keeping the case's phase: the follow-ups' module has them,
# as recording a talk keeps the case's phase too.
phase_of = followups.phase_of
sync = followups.sync_escalation


def phases_for(user, case):
    """The phases of the case's protocol this user may decide on this case."""
    protocol = followups.lead_of(case)
    return [phase for phase in (protocol.escalation_phases if protocol else ())
            if may_decide_phase(user, case, phase.decided_by)]


def proposals(case, follow_ups=None, measures=None, involvements=None):
    """The case's escalation proposals, one for each pupil who broke the agreements again, in the case's
    order of pupils. The lists are the case's when the caller has them (the case page reads them in one
    statement)."""
    result = []
    for pupil, number in followups.pupil_proposals(case, follow_ups, measures, involvements):
        phase = phase_of(case, number)
        if phase is not None:
            result.append(Proposal(case, pupil, phase))
    return result


def proposal_for(case, pupil):
    """The proposal for this pupil of the case, or None."""
    return next((proposal for proposal in proposals(case) if proposal.pupil.id == pupil.id), None)


def proposals_for(user):
    """The open proposals on the user's home page: those whose phase they decide, and for the coordinator
    (who steers every case) all of them, each naming its pupil and who decides. One query for the school
    (followups.open_pupil_proposals), however many proposals there are."""
    result = []
    for case, pupil, number in followups.open_pupil_proposals():
        phase = phase_of(case, number)
        if phase and (sees_every_case(user) or may_decide_phase(user, case, phase.decided_by)):
            result.append(Proposal(case, pupil, phase))
    return result


def open_proposals_of(case_ids):
    """The open proposals of these cases (the overview's column), by case id: one query for the school."""
    result = {}
    wanted = set(case_ids)
    for case, pupil, number in followups.open_pupil_proposals():
        phase = phase_of(case, number) if case.id in wanted else None
        if phase is not None:
            result.setdefault(case.id, []).append(Proposal(case, pupil, phase))
    return result


def awaiting_for(user):
    """Measures recorded by one deciding role that wait for one of this user's: [(measure, its phase)]."""
    return [(measure, phase_of(measure.case, measure.phase)) for measure in _WAITING.all()
            if may_decide_phase(user, measure.case, measure.waiting_roles)]


# The measures of open cases, those waiting for a second deciding role and the others: every home page asks.
# Those that wait are read from their own index (migration 0031), which SQLite takes only when the statement
# itself says "not empty": a bound empty string would make it plan the statement again on every run.
_WAITING = Prepared(lambda: (
    Measure.select(Measure, Case, Pupil).join(Case).switch(Measure).join(Pupil)
    .where(Measure.waiting_for != SQL("''"), Case.status == "open").order_by(Measure.decided_on, Measure.id)))
_DECIDED = Prepared(lambda: (
    Measure.select(Measure, Case, Pupil).join(Case).switch(Measure).join(Pupil)
    .where(Case.status == "open", Measure.waiting_for == "", Measure.refused_at.is_null())
    .order_by(Measure.decided_on, Measure.id)))
_DECIDED_FOR_MENTOR = Prepared(lambda mentor_id: _DECIDED.query().where(Case.mentor == mentor_id))


def deciders_on(case, roles):
    """The active users who decide for one of these roles on the case (a digest's readers): the case's
    mentor for the mentor, everyone with the role who may decide here for the others."""
    users = {}
    for role in roles:
        if role == "mentor":
            candidates = [case.mentor] if case.mentor_id and case.mentor.is_active else []
        else:
            candidates = User.with_role(role)
        for user in candidates:
            if user.id not in users and may_decide_phase(user, case, (role,)):
                users[user.id] = user
    return list(users.values())


def deciders_text(roles, dutch=False):
    """The deciding roles in words: "teamleider en directie"."""
    if dutch:
        return followups.dutch_roles(roles)
    words = [term(role) for role in roles]
    if len(words) < 2:
        return "".join(words)
    return _("%(some)s en %(last)s", some=", ".join(words[:-1]), last=words[-1])


def decide_measure(case, pupil, number, description, user, decided_on, informed=""):
    """Record a measure of a phase the user decides. With a second deciding role it waits for that one."""
    if case.status != "open":
        raise MeasureError(_("Dit dossier is gesloten."))
    phase = phase_of(case, number)
    if phase is None:
        raise MeasureError(_("Kies een fase uit het protocol van dit dossier."))
    roles = deciding_roles(user, case, phase.decided_by)
    if not roles:
        raise MeasureError(_("Over fase %(phase)d beslist: %(deciders)s.", phase=number,
                             deciders=deciders_text(phase.decided_by)))
    if not description.strip():
        raise MeasureError(_("Beschrijf de maatregel."))
    if decided_on > today():
        raise MeasureError(_("Een besluit kan niet in de toekomst liggen."))
    if not Involvement.select().where(Involvement.case == case, Involvement.pupil == pupil).exists():
        raise MeasureError(_("Deze leerling hoort niet bij dit dossier."))
    proposal = proposal_for(case, pupil)
    proposed = proposal.phase if proposal else None
    if proposed and number < proposed.phase:
        # A lighter measure would answer the pupil's proposal and take it from those who decide it.
        raise MeasureError(_("Er ligt een voorstel voor fase %(phase)d (%(title)s); een maatregel van een lagere "
                             "fase beantwoordt het niet. Daarover beslist: %(deciders)s.", phase=proposed.phase,
                             title=proposed.title, deciders=deciders_text(proposed.decided_by)))
    waiting = [role for role in phase.decided_by if role not in roles]
    measure = Measure.create(case=case, pupil=pupil, phase=number, description=description.strip(),
                             decided_by=user, decided_on=decided_on, informed=informed.strip(),
                             deciding_roles=" ".join(phase.decided_by), waiting_for=" ".join(waiting))
    for role in roles:
        MeasureDecider.create(measure=measure, role=role, user=user)
    text = "Fase %d (%s): %s" % (number, phase.title, description.strip()[:150])
    if waiting:
        text += "; wacht op %s" % deciders_text(waiting, dutch=True)
    CaseEvent.add(case, "measure", text, user)
    sync(case)
    return measure


def _to_answer(measure, case, user):
    """The measure as it stands now (agreed or refused meanwhile, on another device) and the roles the user answers
    it for; MeasureError when the case is closed or it does not wait for them."""
    if case.status != "open":
        raise MeasureError(_("Dit dossier is gesloten."))
    measure = Measure.get_by_id(measure.id)
    roles = deciding_roles(user, case, measure.waiting_roles)
    if not roles:
        raise MeasureError(_("Deze maatregel wacht niet op jouw besluit."))
    return measure, roles


def agree(measure, case, user):
    """A deciding role the measure waits for agrees to it; returns the roles still waited for."""
    measure, roles = _to_answer(measure, case, user)
    for role in roles:
        MeasureDecider.create(measure=measure, role=role, user=user)
    waiting = [role for role in measure.waiting_roles if role not in roles]
    measure.waiting_for = " ".join(waiting)
    measure.save(only=[Measure.waiting_for])
    CaseEvent.add(case, "measure_agreed", "Fase %d: %s stemt in" % (measure.phase, deciders_text(roles, dutch=True)),
                  user)
    sync(case)  # the roles it waited for no longer wait
    return waiting


def refuse(measure, case, user, reason):
    """A deciding role the measure waits for refuses it, and says why (sends it back): the measure is not decided
    and waits no more, and the proposal it answered comes back to those who decide it."""
    measure, roles = _to_answer(measure, case, user)
    reason = (reason or "").strip()
    if not reason:
        raise MeasureError(_("Schrijf op waarom je de maatregel weigert."))
    measure.refused_at, measure.refused_by, measure.refusal_reason = utcnow(), user, reason[:5000]
    measure.waiting_for = ""
    measure.save(only=[Measure.refused_at, Measure.refused_by, Measure.refusal_reason, Measure.waiting_for])
    phase = phase_of(case, measure.phase)
    CaseEvent.add(case, "measure_refused", "Fase %d%s voor %s: %s weigert: %s" % (
        measure.phase, " (%s)" % phase.title if phase else "", measure.pupil.display_name,
        deciders_text(roles, dutch=True), reason[:150]), user)
    sync(case)  # it waits no more, and no longer counts: the proposal it answered comes back
    return measure


def refused_for(user):
    """The refused measures this user recorded, in open cases, that no later measure for the same pupil answers
    yet: on their home page until they decide a new one, while they still decide it. [(measure, its phase)]"""
    return [(measure, phase_of(measure.case, measure.phase)) for measure in _REFUSED_FOR.all(user.id)
            if may_decide_phase(user, measure.case, measure.roles_to_decide)]


_LATER, _REFUSER = Measure.alias(), User.alias()
_REFUSED_FOR = Prepared(lambda user_id: (
    Measure.select(Measure, Case, Pupil, _REFUSER.id, _REFUSER.full_name).join(Case).switch(Measure).join(Pupil)
    .switch(Measure).join(_REFUSER, JOIN.LEFT_OUTER, on=(Measure.refused_by == _REFUSER.id), attr="refused_by")
    .where(Measure.decided_by == user_id, Measure.refused_at.is_null(False), Case.status == "open",
           ~fn.EXISTS(_LATER.select(_LATER.id).where(_LATER.case == Measure.case, _LATER.pupil == Measure.pupil,
                                                      _LATER.id > Measure.id)))
    .order_by(Measure.refused_at, Measure.id)))


def parents_who_hear(case, involvements=None):
    """The pupils whose parents the protocol's `parents_after_measure` says hear of a measure on this case, each
    with why: [(pupil, "pupil")] for each pupil a measure can be for (when it is theirs), then [(pupil, "victim")]
    for each bullied pupil (always). Empty without the rule."""
    lead = followups.lead_of(case)
    rule = lead.parents_after_measure if lead else None
    if rule is None:
        return []
    involvements = case.involved_pupils() if involvements is None else involvements
    return ([(row.pupil, "pupil") for row in involvements if "pupil" in rule.of and row.role in CONCERNED_ROLES]
            + [(row.pupil, "victim") for row in involvements if "victim" in rule.of and row.role == "victim"])


def record_parents_informed(measure, pupils, channel, user):
    """The parents of these pupils were told of the measure when it was decided: a parent contact each, on the day
    it was decided, by the user who records it (their to-do in parents_to_inform clears), said on the timeline."""
    phase = phase_of(measure.case, measure.phase)
    about = "Over de maatregel: fase %d%s. %s" % (measure.phase, " (%s)" % phase.title if phase else "",
                                                 measure.description[:500])
    with force_locale("nl"):  # the timeline keeps the school's language
        how = str(label(PARENT_CHANNELS, channel)).lower()
    contacts = []
    for pupil in pupils:
        contacts.append(ParentContact.create(case=measure.case, pupil=pupil, channel=channel,
                                             contacted_on=measure.decided_on, by_user=user, summary=about))
        CaseEvent.add(measure.case, "parent_contact", "ouders van %s (%s), over de maatregel van fase %d" % (
            pupil.display_name, how, measure.phase), user)
    return contacts


@dataclasses.dataclass(frozen=True)
class ParentsToInform:
    """A pupil whose parents have not heard of a measure yet: the latest such measure, and by when."""

    pupil: object
    measure: object
    due_on: datetime.date

    @property
    def case(self):
        return self.measure.case


def parents_to_inform(case, measures=None, parent_contacts=None, involvements=None):
    """The parents the protocol's `parents_after_measure` says hear of each decided measure (seed 001: the
    coordinator informs every parent concerned and says what follows; seed 004: both sides' parents are kept
    informed): those of the pupil it concerns and of the bullied pupils, each without a contact recorded on
    or after the day it was decided. One entry per pupil, with the latest measure they have not heard of and
    the day it is due by (the earliest such measure's day plus the rule's days; for a pupil who joined the case
    after it, or took their role then, by a correction: that day). A measure that still waits
    for a deciding role is not decided yet. A pupil taken out of the case (added by mistake) is not listed:
    their parents are not told of a case their child is not in, and the parent contact form offers only the
    case's pupils. The lists are the case's when the caller has them."""
    lead = followups.lead_of(case)
    rule = lead.parents_after_measure if lead else None
    if rule is None:
        return []
    measures = list(Measure.of_case(case)) if measures is None else measures
    contacts = (ParentContact.select(ParentContact.pupil, ParentContact.contacted_on)
                .where(ParentContact.case == case) if parent_contacts is None else parent_contacts)
    involvements = case.involved_pupils() if involvements is None else involvements
    heard = {}
    for contact in contacts:
        heard[contact.pupil_id] = max(heard.get(contact.pupil_id, contact.contacted_on), contact.contacted_on)
    victims = [involvement.pupil for involvement in involvements if involvement.role == "victim"]
    order = {involvement.pupil_id: number for number, involvement in enumerate(involvements)}
    joined = {involvement.pupil_id: local_date(involvement.in_role_since) for involvement in involvements}
    found = {}
    for measure in sorted(measures, key=lambda row: (row.decided_on, row.id)):
        if measure.waiting_for or measure.refused_at is not None:  # not decided (yet)
            continue
        whom = ([measure.pupil] if "pupil" in rule.of else []) + (victims if "victim" in rule.of else [])
        for pupil in whom:
            if pupil.id not in order or (pupil.id in heard and heard[pupil.id] >= measure.decided_on):
                continue
            # A pupil added to the case after the measure, or made a bullied one then (a correction): their
            # parents are due to hear of it counted from that day, not overdue from the moment it was corrected.
            due_on = max(measure.decided_on, joined[pupil.id]) + datetime.timedelta(days=rule.days)
            earlier = found.get(pupil.id)
            found[pupil.id] = ParentsToInform(pupil, measure, min(due_on, earlier.due_on) if earlier else due_on)
    return sorted(found.values(), key=lambda item: (item.due_on, order[item.pupil.id]))


def parents_due_for(user, horizon_days=7):
    """The home page's list: parents_to_inform of the open cases this user answers for (the mentor their own
    cases, the coordinator every case), due within the horizon. Three queries, however many cases."""
    if not (user.has_role("mentor") or user.has_role("coordinator")):
        return []
    horizon = today() + datetime.timedelta(days=horizon_days)
    return [item for item in open_parents_to_inform(None if user.has_role("coordinator") else user)
            if item.due_on <= horizon]


def open_parents_to_inform(mentor=None):
    """parents_to_inform of every open case (of this mentor's cases only, when given): three queries."""
    measures = _DECIDED.all() if mentor is None else _DECIDED_FOR_MENTOR.all(mentor.id)
    by_case = {}
    for measure in measures:
        by_case.setdefault(measure.case_id, []).append(measure)
    if not by_case:
        return []
    contacts, involvements = {}, {}
    for contact in ParentContact.select(ParentContact.case, ParentContact.pupil, ParentContact.contacted_on).where(
            ParentContact.case.in_(list(by_case))):
        contacts.setdefault(contact.case_id, []).append(contact)
    for involvement in Involvement.select(Involvement, Pupil).join(Pupil).where(Involvement.case.in_(list(by_case))):
        involvements.setdefault(involvement.case_id, []).append(involvement)
    return [item for case_id, rows in by_case.items()
            for item in parents_to_inform(rows[0].case, rows, contacts.get(case_id, []), involvements.get(case_id, []))]
