"""Seed 001 step 6: the parents hear within a week, after step 1 when the bullying is serious, else after
step 3. A case's severity is set when it opens, can change (logged), and the parents' step follows it."""
import datetime

import time_machine

import models
from conftest import csrf_token, demo_user
from db import local_date
from domain import cases

D = datetime.date


def open_case(factory, severity):
    school_class = factory.school_class(mentor=demo_user("mentor"))
    victim, bully = factory.pupil(school_class, "Anna"), factory.pupil(school_class, "Bas")
    with models.db.atomic():
        case, _ = cases.open_case("vo-nl", demo_user("mentor"), {victim: "victim", bully: "bully"},
                                  demo_user("coordinator"), severity=severity)
    return case


def parents_step(case):
    return models.CaseStep.get(models.CaseStep.case == case, models.CaseStep.step_key == "inform-parents")


def complete(case, key):
    with models.db.atomic():
        cases.complete_step(models.Case.get_by_id(case.id), key, demo_user("mentor"))


def test_parents_hear_within_a_week_of_the_first_step_when_it_is_serious_else_of_the_third(app_context, factory):
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0), tick=False) as clock:
        serious, usual = open_case(factory, "serious"), open_case(factory, "normal")
        assert parents_step(serious).due_on is None and parents_step(usual).due_on is None
        clock.move_to(datetime.datetime(2026, 11, 3, 10, 0))
        for case in (serious, usual):
            complete(case, "signal")
        assert parents_step(serious).due_on == D(2026, 11, 10)  # a week after the signal (step 1)
        assert parents_step(usual).due_on is None  # waits for the talk with the bully (step 3)
        clock.move_to(datetime.datetime(2026, 11, 9, 10, 0))
        for case in (serious, usual):
            complete(case, "victim-talk")
        clock.move_to(datetime.datetime(2026, 11, 12, 10, 0))
        for case in (serious, usual):
            complete(case, "bully-talk")
        assert parents_step(serious).due_on == D(2026, 11, 10)
        assert parents_step(usual).due_on == D(2026, 11, 19)


def test_changing_the_severity_is_logged_and_moves_the_parents_deadline(login_as, factory, app):
    with app.app_context():
        case = open_case(factory, "normal")
        complete(case, "signal")
    assert parents_step(case).due_on is None
    client = login_as("mentor")
    response = client.post("/dossiers/%d/ernst" % case.id, data={
        "csrf_token": csrf_token(client, "/dossiers/%d" % case.id), "severity": "serious"})
    assert response.status_code == 302
    assert models.Case.get_by_id(case.id).severity == "serious"
    signal_day = models.CaseStep.get(models.CaseStep.case == case, models.CaseStep.step_key == "signal").done_at
    assert parents_step(case).due_on == local_date(signal_day) + datetime.timedelta(days=7)  # the school's day
    event = models.CaseEvent.get(models.CaseEvent.case == case, models.CaseEvent.kind == "severity")
    assert event.text == "ernstig" and event.user == demo_user("mentor")
    audit = models.AuditEvent.get(models.AuditEvent.action == "case.severity")
    assert (audit.username, audit.object_id, audit.detail) == ("mentor", case.id, "serious")
    page = client.get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert "<dt>Ernst</dt><dd>Ernstig</dd>" in page and "Ernst vastgelegd: ernstig" in page
    # The severity is for whoever works on the case: another class's mentor does not know it exists.
    other = login_as("mentor2")
    assert other.post("/dossiers/%d/ernst" % case.id, data={
        "csrf_token": csrf_token(other, "/account/"), "severity": "normal"}).status_code == 404


def test_an_unknown_severity_is_refused_beside_its_field_and_nothing_changes(login_as, factory, app):
    with app.app_context():
        case = open_case(factory, "normal")
    client = login_as("mentor")
    response = client.post("/dossiers/%d/ernst" % case.id, data={
        "csrf_token": csrf_token(client, "/dossiers/%d" % case.id), "severity": "catastrophic"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="severity-error"' in html and '<a href="#severity-0">' in html
    assert '<details class="severity" id="severity" open>' in html
    assert models.Case.get_by_id(case.id).severity == "normal"


def test_the_severity_chosen_when_opening_a_case_is_kept_on_an_error_and_then_saved(login_as, factory, app):
    with app.app_context():
        school_class = factory.school_class(mentor=demo_user("mentor"))
        victim = factory.pupil(school_class, "Anna")
    client = login_as("coordinator")
    data = {"csrf_token": csrf_token(client, "/dossiers/nieuw"), "protocol": "vo-nl",
            "mentor": demo_user("mentor").id, "severity": "serious", "title": "Dreigen"}
    refused = client.post("/dossiers/nieuw", data=dict(data, **{"role_%d" % victim.id: "bully"}))
    assert refused.status_code == 400
    assert '<input checked class="choice-list__input" id="severity-1" name="severity" type="radio" value="serious">' \
        in refused.get_data(as_text=True)
    opened = client.post("/dossiers/nieuw", data=dict(data, **{"role_%d" % victim.id: "victim"}))
    assert opened.status_code == 302
    case = models.Case.get(models.Case.title == "Dreigen")
    assert case.severity == "serious"
    assert models.CaseEvent.get(models.CaseEvent.case == case, models.CaseEvent.kind == "severity").text == "ernstig"

