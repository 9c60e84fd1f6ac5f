"""The closed school years' figures stored (migration 0026): read by every worker and after a restart, marked
stale by the triggers for exactly the years a change touches, and always equal to the figures computed afresh,
after random inserts, updates and deletes in closed years and in the open one. On SQLite and, under
`make test-postgres`, on PostgreSQL."""
import datetime
import importlib
import json
import random
import re

import db
import models
from db import today as school_today
from domain import monitor
from sql_log import recorded_sql
from test_monitor_one_pass import FIRST_YEAR, YEARS, random_day, random_moment, random_school

TABLES = importlib.import_module("migrations.0025_monitor_indexes").TABLES
WATCHED = dict(importlib.import_module("migrations.0026_monitor_years").YEARS)  # and what later ones watch too:
WATCHED["measure"] = (importlib.import_module("migrations.0028_measure_refusal").WATCHED, WATCHED["measure"][1])
OPEN = monitor.school_year_of(school_today())


def stored():
    return {year: (generation, figures) for year, generation, figures in models.db.execute_sql(
        "SELECT school_year, generation, figures FROM monitor_year").fetchall()}


class Computed:
    """The years monitor.year_numbers is asked for, call by call (the real computation runs)."""

    def __init__(self, monkeypatch):
        self.calls, real = [], monitor.year_numbers

        def recorded(years):
            self.calls.append(sorted(years))
            return real(years)
        monkeypatch.setattr(monitor, "year_numbers", recorded)


def some_day(rng):
    """A day of the random school's (closed) years, or of the open school year."""
    if rng.random() < 0.3:
        return datetime.date(OPEN, 8, 1) + datetime.timedelta(days=rng.randrange(0, 200))
    return random_day(rng)


def some_moment(rng):
    return random_moment(rng, some_day(rng))


def random_change(rng):
    """One insert, update or delete of a column the figures read, in any table they read, any year."""
    pick = lambda model: rng.choice(list(model.select()))  # noqa: E731
    table = rng.choice(sorted(WATCHED))
    if table == "report":
        report = pick(models.Report)
        action = rng.randrange(4)
        if action == 0:
            report.reported_on = some_day(rng)
        elif action == 1:
            report.is_signal = not report.is_signal
        elif action == 2:
            report.case = pick(models.Case)
        else:
            report.delete_instance(recursive=True)
            return
        report.save()
    elif table == "report_kind":
        if rng.random() < 0.5:
            models.ReportKind.create(report=pick(models.Report), kind=rng.choice(models.BULLYING_KINDS)[0])
        else:
            pick(models.ReportKind).delete_instance()
    elif table == "case":
        if rng.random() < 0.2:
            pick(models.Case).delete_instance(recursive=True)
        else:
            case = pick(models.Case)
            case.opened_at = some_moment(rng)
            case.save()
    elif table == "involvement":
        involvement = pick(models.Involvement)
        involvement.role = "victim" if involvement.role == "bully" else "bully"
        if rng.random() < 0.5:  # to a case the pupil is not named in yet
            named = models.Involvement.select(models.Involvement.case).where(
                models.Involvement.pupil == involvement.pupil)
            involvement.case = rng.choice(list(models.Case.select().where(models.Case.id.not_in(named))))
        involvement.save()
    elif table == "pupil":
        pupil = pick(models.Pupil)
        pupil.school_class = rng.choice(list(models.SchoolClass.select()) + [None])
        pupil.save()
    elif table == "school_class":
        school_class = pick(models.SchoolClass)
        school_class.year_level = rng.randrange(1, 9)
        school_class.save()
    elif table == "measure":
        if rng.random() < 0.3:
            models.Measure.create(case=pick(models.Case), pupil=pick(models.Pupil), phase=rng.randrange(1, 6),
                                  description="W", decided_on=some_day(rng))
        else:
            measure = pick(models.Measure)
            measure.decided_on, measure.phase = some_day(rng), rng.randrange(1, 6)
            measure.save()
    elif table == "complaint":
        if rng.random() < 0.3:
            models.Complaint.create(received_on=some_day(rng), complainant_kind="parent", description="W")
        else:
            complaint = pick(models.Complaint)
            complaint.received_on = some_day(rng)
            complaint.status = rng.choice(models.COMPLAINT_STATUSES)[0]
            complaint.save()
    elif table == "conversation":
        conversation = pick(models.Conversation)
        if rng.random() < 0.3:
            conversation.delete_instance(recursive=True)
            return
        conversation.started_at = some_moment(rng)
        if rng.random() < 0.5:
            conversation.case = pick(models.Case)
        conversation.save()
    else:
        step = pick(models.CaseStep)
        step.due_on = some_day(rng)
        step.status = rng.choice(("open", "done", "not_applicable"))
        step.done_at = some_moment(rng) if step.status == "done" else None
        step.save()


