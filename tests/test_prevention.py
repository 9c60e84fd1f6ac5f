"""Prevention: the coordinator's school-year plan, the log of what was done, what each role sees of it."""
import datetime

import pytest

import models
from conftest import csrf_token, demo_user
from db import today
from domain import prevention


def plan_item(title="Mentorles over pesten", levels="1 2", due_in=-5, kind="mentor_lesson"):
    due_on = today() + datetime.timedelta(days=due_in)
    return models.PreventionPlanItem.create(school_year=prevention.school_year_of(due_on), kind=kind, title=title,
                                            due_on=due_on, year_levels=levels)


def post(client, url, **data):
    return client.post(url, data=dict(data, csrf_token=csrf_token(client, "/preventie/")))


def test_a_class_part_is_done_when_its_class_logged_it_overdue_when_its_day_passed(app_context):
    item = plan_item(levels="1 2", due_in=-5)
    one_a = models.SchoolClass.get(name="1A")
    models.PreventionActivity.create(kind="mentor_lesson", held_on=today(), school_class=one_a, led_by="J. Bakker",
                                     plan_item=item)
    entry = next(entry for entry in prevention.plan(item.school_year) if entry.item.id == item.id)
    assert {part.school_class.name: part.status for part in entry.parts} == {"1A": "done", "2B": "overdue"}
    assert entry.status == "overdue" and entry.done_count == 1
    later = plan_item(levels="3", due_in=10)
    entry = next(entry for entry in prevention.plan(later.school_year) if entry.item.id == later.id)
    assert [(part.school_class.name, part.status) for part in entry.parts] == [("3C", "planned")]


def test_a_whole_school_item_is_done_once_and_a_mentor_sees_only_their_classes(app_context):
    school_wide = plan_item(title="Training", levels="", kind="staff_training", due_in=-1)
    third = plan_item(title="Voor de derde klassen", levels="3", due_in=3)
    entries = {entry.item.id: entry for entry in prevention.plan(school_wide.school_year)}
    assert entries[school_wide.id].status == "overdue"
    models.PreventionActivity.create(kind="staff_training", held_on=today(), audience="het team", led_by="S. Visser",
                                     plan_item=school_wide)
    entries = {entry.item.id: entry for entry in prevention.plan(school_wide.school_year)}
    assert entries[school_wide.id].status == "done"
    mentor_classes = prevention.mentored_classes(demo_user("mentor"))
    mine = {entry.item.id for entry in prevention.plan(third.school_year, mentor_classes)}
    assert school_wide.id not in mine and third.id not in mine  # 1A and 2B are not in year 3


def test_the_coordinator_plans_and_the_mentor_records_for_their_class(login_as):
    coordinator, mentor = login_as("coordinator"), login_as("mentor")
    due_on = today() + datetime.timedelta(days=14)
    response = post(coordinator, "/preventie/plan/nieuw", kind="mentor_lesson", title="Mentorles sociale media",
                    due_on=due_on.isoformat(), year_levels=["1", "2"], note="")
    assert response.status_code == 302
    item = models.PreventionPlanItem.get(title="Mentorles sociale media")
    assert item.levels == [1, 2] and item.school_year == prevention.school_year_of(due_on)
    one_a = models.SchoolClass.get(name="1A")
    page = mentor.get("/preventie/activiteiten/nieuw?plan=%d&klas=%d" % (item.id, one_a.id)).get_data(as_text=True)
    assert "Mentorles sociale media" in page
    response = post(mentor, "/preventie/activiteiten/nieuw", kind="mentor_lesson", held_on=today().isoformat(),
                    school_class=str(one_a.id), audience="", led_by="Jeroen Bakker", plan_item=str(item.id),
                    note="Goed gesprek.")
    assert response.status_code == 302
    activity = models.PreventionActivity.get(note="Goed gesprek.")
    assert (activity.school_class_id, activity.plan_item_id, activity.recorded_by_id) == (
        one_a.id, item.id, demo_user("mentor").id)
    actions = [event.action for event in models.AuditEvent.select().order_by(models.AuditEvent.id)]
    assert "prevention.plan_create" in actions and "prevention.activity_create" in actions
    assert "Mentorles sociale media" in coordinator.get("/preventie/?jaar=%d" % item.school_year).get_data(as_text=True)


def test_a_mentor_cannot_record_for_another_mentors_class(login_as):
    mentor = login_as("mentor")
    three_c = models.SchoolClass.get(name="3C")
    before = models.PreventionActivity.select().count()
    response = post(mentor, "/preventie/activiteiten/nieuw", kind="mentor_lesson", held_on=today().isoformat(),
                    school_class=str(three_c.id), led_by="Jeroen Bakker")
    assert response.status_code == 400  # 3C is not among the mentor's choices
    assert models.PreventionActivity.select().count() == before
    theirs = models.PreventionActivity.get(models.PreventionActivity.school_class == three_c)
    assert mentor.get("/preventie/activiteiten/%d" % theirs.id).status_code == 403
    assert post(mentor, "/preventie/activiteiten/%d/verwijderen" % theirs.id).status_code == 403
    assert models.PreventionActivity.get_or_none(models.PreventionActivity.id == theirs.id) is not None


def test_an_answer_to_a_plan_item_must_fit_its_year_level(login_as):
    mentor = login_as("mentor")
    item = plan_item(levels="1", due_in=3)
    two_b = models.SchoolClass.get(name="2B")
    response = post(mentor, "/preventie/activiteiten/nieuw", kind="mentor_lesson", held_on=today().isoformat(),
                    school_class=str(two_b.id), led_by="Jeroen Bakker", plan_item=str(item.id), note="Typed text")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "niet voor het leerjaar van deze klas" in page and "Typed text" in page
    assert 'href="#plan_item"' in page  # the error summary links to the field


@pytest.mark.parametrize("value", ["abc", "1999", "-1", "20260"])
def test_a_school_year_that_cannot_be_is_a_bad_request_not_an_error(login_as, value):
    assert login_as("coordinator").get("/preventie/?jaar=" + value).status_code == 400


def test_the_mentor_sees_their_classes_part_on_the_home_page_and_in_the_calendar(app, login_as):
    mentor = login_as("mentor")
    home = mentor.get("/").get_data(as_text=True)
    assert "Preventie in mijn klassen" in home and "Mentorles: online pesten en de meldknop · 2B" in home
    assert "3C" not in home.split("Preventie in mijn klassen")[1].split("</section>")[0]
    assert "Preventie in mijn klassen" not in login_as("coordinator").get("/").get_data(as_text=True)
    with app.app_context():
        from domain import calendar
        feed = calendar.user_calendar(demo_user("mentor"), lambda *a: "", lambda case: "", prevention_url="x")
    assert b"Mentorles: online pesten en de meldknop (klas 2B)" in feed
    assert b"(klas 1A)" not in feed.split(b"Mentorles: online pesten en de meldknop")[0][-300:]


def test_the_demo_school_has_a_year_of_prevention(app_context):
    oldest = models.PreventionActivity.select().order_by(models.PreventionActivity.held_on).first()
    assert (today() - oldest.held_on).days >= 300
    statuses = {entry.status for year in prevention.known_school_years() for entry in prevention.plan(year)}
    assert {"done", "overdue", "planned"} <= statuses
