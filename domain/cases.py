"""Where a case stands in its protocol: which steps apply, when each is due, what is next.

The protocol's rules live in protocols/*.yaml; this module applies them to one case and
keeps its CaseStep rows (status, owner, due date) in step with what has been done. Every
function that writes expects to run inside the caller's transaction.

Refusals and warnings speak the user's language; timeline events are stored, so they are
written in Dutch, the language of the case file, whoever happens to read them later.
"""
import datetime

from flask_babel import gettext as _

import audit
from db import Prepared, local_date, today, utcnow
from domain import followups, protocols
from models import INVOLVEMENT_ROLES, SEVERITIES, Case, CaseEvent, CaseStep, Involvement, Pupil, Report, ReportPupil
from permissions import sees_every_case, visible_cases


class WorkflowError(Exception):
    """Something the protocol does not allow; the message is for the user, in their language."""


def report_date(case):
    """The day the case started: its earliest report, or the day it was opened."""
    first = (Report.select(Report.reported_on).where(Report.case == case)
             .order_by(Report.reported_on).first())
    return first.reported_on if first else local_date(case.opened_at)


def due_dates(protocol, case, done_on, start, set_aside=(), second_start=None):
    """For each step key: None when it does not apply, else its due date (None while waiting).

    done_on maps step keys to the local date they were done; a step "after X" counts from
    the day X was done, and from X's own anchor when X does not apply to this case. A step whose
    deadline has its own rule for serious bullying (seed 001: parents hear after the first step
    instead of the third) follows the case's severity. A second protocol beside the first counts
    from `second_start`, the day it was added to the case (protocols.beside).
    """
    facts = {"approach": case.approach, "criminal": case.possibly_criminal, "online": case.online}
    applies = {step.key: step.applies_to(**facts) and step.key not in set_aside for step in protocol.steps}
    anchors = {"report": start}
    switched_on = _switched_on(case) if protocol.approach_switch else None
    if protocol.second is not None:
        anchors[protocols.beside_key(protocol.second.key, "report")] = max(start, second_start or start)
    result = {}
    for step in protocol.steps:
        deadline = step.deadline.for_severity(case.severity)
        after = deadline.after
        base = anchors.get(after)
        if base and switched_on and switched_on > base and ("approach", case.approach) in step.condition:
            base = switched_on  # the approach switched to: its steps count from the switch, not from long before
        due = base + datetime.timedelta(days=deadline.days) if base else None
        if applies[step.key]:
            result[step.key] = due
            anchors[step.key] = done_on.get(step.key)
        else:
            result[step.key] = None
            anchors[step.key] = base  # later steps count from where this one would have
    return result


def _switched_on(case):
    """The day the case last switched approach (followups.approach_switch), or None."""
    if case.id is None:
        return None
    last = (CaseEvent.select(CaseEvent.at).where(CaseEvent.case == case, CaseEvent.kind == "approach_switched")
            .order_by(CaseEvent.at.desc()).first())
    return local_date(last.at) if last else None


def _share_done(case, protocol, rows, applies):
    """A step done in one of the case's two protocols is done in the other too when they share it (the
    protocol files' `shared`: parents informed, evidence secured, the police): said on the timeline."""
    for step in protocol.steps:
        row = rows[step.key]
        if row.status != "done":
            continue
        for other in protocol.sharing(step.key):
            twin = rows[other.key]
            if twin.status == "done" or not applies[other.key]:
                continue
            twin.status, twin.done_at, twin.done_by = "done", row.done_at, row.done_by_id
            CaseEvent.add(case, "step_done", "%s · %s: gedaan als «%s» in %s" % (
                other.title, protocol.part_of(other.key).name, step.title, protocol.part_of(step.key).name),
                row.done_by_id, at=row.done_at)


def sync_steps(case, protocol=None):
    """Create or update the case's step rows from its protocol (and the one beside it) and what has been done."""
    protocol = protocol or protocols.of_case(case)
    rows = {row.step_key: row for row in CaseStep.select().where(CaseStep.case == case)}
    for step in protocol.steps:
        rows.setdefault(step.key, CaseStep(case=case, step_key=step.key))
    set_aside = {key for key, row in rows.items() if row.set_aside_reason and row.status != "done"}
    facts = {"approach": case.approach, "criminal": case.possibly_criminal, "online": case.online}
    applies = {step.key: step.applies_to(**facts) and step.key not in set_aside  # set aside by hand: stays so
               for step in protocol.steps}
    if protocol.second is not None:
        _share_done(case, protocol, rows, applies)
    done_on = {key: local_date(row.done_at) for key, row in rows.items() if row.status == "done"}
    second_start = local_date(case.second_protocol_added_at) if case.second_protocol_added_at else None
    dates = due_dates(protocol, case, done_on, report_date(case), set_aside, second_start)
    for position, step in enumerate(protocol.steps, 1):
        row = rows[step.key]
        if row.status != "done":
            row.status = "open" if applies[step.key] else "not_applicable"
        row.due_on = dates[step.key] if applies[step.key] else None
        row.owner = step.owner
        row.position = position
        row.save()
    if protocol.series_steps():
        followups.settle_step(case, anchor=followups.series_anchor(protocol, case, dates))
    return protocol


