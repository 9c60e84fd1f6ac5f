"""Every page `make bench` drives costs as many queries for the demo school as for one several times its size
(issue 23): the count may not grow with the cases, reports, talks or checklist items a school has.

The larger school adds cases in every school year the monitor shows, with pupils in classes of every year
level, reports with kinds, talks with ten checklist items, steps, timeline events, measures and complaints.
"""
import datetime

import pytest

import db
import models
from conftest import csrf_token, demo_user, logged_in_client as client_for
from domain import monitor
from sql_log import recorded_sql
from test_scale import queries_for

STEPS = ["signal", "victim-talk", "bully-talk", "extra-help", "joint-talk", "follow-up", "inform-parents"]


def grow(times):
    """Add `times` the demo's cases (at least 100), spread over the five school years up to now."""
    cases = max(100, times * models.Case.select().count())
    mentor = demo_user("mentor")
    first = datetime.datetime.combine(monitor.school_year(monitor.school_year_of(db.today()) - 4)[0],
                                      datetime.time(9))
    span = (datetime.datetime.combine(db.today(), datetime.time(9)) - first).days
    with models.db.atomic():
        classes = [models.SchoolClass.create(name="G%d" % level, year_level=level, mentor=mentor)
                   for level in range(1, 7)]
        models.Pupil.insert_many([
            {"student_number": "G%06d" % n, "first_name": "Groei", "last_name": "L%d" % n,
             "school_class": classes[n % 6].id} for n in range(cases // 5)]).execute()
        pupils = [p.id for p in models.Pupil.select(models.Pupil.id).where(models.Pupil.first_name == "Groei")]
        opened = [first + datetime.timedelta(days=n * span // cases) for n in range(cases)]
        models.Case.insert_many([
            {"reference": "G-%06d" % n, "title": "Groei %d" % n, "protocol_key": "vo-nl", "mentor": mentor.id,
             "opened_at": day, "status": "open"} for n, day in enumerate(opened)]).execute()
        ids = [c.id for c in models.Case.select(models.Case.id).where(models.Case.reference.startswith("G-"))
               .order_by(models.Case.id)]
        models.Involvement.insert_many(
            [{"case": i, "pupil": pupils[n % len(pupils)], "role": "victim"} for n, i in enumerate(ids)]
            + [{"case": i, "pupil": pupils[(n * 7 + 1) % len(pupils)], "role": "bully"} for n, i in enumerate(ids)]
        ).execute()
        models.CaseStep.insert_many([
            {"case": i, "step_key": key, "position": position, "owner": "mentor",
             "status": "done" if position <= 3 else "open",
             "due_on": (day + datetime.timedelta(days=7 * position)).date(),
             "done_at": day + datetime.timedelta(days=6 * position) if position <= 3 else None}
            for i, day in zip(ids, opened) for position, key in enumerate(STEPS, 1)]).execute()
        models.CaseEvent.insert_many([{"case": i, "kind": "opened", "at": day}
                                      for i, day in zip(ids, opened)]).execute()
        models.Report.insert_many([
            {"reported_on": day.date(), "reporter_kind": "staff", "channel": "conversation", "description": "Groei",
             "status": "in_case", "case": i, "created_at": day, "created_by": mentor.id, "place": "Kantine"}
            for i, day in zip(ids, opened)]).execute()
        reports = [r.id for r in models.Report.select(models.Report.id).where(models.Report.description == "Groei")]
        models.ReportKind.insert_many([{"report": r, "kind": "verbal"} for r in reports]).execute()
        models.Conversation.insert_many([
            {"case": i, "step_key": "victim-talk", "template_key": "victim-conversation", "title": "Gesprek",
             "held_by": mentor.id, "started_at": day + datetime.timedelta(days=2)}
            for i, day in zip(ids, opened)]).execute()
        talks = [c.id for c in models.Conversation.select(models.Conversation.id).where(
            models.Conversation.case.in_(ids))]
        models.ChecklistEntry.insert_many([
            {"conversation": c, "position": p, "text": "Vraag %d" % p, "done": p <= 5}
            for c in talks for p in range(1, 11)]).execute()
        models.Measure.insert_many([
            {"case": i, "pupil": pupils[(n * 7 + 1) % len(pupils)], "phase": 1 + n % 5, "description": "Groei",
             "decided_on": day.date()} for n, (i, day) in enumerate(zip(ids, opened)) if n % 4 == 0]).execute()
        models.Complaint.insert_many([
            {"received_on": day.date(), "complainant_kind": "parent", "description": "Groei"}
            for n, day in enumerate(opened) if n % 10 == 0]).execute()
    return cases


def a_talk_under_way():
    """The demo's conversation under way (on mentor2's case), and its checklist items without a note."""
    talk = models.Conversation.get(models.Conversation.ended_at.is_null())
    return talk, list(talk.entries.where(models.ChecklistEntry.note == "").order_by(models.ChecklistEntry.id))


def measure(app, page):
    """The queries of one request to a bench page, after a request that warms it up (a session's first
    request records when it was last seen; a PDF is built once and then kept)."""
    if page == "login":
        client = app.test_client()
        client.get("/login")
        return queries_for(client, "/login")
    if page == "health":
        app.test_client().get("/health")
        return queries_for(app.test_client(), "/health")
    if page in ("toggle", "note"):
        return measure_save(app, page)
    client = logged_in_client(app)
    with app.app_context():
        url = {
            "home": "/", "overview": "/dossiers/", "monitor": "/monitor/",
            "case": "/dossiers/%d" % models.Case.select().order_by(models.Case.id).first().id,
            "pdf": "/herstelovereenkomsten/%d/pdf" % models.Agreement.get(models.Agreement.status == "locked").id,
        }[page]
    client.get(url)
    return queries_for(client, url)


def logged_in_client(app, username="coordinator"):
    with app.app_context():
        return client_for(app, username)


def measure_save(app, page):
    """A tap or a note as a tablet sends it (htmx, the token in the header), on an item not written before."""
    client = logged_in_client(app, "mentor2")
    with app.app_context():
        talk, entries = a_talk_under_way()
        entry = entries[measure_save.used.setdefault(page, 0)]
    measure_save.used[page] += 1
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/gesprekken/%d" % talk.id)}
    url = "/gesprekken/%d/punten/%d" % (talk.id, entry.id)
    if page == "toggle":
        client.post(url, headers=headers, data={"done": "1"})  # warm up, then back
        data = {"done": "0"}
    else:
        url, data = url + "/notitie", {"note": "Genoteerd tijdens de meting", "base_version": "0"}
    with recorded_sql() as statements:
        response = client.post(url, headers=headers, data=data)
    assert response.status_code == 200, (url, response.status_code)
    return len(statements)


measure_save.used = {}


@pytest.mark.parametrize("page", ["health", "login", "home", "overview", "case", "toggle", "note", "monitor", "pdf"])
def test_a_bench_page_costs_the_same_queries_for_a_school_several_times_the_demo(app, page):
    measure_save.used.clear()
    small = measure(app, page)
    assert small >= (0 if page == "health" else 2)  # the counter sees the page's queries
    with app.app_context():
        before = models.Case.select().count()
        added = grow(5)
        assert models.Case.select().count() == before + added >= 6 * before
    assert measure(app, page) == small
