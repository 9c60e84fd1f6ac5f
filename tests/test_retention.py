"""Retention: closed cases past the school's period are anonymised on a frozen clock; counts survive."""
import datetime
import os

import time_machine

import models
import retention
from conftest import csrf_token
from retention import retention_command

UTC = datetime.timezone.utc
# Frozen at 15 March 2029; with 24 months the period ends at the start of 15 March 2027 school time,
# which is 23:00 UTC on 14 March (CET).
NOW = datetime.datetime(2029, 3, 15, 10, 0, tzinfo=UTC)
JUST_DUE = datetime.datetime(2027, 3, 14, 22, 59)
JUST_KEPT = datetime.datetime(2027, 3, 14, 23, 0)


def closed_case(factory, closed_at, **roles):
    case = factory.case(status="closed", **roles)
    models.Case.update(closed_at=closed_at, opened_at=closed_at - datetime.timedelta(days=60),
                       title="Pesten bij de fietsen", close_reason="Het gaat goed met Anna",
                       approach="non_confrontational",
                       approach_level="group").where(models.Case.id == case.id).execute()
    return models.Case.get_by_id(case.id)


def fill(case, pupil, user, evidence_dir):
    """Everything a case collects that can describe a child."""
    report = models.Report.create(reported_on=datetime.date(2027, 1, 5), reporter_kind="parent",
                                  reporter_name="Moeder van Anna", channel="phone", place="fietsenstalling",
                                  description="Anna wordt bij de fietsen uitgescholden", status="in_case", case=case)
    models.ReportKind.create(report=report, kind="verbal")
    models.ReportPupil.create(report=report, pupil=pupil)
    thread = models.PublicThread.create(receipt_code="ABCD-EFGH-JKLM-NPQR", phrase_hash="x", report=report)
    models.ThreadMessage.create(thread=thread, author_kind="reporter", body="Anna durft niet meer naar school")
    models.CaseStep.create(case=case, step_key="signal", status="done", note="Anna huilde")
    models.CaseEvent.add(case, "opened", "Anna en Bob")
    conversation = models.Conversation.create(case=case, step_key="victim-talk", template_key="victim-conversation",
                                              title="Gesprek met Anna", held_by=user)
    models.ChecklistEntry.create(conversation=conversation, position=1, text="Vraag", note="Anna vertelt")
    models.ConversationParticipant.create(conversation=conversation, pupil=pupil, name="Anna", role="victim")
    agreement = models.Agreement.create(case=case, conversation=conversation, commitments="Bob laat Anna met rust")
    models.AgreementParty.create(agreement=agreement, pupil=pupil, name="Anna", role="victim", signature_png=b"png")
    models.FollowUp.create(case=case, due_on=datetime.date(2027, 2, 1), outcome="going_well", note="Anna lacht weer",
                           with_whom="Anna")
    models.Measure.create(case=case, pupil=pupil, phase=1, description="Strafwerk",
                          decided_on=datetime.date(2027, 2, 2))
    models.PersonalNote.create(case=case, author=user, body="Mijn gedachten over Anna")
    os.makedirs(evidence_dir, exist_ok=True)
    file_name = "0123456789abcdef0123456789abcdef.png"
    with open(os.path.join(evidence_dir, file_name), "wb") as handle:
        handle.write(b"screenshot")
    models.Evidence.create(case=case, captured_at=datetime.datetime(2027, 1, 4), platform="Snapchat",
                           description="Bericht over Anna", file_name=file_name)
    return report, file_name


