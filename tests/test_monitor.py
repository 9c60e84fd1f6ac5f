"""The yearly monitor: exact counts for a school year, a CSV without names, periods checked."""
import datetime
import re

import db
import models
from conftest import demo_user
from domain import monitor

YEAR = 2010  # school year 2010-2011: far from the demo's data, so every count here is ours


def report(case, day, kinds=("verbal",), place="", platform=""):
    row = models.Report.create(reported_on=day, reporter_kind="staff", channel="conversation", place=place,
                               platform=platform, description="iets", status="in_case", case=case)
    for kind in kinds:
        models.ReportKind.create(report=row, kind=kind)
    return row


def make_school_year(factory):
    """Three cases in 2010-2011 (one a repeat), one just outside it, with reports, talks, steps and measures."""
    first_year, third_year = factory.school_class(year_level=1), factory.school_class(year_level=3)
    sem = factory.pupil(first_year, first_name="Sem")
    lotte, bram = factory.pupil(first_year, first_name="Lotte"), factory.pupil(third_year, first_name="Bram")
    opened = [datetime.datetime(2010, 9, 1, 9), datetime.datetime(2011, 1, 10, 9), datetime.datetime(2011, 3, 1, 9)]
    cases = [factory.case(victim=lotte, bully=sem), factory.case(victim=bram, bully=sem), factory.case(victim=lotte)]
    for case, moment in zip(cases, opened):
        case.opened_at = moment
        case.approach = "non_confrontational" if case is cases[0] else None
        case.save()
    report(cases[0], datetime.date(2010, 9, 1), kinds=("verbal", "exclusion"), place="Fietsenstalling")
    report(cases[1], datetime.date(2011, 1, 8), kinds=("online",), platform="Snapchat", place="fietsenstalling ")
    report(cases[2], datetime.date(2011, 2, 27), place="Bij Sem thuis")
    outside = factory.case(victim=lotte)
    outside.opened_at = datetime.datetime(2011, 8, 1, 9)
    outside.save()
    report(outside, datetime.date(2011, 8, 1))
    models.Conversation.create(case=cases[0], step_key="x", template_key="x", title="x",
                               started_at=datetime.datetime(2010, 9, 3, 10))
    models.Conversation.create(case=cases[1], step_key="x", template_key="x", title="x",
                               started_at=datetime.datetime(2011, 1, 15, 10))
    models.CaseStep.create(case=cases[0], step_key="a", status="done", due_on=datetime.date(2010, 9, 5),
                           done_at=datetime.datetime(2010, 9, 4, 12))
    models.CaseStep.create(case=cases[0], step_key="b", status="done", due_on=datetime.date(2010, 9, 5),
                           done_at=datetime.datetime(2010, 9, 9, 12))
    models.CaseStep.create(case=cases[1], step_key="c", status="open", due_on=datetime.date(2011, 1, 20))
    models.Measure.create(case=cases[0], pupil=sem, phase=1, description="x", decided_on=datetime.date(2010, 10, 1))
    models.Measure.create(case=cases[1], pupil=sem, phase=2, description="x", decided_on=datetime.date(2011, 2, 1))
    models.Complaint.create(received_on=datetime.date(2011, 5, 1), complainant_kind="parent", description="x")
    return cases


def test_a_school_years_figures_count_exactly_what_happened_in_it(app_context, factory):
    make_school_year(factory)
    data = monitor.figures(*monitor.school_year(YEAR))
    assert (data["reports"], data["cases"], data["repeat_cases"]) == (3, 3, 1)
    assert dict((str(k), n) for k, n in data["kinds"]) == {"Verbaal": 2, "Uitsluiten": 1, "Online": 1}
    assert data["places"] == [("fietsenstalling", 2), ("(overige)", 1)]  # one-off places could name a child
    assert data["platforms"] == [("(overige)", 1)]
    assert data["class_years"] == [("Leerjaar 1", 2), ("Leerjaar 3", 1)]
    assert data["escalations"] == [("Fase 1", 1), ("Fase 2", 1)]
    assert dict(data["approaches"]) == {"Niet-confronterend": 1, "Nog niet gekozen": 2}
    assert data["median_days_to_first_conversation"] == 4.5  # 2 and 7 days
    assert data["steps_on_time"] == (1, 3)  # one in time, one late, one left open past its deadline
    assert [str(status) for status, _ in data["complaints"]] == ["Ontvangen"]


def test_the_monitor_writes_its_numbers_the_dutch_way(app, factory, login_as):
    with app.app_context():
        make_school_year(factory)
        start, end = monitor.school_year(YEAR)
    html = login_as("coordinator").get("/monitor/?van=%s&tot=%s" % (start, end - datetime.timedelta(days=1)))
    html = re.sub(r"\s+", " ", html.get_data(as_text=True))
    assert "<dd>4,5</dd>" in html and "4.5" not in html  # the median of 2 and 7 days
    assert "<dd>33% (1 van 3)</dd>" in html  # one step in time of three
    with app.app_context():
        body = monitor.figures_csv(monitor.figures(*monitor.school_year(YEAR))).decode("utf-8-sig")
    assert "doorlooptijd;mediaan dagen tot eerste gesprek;4,5" in body  # as a Dutch spreadsheet reads it


def test_the_csv_holds_the_figures_and_no_names(app_context, factory):
    make_school_year(factory)
    body = monitor.figures_csv(monitor.figures(*monitor.school_year(YEAR))).decode("utf-8-sig")
    assert "Plaats;fietsenstalling;2" in body and "totaal;dossiers;3" in body
    for name in ("Sem", "Lotte", "Bram") + tuple(p.first_name for p in models.Pupil.select()):
        assert name not in body


def test_a_cell_that_a_spreadsheet_would_run_is_quoted():
    assert monitor._cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert monitor._cell("Kantine") == "Kantine"


def test_the_coordinator_reads_the_monitor_and_downloads_the_csv(login_as):
    client = login_as("coordinator")
    page = client.get("/monitor/?jaar=%d" % monitor.school_year_of(db.today()))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Monitor sociale veiligheid" in html and 'class="chart"' in html
    csv_file = client.get("/monitor/export.csv")
    assert csv_file.status_code == 200 and csv_file.mimetype == "text/csv"
    assert "attachment" in csv_file.headers["Content-Disposition"]
    actions = [event.action for event in models.AuditEvent.select().where(
        models.AuditEvent.user_id == demo_user("coordinator").id)]
    assert "monitor.view" in actions and "monitor.export" in actions


def test_an_own_period_needs_both_dates_in_order(login_as):
    client = login_as("coordinator")
    half = client.get("/monitor/?van=2026-01-01")
    assert half.status_code == 400 and "Vul voor een eigen periode beide datums in." in half.get_data(as_text=True)
    backwards = client.get("/monitor/?van=2026-05-01&tot=2026-01-01")
    assert backwards.status_code == 400 and "Deze datum ligt voor de begindatum." in backwards.get_data(as_text=True)
    nonsense = client.get("/monitor/?van=gisteren&tot=2026-13-45&jaar=abc")
    assert nonsense.status_code == 400
    assert client.get("/monitor/?van=2026-01-01&tot=2026-06-30").status_code == 200
