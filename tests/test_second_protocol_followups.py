"""The follow-up talks and the escalation of a case with two protocols (issue 20), on a frozen clock: one
series of talks per pupil stands for both protocols' follow-up steps (`shared: follow-up`), which show the
next talk's date and are done together; one escalation, of the protocol the series follows; and a series
that only the second protocol has gets its dates from that protocol and shows in every list."""
import dataclasses
import datetime

import time_machine

import db
import models
from conftest import demo_user, school_protocol
from domain import cases, escalation, followups, protocols

day = datetime.date


def fresh(case):
    return models.Case.get_by_id(case.id)


def steps(case):
    return {row.step_key: row for row in models.CaseStep.select().where(models.CaseStep.case == case)}


def timeline(case):
    return [event.text for event in models.CaseEvent.select().where(models.CaseEvent.case == case)
            .order_by(models.CaseEvent.id)]


def to_come(case, pupil=None):
    query = models.FollowUp.select().where(models.FollowUp.case == case, models.FollowUp.done_at.is_null(),
                                           models.FollowUp.cancelled_at.is_null())
    if pupil is not None:
        query = query.where(models.FollowUp.pupil == pupil)
    return list(query.order_by(models.FollowUp.due_on, models.FollowUp.id))


def open_online_case(app, factory, first="vo-nl"):
    """Anna is bullied online by Bas; the case runs the online protocol beside `first` from the start."""
    with app.app_context():
        school_class = factory.school_class(mentor=demo_user("mentor"))
        anna, bas = factory.pupil(school_class, "Anna"), factory.pupil(school_class, "Bas")
        with models.db.atomic():
            case, _warnings = cases.open_case(first, demo_user("mentor"), {anna: "victim", bas: "bully"},
                                              demo_user("coordinator"), second_protocol_key="online-pesten")
            case.online = True
            case.save()
            cases.sync_steps(case)
    return case, anna, bas


def done(app, case, *step_keys, user="mentor"):
    with app.app_context(), models.db.atomic():
        for key in step_keys:
            cases.complete_step(fresh(case), key, demo_user(user))


def hold(app, follow_up, outcome="going_well"):
    with app.app_context(), models.db.atomic():
        return followups.record(models.FollowUp.get_by_id(follow_up.id), demo_user("mentor"), outcome, db.today())


def overview_row(client, case):
    """The case's row on the overview of cases."""
    html = client.get("/dossiers/").get_data(as_text=True)
    at = html.index(case.reference)
    return html[html.rindex("<tr", 0, at):html.index("</tr>", at)]


def due_list(client):
    html = client.get("/").get_data(as_text=True)
    start = html.index("Wat moet er gebeuren")
    return html[start:html.index("</section>", start)]


def test_one_series_stands_for_both_follow_up_steps_and_one_escalation_on_a_frozen_clock(app, factory, login_as):
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0), tick=False) as clock:
        case, anna, bas = open_online_case(app, factory)
        with app.app_context():
            both = protocols.of_case(fresh(case))
            assert both.series_steps() == ("follow-up", "online-pesten:evaluation")
        # The school's protocol up to its joint talk: its follow-up step comes due two days later, and the
        # series of talks is planned from today on the school's schedule, for both follow-up steps.
        done(app, case, "signal", "victim-talk", "bully-talk", "joint-talk")
        rows = steps(case)
        assert [row.due_on for row in to_come(case, anna)][:3] == [day(2026, 11, 4), day(2026, 11, 9), day(2026, 12, 2)]
        assert len(to_come(case, bas)) == len(to_come(case, anna)) == 10  # 2 days, a week, a month, then to 2 years
        for key in ("follow-up", "online-pesten:evaluation"):
            assert (rows[key].status, rows[key].due_on) == ("open", day(2026, 11, 4)), key
        # Neither can be ticked off by hand while talks are to come.
        with app.app_context(), models.db.atomic():
            try:
                cases.complete_step(fresh(case), "online-pesten:evaluation", demo_user("mentor"))
            except cases.WorkflowError as error:
                assert "rondt zichzelf af" in str(error)
            else:
                raise AssertionError("the online evaluation was ticked off while its talks are to come")

        # The case page shows both under way; the home page and the overview show the talks, not the steps.
        clock.move_to(datetime.datetime(2026, 11, 4, 9, 0))
        mentor = login_as("mentor")
        page = mentor.get("/dossiers/%d" % case.id).get_data(as_text=True)
        assert page.count("loopt; volgend vervolggesprek") == 2
        due = due_list(mentor)
        assert "Vervolggesprek: Anna" in due and "Vervolggesprek: Bas" in due
        assert "Evaluatiegesprek" not in due and "Vervolggesprekken" not in due
        row = overview_row(mentor, case)
        assert "20 vervolggesprekken gepland · 2 nu te houden" in row

        # Bas breaks the agreements twice: one more chance, then the school's protocol's first phase is
        # proposed (one proposal, though the case runs two protocols).
        assert hold(app, to_come(case, anna)[0]) == "ok"
        assert hold(app, to_come(case, bas)[0], "not_kept") == "one_more_chance"
        clock.move_to(datetime.datetime(2026, 11, 9, 9, 0))
        assert hold(app, to_come(case, bas)[0], "not_kept") == "escalate"
        with app.app_context():
            proposals = escalation.proposals(fresh(case))
            assert [(proposal.pupil.id, proposal.phase.phase, proposal.phase.title) for proposal in proposals] == [
                (bas.id, 1, "Lichte corrigerende maatregel")]
            assert [phase.title for phase in escalation.phases_for(demo_user("mentor"), fresh(case))] == [
                "Lichte corrigerende maatregel"]
        assert "Voorstel: fase 1 (Lichte corrigerende maatregel) voor %s; beslist: mentor" % bas.display_name in \
            timeline(case)
        coordinator = login_as("coordinator")
        assert "Lichte corrigerende maatregel" in coordinator.get("/").get_data(as_text=True)
        assert "Voorstel: fase 1 voor %s" % bas.display_name in overview_row(coordinator, case)
        with app.app_context(), models.db.atomic():
            escalation.decide_measure(fresh(case), bas, 1, "Schrijfopdracht over wat er online gebeurde",
                                      demo_user("mentor"), db.today())
            assert escalation.proposals(fresh(case)) == []
        assert fresh(case).escalation_phase == 1
        rows = steps(case)
        assert rows["follow-up"].due_on == rows["online-pesten:evaluation"].due_on == day(2026, 11, 9)

        # Every talk held: both steps are done at once, with the last talk's moment, each said on the timeline.
        while to_come(case):
            follow_up = to_come(case)[0]
            clock.move_to(datetime.datetime.combine(follow_up.due_on, datetime.time(9, 0)))
            hold(app, follow_up)
        rows = steps(case)
        assert rows["follow-up"].status == rows["online-pesten:evaluation"].status == "done"
        assert rows["follow-up"].done_at == rows["online-pesten:evaluation"].done_at
        assert rows["follow-up"].due_on == day(2028, 9, 2)  # the last talk, 22 months on
        events = timeline(case)
        assert "Vervolggesprekken: elk vervolggesprek is vastgelegd" in events
        assert "Evaluatiegesprek · Online pesten: elk vervolggesprek is vastgelegd" in events