def class_mentor(roles):
    """The mentor a new case for these pupils ({pupil: role}) gets: the mentor of the class of a victim,
    else of another chosen pupil (the earliest in the role order); None when no class has one."""
    order = [role for role, _label in INVOLVEMENT_ROLES]
    for pupil, _role in sorted(roles.items(), key=lambda item: (order.index(item[1]) if item[1] in order
                                                                  else len(order), item[0].id)):
        school_class = pupil.school_class
        if school_class is not None and school_class.mentor_id:
            return school_class.mentor_id
    return None


def next_reference():
    return Case.next_reference(today().year)


def open_case(protocol_key, mentor, roles, opened_by, reports=(), title="", approach=None, approach_level=None,
              severity="normal", second_protocol_key=None):
    """Open a case for pupils with roles ({pupil: role}) from reports; return the case and warnings.

    With `second_protocol_key` the case runs that protocol beside its own from the start (the online
    protocol beside the school's): the same case as one opened without it and given it at once under
    Corrigeren (domain.corrections.add_second_protocol), its steps counting from today.

    Warnings name pupils who are named as a bully again after an earlier case: a repeat.
    """
    protocol = protocols.get(protocol_key)
    if protocol is None:
        raise WorkflowError(_("Onbekend protocol."))
    second = None
    if second_protocol_key:
        second = next((p for p in protocols.offered() if p.key == second_protocol_key), None)
        if second is None or second.key == protocol.key:
            raise WorkflowError(_("Kies als tweede protocol een ander dan het eerste, of kies Geen."))
    roles = dict(roles)
    if "victim" not in roles.values():
        raise WorkflowError(_("Een dossier heeft minstens één gepeste leerling."))
    if severity not in dict(SEVERITIES):
        raise WorkflowError(_("Kies hoe ernstig het pesten is."))
    kinds = {kind for report in reports for kind in report.kinds}
    case = Case.create(
        reference=next_reference(), title=title, protocol_key=protocol_key, mentor=mentor,
        opened_by=opened_by, approach=approach, approach_level=approach_level, severity=severity,
        online="online" in kinds or any(report.platform for report in reports),
        possibly_criminal=any(report.possibly_criminal for report in reports),
        second_protocol_key=second.key if second else None, second_protocol_added_at=utcnow() if second else None)
    for pupil, role in roles.items():
        Involvement.create(case=case, pupil=pupil, role=role)
    for report in reports:
        attach_report(case, report, opened_by, event=False)
    CaseEvent.add(case, "opened", "%s, met %s ernaast" % (protocol.name, second.name) if second else protocol.name,
                  opened_by)
    if severity == "serious":
        CaseEvent.add(case, "severity", SEVERITY_WORDS[severity], opened_by)
    sync_steps(case, protocols.of_case(case) if second else protocol)
    signal_recorded_by_report(case)
    audit.record("case.create", case, detail="naast %s" % second.key if second else "")
    return case, repeat_warnings(case)


def repeat_warnings(case, earlier=None):
    """Pupils who bully in this case and were named as bully in an earlier case.

    `earlier` is case.earlier_bullying() when the caller has read it already (the case page)."""
    return [_("%(name)s was eerder pester in dossier %(reference)s.",
              name=Pupil.display_name_of(first, infix, last), reference=reference)
            for first, infix, last, reference, _case_id in (case.earlier_bullying() if earlier is None else earlier)]


def attach_report(case, report, user, event=True):
    """Put a report under a case (a new one, or an open one it belongs to)."""
    if report.status != "new":
        raise WorkflowError(_("Deze melding is al verwerkt."))
    report.case = case
    report.status = "in_case"
    report.handled_by = user
    report.handled_at = utcnow()
    report.save()
    if "online" in report.kinds or report.platform:
        case.online = True
    if report.possibly_criminal:
        case.possibly_criminal = True
    case.save()
    named = ReportPupil.select(ReportPupil.pupil).where(ReportPupil.report == report)
    involved = {row.pupil_id for row in Involvement.select(Involvement.pupil).where(Involvement.case == case)}
    for row in named:
        if row.pupil_id not in involved:
            Involvement.create(case=case, pupil=row.pupil_id, role="bystander")
    if event:
        CaseEvent.add(case, "report_attached", report.description[:200], user)
        sync_steps(case)
        signal_recorded_by_report(case)


