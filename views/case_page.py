"""The case page: what each of its sections shows, in one place.

views/cases.py shows the page. A view whose form on the page comes back with an error shows the
page again with that form bound (what was typed and the errors beside it), and the step
tracker's htmx answer is its progress section. Everything the page lists comes from
Case.contents, one statement; the pupils in it serve the pupil list and the measure form alike.

Whoever reads only what concerns a complaint's pupil (the counsellor, see permissions/rules.py) gets
the lists cut to that pupil's records (`reading`), without the steps' and timeline's texts. A previous
mentor (a case handed over from them, when the school lets them read on) gets the lists cut to what they
recorded themselves, the timeline to their own events, and nothing counted of the rest.
"""
from flask import render_template, request
from flask_babel import ngettext
from flask_login import current_user

import audit
from db import today
from domain import cases, escalation, followups, protocols
from forms.cases import ApproachForm, CompleteStepForm, ReasonForm, SeverityForm
from forms.common import ActionForm, error_summary
from forms.followups import FollowUpForm, MeasureForm, RefuseMeasureForm
from forms.notes import PersonalNoteForm
from models import APPROACH_NOUNS, Case
from permissions import (
    EDIT, MANAGE, case_reading_scope, may_answer_measure, may_case, may_decide_phase, may_keep_notes, owns_step,
    readable,
    reads_as_previous_mentor, sees_every_case, takes_over_case, visible_cases,
)

# Forms on the page that no request filled in: shown empty, even on the page that answers a POST.
UNBOUND = {"formdata": None}


def render(case, status=200, **bound):
    """The case page, logged as read; `bound` holds a form that came back with an error (see page_context)."""
    audit.seen("case.view", case)
    return render_template("cases/detail.html", **page_context(case, **bound)), status


def page_context(case, step=None, follow_up=None, measure_form=None, approach_form=None, reason_form=None,
                 steer_error=None, measure_error=None, severity_form=None, refusal=None):
    """Everything the case page shows. A submitted form takes the place of its fresh one: `step` and
    `follow_up` are (step key or follow-up id, form, error or None), `refusal` (measure id, form); the others
    are the forms themselves.
    A conflict that no field can show (`steer_error`, `measure_error`, a step or follow-up's error) is
    said in its section."""
    contents = reading(case, case.contents(current_user))
    summary = []
    if step:
        step_key, form, error = step
        summary += error_summary(form, "case-steps", error, ids={"note": "note-" + step_key})
    if follow_up:
        _, form, error = follow_up
        summary += error_summary(form, "aftercare", error)
    for form, section in ((measure_form, "aftercare"), (refusal and refusal[1], "aftercare"), (approach_form, "steer"),
                          (reason_form, "steer"), (severity_form, "severity")):
        summary += error_summary(form, section) if form else []
    summary += [("steer", steer_error)] if steer_error else []
    summary += [("aftercare", measure_error)] if measure_error else []
    progress = progress_context(case, contents, step)
    aftercare = aftercare_context(case, contents, follow_up, measure_form, measure_error, refusal)
    return {"case": case, "error_summary": summary, "scope_names": contents["scope_names"],
            "handed_over": contents["handed_over"],
            "merged_into": next((row for row in contents["merges"] if row.merged_id == case.id), None),
            "merged_in": [row for row in contents["merges"] if row.kept_id == case.id],
            **pupils_context(case, contents), **progress, **aftercare,
            "next_actions": next_actions(case, progress, aftercare),
            **severity_context(case, severity_form),
            "support_sessions": contents["support_sessions"],
            **parents_context(case, contents), **referrals_context(case, contents),
            **evidence_context(case, contents), **notes_context(case, contents),
            **steer_context(case, approach_form, reason_form, steer_error, contents)}


