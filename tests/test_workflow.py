"""Cases move through their protocol: deadlines from the rules and the days things were done."""
import datetime

import pytest
import time_machine

import models
from conftest import demo_user
from domain import cases, followups, protocols
from domain.cases import WorkflowError

D = datetime.date


@pytest.fixture
def pupils(app_context, factory):
    school_class = factory.school_class(mentor=demo_user("mentor"))
    return [factory.pupil(school_class, name) for name in ("Anna", "Bas", "Cor", "Dirk")]


def report(pupils, on, kinds=("verbal",), **fields):
    with models.db.atomic():
        report = models.Report.create(reported_on=on, reporter_kind="staff", channel="conversation",
                                      description="Test", created_by=demo_user("staff"), **fields)
        for kind in kinds:
            models.ReportKind.create(report=report, kind=kind)
        for pupil in pupils:
            models.ReportPupil.create(report=report, pupil=pupil)
    return report


def open_case(protocol, pupils, reports, **fields):
    victim, bully, follower = pupils[:3]
    with models.db.atomic():
        case, warnings = cases.open_case(protocol, demo_user("mentor"),
                                            {victim: "victim", bully: "bully", follower: "follower"},
                                            demo_user("coordinator"), reports=reports, **fields)
    return case, warnings


def steps(case):
    return {row.step_key: row for row in models.CaseStep.select().where(models.CaseStep.case == case)}


def complete(case, key, user="mentor"):
    with models.db.atomic():
        cases.complete_step(case, key, demo_user(user))


OWNER_USERS = {"mentor": "mentor", "coordinator": "coordinator", "support": "support"}


def talks_to_come(case):
    return list(models.FollowUp.select().where(models.FollowUp.case == case, models.FollowUp.done_at.is_null(),
                                               models.FollowUp.cancelled_at.is_null())
                .order_by(models.FollowUp.due_on, models.FollowUp.pupil))


def hold(talk, outcome="going_well", note="", on=None):
    with models.db.atomic():
        return followups.record(talk, demo_user("mentor"), outcome, on or talk.due_on, note=note)


def hold_every_talk(case, clock):
    """Walk the clock to each follow-up's day and record it as going well; returns the days walked."""
    days = []
    while talks_to_come(case):
        talk = talks_to_come(case)[0]
        clock.move_to(datetime.datetime.combine(talk.due_on, datetime.time(11)))
        days.append(talk.due_on)
        with pytest.raises(WorkflowError, match="rondt zichzelf af"):
            complete(case, talk_step(case))
        hold(talk)
    return sorted(set(days))


def talk_step(case):
    return protocols.get(case.protocol_key).follow_up_step


def finish_and_close(case, clock):
    """Do every remaining step in protocol order, by its owner (the follow-up step by holding each
    pupil's talks on their days), then close the case."""
    for row in sorted(steps(case).values(), key=lambda row: row.position):
        if models.CaseStep.get_by_id(row.id).status != "open":
            continue
        if followups.series_under_way(case, row.step_key):
            hold_every_talk(case, clock)
            assert models.CaseStep.get_by_id(row.id).status == "done"
        else:
            complete(case, row.step_key, OWNER_USERS[row.owner])
    with models.db.atomic():
        cases.close_case(case, demo_user("coordinator"), "Afgerond volgens protocol.")
    assert all(row.status in ("done", "not_applicable") for row in steps(case).values())
    assert models.Case.get_by_id(case.id).status == "closed"


def series(case):
    """Each pupil's follow-up days: {first name: [days]}."""
    result = {}
    for talk in models.FollowUp.select().where(models.FollowUp.case == case, models.FollowUp.cancelled_at.is_null()):
        result.setdefault(talk.pupil.first_name, []).append(talk.due_on)
    return {name: sorted(days) for name, days in result.items()}


def state(case, key, on):
    return cases.step_state(steps(case)[key], on)