def signal_recorded_by_report(case):
    """The report a case comes from is its signal, recorded (seed 001 step 1: every staff member signals,
    the signal step is recording it): the protocol's step that the report is (`done_with_report`) is done
    when and by whom the case's first report was filed, unless it was done already. A case opened without
    a report keeps the step for its mentor, due the day it was opened."""
    protocol = protocols.of_case(case)
    keys = [step.key for step in protocol.steps if step.done_with_report]
    first = (Report.select().where(Report.case == case)
             .order_by(Report.created_at, Report.id).first()) if keys else None
    if first is None:
        return
    rows = CaseStep.select().where(CaseStep.case == case, CaseStep.status == "open", CaseStep.step_key.in_(keys))
    note = "met de melding van %s" % followups.dutch_day(first.reported_on)
    changed = False
    for row in rows:
        row.status, row.done_at, row.done_by, row.note = "done", first.created_at, first.created_by_id, note
        row.save()
        title = protocols.step_title(case.protocol_key, row.step_key) if protocol.second else \
            protocol.step(row.step_key).title
        CaseEvent.add(case, "step_done", "%s: %s" % (title, note), first.created_by_id, at=row.done_at)
        changed = True
    if changed:
        sync_steps(case, protocol)


def close_report(report, user, reason):
    """Close a report without a case, with the reason why."""
    if report.status != "new":
        raise WorkflowError(_("Deze melding is al verwerkt."))
    if not reason.strip():
        raise WorkflowError(_("Geef een reden."))
    report.status = "closed"
    report.close_reason = reason.strip()
    report.handled_by = user
    report.handled_at = utcnow()
    report.save()


def complete_step(case, step_key, user, note="", at=None):
    """Mark a step done by this user (now, unless `at` says when); later steps get their dates."""
    if case.status != "open":
        raise WorkflowError(_("Dit dossier is gesloten."))
    row = CaseStep.get_or_none(CaseStep.case == case, CaseStep.step_key == step_key)
    if row is None:
        raise WorkflowError(_("Deze stap hoort niet bij het protocol van dit dossier."))
    if row.status == "done":
        raise WorkflowError(_("Deze stap is al afgerond."))
    if row.status == "not_applicable":
        raise WorkflowError(_("Deze stap is niet van toepassing op dit dossier."))
    if followups.series_under_way(case, step_key):
        raise WorkflowError(_("Deze stap rondt zichzelf af wanneer het laatste vervolggesprek is vastgelegd."))
    row.status, row.done_at, row.done_by, row.note = "done", at or utcnow(), user, note.strip()
    row.save()
    protocol = protocols.of_case(case)
    title = protocols.step_title(case.protocol_key, step_key) if protocol.second else protocol.step(step_key).title
    CaseEvent.add(case, "step_done", title + (": " + row.note if row.note else ""), user, at=row.done_at)
    sync_steps(case)
    return row


def open_steps_recorded_with(case, record):
    """The case's open steps that recording a `record` (see protocols.RECORDS) can complete, in order."""
    protocol = protocols.of_case(case)
    if protocol is None or case.status != "open":
        return []
    keys = [step.key for step in protocol.steps if step.recorded_with == record]
    rows = (CaseStep.select().where(CaseStep.case == case, CaseStep.status == "open", CaseStep.step_key.in_(keys))
            .order_by(CaseStep.position))
    return [(row, protocol.step(row.step_key)) for row in rows]


# The timeline's words for a severity; stored, so in Dutch (see the module's docstring).
SEVERITY_WORDS = {"normal": "niet ernstig", "serious": "ernstig"}


def set_severity(case, severity, user):
    """Say how serious the bullying is; the steps whose deadline follows it (the parents') get their dates."""
    if case.status != "open":
        raise WorkflowError(_("Dit dossier is gesloten."))
    if severity not in dict(SEVERITIES):
        raise WorkflowError(_("Kies hoe ernstig het pesten is."))
    if severity == case.severity:
        return False
    case.severity = severity
    case.save(only=[Case.severity])
    CaseEvent.add(case, "severity", SEVERITY_WORDS[severity], user)
    sync_steps(case)
    return True


def approach_words(approach, level):
    """The approach as the timeline says it (in Dutch, as the case file): "confronterende aanpak, in de groep"."""
    words = followups.APPROACH_WORDS[approach] if approach else "geen aanpak gekozen"
    return words + (", %s" % followups.LEVEL_WORDS[level] if level else "")