def test_a_series_only_the_second_protocol_has_counts_from_its_own_step_and_shows_everywhere(app, factory, login_as):
    """A school's protocol without follow-up talks (the school's own file) beside the online protocol: the
    online protocol's evaluation leads, on its own schedule, from the day its agreement was made, and its
    escalation phases are the ones proposed."""
    with app.app_context():
        school_protocol("zonder-vervolg", follow_up_step="", follow_up_with=(), follow_up_schedule=(), steps=tuple(
            dataclasses.replace(step, shared="") if step.shared == "follow-up" else step
            for step in protocols.get("vo-nl").steps))
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0), tick=False) as clock:
        case, anna, bas = open_online_case(app, factory, first="zonder-vervolg")
        with app.app_context():
            both = protocols.of_case(fresh(case))
            assert both.series_lead().key == "online-pesten"
            assert both.series_steps() == ("online-pesten:evaluation",)
        done(app, case, "online-pesten:signal", "online-pesten:support-victim", "online-pesten:bully-talk")
        assert steps(case)["online-pesten:evaluation"].due_on is None  # waits for the agreement
        assert to_come(case) == []
        clock.move_to(datetime.datetime(2026, 11, 6, 9, 0))
        done(app, case, "online-pesten:agreement")
        # The evaluation comes due a week after the agreement: the series counts from the agreement, on the
        # online protocol's schedule (a week, four weeks, three months).
        assert [row.due_on for row in to_come(case, anna)] == [day(2026, 11, 13), day(2026, 12, 4), day(2027, 2, 6)]
        row = steps(case)["online-pesten:evaluation"]
        assert (row.status, row.due_on) == ("open", day(2026, 11, 13))
        # The school's own "Vervolggesprekken" is a plain step there: it waits for its joint talk.
        assert (steps(case)["follow-up"].status, steps(case)["follow-up"].due_on) == ("open", None)

        clock.move_to(datetime.datetime(2026, 11, 13, 9, 0))
        mentor = login_as("mentor")
        due = due_list(mentor)
        assert "Vervolggesprek: Anna" in due and "Evaluatiegesprek" not in due
        page = mentor.get("/dossiers/%d" % case.id).get_data(as_text=True)
        assert page.count("loopt; volgend vervolggesprek") == 1
        assert "6 vervolggesprekken gepland · 2 nu te houden" in overview_row(mentor, case)
        assert hold(app, to_come(case, bas)[0], "not_kept") == "one_more_chance"
        clock.move_to(datetime.datetime(2026, 12, 4, 9, 0))
        assert hold(app, to_come(case, bas)[0], "not_kept") == "escalate"
        with app.app_context():
            assert [proposal.phase.title for proposal in escalation.proposals(fresh(case))] == ["Herstelopdracht"]
        coordinator = login_as("coordinator")
        assert "Herstelopdracht" in coordinator.get("/").get_data(as_text=True)
        assert "Voorstel: fase 1 voor %s" % bas.display_name in overview_row(coordinator, case)
