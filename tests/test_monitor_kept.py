"""The monitor's figures are kept until what they count changes (migration 0025's stamp and triggers): a
kept page costs one query, any insert, update or delete in a table the figures read renews the stamp, and the
page shows the change at once. On SQLite and, under `make test-postgres`, on PostgreSQL."""
import datetime
import importlib
import random
import re

import models
from db import today as school_today
from domain import monitor
from sql_log import recorded_sql
from test_monitor_one_pass import plain, random_school, statements

TABLES = importlib.import_module("migrations.0025_monitor_indexes").TABLES


def stamp():
    return models.db.execute_sql("SELECT stamp FROM monitor_stamp WHERE id = 1").fetchone()[0]


def test_every_table_the_figures_read_renews_the_stamp_on_every_change(app):
    with app.test_request_context():
        with models.db.atomic():
            random_school(random.Random(8))
        with recorded_sql() as sent:
            today = school_today()
            monitor.figures(today - datetime.timedelta(days=3000), today)
            monitor.trends(monitor.trend_years(monitor.school_year_of(today)))
        read = {table for sql, _params in sent for table in re.findall(r'(?:FROM|JOIN) "(\w+)"', sql)}
        # A figure that reads another table would be kept past a change to it: it needs a trigger too.
        assert read - {"school_settings"} <= set(TABLES), read
        assert "case_step" in read and "school_class" in read  # the reader saw the queries
        for table in TABLES:
            before = stamp()
            with models.db.atomic():  # a change that changes nothing still counts
                models.db.execute_sql('UPDATE "%s" SET id = id WHERE id = (SELECT MIN(id) FROM "%s")'
                                      % (table, table))
            assert stamp() != before, table
    with app.test_request_context():
        pupil = models.Pupil.create(student_number="K1", first_name="K", last_name="K")
        before = stamp()
        models.Pupil.delete().where(models.Pupil.id == pupil.id).execute()
        assert stamp() != before
        before = stamp()
        models.Complaint.create(received_on=school_today(), complainant_kind="parent", description="K")
        assert stamp() != before


def test_a_kept_page_costs_one_query_and_shows_a_change_at_once(app, login_as):
    client = login_as("coordinator")
    client.get("/monitor/")
    with app.test_request_context():
        kept = statements(lambda: (monitor.kept(monitor.figures, *monitor.school_year(2024)),
                                   monitor.kept(monitor.trends, (2022, 2023, 2024))))
        again = statements(lambda: (monitor.kept(monitor.figures, *monitor.school_year(2024)),
                                    monitor.kept(monitor.trends, (2022, 2023, 2024))))
        assert kept > 2 and again == 2  # the stamp, twice
        before = monitor.kept(monitor.figures, *monitor.school_year(2024))["complaints"]
        models.Complaint.create(received_on=datetime.date(2024, 9, 1), complainant_kind="parent", description="K",
                                status="investigating")
        after = monitor.kept(monitor.figures, *monitor.school_year(2024))["complaints"]
        assert sum(count for _, count in after) == sum(count for _, count in before) + 1
    page = client.get("/monitor/?jaar=2024").get_data(as_text=True)
    assert "In onderzoek" in page


def test_the_kept_figures_are_the_figures_after_any_changes(app):
    rng = random.Random(9)
    years = tuple(monitor.trend_years(2006, 7))
    with app.test_request_context():
        with models.db.atomic():
            random_school(rng)
        for _ in range(4):
            kept = monitor.kept(monitor.trends, years)
            assert kept == monitor.trends(years)
            assert plain(monitor.kept(monitor.figures, *monitor.school_year(2003))) == plain(
                monitor.figures(*monitor.school_year(2003)))
            with models.db.atomic():  # a pupil moves up, a step is done, a report is taken back
                pupil = rng.choice(list(models.Pupil.select().where(models.Pupil.first_name == "Leerling")))
                pupil.school_class = rng.choice(list(models.SchoolClass.select()))
                pupil.save()
                step = rng.choice(list(models.CaseStep.select().where(models.CaseStep.status == "open",
                                                                       models.CaseStep.due_on.is_null(False))))
                step.status, step.done_at = "done", datetime.datetime.combine(step.due_on, datetime.time(9))
                step.save()
                report = rng.choice(list(models.Report.select().where(models.Report.description == "R")))
                models.ReportKind.delete().where(models.ReportKind.report == report).execute()
                report.delete_instance()


def test_a_kept_page_is_the_page_drawn_afresh_in_either_language_after_any_changes(app, login_as):
    """The page keeps its figures and charts drawn (views/monitor.py): kept, it is the page drawn anew, after
    changes and in the reader's language (a drawing kept for Dutch readers shown to an English one fails it)."""
    rng = random.Random(11)
    with app.app_context():
        with models.db.atomic():
            random_school(rng)
    client = login_as("coordinator")

    def page(path):
        html = client.get(path).get_data(as_text=True)
        return re.sub(r'("X-CSRFToken": "|name="csrf_token"[^>]*value=")[^"]*', "", html)

    paths = ("/monitor/", "/monitor/?van=2003-08-01&tot=2004-08-01", "/monitor/?van=2001-03-01&tot=2005-08-01")
    for _ in range(3):
        kept, drawn = {}, {}
        for language in ("nl", "en"):  # kept as the readers see them, in turn
            models.User.update(language=language).where(models.User.username == "coordinator").execute()
            for path in paths:
                page(path)
                kept[language, path] = page(path)
        for language in ("nl", "en"):
            models.User.update(language=language).where(models.User.username == "coordinator").execute()
            for path in paths:
                monitor.KEPT.clear()
                drawn[language, path] = page(path)
        assert kept == drawn
        assert all(drawn["nl", path] != drawn["en", path] for path in paths)
        with app.app_context(), models.db.atomic():  # a pupil moves up, a report is taken back, a complaint comes in
            pupil = rng.choice(list(models.Pupil.select().where(models.Pupil.first_name == "Leerling")))
            pupil.school_class = rng.choice(list(models.SchoolClass.select()))
            pupil.save()
            report = rng.choice(list(models.Report.select().where(models.Report.description == "R")))
            models.ReportKind.delete().where(models.ReportKind.report == report).execute()
            report.delete_instance()
            models.Complaint.create(received_on=datetime.date(2003, 9, 1), complainant_kind="parent",
                                    description="K", status="investigating")


def test_a_kept_monitor_page_reads_only_the_stamp_of_what_it_counts(app, login_as):
    """Kept, the page's figures and charts cost one query (the stamp); the rest is what every page costs (the
    session, the school's name, the audit line) and the prevention plan (its items, their activities, the classes)."""
    client = login_as("coordinator")
    client.get("/monitor/")
    with recorded_sql() as sent:
        assert client.get("/monitor/").status_code == 200
    sent = [sql for sql, _params in (entry for entry in sent if isinstance(entry, tuple))]
    tables = [set(re.findall(r'(?:FROM|JOIN|INTO) "?(\w+)', sql)) for sql in sent]
    assert [sql for sql in sent if "monitor_" in sql] == ["SELECT stamp FROM monitor_stamp WHERE id = 1"], sent
    assert not any(read & (set(TABLES) - {"school_class"}) for read in tables), sent  # a class: the plan's parts
    assert len(sent) == 7, sent