def a_school_with_an_open_year(rng):
    random_school(rng)
    for n in range(8):  # cases, steps and reports in the open school year too
        opened = datetime.datetime.combine(datetime.date(OPEN, 8, 1) + datetime.timedelta(days=n), datetime.time(9))
        case = models.Case.create(reference="O-%d" % n, title="O", protocol_key="vo-nl", opened_at=opened)
        models.Involvement.create(case=case, pupil=rng.choice(list(models.Pupil.select())), role="victim")
        models.Report.create(reported_on=opened.date(), reporter_kind="staff", channel="conversation",
                             description="O", status="in_case", case=case)
        models.CaseStep.create(case=case, step_key="o", position=0, due_on=opened.date(), status="open")


def test_every_table_the_figures_read_marks_its_school_years(app):
    """Each table has its triggers in the migrated database (a later migration that rebuilds a table on SQLite
    drops them: it must make them again)."""
    assert set(WATCHED) == set(TABLES)
    with app.app_context():
        if db.is_sqlite():
            found = {row[0] for row in models.db.execute_sql(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE ? GROUP BY tbl_name "
                "HAVING COUNT(*) = 3", ("monitor_year%",)).fetchall()}
        else:
            found = {row[0] for row in models.db.execute_sql(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname LIKE %s "
                "GROUP BY c.relname HAVING COUNT(*) = 2", ("monitor_year%",)).fetchall()}
    assert found == set(TABLES)


def test_the_stored_years_equal_fresh_figures_after_random_changes(app):
    rng = random.Random(23)
    years = sorted(set(range(FIRST_YEAR - 1, FIRST_YEAR + YEARS + 1)) | {OPEN - 1, OPEN})
    with app.test_request_context():
        with models.db.atomic():
            a_school_with_an_open_year(rng)
        assert monitor.stored_year_numbers(years) == monitor.year_numbers(years)
        closed = [year for year in years if monitor.closed(year)]
        assert closed and OPEN not in closed and all(stored()[year][1] is not None for year in closed)
        changed = 0
        for round_ in range(25):
            before = stored()
            with models.db.atomic():
                for _ in range(rng.randrange(1, 4)):
                    random_change(rng)
            fresh = monitor.year_numbers(years)
            # A year whose figures moved was marked stale (its stored figures were not kept).
            for year in closed:
                if json.loads(before[year][1]) != json.loads(json.dumps(fresh[year])):
                    changed += 1
                    assert stored()[year][1] is None, (round_, year)
            assert monitor.stored_year_numbers(years) == fresh, round_
            assert monitor.stored_year_numbers(years) == fresh, round_  # now read as stored
        assert changed >= 10  # the changes did move the closed years' figures