def next_actions(case, progress, aftercare):
    """What is next for this user on this case, first thing on the page: the open steps they own with
    a deadline (overdue first), the follow-up talks due, the measures the protocol gives them to decide
    or to agree to. Each with its deadline and the one action that does it: (kind, title, date, target)."""
    if case.status != "open":
        return []
    today_ = progress["today"]
    protocol = progress["protocol"]
    actions = []
    for row in progress["steps"]:
        state = cases.step_state(row, today_)
        step = protocol.step(row.step_key) if protocol else None
        under_way = row.step_key in progress["series_steps"] and progress["series_under_way"]
        if state not in ("due", "overdue") or under_way or not owns_step(current_user, case, row.owner):
            continue
        action = protocols.step_action(step)
        if action == "talk" and step.recorded_with == "parent_contact":
            action = "talk_or_parents"  # a talk through the guide, or a call or visit recorded as it was
        actions.append((action, step.title if step else row.step_key, row.due_on, row.step_key))
    if may_case(EDIT, case):
        for group in aftercare["follow_up_groups"]:
            for row in group.due:
                actions.append(("follow_up", group.pupil.display_name if group.pupil else row.with_whom,
                                row.due_on, row.id))
    for proposal in aftercare["escalations"]:
        if may_decide_phase(current_user, case, proposal.phase.decided_by):
            actions.append(("measure", proposal, None, proposal.pupil.id))
    for item in aftercare["hand_overs"].values():  # agreements broken again: the case is now theirs (seed 001)
        if takes_over_case(current_user, case, item.rule.hand_to, progress_owner(progress, item.step_key)):
            actions.append(("hand_over", item, None, item.pupil.id))
    if aftercare["measure_waits_for_me"]:
        actions.append(("agree", None, None, None))
    switch = followups.approach_switch(case)  # seed 004: the support group does not work
    if switch is not None and may_case(MANAGE, case):
        actions.append(("approach_switch", {"from": APPROACH_NOUNS[switch.away_from], "to": APPROACH_NOUNS[switch.to]},
                        None, None))
    if may_case(EDIT, case):  # after a measure, the parents the protocol names hear of it
        for item in aftercare["parents_to_inform"]:
            actions.append(("parents_measure", item, item.due_on, item.pupil.id))
    return sorted(actions, key=lambda action: (action[2] is None, action[2] or today_))


def progress_owner(progress, step_key):
    """The owner of one of the case's steps, from the rows the page read."""
    return next((row.owner for row in progress["steps"] if row.step_key == step_key), None)


def reading(case, contents):
    """The page's lists as the user may read them: whole, or cut to a complaint's pupil's records."""
    scope = case_reading_scope(current_user, case)
    handed_over = reads_as_previous_mentor(current_user, case)
    contents = dict(contents, whole_case=scope is None, scope_names="", evidence_hidden=0, handed_over=handed_over)
    if scope is None:
        return contents
    for name in ("talks", "agreements", "reports", "follow_ups", "measures", "support_sessions", "parent_contacts",
                 "referrals"):
        contents[name] = readable(current_user, case, contents[name])
    if handed_over:
        contents.update(earlier_bullying=[], evidence=readable(current_user, case, contents["evidence"]),
                        timeline=[event for event in contents["timeline"] if event.user_id == current_user.id])
        return contents
    contents.update(earlier_bullying=[], evidence_hidden=len(contents["evidence"]), evidence=[],
                    linked_pupils=scope,  # the other pupils' pages are not theirs to open (permissions.reads_pupil)
                    scope_names=", ".join(involvement.pupil.display_name for involvement in contents["pupils"]
                                          if involvement.pupil_id in scope))
    return contents


def pupils_context(case, contents):
    """The pupils and their roles, warnings about pupils who bullied before, and the reports. A warning
    names only an earlier case the user may open: of the others not even that they exist."""
    earlier = contents["earlier_bullying"]
    if earlier and not sees_every_case(current_user):  # the coordinator may open every case
        openable = {row.id for row in visible_cases(current_user).where(Case.id.in_([row[4] for row in earlier]))}
        earlier = [row for row in earlier if row[4] in openable]
    return {"involvements": contents["pupils"], "reports": contents["reports"],
            "linked_pupils": contents.get("linked_pupils"),
            "repeats": cases.repeat_warnings(case, earlier=earlier)}


