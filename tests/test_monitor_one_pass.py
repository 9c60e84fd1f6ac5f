"""The monitor's five school years in one pass (issue 23): the same figures as `figures()` per school year, the
computation the page used before, on random schools; and as many queries for five years as for one.

Runs on SQLite and, under `make test-postgres`, on PostgreSQL.
"""
import datetime
import random
import re

import pytest

import db
import models
from db import today as school_today
from domain import monitor
from sql_log import recorded_sql

FIRST_YEAR = 2000  # school years 2000-2001 .. 2006-2007: far from the demo's data, though the demo's count too
YEARS = 7
LISTS = ("kinds", "class_years", "escalations", "complaints")


def plain(row):
    """A row of figures with its labels as text (they are lazy strings), for the TREND_KEYS."""
    return {key: [(str(label), count) for label, count in row[key]] if key in LISTS else row[key]
            for key in monitor.TREND_KEYS}


def random_day(rng):
    """Any day of the years, one in four on or next to a school year's first day (1 August)."""
    if rng.random() < 0.25:
        edge = datetime.date(FIRST_YEAR + rng.randrange(YEARS + 1), 8, 1)
        return edge + datetime.timedelta(days=rng.choice((-1, 0, 1)))
    return datetime.date(FIRST_YEAR, 8, 1) + datetime.timedelta(days=rng.randrange(YEARS * 365))


def random_moment(rng, day=None):
    day = day or random_day(rng)
    if rng.random() < 0.2:  # the first and last second of a day
        return datetime.datetime.combine(day, rng.choice((datetime.time(0, 0), datetime.time(23, 59, 59))))
    return datetime.datetime.combine(day, datetime.time(rng.randrange(24), rng.randrange(60)))


def random_school(rng, cases=60):
    """Classes of every year level, pupils (some in no class), cases with victims and bullies (the same pupils
    again and again), reports with kinds (some signals), talks, steps, measures and complaints, spread over the
    years and piled on their edges; then pupils move to other classes, as after a new school year."""
    classes = [models.SchoolClass.create(name="R%d-%d" % (level, n), year_level=level)
               for level in range(1, 7) for n in range(2)]
    pupils = [models.Pupil.create(student_number="R%05d" % n, first_name="Leerling", last_name="R%d" % n,
                                  school_class=rng.choice(classes) if n % 9 else None) for n in range(24)]
    for n in range(cases):
        opened = random_moment(rng)
        case = models.Case.create(reference="R-%05d" % n, title="R", protocol_key="vo-nl", opened_at=opened,
                                  status=rng.choice(("open", "closed")))
        named = rng.sample(pupils, rng.randrange(1, 5))
        for number, pupil in enumerate(named):
            role = "victim" if number == 0 or rng.random() < 0.3 else "bully"
            models.Involvement.create(case=case, pupil=pupil, role=role)
        for _ in range(rng.randrange(0, 4)):  # none, or several, also before the case or in another year
            report = models.Report.create(
                reported_on=opened.date() + datetime.timedelta(days=rng.randrange(-40, 5)), reporter_kind="staff",
                channel="conversation", description="R", status="in_case", case=case,
                is_signal=rng.random() < 0.15, place=rng.choice(("", "Kantine", "kantine ")))
            for kind in rng.sample([key for key, _ in models.BULLYING_KINDS], rng.randrange(0, 3)):
                models.ReportKind.create(report=report, kind=kind)
        for _ in range(rng.choice((0, 1, 1, 2))):
            models.Conversation.create(case=case, step_key="x", template_key="x", title="x",
                                       started_at=random_moment(rng, opened.date() + datetime.timedelta(
                                           days=rng.randrange(-3, 30))))
        for position in range(rng.randrange(0, 4)):
            due = rng.choice((random_day(rng), opened.date() + datetime.timedelta(days=7)))
            status = rng.choice(("open", "done", "done", "not_applicable"))
            models.CaseStep.create(case=case, step_key="s%d" % position, position=position, status=status,
                                   due_on=due if rng.random() < 0.95 else None,
                                   done_at=random_moment(rng, due + datetime.timedelta(days=rng.randrange(-3, 4)))
                                   if status == "done" else None)
        if rng.random() < 0.3:
            models.Measure.create(case=case, pupil=named[-1], phase=rng.randrange(1, 6), description="R",
                                  decided_on=random_day(rng))
        if rng.random() < 0.2:
            models.Complaint.create(received_on=random_day(rng), complainant_kind="parent", description="R",
                                    status=rng.choice([key for key, _ in models.COMPLAINT_STATUSES]))
    for pupil in rng.sample(pupils, 8):  # moved up, or out of any class
        pupil.school_class = rng.choice(classes + [None])
        pupil.save()


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_the_years_in_one_pass_equal_figures_per_school_year(app, seed):
    with app.test_request_context():
        with models.db.atomic():
            random_school(random.Random(seed))
        # The years of the data, one before and one after (empty), and the demo's years.
        for last in (FIRST_YEAR + YEARS, FIRST_YEAR + 3, school_today().year):
            years = monitor.trend_years(last, YEARS + 1 if last == FIRST_YEAR + YEARS else monitor.TREND_YEARS)
            before = [monitor.figures(*monitor.school_year(year)) for year in years]
            after = monitor.year_figures(years)
            assert [plain(row) for row in after] == [plain(row) for row in before], years
            apart = years[::2]  # years that are not neighbours, in one pass
            assert [plain(row) for row in monitor.year_figures(apart)] == [plain(row) for row in before[::2]]
            assert monitor.trends(years) == monitor.trends_of(years, before)


