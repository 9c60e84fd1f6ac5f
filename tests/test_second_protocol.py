"""A second protocol beside a case's own (issue 20): the online protocol beside the school's, walked on a
frozen clock. Both step lists on the case page, one timeline, deadlines from each (the second's from the day
it was added), the steps the two share done once, and adding or removing it a logged correction."""
import datetime

import pytest
import time_machine

import models
from conftest import csrf_token, demo_user
from domain import cases, protocols

CORRECT = "/dossiers/%d/corrigeren"


@pytest.fixture
def case(app, factory):
    """An online case under the school's protocol. The app context is pushed only around what needs it: one
    kept open across requests would keep the first request's CSRF token (flask.g) for every later client."""
    with app.app_context():
        school_class = factory.school_class(mentor=demo_user("mentor"))
        anna, bas = factory.pupil(school_class, "Anna"), factory.pupil(school_class, "Bas")
        with models.db.atomic():
            opened, _ = cases.open_case("vo-nl", demo_user("mentor"), {anna: "victim", bas: "bully"},
                                        demo_user("coordinator"))
            opened.online = True
            opened.save()
            cases.sync_steps(opened)
    return opened


def post(client, case, path, **data):
    token = csrf_token(client, CORRECT % case.id)
    return client.post("/dossiers/%d/%s" % (case.id, path), data=dict(csrf_token=token, **data))


def steps(case):
    return {row.step_key: row for row in models.CaseStep.select().where(models.CaseStep.case == case)}


def fresh(case):
    return models.Case.get_by_id(case.id)


def done(app, case, step_key, user="mentor"):
    with app.app_context(), models.db.atomic():
        cases.complete_step(fresh(case), step_key, demo_user(user))


def timeline(case):
    return [event.text for event in models.CaseEvent.select().where(models.CaseEvent.case == case)
            .order_by(models.CaseEvent.id)]