def progress_context(case, contents=None, step=None):
    """The step tracker, the conversations, the agreements and the timeline (cases/_progress.html)."""
    contents = reading(case, case.contents(current_user)) if contents is None else contents
    step_key, step_form, step_error = step or (None, CompleteStepForm(**UNBOUND), None)
    protocol = protocols.of_case(case)
    return {"case": case, "protocol": protocol, "today": today(),
            "whole_case": contents["whole_case"],
            # A previous mentor reads the texts of the timeline's events they made themselves (the only ones listed).
            "timeline_texts": contents["whole_case"] or contents["handed_over"],
            "steps": contents["steps"], "step_groups": step_groups(protocol, contents["steps"]),
            "events": contents["timeline"], "conversations": contents["talks"],
            "parents_in_talks": parents_in_talks(contents["talk_parents"]),
            "agreements": contents["agreements"], "step_key": step_key, "step_form": step_form,
            "step_error": step_error, "series_steps": protocol.series_steps() if protocol else (),
            # The follow-up steps complete themselves while a talk of their series is still to come.
            "series_under_way": any(row.in_series and row.done_at is None for row in contents["follow_ups"])}


def parents_in_talks(participants):
    """{talk id: the names of the pupils whose parents it was with}, for the talks with the parents."""
    whose = {}
    for row in participants:
        whose.setdefault(row.conversation_id, []).append(row.name)
    return whose


def step_groups(protocol, rows):
    """The step rows under each protocol's name when the case follows two: [(protocol or None, rows)]; one
    group without a name for a case with one protocol."""
    if protocol is None or protocol.second is None:
        return [(None, list(rows))]
    parts = protocol.parts()
    keys = [{step.key for step in steps} for _part, steps in parts]
    return [(part, [row for row in rows if row.step_key in keys[number]])
            for number, (part, _steps) in enumerate(parts)]


def aftercare_context(case, contents, follow_up=None, measure=None, measure_error=None, refusal=None):
    """Each pupil's follow-up talks (held, with how they went; a form for each that is due; those
    still planned), the measures with who decided each (and whom one still waits for), and the
    escalation proposals, one for each pupil whose agreements broke again: the pupil, the phase by
    its title and description, and who decides it. `?fase=N&leerling=ID` (a proposal's button) opens
    the measure form at phase N for that pupil."""
    groups = followups.by_pupil(contents["pupils"], contents["follow_ups"], today())
    follow_up_id, bound, error = follow_up or (None, None, None)
    forms = {row.id: bound if row.id == follow_up_id and bound is not None else
             FollowUpForm(prefix="f%d" % row.id, due_on=row.due_on, with_whom=row.with_whom, **UNBOUND)
             for group in groups for row in group.due}
    refusal_id, refusal_form = refusal or (None, None)
    refusals = {row.id: refusal_form if row.id == refusal_id and refusal_form is not None else
                RefuseMeasureForm(prefix="r%d" % row.id, **UNBOUND) for row in contents["measures"]
                if case.status == "open" and row.waiting_for and may_answer_measure(current_user, case, row)}
    deciders = {}
    for row in contents["measure_deciders"]:
        deciders.setdefault(row.measure_id, []).append(row)
    proposals = (escalation.proposals(case, contents["follow_ups"], contents["measures"], contents["pupils"])
                 if contents["whole_case"] else [])
    if measure is None:
        measure = measure_form(case, contents["pupils"], **UNBOUND)
        asked_phase, asked_pupil = request.args.get("fase", type=int), request.args.get("leerling", type=int)
        mine = [proposal for proposal in proposals if proposal.phase.phase in measure.phases]
        if asked_phase in measure.phases:
            measure.phase.data = asked_phase
        elif mine:
            measure.phase.data = mine[0].phase.phase
        if asked_pupil in {choice.value for choice in measure.pupil.choices}:
            measure.pupil.data = asked_pupil
        elif mine:
            measure.pupil.data = mine[0].pupil.id
    return {"follow_up_groups": groups, "follow_up_forms": forms, "follow_up_error": error,
            "follow_up_count": sum(len(group.held) + len(group.due) + len(group.planned) for group in groups),
            "cancelled_follow_ups": sum(1 for row in contents["follow_ups"] if row.cancelled_at is not None),
            "measures": contents["measures"], "measure_deciders": deciders, "escalations": proposals,
            "hand_overs": {item.pupil.id: item for item in followups.hand_overs(
                case, [(proposal.pupil, proposal.phase.phase) for proposal in proposals], contents["follow_ups"],
                contents["measures"])} if proposals else {},
            # What the follow-up talks check: the signed agreement that stands (no later version replaced it).
            "standing_agreement": next((row for row in contents["agreements"] if row.status == "locked"
                                        and row.superseded_at is None), None),
            "agreement_versions": {row.id: row.version for row in contents["agreements"]},
            "parents_to_inform": escalation.parents_to_inform(case, contents["measures"], contents["parent_contacts"],
                                                              contents["pupils"]) if contents["whole_case"] else [],
            "measure_form": measure, "measure_error": measure_error, "agree_form": ActionForm(**UNBOUND),
            "refusal_forms": refusals,
            "measure_form_open": bool(measure.errors) or "fase" in request.args,
            "measure_waits_for_me": bool(refusals),
            "phase_titles": {phase.phase: phase.title for phase in _protocol_phases(case)}}