def test_vo_protocol_from_report_to_closure(app_context, pupils):
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0), tick=False) as clock:
        case, _ = open_case("vo-nl", pupils, [report(pupils[:2], D(2026, 11, 2))])
        rows = steps(case)
        assert rows["signal"].due_on == D(2026, 11, 2)
        # The report the case comes from is the signal, recorded by the teacher who filed it.
        assert rows["signal"].status == "done" and rows["signal"].done_by == demo_user("staff")
        assert rows["police"].status == "not_applicable" and rows["online-evidence"].status == "not_applicable"
        assert rows["victim-talk"].due_on == D(2026, 11, 9)  # within a week of the signal
        assert [rows[k].owner for k in ("signal", "extra-help")] == ["mentor", "support"]

        clock.move_to(datetime.datetime(2026, 11, 9, 10, 0))
        complete(case, "victim-talk")
        assert steps(case)["bully-talk"].due_on == D(2026, 11, 16)
        assert state(case, "bully-talk", D(2026, 11, 16)) == "due"
        assert state(case, "bully-talk", D(2026, 11, 17)) == "overdue"

        clock.move_to(datetime.datetime(2026, 11, 18, 10, 0))
        complete(case, "bully-talk")
        rows = steps(case)
        assert rows["joint-talk"].due_on == D(2026, 11, 25)
        assert rows["inform-parents"].due_on == D(2026, 11, 25)

        clock.move_to(datetime.datetime(2026, 11, 24, 10, 0))
        assert models.FollowUp.select().where(models.FollowUp.case == case).count() == 0
        complete(case, "joint-talk")
        # Without an agreement, the protocol's pupils (victim, bully, follower) get their own series:
        # 2 days, a week, a month, then every three months up to two years (seed 001 step 5).
        expected = [D(2026, 11, 26), D(2026, 12, 1), D(2026, 12, 24), D(2027, 3, 24), D(2027, 6, 24),
                    D(2027, 9, 24), D(2027, 12, 24), D(2028, 3, 24), D(2028, 6, 24), D(2028, 9, 24)]
        assert series(case) == {"Anna": expected, "Bas": expected, "Cor": expected}
        assert steps(case)["follow-up"].due_on == D(2026, 11, 26) and state(case, "follow-up", D(2026, 11, 24)) == "due"
        for key in ("inform-parents", "extra-help"):
            complete(case, key, user="support" if key == "extra-help" else "mentor")
        with pytest.raises(WorkflowError, match="rondt zichzelf af"):
            complete(case, "follow-up")

        # Not before its day; then each pupil's own outcome, and the step follows the next talk.
        anna, bas, cor = (talk for talk in talks_to_come(case)[:3])
        with pytest.raises(followups.FollowUpError, match="staat gepland op 26 november 2026"):
            hold(anna, on=D(2026, 11, 24))
        clock.move_to(datetime.datetime(2026, 11, 26, 9, 0))
        assert hold(anna) == "ok"
        assert hold(bas, "not_kept", "Scheldt weer in de pauze") == "one_more_chance"
        assert steps(case)["follow-up"].due_on == D(2026, 11, 26)  # Cor's talk of today is still to come
        assert hold(cor, "not_held", "Cor was ziek") == "not_held"
        assert steps(case)["follow-up"].due_on == D(2026, 12, 1) and steps(case)["follow-up"].status == "open"
        clock.move_to(datetime.datetime(2026, 12, 2, 9, 0))
        assert state(case, "follow-up", D(2026, 12, 2)) == "overdue"  # the week's talks are a day late
        days = hold_every_talk(case, clock)
        assert days[0] == D(2026, 12, 1) and days[-1] == D(2028, 9, 24)
        step = steps(case)["follow-up"]
        assert step.status == "done" and step.done_at.date() == D(2028, 9, 24) and step.due_on == D(2028, 9, 24)
        with models.db.atomic():
            cases.close_case(case, demo_user("coordinator"), "Afspraken twee jaar nagekomen.")
    case = models.Case.get_by_id(case.id)
    assert case.status == "closed"
    assert all(row.status in ("done", "not_applicable") for row in steps(case).values())
    kinds = [e.kind for e in models.CaseEvent.select().where(models.CaseEvent.case == case).order_by(models.CaseEvent.id)]
    assert kinds[0] == "opened" and kinds[-1] == "closed" and kinds.count("step_done") == 7
    assert kinds.count("follow_up") == 30 and kinds.count("follow_ups_planned") == 1


def test_criminal_report_brings_in_the_police_step(app_context, pupils):
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0), tick=False):
        case, _ = open_case("vo-nl", pupils, [report(pupils[:2], D(2026, 11, 2), possibly_criminal=True)])
    rows = steps(case)
    assert rows["police"].status == "open" and rows["police"].due_on == D(2026, 11, 3)
    assert rows["police"].owner == "coordinator"


def test_flemish_steps_follow_the_chosen_approach(app_context, pupils):
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0), tick=False) as clock:
        case, _ = open_case("stappenplan-vl", pupils, [report(pupils[:2], D(2026, 11, 2))])
        conditional = ("confront-talk", "support-group")
        assert all(steps(case)[key].status == "not_applicable" for key in conditional)
        assert steps(case)["report"].status == "done"  # the report itself
        complete(case, "victim-talk")
        clock.move_to(datetime.datetime(2026, 11, 4, 9, 0))
        complete(case, "choose-approach", user="coordinator")
        with models.db.atomic():
            cases.set_approach(case, "non_confrontational", "group", demo_user("coordinator"))
        rows = steps(case)
        assert rows["support-group"].status == "open" and rows["support-group"].due_on == D(2026, 11, 7)
        assert rows["confront-talk"].status == "not_applicable"
        # The support group does not work: the school switches to the confrontational approach.
        with models.db.atomic():
            cases.set_approach(case, "confrontational", "individual", demo_user("coordinator"))
        rows = steps(case)
        assert rows["confront-talk"].status == "open" and rows["confront-talk"].due_on == D(2026, 11, 6)
        assert rows["support-group"].status == "not_applicable"
        # Opvolging (step 5) came due 30 days after the choice: its talks run from the choice on.
        assert series(case) == {name: [D(2026, 11, 11), D(2026, 11, 25), D(2027, 1, 4)]
                                for name in ("Anna", "Bas", "Cor")}
        assert rows["follow-up"].due_on == D(2026, 11, 11)
        clock.move_to(datetime.datetime(2026, 11, 6, 9, 0))
        complete(case, "confront-talk", user="coordinator")
        rows = steps(case)
        assert rows["restorative-act"].due_on == D(2026, 11, 13)
        assert rows["inform-bully-parents"].due_on == D(2026, 11, 8)
        finish_and_close(case, clock)


