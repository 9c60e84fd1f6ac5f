"""Retention: closed cases past the school's period are anonymised on a frozen clock; counts survive."""
import datetime
import os

import peewee
import time_machine

import models
from cli import retention_command
from conftest import csrf_token
from databases import POSTGRES
from domain import retention
from db import today as school_today

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
    models.CaseStep.create(case=case, step_key="police", status="not_applicable",
                           set_aside_reason="Anna's vader wil geen aangifte")
    models.ParentContact.create(case=case, pupil=pupil, contacted_on=datetime.date(2027, 1, 6), channel="phone",
                                summary="Moeder van Anna gebeld", agreed="Anna blijft thuis")
    models.Referral.create(case=case, pupil=pupil, target="external", detail="Jeugdzorg voor Anna",
                           referred_on=datetime.date(2027, 1, 7), note="Anna slaapt slecht",
                           closed_on=datetime.date(2027, 2, 7), close_note="Anna is op de wachtlijst gezet")
    models.SupportSession.create(case=case, kind="support_group", held_on=datetime.date(2027, 1, 8),
                                 participants="Anna, Bob", notes="Anna is stil", report_back="Anna doet mee")
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


def case_models():
    """Every table with a row per case (a foreign key named case)."""
    return [model for model in models.BaseModel.__subclasses__() + [
        sub for base in models.BaseModel.__subclasses__() for sub in base.__subclasses__()]
        if isinstance(model._meta.fields.get("case"), peewee.ForeignKeyField)
        and model._meta.fields["case"].rel_model is models.Case]


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
    # What describes a child is gone, from every text of every record of the case (a new field too).
    for model in case_models():
        for field in model._meta.sorted_fields:
            if isinstance(field, (peewee.CharField, peewee.TextField)):
                assert not model.select().where(model.case == due, field.contains("Anna")).exists(), (
                    model.__name__, field.name)
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
        # A second run finds nothing new.
        assert "0 dossiers, 0 meldingen zonder dossier en 0 klachten geanonimiseerd" in run_command(app)
    assert models.AuditEvent.select().where(models.AuditEvent.action == "retention.run").count() == 1


def test_the_demo_school_s_old_closed_case_is_due_after_two_years(app):
    closed = models.Case.get(models.Case.status == "closed")
    moment = (closed.closed_at + datetime.timedelta(days=2 * 366)).replace(tzinfo=UTC)
    with time_machine.travel(moment, tick=False), app.app_context():
        assert [cleanup.case.id for cleanup in retention.plan().cases] == [closed.id]
        retention.run()
    assert models.Case.get_by_id(closed.id).anonymised_at is not None
    if not POSTGRES:  # PostgreSQL checks every foreign key as each statement runs; SQLite can be asked after
        assert models.db.execute_sql("PRAGMA foreign_key_check").fetchall() == []


def test_a_shorter_period_from_the_settings_takes_effect(app, factory):
    case = closed_case(factory, datetime.datetime(2028, 9, 1), victim=factory.pupil())
    with time_machine.travel(NOW, tick=False):
        assert case.id not in [cleanup.case.id for cleanup in retention.plan().cases]
        models.SchoolSettings.update(retention_months=6).execute()
        assert case.id in [cleanup.case.id for cleanup in retention.plan().cases]


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


def loose_report(status, at, pupil, description, receipt=None):
    """A report that never became a case, made (and, when closed, handled) at `at`."""
    report = models.Report.create(reported_on=at.date(), created_at=at, reporter_kind="pupil", reporter_name="Fenna",
                                  channel="report_page", place="kantine", description=description, status=status,
                                  handled_at=at if status == "closed" else None,
                                  close_reason="Opgelost met %s" % pupil.first_name if status == "closed" else "")
    models.ReportKind.create(report=report, kind="physical")
    models.ReportPupil.create(report=report, pupil=pupil)
    if receipt:
        thread = models.PublicThread.create(receipt_code=receipt, phrase_hash="x", report=report)
        models.ThreadMessage.create(thread=thread, author_kind="reporter", body="%s wordt geslagen" % pupil.first_name)
    return report