def test_a_closed_year_is_read_not_computed_after_a_change_elsewhere(app, monkeypatch):
    years = monitor.trend_years(OPEN)
    with app.test_request_context():
        with models.db.atomic():
            a_school_with_an_open_year(random.Random(5))
        computed = Computed(monkeypatch)
        first = monitor.stored_year_figures(years)
        assert computed.calls == [years]
        monitor.stored_year_figures(years)
        assert computed.calls[-1] == [OPEN]  # the open year is computed each time, the closed ones read
        step = models.CaseStep.get(models.CaseStep.step_key == "o")
        step.status, step.done_at = "done", datetime.datetime.now()
        step.save()  # in the open year
        assert monitor.stored_year_figures(years)[:-1] == first[:-1]
        assert computed.calls[-1] == [OPEN]
        models.Complaint.create(received_on=datetime.date(OPEN - 2, 7, 31), complainant_kind="parent",
                                description="W")  # the last day of a closed year
        after = monitor.stored_year_figures(years)
        assert computed.calls[-1] == [OPEN - 3, OPEN]
        complaints = [sum(count for _, count in row[-4]["complaints"]) for row in (first, after)]
        assert complaints[1] == complaints[0] + 1


def test_figures_computed_while_a_change_is_written_are_not_stored(app, monkeypatch):
    """A change committed while a worker computes a year (after it read the year's generation) marks the year
    stale again; the worker's figures, which may miss it, are shown once but not stored."""
    year = FIRST_YEAR + 2
    with app.test_request_context():
        with models.db.atomic():
            random_school(random.Random(3))
        real = monitor.year_numbers

        def with_a_write_meanwhile(years):
            numbers = real(years)
            models.Complaint.create(received_on=datetime.date(year, 9, 1), complainant_kind="parent",
                                    description="W")
            return numbers
        monkeypatch.setattr(monitor, "year_numbers", with_a_write_meanwhile)
        monitor.stored_year_numbers([year])  # a new year: its row is made first
        assert stored()[year][1] is None
        monitor.stored_year_numbers([year])  # a stale year: its generation read first
        assert stored()[year][1] is None
        monkeypatch.setattr(monitor, "year_numbers", real)
        assert monitor.stored_year_numbers([year]) == real([year])
        assert stored()[year][1] is not None


def test_the_triggers_watch_every_column_the_years_figures_read(app):
    """A year is marked stale only by a change to a column its figures read (UPDATE OF): a figure that reads
    another column would be stored past a change to it. Every column the one-pass queries name is watched (a
column whose name is also an alias in them, year_level, is left to the random changes above: they change it)."""
    with app.test_request_context():
        with models.db.atomic():
            random_school(random.Random(4))
        with recorded_sql() as sent:
            monitor.year_numbers(monitor.trend_years(FIRST_YEAR + 5))
    named = {column for sql, _params in sent for column in re.findall(r'"\w+"\."(\w+)"', sql)}
    aliases = {alias for sql, _params in sent for alias in re.findall(r'AS "(\w+)"', sql)}
    watched = {column for table_columns, _ in WATCHED.values() for column in table_columns}
    assert "due_on" in named and "year_level" in named  # the reader saw the queries
    unwatched = named - aliases - {"id"} - watched
    assert not unwatched, unwatched


def test_a_measure_refused_after_its_year_closed_is_taken_out_of_the_stored_year(app):
    """Decided in the last school year, waiting for management, refused now: the stored year counted it and
    counts it no more (the measure's trigger watches refused_at; migration 0028)."""
    from conftest import demo_case, demo_user
    from domain import escalation
    last = OPEN - 1
    with app.test_request_context():
        case = demo_case("0004")
        yara = models.Pupil.get(models.Pupil.first_name == "Yara")
        with models.db.atomic():
            measure = escalation.decide_measure(case, yara, 4, "Eén dag schorsing.", demo_user("teamleader"),
                                                monitor.school_year(last)[1] - datetime.timedelta(days=3))
        assert measure.waiting_for == "management"
        phase_4 = lambda: dict(monitor.stored_year_numbers([last])[last]["escalations"]).get(4, 0)  # noqa: E731
        counted = phase_4()
        assert counted >= 1 and stored()[last][1] is not None  # the closed year is stored, the measure in it
        with models.db.atomic():
            escalation.refuse(models.Measure.get_by_id(measure.id), case, demo_user("management"), "Te zwaar.")
        assert stored()[last][1] is None  # marked stale by the refusal
        assert phase_4() == counted - 1
