"""The demo school: every role has something to see, and `make run` never wipes data."""
import datetime

import time_machine

import db
import demo
import models
from app import create_app
from cli import demo_command
from conftest import demo_user
from databases import drop_database, new_database
from db import close_all_connections


def test_demo_has_one_user_per_role_with_the_demo_password(app):
    for username, _, roles, is_admin in demo.DEMO_USERS:
        user = demo_user(username)
        assert user.roles == set(roles) and user.is_admin == is_admin
        assert user.check_password(demo.DEMO_PASSWORD)


def test_demo_covers_what_every_role_needs(app):
    mentors = {c.mentor.username for c in models.SchoolClass.select()}
    assert mentors == {"mentor", "mentor2"}
    open_cases = models.Case.select().where(models.Case.status == "open")
    assert open_cases.count() >= 3 and open_cases.where(models.Case.online == True).exists()  # noqa: E712
    assert models.Case.select().where(models.Case.status == "closed").exists()
    assert models.Complaint.select().where(models.Complaint.case.is_null(False)).exists()
    assert models.Referral.select().where(models.Referral.target == "support_team").exists()
    assert models.Report.select().where(models.Report.created_by == demo_user("staff")).exists()


def test_demo_has_a_pupil_with_cases_in_two_school_years(login_as):
    bram = models.Pupil.get(models.Pupil.first_name == "Bram")
    page = login_as("mentor2").get("/leerlingen/%d" % bram.id).get_data(as_text=True)
    assert page.count("Schooljaar ") == 2
    assert "Stille getuige" in page and ">Pester</span>" in page


def test_running_the_demo_command_again_keeps_the_data(tmp_path):
    database = new_database(tmp_path)
    app = create_app(database.config())
    runner = app.test_cli_runner()
    first = runner.invoke(demo_command)
    assert "Demodata geladen." in first.output and "herstel-demo-2026" in first.output
    extra = models.User(username="realteacher", full_name="Echte Docent", password_hash="x")
    extra.save()
    second = runner.invoke(demo_command)
    assert "niet opnieuw geladen" in second.output
    assert models.User.by_username("realteacher") is not None
    assert models.User.select().count() == len(demo.DEMO_USERS) + 1
    close_all_connections()
    drop_database(database)


def test_demo_reset_recreates_the_database(tmp_path):
    database = new_database(tmp_path)
    app = create_app(database.config())
    runner = app.test_cli_runner()
    runner.invoke(demo_command)
    models.User(username="realteacher", full_name="Echte Docent", password_hash="x").save()
    models.AuditEvent.create(action="test.event")
    result = runner.invoke(demo_command, ["--reset"])
    assert result.exit_code == 0, result.output
    assert models.User.by_username("realteacher") is None
    assert models.User.select().count() == len(demo.DEMO_USERS)
    assert models.AuditEvent.select().count() == 0
    close_all_connections()
    drop_database(database)


def test_demo_has_a_support_session_reporting_back_and_a_complaint_with_a_private_note(app):
    referral = models.Referral.get(models.Referral.target == "support_team")
    sessions = models.SupportSession.select().where(models.SupportSession.referral == referral)
    assert sessions.where(models.SupportSession.report_back != "").exists()
    assert sessions.where(models.SupportSession.kind == "support_group").exists()
    complaint = models.Complaint.get(models.Complaint.case == referral.case)
    assert models.ComplaintNote.select().where(models.ComplaintNote.complaint == complaint,
                                               models.ComplaintNote.author == demo_user("counsellor")).exists()


def test_demo_has_a_case_with_two_protocols(login_as):
    online = models.Case.get(models.Case.title == "Groepsapp met foto")
    assert (online.protocol_key, online.second_protocol_key) == ("online-pesten", "vo-nl")
    steps = {row.step_key: row.status for row in models.CaseStep.select().where(models.CaseStep.case == online)}
    assert steps["protect"] == "done" and steps["vo-nl:online-evidence"] == "done"  # shared: done once
    assert steps["vo-nl:signal"] == "done" and steps["vo-nl:victim-talk"] == "open"
    page = login_as("mentor").get("/dossiers/%d" % online.id).get_data(as_text=True)
    assert '<h3 class="tracker__protocol">Online pesten <span' in page
    assert '<h3 class="tracker__protocol">VO-protocol (NL) <span' in page


def test_the_demo_is_dated_by_the_school_s_day_when_the_server_s_clock_is_still_on_yesterday(tmp_path):
    """At 23:30 UTC it is already tomorrow at the school: the demo's "due today" is the school's today."""
    database = new_database(tmp_path)
    with time_machine.travel(datetime.datetime(2026, 12, 3, 23, 30, tzinfo=datetime.timezone.utc), tick=False):
        app = create_app(database.config())
        with app.app_context():
            demo.load()
            assert db.today() == datetime.date(2026, 12, 4)
            tim = models.Pupil.get(models.Pupil.first_name == "Tim")
            due = models.FollowUp.select().where(models.FollowUp.pupil == tim, models.FollowUp.held_on.is_null())
            assert db.today() in {follow_up.due_on for follow_up in due}
    close_all_connections()
    drop_database(database)
