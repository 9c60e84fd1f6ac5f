"""The lists and the case page cost the same number of queries at 10 and at 1,000 cases (every page the bench drives:
test_bench_pages_queries.py); the overview's filters and the measures that wait are read without reading a board's
every mentor, class, open case or measure."""
import datetime
import re

import pytest

import db
import models
from conftest import demo_user
from sql_log import recorded_sql
from views import cases as case_views


def queries_for(client, url):
    """The queries of the page drawn afresh (not the coordinator's overview as it was kept)."""
    case_views.KEPT.clear()
    with recorded_sql() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


def add_cases(count, start, follow_ups=False):
    """Open cases of mentor's class 2B, each with pupils, steps and timeline events (and, with
    `follow_ups`, the bully's follow-up talks: one that broke the agreements, one due, one to come)."""
    mentor = demo_user("mentor")
    victim, bully = (models.Pupil.get(models.Pupil.first_name == name) for name in ("Noor", "Daan"))
    opened = datetime.datetime(2026, 10, 1, 9, 0)
    with models.db.atomic():
        models.Case.insert_many([
            {"reference": "S-%06d" % number, "title": "Schaal %d" % number, "protocol_key": "vo-nl",
             "mentor": mentor.id, "opened_at": opened, "status": "open"}
            for number in range(start, start + count)]).execute()
        ids = [case.id for case in models.Case.select(models.Case.id).where(
            models.Case.reference.between("S-%06d" % start, "S-%06d" % (start + count - 1)))]
        models.Involvement.insert_many(
            [{"case": i, "pupil": victim.id, "role": "victim"} for i in ids]
            + [{"case": i, "pupil": bully.id, "role": "bully"} for i in ids]).execute()
        models.CaseStep.insert_many([
            {"case": i, "step_key": key, "position": position, "owner": "mentor", "status": status,
             "due_on": datetime.date(2026, 10, 1) + datetime.timedelta(days=7 * position)}
            for i in ids for position, (key, status) in enumerate(
                [("signal", "done"), ("victim-talk", "open"), ("bully-talk", "open")], 1)]).execute()
        models.CaseEvent.insert_many([{"case": i, "kind": "opened", "at": opened} for i in ids]).execute()
        if follow_ups:
            held = datetime.datetime(2026, 10, 20, 9, 0)
            models.FollowUp.insert_many(
                [{"case": i, "pupil": bully.id, "due_on": datetime.date(2026, 10, 20), "held_on": held.date(),
                  "done_at": held, "done_by": mentor.id, "outcome": "not_kept"} for i in ids]
                + [{"case": i, "pupil": bully.id, "due_on": db.today() + datetime.timedelta(days=days)}
                   for i in ids for days in (0, 14)]).execute()
    return ids


@pytest.mark.parametrize("username,url", [
    ("coordinator", "/dossiers/"),
    ("coordinator", "/dossiers/?te_laat=1&stap=bully-talk"),
    # Every sortable column, each way: the sort is one ORDER BY, the columns one query each for the page.
    *[("coordinator", "/dossiers/?status=all&volgorde=%s&richting=%s" % (column, direction))
      for column in ("dossier", "mentor", "geopend", "termijn", "vervolg", "status") for direction in ("op", "af")],
    ("mentor", "/dossiers/"),
    ("coordinator", "/"),
    ("mentor", "/"),
])
def test_lists_cost_the_same_queries_at_10_and_1000_cases(app, login_as, username, url):
    client = login_as(username)
    add_cases(10, 0, follow_ups=True)
    client.get(url)  # warm up: the session's last-seen write happens once
    at_ten = queries_for(client, url)
    assert at_ten >= 4  # the counter sees the page's queries (session, cases, steps, audit, ...)
    add_cases(990, 10, follow_ups=True)
    assert models.Case.select().count() > 1000
    assert queries_for(client, url) == at_ten