def set_approach(case, approach, level, user):
    """Choose the approach; steps that depend on it now apply (or no longer do)."""
    case.approach, case.approach_level = approach or None, level or None
    case.save()
    CaseEvent.add(case, "approach", approach_words(approach, level), user)
    sync_steps(case)


def decide_approach_switch(case, switch, user):
    """Switch to the approach the protocol proposes (switch=True; its steps now apply, counting from today),
    or keep the approach the case has (False): either is a line on the timeline, and ends the proposal."""
    rule = followups.approach_switch(case)
    if rule is None:
        raise WorkflowError(_("Er staat geen voorstel open om van aanpak te wisselen."))
    if switch:
        case.approach = rule.to
        case.save(only=[Case.approach])
        CaseEvent.add(case, "approach_switched", "Van de %s naar de %s" % (
            followups.APPROACH_WORDS[rule.away_from], followups.APPROACH_WORDS[rule.to]), user)
        sync_steps(case)
    else:
        CaseEvent.add(case, "approach_kept", "De %s gaat door" % followups.APPROACH_WORDS[rule.away_from], user)
    return rule


def close_case(case, user, reason):
    """Close the case with a reason; follow-ups still to come stay planned (reopening brings them
    back) and the timeline says how many there were."""
    if case.status == "closed":
        raise WorkflowError(_("Dit dossier is al gesloten."))
    if not reason.strip():
        raise WorkflowError(_("Geef een reden om het dossier te sluiten."))
    case.status, case.closed_at, case.closed_by, case.close_reason = "closed", utcnow(), user, reason.strip()
    case.save()
    to_come = followups.to_come(case).count()
    CaseEvent.add(case, "closed", reason.strip() + (
        " (%d vervolggesprek(ken) stonden nog open)" % to_come if to_come else ""), user)


def reopen_case(case, user, reason):
    if case.status == "open":
        raise WorkflowError(_("Dit dossier is al open."))
    if not reason.strip():
        raise WorkflowError(_("Geef een reden om het dossier te heropenen."))
    case.status, case.closed_at, case.closed_by = "open", None, None
    case.save()
    CaseEvent.add(case, "reopened", reason.strip(), user)
    sync_steps(case)


def step_state(row, on=None):
    """How a step shows in the tracker: done, overdue, due, waiting or not_applicable."""
    if row.status in ("done", "not_applicable"):
        return row.status
    if row.due_on is None:
        return "waiting"
    return "overdue" if row.due_on < (on or today()) else "due"



def due_steps(user, horizon_days=7):
    """Open steps with a date this user answers for, up to a week ahead: overdue ones first.

    A mentor answers for mentor steps of their own cases, a coordinator for coordinator steps,
    a support team member for support steps of cases they may see.
    """
    owners = tuple(role for role in ("mentor", "coordinator", "support") if user.has_role(role))
    if not owners:
        return []
    until = today() + datetime.timedelta(days=horizon_days)
    if not sees_every_case(user):  # a filter on every case would only mislead SQLite's planner
        return list(_due_steps_query(owners, user, until).where(Case.id.in_(visible_cases(user).select(Case.id))))
    # The coordinator's home page asks on every visit: its SQL is built once per kind of owner and set of
    # protocols (steps_under_way names their series steps).
    key = (owners, followups.series_step_rules())
    prepared = _DUE_STEPS.get(key)
    if prepared is None:
        if "mentor" in owners:
            prepared = Prepared(lambda user_id, until: _due_steps_query(owners, user_id, until))
        else:
            prepared = Prepared(lambda until: _due_steps_query(owners, None, until))
        prepared = _DUE_STEPS.setdefault(key, prepared)
    return prepared.all(user.id, until) if "mentor" in owners else prepared.all(until)


_DUE_STEPS = {}


def _due_steps_query(owners, mentor, until):
    """The open steps of open cases with a deadline by `until` whose owner is one of `owners` (a mentor's
    steps only in the mentor's own cases)."""
    rules = {"mentor": (CaseStep.owner == "mentor") & (Case.mentor == mentor),
             "coordinator": CaseStep.owner == "coordinator", "support": CaseStep.owner == "support"}
    rule = rules[owners[0]]
    for other in owners[1:]:
        rule = rule | rules[other]
    return (CaseStep.select(CaseStep, Case).join(Case)
            .where(Case.status == "open", CaseStep.status == "open", CaseStep.due_on.is_null(False),
                   CaseStep.due_on <= until, rule,
                   ~followups.steps_under_way())  # its follow-ups are listed themselves
            .order_by(CaseStep.due_on, Case.reference, CaseStep.position))