def test_online_protocol_walks_to_the_agreement(app_context, pupils):
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0), tick=False) as clock:
        case, _ = open_case("online-pesten", pupils, [report(pupils[:2], D(2026, 11, 1), kinds=("online",),
                                                            platform="Snapchat")])
        assert case.online
        rows = steps(case)
        assert rows["signal"].due_on == D(2026, 11, 1) and rows["police"].status == "not_applicable"
        assert rows["signal"].status == "done"  # the report itself
        for key, user in [("support-victim", "mentor"), ("protect", "mentor"),
                          ("inform-parents", "mentor"), ("identify-bully", "coordinator"),
                          ("bully-talk", "mentor")]:
            complete(case, key, user)
        assert steps(case)["agreement"].due_on == D(2026, 11, 9)
        complete(case, "agreement")
        assert steps(case)["evaluation"].due_on == D(2026, 11, 9)
        assert series(case) == {name: [D(2026, 11, 9), D(2026, 11, 30), D(2027, 2, 2)]
                                for name in ("Anna", "Bas", "Cor")}
        finish_and_close(case, clock)


def test_a_step_cannot_be_completed_twice(app_context, pupils):
    case, _ = open_case("vo-nl", pupils, [report(pupils[:2], D(2026, 11, 2))])
    complete(case, "victim-talk")
    with pytest.raises(WorkflowError, match="al afgerond"):
        complete(case, "victim-talk")
    with pytest.raises(WorkflowError, match="al afgerond"):  # the report was the signal
        complete(case, "signal")
    with pytest.raises(WorkflowError, match="niet van toepassing"):
        complete(case, "police")
    with pytest.raises(WorkflowError, match="hoort niet bij"):
        complete(case, "no-such-step")


def test_a_case_needs_a_victim_and_a_known_protocol(app_context, pupils):
    with pytest.raises(WorkflowError, match="gepeste leerling"):
        cases.open_case("vo-nl", None, {pupils[0]: "bully"}, demo_user("coordinator"))
    with pytest.raises(WorkflowError, match="Onbekend protocol"):
        cases.open_case("no-such", None, {pupils[0]: "victim"}, demo_user("coordinator"))
    assert not models.Case.select().where(models.Case.reference.startswith("2026")).where(
        models.Case.mentor.is_null()).exists()


def test_closing_and_reopening_need_a_reason(app_context, pupils):
    case, _ = open_case("vo-nl", pupils, [report(pupils[:2], D(2026, 11, 2))])
    coordinator = demo_user("coordinator")
    with pytest.raises(WorkflowError, match="reden"):
        cases.close_case(case, coordinator, "  ")
    cases.close_case(case, coordinator, "Geen pesten, een ruzie.")
    with pytest.raises(WorkflowError, match="gesloten"):
        cases.complete_step(case, "signal", coordinator)
    cases.reopen_case(case, coordinator, "Het begint opnieuw.")
    assert models.Case.get_by_id(case.id).status == "open"


def test_a_pupil_named_as_bully_again_is_a_repeat(app_context, pupils):
    first, warnings = open_case("vo-nl", pupils, [report(pupils[:2], D(2026, 9, 1))])
    assert warnings == []
    second, warnings = open_case("vo-nl", pupils, [report(pupils[:2], D(2026, 11, 2))])
    assert warnings == ["%s was eerder pester in dossier %s." % (pupils[1].display_name, first.reference)]


def test_attaching_a_report_adds_the_pupils_it_names(app_context, pupils):
    case, _ = open_case("vo-nl", pupils, [report(pupils[:2], D(2026, 11, 2))])
    later = report([pupils[3]], D(2026, 11, 4), kinds=("online",), platform="Instagram")
    with models.db.atomic():
        cases.attach_report(case, later, demo_user("coordinator"))
    roles = {i.pupil_id: i.role for i in models.Involvement.select().where(models.Involvement.case == case)}
    assert roles[pupils[3].id] == "bystander"
    case = models.Case.get_by_id(case.id)
    assert case.online and steps(case)["online-evidence"].status == "open"
    with pytest.raises(WorkflowError, match="al verwerkt"):
        cases.attach_report(case, later, demo_user("coordinator"))