def _protocol_phases(case):
    protocol = protocols.get(case.protocol_key)
    return protocol.escalation_phases if protocol else ()


def measure_form(case, involvements=None, **kwargs):
    """The form to decide a measure: for one of the case's bullies or followers, in a phase of its protocol
    that the user decides."""
    involvements = case.involved_pupils() if involvements is None else involvements
    return MeasureForm(case=case, pupils=[involvement.pupil for involvement in involvements
                                          if involvement.role in escalation.CONCERNED_ROLES],
                       phases=escalation.phases_for(current_user, case), protocol_phases=_protocol_phases(case),
                       parents=escalation.parents_who_hear(case, involvements), **kwargs)


def severity_context(case, form=None):
    """How serious the bullying is (it sets when the parents hear of it), and the form to change it."""
    return {"severity_form": form or SeverityForm(severity=case.severity, **UNBOUND),
            "severity_editable": case.status == "open" and may_case(EDIT, case)}


def parents_context(case, contents):
    """The contacts with parents, and whether the user may add one (its form loads when opened)."""
    return {"parent_contacts": contents["parent_contacts"],
            "parents_editable": case.status == "open" and may_case(EDIT, case)}


def referrals_context(case, contents):
    """Every referral, open ones first, and whether the user may add one (its form loads when opened)."""
    return {"referrals": contents["referrals"], "referrals_editable": case.status == "open" and may_case(EDIT, case)}


def evidence_context(case, contents):
    """The evidence log, and whether the user may add to it (its form loads when opened)."""
    return {"evidence_items": contents["evidence"], "evidence_hidden": contents["evidence_hidden"],
            "evidence_editable": contents["whole_case"] and case.status == "open" and may_case(EDIT, case),
            "evidence_delete_form": ActionForm(**UNBOUND)}


def notes_context(case, contents):
    """The user's own work notes on the case, and the form to add one."""
    if not may_keep_notes(current_user, case):
        # A previous mentor still reads the notes they kept; the case is no longer theirs to write in.
        return {"my_notes": contents["own_notes"] if contents["handed_over"] else [], "note_form": None}
    return {"my_notes": contents["own_notes"], "note_form": PersonalNoteForm(**UNBOUND)}


def steer_context(case, approach_form=None, reason_form=None, error=None, contents=None):
    """The coordinator's forms: the approach, and closing or reopening with a reason; closing says
    which follow-ups are still to come, and how long the protocol follows the pupils."""
    to_come = [row for row in (contents or {}).get("follow_ups", ()) if row.is_open]
    protocol = protocols.get(case.protocol_key)
    return {"approach_form": approach_form or ApproachForm(approach=case.approach or "",
                                                           approach_level=case.approach_level or "", **UNBOUND),
            "reason_form": reason_form or ReasonForm(**UNBOUND), "steer_error": error,
            "follow_ups_to_come": to_come,
            "pupils_to_follow": sorted({row.pupil.display_name for row in to_come if row.pupil_id}),
            "follow_up_period": period_text(protocol.follow_up_span()) if protocol else None}


def period_text(span):
    """How long the protocol follows a pupil, in words: "2 jaar", "3 maanden", "6 weken"."""
    if span is None:
        return None
    number, unit = span
    if unit == "months" and number % 12 == 0:
        return ngettext("%(num)d jaar", "%(num)d jaar", number // 12)
    if unit == "months":
        return ngettext("%(num)d maand", "%(num)d maanden", number)
    if unit == "weeks":
        return ngettext("%(num)d week", "%(num)d weken", number)
    return ngettext("%(num)d dag", "%(num)d dagen", number)
