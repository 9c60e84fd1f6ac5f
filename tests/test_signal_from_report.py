"""The report is the signal (seed 001 step 1: every staff member signals, the signal step is recording it): a
case opened from a report has its signal step done when and by whom the report was filed, so it is not late
the moment it opens; a case opened without a report keeps the step, due the day it opens."""
import datetime
import re

import time_machine

import models
from conftest import csrf_token, demo_user
from domain import cases

FILED = datetime.datetime(2026, 12, 3, 10, 0)  # the teacher files the report (UTC; 11:00 in the school)
OPENED = datetime.datetime(2026, 12, 4, 9, 0)  # the coordinator makes it a case the next morning


def pupil(first_name):
    return models.Pupil.get(models.Pupil.first_name == first_name)


def file_report(client, description):
    client.post("/meldingen/nieuw", data={
        "csrf_token": csrf_token(client, "/meldingen/nieuw"), "reporter_kind": "staff", "channel": "conversation",
        "reported_on": "2026-12-03", "pupils": [pupil("Amira").id, pupil("Finn").id], "kinds": ["verbal"],
        "place": "Gang", "description": description})
    return models.Report.get(models.Report.description == description)


def open_case(client, report=None, title="Naroepen"):
    url = "/dossiers/nieuw" + ("?melding=%d" % report.id if report else "")
    response = client.post(url, data={
        "csrf_token": csrf_token(client, url), "protocol": "vo-nl", "mentor": demo_user("mentor2").id,
        "title": title, "role_%d" % pupil("Amira").id: "victim", "role_%d" % pupil("Finn").id: "bully"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return models.Case.get(models.Case.title == title)


def signal_state(page):
    """What the case page's tracker says of the signal step."""
    head = re.search(r'<span class="tracker__title">Signaal opvangen en vastleggen</span>\s*'
                     r'<span class="tracker__state">([^<]*)</span>', page)
    return head.group(1).strip()


def step(case, key):
    return models.CaseStep.get(models.CaseStep.case == case, models.CaseStep.step_key == key)


def test_a_case_opened_from_a_report_is_not_late_the_moment_it_opens(login_as):
    with time_machine.travel(FILED, tick=False):
        report = file_report(login_as("staff"), "Finn roept Amira na op de gang.")
    with time_machine.travel(OPENED, tick=False):
        coordinator = login_as("coordinator")
        case = open_case(coordinator, report)
        page = coordinator.get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert "te laat" not in signal_state(page)
    assert signal_state(page) == "gedaan op 3 december 2026 · Kees Mulder"  # who filed the report, and when
    signal = step(case, "signal")
    assert signal.status == "done" and signal.done_by == demo_user("staff") and signal.done_at == FILED
    assert signal.note == "met de melding van 3 december 2026"
    assert models.CaseEvent.get(models.CaseEvent.case == case, models.CaseEvent.kind == "step_done").text == \
        "Signaal opvangen en vastleggen: met de melding van 3 december 2026"
    # The protocol's week for the talk with the victim counts from the signal.
    assert step(case, "victim-talk").due_on == datetime.date(2026, 12, 10)


def test_a_mentor_who_opens_a_case_from_their_own_report_has_the_signal_recorded_by_it(login_as):
    with time_machine.travel(FILED, tick=False):
        mentor2 = login_as("mentor2")
        report = file_report(mentor2, "Amira vertelt dat Finn haar naroept.")
        case = open_case(mentor2, report)
    signal = step(case, "signal")
    assert signal.status == "done" and signal.done_by == demo_user("mentor2")


def test_a_case_opened_without_a_report_keeps_the_signal_step_due_the_day_it_opens(login_as):
    with time_machine.travel(OPENED, tick=False):
        mentor2 = login_as("mentor2")  # mentor of 3C, Amira's and Finn's class
        case = open_case(mentor2, title="Zelf gezien")
        assert signal_state(mentor2.get("/dossiers/%d" % case.id).get_data(as_text=True)) == "uiterlijk 4 december 2026"
    assert step(case, "signal").status == "open" and step(case, "signal").due_on == datetime.date(2026, 12, 4)


def test_a_report_added_to_a_case_without_one_records_its_signal(app, login_as):
    with time_machine.travel(OPENED, tick=False):
        case = open_case(login_as("mentor2"), title="Zelf gezien")
        report = file_report(login_as("staff"), "Finn roept Amira weer na.")
        with app.app_context(), models.db.atomic():
            cases.attach_report(case, report, demo_user("coordinator"))
    signal = step(case, "signal")
    assert signal.status == "done" and signal.done_by == demo_user("staff") and signal.done_at == OPENED
    # A second report changes nothing of a signal recorded already.
    with time_machine.travel(OPENED + datetime.timedelta(hours=2), tick=False):
        later = file_report(login_as("staff"), "En nog eens.")
        with app.app_context(), models.db.atomic():
            cases.attach_report(case, later, demo_user("coordinator"))
    assert step(case, "signal").done_at == OPENED
    assert models.CaseEvent.select().where(models.CaseEvent.case == case,
                                           models.CaseEvent.kind == "step_done").count() == 1
