"""The overview and the case page cost the same number of queries at 10 and at 1,000 cases."""
import datetime

import pytest

import db
import models
from conftest import demo_user
from sql_log import recorded_sql


def queries_for(client, url):
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