def test_case_page_costs_the_same_queries_at_10_and_1000_cases(app, login_as):
    client = login_as("coordinator")
    first = add_cases(10, 0)[0]
    url = "/dossiers/%d" % first
    client.get(url)
    at_ten = queries_for(client, url)
    assert at_ten >= 4  # the counter sees the page's queries (session, cases, steps, audit, ...)
    add_cases(990, 10)
    assert queries_for(client, url) == at_ten


@pytest.mark.parametrize("username", ["support", "mentor"])
def test_case_page_asks_a_case_worker_s_rights_once_however_many_referrals(app, login_as, username):
    """Each referral row asks whether the reader may close it; for anyone but the coordinator the
    answer takes queries, so the page keeps it instead of asking again per row."""
    case_id = add_cases(1, 0)[0]
    mentor, victim = demo_user("mentor"), models.Involvement.get(models.Involvement.case == case_id).pupil
    # Not the case's mentor: the mentor of the pupils' class, whose right takes a query.
    models.Case.update(mentor=None).where(models.Case.id == case_id).execute()

    def refer(count):
        with models.db.atomic():
            for _ in range(count):
                models.Referral.create(case=case_id, pupil=victim, target="support_team",
                                       referred_on=db.today(), by_user=mentor)

    refer(1)
    client = login_as(username)
    url = "/dossiers/%d" % case_id
    client.get(url)
    with_one = queries_for(client, url)
    refer(9)
    assert queries_for(client, url) == with_one


def add_mentors_and_classes(mentors, classes):
    """`mentors` more active mentors and `classes` more classes, written in bulk."""
    with models.db.atomic():
        first = models.User.select().count()
        models.User.insert_many([{"username": "board%04d" % (first + n), "full_name": "Bordmentor %04d" % (first + n),
                                  "password_hash": "-"} for n in range(mentors)]).execute()
        models.UserRole.insert_many([{"user": user.id, "role": "mentor"} for user in models.User.select(
            models.User.id).where(models.User.username.startswith("board")).order_by(models.User.id.desc())
            .limit(mentors)]).execute()
        known = models.SchoolClass.select().count()
        models.SchoolClass.insert_many([{"name": "B%04d" % (known + n), "year_level": 1}
                                        for n in range(classes)]).execute()


def mentor_and_class_filters(client, url="/dossiers/"):
    """Which filter the overview shows for mentors and for classes: "list" or "field"."""
    html = client.get(url).get_data(as_text=True)
    assert ('id="f-mentor"' in html) != ('id="f-mentor-naam"' in html)
    assert ('id="f-klas"' in html) != ('id="f-klas-naam"' in html)
    return ("list" if 'id="f-mentor"' in html else "field"), ("list" if 'id="f-klas"' in html else "field")