def run_command(app, *args):
    result = app.test_cli_runner().invoke(retention_command, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_months_before_keeps_to_the_calendar():
    assert retention.months_before(datetime.date(2029, 3, 15), 24) == datetime.date(2027, 3, 15)
    assert retention.months_before(datetime.date(2029, 3, 31), 1) == datetime.date(2029, 2, 28)
    assert retention.months_before(datetime.date(2029, 1, 10), 1) == datetime.date(2028, 12, 10)


def test_retention_on_a_frozen_clock(app, factory):
    mentor = models.User.by_username("mentor")
    anna, bob, carla = (factory.pupil(first_name=name) for name in ("Anna", "Bob", "Carla"))
    due = closed_case(factory, JUST_DUE, victim=anna, bully=bob)
    kept = closed_case(factory, JUST_KEPT, victim=carla)
    factory.case(bully=bob)  # Bob is in an open case too: his name stays
    evidence_dir = app.config["EVIDENCE_DIR"]
    report, file_name = fill(due, anna, mentor, evidence_dir)
    roles_before = sorted(models.Involvement.select(models.Involvement.role).where(
        models.Involvement.case == due).tuples())

    with time_machine.travel(NOW, tick=False):
        listing = run_command(app, "--dry-run")
        assert due.reference in listing and kept.reference not in listing
        assert "Anna" in listing and "Bob" not in listing  # the dry run names whose name would go
        assert models.Conversation.select().where(models.Conversation.case == due).count() == 1  # nothing changed
        assert os.path.exists(os.path.join(evidence_dir, file_name))

        output = run_command(app)
        assert "geanonimiseerd" in output and "Anna" not in output

    case = models.Case.get_by_id(due.id)
    assert case.anonymised_at is not None and case.title == "" and case.close_reason == ""
    # What the monitor counts stays.
    assert (case.closed_at, case.opened_at, case.protocol_key, case.approach, case.approach_level) == (
        JUST_DUE, JUST_DUE - datetime.timedelta(days=60), due.protocol_key, "non_confrontational", "group")
    assert sorted(models.Involvement.select(models.Involvement.role).where(
        models.Involvement.case == due).tuples()) == roles_before
    assert [k.kind for k in models.ReportKind.select().where(models.ReportKind.report == report)] == ["verbal"]
    report = models.Report.get_by_id(report.id)
    assert (report.description, report.reporter_name, report.place) == ("", "", "fietsenstalling")
    follow_up = models.FollowUp.get(models.FollowUp.case == due)
    assert (follow_up.outcome, follow_up.note, follow_up.with_whom) == ("going_well", "", "")
    measure = models.Measure.get(models.Measure.case == due)
    assert (measure.phase, measure.description) == (1, "")
    assert models.CaseStep.get(models.CaseStep.case == due).note == ""
    assert models.CaseEvent.get(models.CaseEvent.case == due).text == ""
    # What describes a child is gone.
    assert not models.ThreadMessage.select().where(models.ThreadMessage.body.contains("Anna")).exists()
    for model in (models.Conversation, models.Agreement, models.Evidence, models.PersonalNote):
        assert not model.select().where(model.case == due).exists(), model.__name__
    assert not models.ChecklistEntry.select().where(models.ChecklistEntry.note == "Anna vertelt").exists()
    assert not models.AgreementParty.select().where(models.AgreementParty.name == "Anna").exists()
    assert not os.path.exists(os.path.join(evidence_dir, file_name))
    anna_now = models.Pupil.get_by_id(anna.id)
    assert "Anna" not in anna_now.display_name and not anna_now.is_active
    assert anna_now.student_number != anna.student_number
    assert models.Pupil.get_by_id(bob.id).first_name == "Bob"
    # The case closed one minute later is kept whole.
    assert models.Case.get_by_id(kept.id).anonymised_at is None
    assert models.Pupil.get_by_id(carla.id).first_name == "Carla"
    # What was done is in the audit log, without names.
    event = models.AuditEvent.get(models.AuditEvent.action == "retention.anonymise",
                                  models.AuditEvent.object_id == due.id)
    assert due.reference in event.detail and "leerling %d" % anna.id in event.detail and "Anna" not in event.detail
    assert models.AuditEvent.select().where(models.AuditEvent.action == "retention.run").count() == 1

    with time_machine.travel(NOW, tick=False):
        assert "0 dossiers geanonimiseerd" in run_command(app)  # a second run finds nothing new
    assert models.AuditEvent.select().where(models.AuditEvent.action == "retention.run").count() == 1


def test_the_demo_school_s_old_closed_case_is_due_after_two_years(app):
    closed = models.Case.get(models.Case.status == "closed")
    moment = (closed.closed_at + datetime.timedelta(days=2 * 366)).replace(tzinfo=UTC)
    with time_machine.travel(moment, tick=False), app.app_context():
        assert [cleanup.case.id for cleanup in retention.plan()] == [closed.id]
        retention.run()
    assert models.Case.get_by_id(closed.id).anonymised_at is not None
    assert models.db.execute_sql("PRAGMA foreign_key_check").fetchall() == []


def test_a_shorter_period_from_the_settings_takes_effect(app, factory):
    case = closed_case(factory, datetime.datetime(2028, 9, 1), victim=factory.pupil())
    with time_machine.travel(NOW, tick=False):
        assert case.id not in [cleanup.case.id for cleanup in retention.plan()]
        models.SchoolSettings.update(retention_months=6).execute()
        assert case.id in [cleanup.case.id for cleanup in retention.plan()]


def test_a_retention_period_of_zero_is_refused_with_a_message(login_as):
    admin = login_as("admin")
    response = admin.post("/instellingen/", data={
        "csrf_token": csrf_token(admin, "/instellingen/"), "school_name": "Het Baken", "region": "nl",
        "default_protocol": "vo-nl", "retention_months": "0"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Kies een bewaartermijn van 1 tot 120 maanden." in page and 'value="0"' in page
    assert models.SchoolSettings.current().retention_months == 24
    saved = admin.post("/instellingen/", data={
        "csrf_token": csrf_token(admin, "/instellingen/"), "school_name": "Het Baken", "region": "nl",
        "default_protocol": "vo-nl", "retention_months": "36"})
    assert saved.status_code == 302 and models.SchoolSettings.current().retention_months == 36