def test_reports_that_never_became_a_case_are_anonymised_on_a_frozen_clock(app, factory):
    dirk, eva, fleur, gijs = (factory.pupil(first_name=name) for name in ("Dirk", "Eva", "Fleur", "Gijs"))
    closed_due = loose_report("closed", JUST_DUE, dirk, "Dirk wordt geduwd", receipt="AAAA-BBBB-CCCC-DDDD")
    closed_kept = loose_report("closed", JUST_KEPT, eva, "Eva wordt geduwd")
    never_handled = loose_report("new", JUST_DUE, fleur, "Fleur wordt uitgelachen")
    in_case = loose_report("in_case", JUST_DUE, gijs, "Gijs wordt gepest")
    models.Report.update(case=factory.case(victim=gijs)).where(models.Report.id == in_case.id).execute()
    # Fleur is also named by a kept report: her name stays.
    loose_report("new", JUST_KEPT, fleur, "Fleur weer")

    with time_machine.travel(NOW, tick=False):
        listing = run_command(app, "--dry-run")
        assert "melding %d zonder dossier" % closed_due.id in listing
        assert "melding %d zonder dossier" % never_handled.id in listing and "nooit afgehandeld" in listing
        assert "melding %d " % closed_kept.id not in listing and "melding %d " % in_case.id not in listing
        assert "Dirk" in listing and "Fleur" not in listing
        assert models.Report.get_by_id(closed_due.id).description == "Dirk wordt geduwd"  # nothing changed yet

        output = run_command(app)
        assert "melding %d zonder dossier" % closed_due.id in output and "Dirk" not in output

    for report_id in (closed_due.id, never_handled.id):
        report = models.Report.get_by_id(report_id)
        assert (report.description, report.reporter_name, report.close_reason) == ("", "", "")
        assert report.anonymised_at is not None
        # What the monitor counts stays.
        assert (report.place, report.reported_on, report.status) == ("kantine", JUST_DUE.date(), report.status)
        assert [row.kind for row in report.kind_rows] == ["physical"]
    assert not models.PublicThread.select().where(models.PublicThread.receipt_code == "AAAA-BBBB-CCCC-DDDD").exists()
    assert not models.ThreadMessage.select().where(models.ThreadMessage.body.contains("Dirk")).exists()
    assert models.Pupil.get_by_id(dirk.id).first_name == "Leerling"
    assert models.Pupil.get_by_id(fleur.id).first_name == "Fleur"
    assert models.Report.get_by_id(closed_kept.id).description == "Eva wordt geduwd"
    assert models.Report.get_by_id(in_case.id).description == "Gijs wordt gepest"  # its case decides
    event = models.AuditEvent.get(models.AuditEvent.action == "retention.anonymise",
                                  models.AuditEvent.object_type == "report",
                                  models.AuditEvent.object_id == closed_due.id)
    assert "leerling %d" % dirk.id in event.detail and "Dirk" not in event.detail

    with time_machine.travel(NOW, tick=False):
        assert "0 meldingen zonder dossier" in run_command(app)


def test_closed_complaints_are_anonymised_the_period_after_closing(app, factory):
    counsellor = models.User.by_username("counsellor")
    hanna, ivo = factory.pupil(first_name="Hanna"), factory.pupil(first_name="Ivo")

    def complaint(pupil, status, closed_at):
        row = models.Complaint.create(received_on=datetime.date(2027, 1, 10), complainant_kind="parent",
                                      complainant_name="Vader van %s" % pupil.first_name,
                                      complainant_contact="06-12345678", pupil=pupil, status=status,
                                      description="De school doet niets voor %s" % pupil.first_name,
                                      advice="Praat met de mentor", counsellor=counsellor, closed_at=closed_at)
        models.ComplaintNote.create(complaint=row, author=counsellor, body="Privé over %s" % pupil.first_name)
        return row

    due = complaint(hanna, "closed", JUST_DUE)
    models.PublicThread.create(receipt_code="KLCH-KLCH-KLCH-KLCH", phrase_hash="x", complaint=due)
    kept = complaint(ivo, "closed", JUST_KEPT)
    running = complaint(factory.pupil(first_name="Joep"), "investigating", None)

    with time_machine.travel(NOW, tick=False):
        listing = run_command(app, "--dry-run")
        assert "klacht %d, gesloten 2027-03-14" % due.id in listing and "1 notities" in listing
        assert "klacht %d," % kept.id not in listing and "klacht %d," % running.id not in listing
        assert "Hanna" in listing and "1 klachten" in listing
        assert models.ComplaintNote.select().where(models.ComplaintNote.complaint == due).exists()
        run_command(app)

    row = models.Complaint.get_by_id(due.id)
    assert (row.complainant_name, row.complainant_contact, row.description, row.advice) == ("", "", "", "")
    assert (row.status, row.received_on, row.anonymised_at is not None) == ("closed", datetime.date(2027, 1, 10), True)
    assert not models.ComplaintNote.select().where(models.ComplaintNote.complaint == due).exists()
    assert not models.PublicThread.select().where(models.PublicThread.receipt_code == "KLCH-KLCH-KLCH-KLCH").exists()
    assert models.Pupil.get_by_id(hanna.id).first_name == "Leerling"
    for other in (kept, running):
        assert models.Complaint.get_by_id(other.id).description.startswith("De school doet niets")
        assert models.ComplaintNote.select().where(models.ComplaintNote.complaint == other).exists()
    assert models.Pupil.get_by_id(ivo.id).first_name == "Ivo"
    event = models.AuditEvent.get(models.AuditEvent.action == "retention.anonymise",
                                  models.AuditEvent.object_type == "complaint")
    assert event.object_id == due.id and "Hanna" not in event.detail and "Vader" not in event.detail


def test_closing_a_complaint_starts_its_retention_period(app, factory):
    from domain import complaints
    row = models.Complaint.create(received_on=school_today(), complainant_kind="parent",
                                  description="Klacht", status="received")
    complaints.change_status(row, "closed")
    assert row.closed_at is not None
    complaints.change_status(row, "investigating")
    assert row.closed_at is None