def test_a_board_types_a_mentor_s_or_class_s_name_where_a_school_picks_it_from_a_list(app, login_as):
    """A list of names up to FILTER_LIST_LIMIT mentors or classes; past it, a field to type in, so the overview
    reads no more of either whatever the size (and a tablet never scrolls through hundreds)."""
    from views.cases import FILTER_LIST_LIMIT
    client = login_as("coordinator")
    mentors = models.User.with_role("mentor").count()
    add_mentors_and_classes(FILTER_LIST_LIMIT - mentors, FILTER_LIST_LIMIT - models.SchoolClass.select().count())
    assert models.User.with_role("mentor").count() == FILTER_LIST_LIMIT
    assert mentor_and_class_filters(client) == ("list", "list")
    at_the_limit = queries_for(client, "/dossiers/")
    add_mentors_and_classes(1, 0)
    assert mentor_and_class_filters(client) == ("field", "list")
    add_mentors_and_classes(0, 1)
    assert mentor_and_class_filters(client) == ("field", "field")
    add_mentors_and_classes(300, 300)
    assert queries_for(client, "/dossiers/") == at_the_limit - 1  # whether there are more mentors, not who
    # No statement of the page returns a row per mentor or class: each read again, its rows counted.
    with recorded_sql() as statements:
        client.get("/dossiers/")
    selects = [statement for statement in statements
               if isinstance(statement, tuple) and statement[0].startswith("SELECT")]
    read = [len(models.db.execute_sql(*statement).fetchall()) for statement in selects]
    assert read and max(read) <= FILTER_LIST_LIMIT + 1
    if db.is_sqlite():  # nor reads every user or their roles to find that out (SQLite's plan: SEARCH, not SCAN)
        models.db.execute_sql("ANALYZE")
        for sql, params in selects:
            users = re.findall(r'(?:FROM|JOIN) "(?:user|user_role)" AS "(t\d+)"', sql)
            plan = [row[3] for row in models.db.execute_sql("EXPLAIN QUERY PLAN " + sql, params)]
            assert not [step for step in plan if step.startswith("SCAN ") and step.split()[1] in users], (sql, plan)

    # The typed name filters as the list did: part of a mentor's name, any case; a class's whole name.
    mentor2 = demo_user("mentor2")
    by_mentor = client.get("/dossiers/?mentor_naam=" + mentor2.full_name.split()[-1].lower()).get_data(as_text=True)
    mentors_cases = {case.reference for case in models.Case.select().where(models.Case.status == "open")
                     if case.mentor_id == mentor2.id}
    others = {case.reference for case in models.Case.select().where(models.Case.status == "open")} - mentors_cases
    assert mentors_cases and all(reference in by_mentor for reference in mentors_cases)
    assert not any(reference in by_mentor for reference in others)
    assert 'value="%s"' % mentor2.full_name.split()[-1].lower() in by_mentor  # what was typed stays
    # A sort link and the next page keep the typed name.
    assert "mentor_naam=" in by_mentor.split("sort-link")[1]
    # A wildcard is a letter like any other, not "every name".
    assert "0 dossiers" in client.get("/dossiers/?mentor_naam=%25").get_data(as_text=True)

    two_b = models.SchoolClass.get(models.SchoolClass.name == "2B")
    in_2b = {involvement.case.reference for involvement in models.Involvement.select().join(models.Pupil).where(
        models.Pupil.school_class == two_b.id) if involvement.case.status == "open"}
    by_class = client.get("/dossiers/?klas_naam=2b").get_data(as_text=True)
    assert in_2b and all(reference in by_class for reference in in_2b)
    assert not any(case.reference in by_class for case in models.Case.select().where(models.Case.status == "open")
                   if case.reference not in in_2b)
    models.SchoolClass.create(name="12B", year_level=1)  # "2b" is 2B's whole name, not part of another's
    assert client.get("/dossiers/?klas_naam=2b").get_data(as_text=True).count("rows__link") == len(in_2b)


def test_the_measures_that_wait_are_found_without_reading_every_open_case_or_measure(app, login_as):
    """The deciding roles' home pages ask for the measures waiting for a second role: SQLite's plan reads them from
    their own index (migration 0031), not every open case, nor every measure, to find the few that wait."""
    if not db.is_sqlite():
        pytest.skip("SQLite's query plans")
    ids = add_cases(1000, 0)
    pupil = models.Pupil.get(models.Pupil.first_name == "Daan")
    models.Measure.insert_many([{"case": i, "pupil": pupil.id, "phase": 1, "description": "M",
                                 "decided_on": datetime.date(2026, 10, 2), "deciding_roles": "teamleader management",
                                 "waiting_for": "management" if n % 100 == 0 else ""}
                                for n, i in enumerate(ids[::3])]).execute()
    with recorded_sql() as statements:
        assert login_as("teamleader").get("/").status_code == 200
    waiting = [statement for statement in statements
               if isinstance(statement, tuple) and "\"waiting_for\" != " in statement[0]]
    assert waiting
    models.db.execute_sql("ANALYZE")
    for sql, params in waiting:
        plan = [row[3] for row in models.db.execute_sql("EXPLAIN QUERY PLAN " + sql, params)]
        assert plan[0].startswith("SCAN t1 USING INDEX measure_waiting"), plan