def test_the_random_school_has_what_the_comparison_needs(app):
    """The comparison above is only worth something if the figures it compares are not all empty."""
    with app.test_request_context():
        with models.db.atomic():
            random_school(random.Random(1))
        rows = [plain(row) for row in monitor.year_figures(monitor.trend_years(FIRST_YEAR + YEARS, YEARS + 1))]
    for key in monitor.TREND_KEYS:
        assert sum(1 for row in rows if row[key] not in (0, [], None, (0, 0))) >= 3, key
    assert any(isinstance(row["median_days_to_first_conversation"], float) for row in rows)  # an even count
    assert any(isinstance(row["median_days_to_first_conversation"], int) for row in rows)  # an odd count


def statements(work):
    with recorded_sql() as sent:
        work()
    return len(sent)


def test_the_trends_cost_as_many_queries_for_ten_years_as_for_one(app):
    with app.test_request_context():
        with models.db.atomic():
            random_school(random.Random(6))
        monitor.year_figures([FIRST_YEAR + 2])  # warm up: the school's settings are read once
        one = statements(lambda: monitor.year_figures([FIRST_YEAR + 2]))
        assert one >= len(monitor.TREND_KEYS)  # the counter sees them
        assert statements(lambda: monitor.year_figures(monitor.trend_years(FIRST_YEAR + 8, 10))) == one
        # Years that are not neighbours (a stale closed year and the open one) cost the same.
        assert statements(lambda: monitor.year_figures([FIRST_YEAR + 1, FIRST_YEAR + 4, FIRST_YEAR + 5])) == one


def test_no_query_of_the_years_reads_a_table_whole(app):
    """Each figure finds the years' rows through an index on their day (SQLite's plan says SEARCH, not SCAN, for
    the tables read by day; a table joined to them, such as the pupils' roles, the planner may read as it sees
    fit for a school this small)."""
    with app.test_request_context():
        if not db.is_sqlite():
            pytest.skip("SQLite's query plans")
        with models.db.atomic():
            random_school(random.Random(7))
        models.db.execute_sql("ANALYZE")
        with recorded_sql() as sent:
            monitor.year_figures(monitor.trend_years(FIRST_YEAR + 5))
            monitor.year_figures([FIRST_YEAR + 1, FIRST_YEAR + 4, FIRST_YEAR + 5])  # a range per run of years
        selects = [statement for statement in sent if statement[0].startswith("SELECT")]
        assert len(selects) >= len(monitor.TREND_KEYS)
        for sql, params in selects:
            tables = dict((alias, table) for table, alias in re.findall(r'(?:FROM|JOIN) "(\w+)" AS "(t\d+)"', sql)
                          if table in ("report", "case", "case_step", "measure", "complaint"))
            plan = [row[3] for row in models.db.execute_sql("EXPLAIN QUERY PLAN " + sql, params)]
            read_whole = [step for step in plan if step.startswith("SCAN ") and step.split()[1] in tables]
            assert not read_whole, (sql, plan)