def test_the_online_protocol_runs_beside_the_schools_own_on_a_frozen_clock(app, case, login_as):
    day = datetime.date
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0), tick=False) as clock:
        with app.app_context(), models.db.atomic():  # the case was opened today
            models.Case.update(opened_at=datetime.datetime(2026, 11, 2, 8, 0)).where(
                models.Case.id == case.id).execute()
            cases.sync_steps(fresh(case))
        done(app, case, "signal")
        assert steps(case)["online-evidence"].due_on == day(2026, 11, 3)

        clock.move_to(datetime.datetime(2026, 11, 4, 9, 0))
        coordinator = login_as("coordinator")
        assert post(coordinator, case, "tweede-protocol", protocol="online-pesten").status_code == 302
        rows = steps(case)
        # The second protocol's deadlines count from the day it was added, its steps after the first's.
        assert rows["online-pesten:signal"].due_on == day(2026, 11, 4)
        assert rows["online-pesten:support-victim"].due_on is None  # waits for its signal
        assert rows["online-pesten:police"].status == "not_applicable"  # nothing criminal
        assert rows["online-pesten:signal"].position > max(rows[key].position for key in rows if ":" not in key)
        assert rows["online-evidence"].due_on == day(2026, 11, 3)  # the first protocol's stay as they were

        # Evidence secured in the school's protocol is done in the online one too, at the same moment.
        done(app, case, "online-evidence")
        rows = steps(case)
        assert rows["online-pesten:protect"].status == "done"
        assert rows["online-pesten:protect"].done_at == rows["online-evidence"].done_at
        assert ("Blokkeren, melden en laten verwijderen · Online pesten: gedaan als «Online pesten: bewijs en "
                "bescherming» in VO-protocol (NL)") in timeline(case)
        done(app, case, "online-pesten:signal")
        assert steps(case)["online-pesten:support-victim"].due_on == day(2026, 11, 5)
        assert "Melding van online pesten opnemen · Online pesten" in timeline(case)

        mentor = login_as("mentor")
        page = mentor.get("/dossiers/%d" % case.id).get_data(as_text=True)
        assert '<h3 class="tracker__protocol">VO-protocol (NL) <span' in page
        assert '<h3 class="tracker__protocol">Online pesten <span' in page
        tracker = page[page.index('id="case-steps"'):]
        assert tracker.index("Signaal opvangen en vastleggen") < tracker.index("Online pesten <span") < tracker.index(
            "De gepeste leerling steunen en beschermen")
        assert "geldt ook voor «Blokkeren, melden en laten verwijderen» in Online pesten" in page
        assert "met daarnaast Online pesten" in page
        talk = mentor.get("/gesprekken/nieuw/%d/online-pesten:support-victim" % case.id)
        assert talk.status_code == 200 and "Gesprek met de leerling die online gepest wordt" in talk.get_data(
            as_text=True)

        # Parents informed in the online protocol are informed in the school's too.
        clock.move_to(datetime.datetime(2026, 11, 5, 9, 0))
        done(app, case, "online-pesten:support-victim")
        assert steps(case)["online-pesten:inform-parents"].due_on == day(2026, 11, 7)
        done(app, case, "online-pesten:inform-parents")
        assert steps(case)["inform-parents"].status == "done"

        # The overview, the home page and the step filter read both lists.
        mentor = login_as("mentor")
        home = mentor.get("/")
        assert home.status_code == 200 and "Blokkeren" not in home.get_data(as_text=True)  # done, not due
        overview = mentor.get("/dossiers/?stap=online-pesten:identify-bully").get_data(as_text=True)
        assert case.reference in overview
        assert case.reference in mentor.get("/dossiers/?stap=vo-nl:victim-talk").get_data(as_text=True)
        assert case.reference not in mentor.get("/dossiers/?stap=online-pesten:signal").get_data(as_text=True)
        assert case.reference not in mentor.get("/dossiers/?stap=stappenplan-vl:report").get_data(as_text=True)

        # Taking it away again: its steps leave the page, the timeline keeps what was done in it.
        clock.move_to(datetime.datetime(2026, 11, 6, 9, 0))
        coordinator = login_as("coordinator")
        shown = coordinator.get(CORRECT % case.id)
        assert shown.status_code == 200
        stopped = post(coordinator, case, "tweede-protocol/weghalen", **{"stop-reason": "Het pesten bleek niet online"})
        assert stopped.status_code == 302, stopped.get_data(as_text=True)
        rows = steps(case)
        assert not [key for key in rows if key.startswith("online-pesten:")]
        assert rows["inform-parents"].status == "done" and rows["online-evidence"].status == "done"
        assert fresh(case).second_protocol_key is None
        assert timeline(case)[-1] == (
            "Tweede protocol weggehaald: Online pesten. Reden: Het pesten bleek niet online. Gedaan waren: "
            "Melding van online pesten opnemen (4 november 2026); De gepeste leerling steunen en beschermen "
            "(5 november 2026); Blokkeren, melden en laten verwijderen (4 november 2026); Ouders van de gepeste "
            "leerling informeren (5 november 2026)")
        assert "Tweede protocol erbij: Online pesten, naast VO-protocol (NL)" in timeline(case)
        assert models.AuditEvent.select().where(models.AuditEvent.action == "case.correction",
                                                models.AuditEvent.object_id == case.id).count() == 2
        page = login_as("mentor").get("/dossiers/%d" % case.id).get_data(as_text=True)
        assert "tracker__protocol" not in page and "Melding van online pesten opnemen · Online pesten" in page


def test_adding_and_taking_away_ask_for_a_protocol_and_a_reason(app, case, login_as):
    coordinator = login_as("coordinator")
    no_choice = post(coordinator, case, "tweede-protocol", protocol="")
    assert no_choice.status_code == 400 and "Kies een protocol." in no_choice.get_data(as_text=True)
    nothing_to_stop = post(coordinator, case, "tweede-protocol/weghalen", **{"stop-reason": "Klopt niet"})
    assert nothing_to_stop.status_code == 409 and "volgt geen tweede protocol" in nothing_to_stop.get_data(as_text=True)
    assert post(coordinator, case, "tweede-protocol", protocol="online-pesten").status_code == 302
    again = post(coordinator, case, "tweede-protocol", protocol="online-pesten")
    assert again.status_code == 409 and "volgt al een tweede protocol" in again.get_data(as_text=True)
    no_reason = post(coordinator, case, "tweede-protocol/weghalen", **{"stop-reason": " "})
    assert no_reason.status_code == 400 and "Geef een reden." in no_reason.get_data(as_text=True)
    assert fresh(case).second_protocol_key == "online-pesten"


def test_a_protocol_shares_a_step_once_and_beside_keys_count_from_their_own_start(app_context):
    first, second = protocols.get("vo-nl"), protocols.get("online-pesten")
    both = protocols.beside(first, second)
    assert [step.key for step in both.sharing("inform-parents")] == ["online-pesten:inform-parents"]
    assert [step.key for step in both.sharing("online-pesten:police")] == ["police"]
    assert both.sharing("victim-talk") == ()
    assert both.step("online-pesten:support-victim").deadline.after == "online-pesten:signal"
    assert both.step("online-pesten:signal").deadline.after == "online-pesten:report"
    assert protocols.step_title("vo-nl", "online-pesten:police") == "Politie inschakelen · Online pesten"
