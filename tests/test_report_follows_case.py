"""A report under a case follows its case: closed with it, in behandeling again when it is reopened, for the
coordinator, the reporter and the mentors of the named pupils' classes alike (seed 001 step 1: whoever
signals hears what became of it)."""
import re

import db
import models
from conftest import csrf_token, demo_user
from sql_log import recorded_sql

CLOSED = ("closed", "Afgesloten")
OPEN = ("in_case", "In behandeling")


def pupil(first_name):
    return models.Pupil.get(models.Pupil.first_name == first_name)


def filed_and_made_a_case(login_as):
    """A teacher's report about Amira (3C, mentor2) turned into a case by the coordinator: (report, case)."""
    teacher = login_as("staff")
    teacher.post("/meldingen/nieuw", data={
        "csrf_token": csrf_token(teacher, "/meldingen/nieuw"), "reporter_kind": "staff", "channel": "conversation",
        "reported_on": db.today().isoformat(), "pupils": [pupil("Amira").id, pupil("Finn").id],
        "kinds": ["verbal"], "place": "Gang", "description": "Finn roept Amira na op de gang."})
    report = models.Report.get(models.Report.description == "Finn roept Amira na op de gang.")
    coordinator = login_as("coordinator")
    url = "/dossiers/nieuw?melding=%d" % report.id
    assert coordinator.post(url, data={
        "csrf_token": csrf_token(coordinator, url), "protocol": "vo-nl", "mentor": demo_user("mentor2").id,
        "title": "Naroepen", "role_%d" % pupil("Amira").id: "victim",
        "role_%d" % pupil("Finn").id: "bully"}).status_code == 302
    return models.Report.get_by_id(report.id), models.Case.get(models.Case.title == "Naroepen")


def status_of(page, report):
    """The report's badge: on its own page, or on its row in a list ((key, label); None when not there)."""
    shown = (re.search(r'href="/meldingen/%d">(?:(?!</li>).)*?<span class="badge badge--(\w+)">([^<]*)<' % report.id,
                       page, re.S)
             or re.search(r'<dt>Status</dt><dd><span class="badge badge--(\w+)">([^<]*)<', page))
    return shown.groups() if shown else None


def pages(login_as, report):
    """What the coordinator, the reporter and the class's mentor read of the report."""
    return {
        "coordinator": login_as("coordinator").get("/meldingen/%d" % report.id).get_data(as_text=True),
        "reporter's list": login_as("staff").get("/meldingen/").get_data(as_text=True),
        "reporter's page": login_as("staff").get("/meldingen/%d" % report.id).get_data(as_text=True),
        "mentor's home": login_as("mentor2").get("/").get_data(as_text=True),
    }


def test_a_report_reads_closed_when_its_case_is_closed_and_open_again_when_it_is_reopened(login_as):
    report, case = filed_and_made_a_case(login_as)
    for who, page in pages(login_as, report).items():
        assert status_of(page, report) == OPEN, who
    coordinator = login_as("coordinator")
    token = csrf_token(coordinator, "/dossiers/%d" % case.id)
    coordinator.post("/dossiers/%d/sluiten" % case.id, data={"csrf_token": token, "reason": "Excuses gemaakt, "
                                                             "het naroepen is gestopt."})
    assert models.Case.get_by_id(case.id).status == "closed"
    closed = pages(login_as, report)
    for who, page in closed.items():
        assert status_of(page, report) == CLOSED, who
    assert "Afgesloten met dossier %s op" % case.reference in closed["coordinator"]
    assert "Excuses gemaakt" in closed["coordinator"]  # the case's outcome, for whoever may read the case
    # The teacher who signalled hears that it was handled, not how nor in which case: that is not theirs to read.
    assert "De school heeft deze melding afgehandeld; het dossier is gesloten op" in closed["reporter's page"]
    assert "Excuses gemaakt" not in closed["reporter's page"] and case.reference not in closed["reporter's page"]
    # What was stored of the triage itself stays as it was.
    assert models.Report.get_by_id(report.id).status == "in_case"

    coordinator.post("/dossiers/%d/heropenen" % case.id, data={"csrf_token": token, "reason": "Het begint weer."})
    for who, page in pages(login_as, report).items():
        assert status_of(page, report) == OPEN, who


def test_the_case_page_lists_its_reports_with_the_cases_status(login_as):
    report, case = filed_and_made_a_case(login_as)
    coordinator = login_as("coordinator")
    coordinator.post("/dossiers/%d/sluiten" % case.id, data={
        "csrf_token": csrf_token(coordinator, "/dossiers/%d" % case.id), "reason": "Opgelost."})
    assert status_of(coordinator.get("/dossiers/%d" % case.id).get_data(as_text=True), report) == CLOSED


def test_the_demo_reports_of_closed_cases_read_closed(login_as):
    """The walk's finding: a 2024 report in a closed case read "In behandeling"."""
    in_closed = list(models.Report.select().join(models.Case).where(models.Case.status == "closed"))
    assert in_closed
    coordinator = login_as("coordinator")
    for report in in_closed:
        assert status_of(coordinator.get("/meldingen/%d" % report.id).get_data(as_text=True), report) == CLOSED


def test_lists_read_each_reports_case_in_the_same_query(app_context):
    """Reading the shown status of many reports costs no query per report."""
    reports = list(models.Report.with_case().where(models.Report.case.is_null(False)))
    assert reports
    with recorded_sql() as statements:
        [report.shown_status for report in reports]
    assert statements == []
