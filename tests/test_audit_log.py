"""The audit log viewer: filters, pages, the CSV export, and what it never shows."""
import ast
import csv
import datetime
import io
import pathlib

import pytest

import audit
import db
import models
from conftest import csrf_token, demo_case, demo_user


def events_of(response):
    return response.get_data(as_text=True)


def listed(action):
    """How an event's action appears in the log's table (the filter's options name it too)."""
    return "<code>%s</code>" % action


def append(action, obj_type="", obj_id=None, user=None, detail=""):
    models.AuditEvent.append(action=action, user_id=user.id if user else None,
                             username=user.username if user else "", object_type=obj_type, object_id=obj_id,
                             detail=detail)


def involved(case, role):
    return models.Involvement.get(models.Involvement.case == case, models.Involvement.role == role).pupil


def test_coordinator_reads_the_log_and_reading_it_is_logged(login_as):
    append("test.marker", detail="zichtbaar-in-het-logboek")
    response = login_as("coordinator").get("/logboek/")
    assert response.status_code == 200
    assert "zichtbaar-in-het-logboek" in events_of(response)
    event = models.AuditEvent.select().where(models.AuditEvent.action == "audit.view").get()
    assert event.username == "coordinator" and "geen filter" in event.detail


def test_mentor_may_not_read_the_log(login_as):
    assert login_as("mentor").get("/logboek/").status_code == 403
    assert login_as("mentor").get("/logboek/export.csv").status_code == 403
    assert not models.AuditEvent.select().where(models.AuditEvent.action == "audit.view").exists()


def test_filter_by_user_shows_only_their_events(login_as):
    append("test.by_mentor", user=demo_user("mentor"))
    append("test.by_support", user=demo_user("support"))
    page = events_of(login_as("admin").get("/logboek/?user=%d" % demo_user("mentor").id))
    assert listed("test.by_mentor") in page and listed("test.by_support") not in page


def test_filter_by_case_takes_in_its_conversations_and_agreements(login_as):
    isa_case, other = demo_case("0003"), demo_case("0001")
    conversation = models.Conversation.select().where(models.Conversation.case == isa_case).first()
    agreement = models.Agreement.select().where(models.Agreement.case == isa_case).first()
    append("test.on_case", "case", isa_case.id)
    append("test.on_conversation", "conversation", conversation.id)
    append("test.on_agreement", "agreement", agreement.id)
    session = models.SupportSession.create(case=isa_case, kind="individual", held_on=datetime.date(2026, 11, 1))
    append("test.on_support_session", "support_session", session.id)
    append("test.other_case", "case", other.id)
    append("test.same_id_other_type", "user", isa_case.id)
    page = events_of(login_as("coordinator").get("/logboek/?case=%s" % isa_case.reference))
    for expected in ("test.on_case", "test.on_conversation", "test.on_agreement", "test.on_support_session"):
        assert listed(expected) in page
    assert listed("test.other_case") not in page and listed("test.same_id_other_type") not in page


def test_filter_by_pupil_takes_in_the_pupil_their_reports_and_their_cases(login_as, factory):
    case = demo_case("0001")
    noor = involved(case, "victim")
    report = models.Report.get(models.Report.case == case)
    stranger_case = factory.case(victim=factory.pupil())
    append("test.on_pupil", "pupil", noor.id)
    append("test.on_her_case", "case", case.id)
    append("test.on_report_naming_her", "report", report.id)
    append("test.on_someone_else", "case", stranger_case.id)
    append("test.other_pupil", "pupil", noor.id + 1000)
    thread = models.PublicThread.create(receipt_code="ABCD-EFGH-JKLM-NPQR", phrase_hash="x", report=report)
    append("test.on_thread_of_her_report", "publicthread", thread.id)
    page = events_of(login_as("coordinator").get("/logboek/?pupils=%d" % noor.id))
    for expected in ("test.on_pupil", "test.on_her_case", "test.on_report_naming_her", "test.on_thread_of_her_report"):
        assert listed(expected) in page
    assert listed("test.on_someone_else") not in page and listed("test.other_pupil") not in page
    assert noor.sort_name in page  # the picker shows her as chosen


def test_filter_by_action_and_period(login_as):
    append("test.kind_a")
    append("test.kind_b")
    client = login_as("coordinator")
    page = events_of(client.get("/logboek/?action=test.kind_a"))
    assert listed("test.kind_a") in page and listed("test.kind_b") not in page
    today = db.today()
    assert listed("test.kind_a") in events_of(client.get("/logboek/?action=test.kind_a&date_from=%s&date_to=%s"
                                                 % (today, today)))
    tomorrow = today + datetime.timedelta(days=1)
    later = events_of(client.get("/logboek/?action=test.kind_a&date_from=%s" % tomorrow))
    assert listed("test.kind_a") not in later and "0 gebeurtenissen" in later


@pytest.mark.parametrize("query,message", [
    ("case=1999-9999", "Er is geen dossier met dit kenmerk."),
    ("date_from=2026-05-02&date_to=2026-05-01", "De einddatum ligt voor de begindatum."),
    ("date_from=gisteren", "Not a valid date value."),
    ("user=999999", "Deze gebruiker bestaat niet."),
    ("pupils=999999", "Een gekozen leerling bestaat niet (meer)."),
    ("pupils=99999999999999999999", "Een gekozen leerling bestaat niet (meer)."),
    ("pupils=-99999999999999999999", "Een gekozen leerling bestaat niet (meer)."),
    ("user=99999999999999999999", "Deze gebruiker bestaat niet."),
    ("date_from=0001-01-01", "Kies een datum tussen 2000 en 2100."),
    ("date_to=9999-12-31", "Kies een datum tussen 2000 en 2100."),
])
def test_bad_filters_get_a_message_beside_the_field(login_as, query, message):
    response = login_as("coordinator").get("/logboek/?" + query)
    assert response.status_code == 400
    assert 'class="field__error"' in events_of(response)
    if "Not a valid" not in message:
        assert message in events_of(response)


def test_a_page_far_beyond_the_end_is_empty_not_an_error(login_as):
    response = login_as("coordinator").get("/logboek/?pagina=99999999999999999999")
    assert response.status_code == 200 and "<tbody>" not in response.get_data(as_text=True)


def test_the_log_is_paged(login_as):
    for number in range(60):
        append("test.paged", detail="regel-%02d" % number)
    client = login_as("coordinator")
    first = events_of(client.get("/logboek/?action=test.paged"))
    second = events_of(client.get("/logboek/?action=test.paged&pagina=2"))
    assert "regel-59" in first and "regel-00" not in first
    assert "regel-00" in second and "regel-59" not in second
    assert "Pagina 2 van 2" in second


def read_csv(response):
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode("utf-8"))
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def test_csv_export_follows_the_filters_and_is_logged(login_as):
    append("test.exported", user=demo_user("mentor"), detail="stap victim-talk")
    append("test.not_exported", user=demo_user("mentor"))
    response = login_as("coordinator").get("/logboek/export.csv?action=test.exported")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == list(audit.CSV_COLUMNS)
    assert [(row[1], row[3], row[7]) for row in rows[1:]] == [("mentor", "test.exported", "stap victim-talk")]
    event = models.AuditEvent.select().where(models.AuditEvent.action == "audit.export").get()
    assert event.username == "coordinator" and "1 regels" in event.detail and "test.exported" in event.detail


def test_csv_cells_that_look_like_formulas_are_defused(server_in_another_time_zone):
    rows = [models.AuditEvent(at=datetime.datetime(2026, 3, 1, 12), username=name, action="test.formula",
                              object_type="case", object_id=number, detail=detail)
            for number, (name, detail) in enumerate([("=cmd", "=HYPERLINK(\"http://x\")"), ("+a", "-2+3"),
                                                     ("@b", "@SUM(A1)"), ("gewoon", "rustig")], start=7)]
    rows.append(models.AuditEvent(at=datetime.datetime(2026, 3, 1, 12), username="gewoon", action="test.formula",
                                  object_type="", object_id=None, detail=""))
    parsed = list(csv.reader(io.StringIO(audit.export_csv(rows).decode("utf-8-sig")), delimiter=";"))[1:]
    assert [(row[1], row[7]) for row in parsed] == [
        ("'=cmd", "'=HYPERLINK(\"http://x\")"), ("'+a", "'-2+3"), ("'@b", "'@SUM(A1)"), ("gewoon", "rustig"),
        ("gewoon", "")]
    assert [(row[4], row[5]) for row in parsed] == [("case", "7"), ("case", "8"), ("case", "9"), ("case", "10"),
                                                    ("", "")]
    # School time, CET in March, on a server whose own clock is in any time zone.
    assert parsed[0][0] == "2026-03-01 13:00:00"


def test_private_notes_never_show_as_content(login_as, factory):
    """Should a caller ever write a note's text into the detail, the viewer and the export leave it out."""
    append("complaint.note_add", "complaint_note", 1, user=demo_user("counsellor"), detail="geheime-klachtnotitie")
    append("note.save", "personalnote", 1, user=demo_user("mentor"), detail="eigen-werknotitie")
    client = login_as("admin")
    page = events_of(client.get("/logboek/"))
    export = client.get("/logboek/export.csv").get_data(as_text=True)
    for text in ("geheime-klachtnotitie", "eigen-werknotitie"):
        assert text not in page and text not in export
    assert listed("complaint.note_add") in page and "complaint.note_add" in export  # that it happened is not secret
    rows = {row[3]: row for row in csv.reader(io.StringIO(export.lstrip("\ufeff")), delimiter=";")}
    assert rows["note.save"][7] == "" and rows["complaint.note_add"][7] == ""  # an empty cell, nothing in its place


def test_export_with_bad_filters_exports_nothing(login_as):
    response = login_as("coordinator").get("/logboek/export.csv?case=1999-9999")
    assert response.status_code == 302
    assert not models.AuditEvent.select().where(models.AuditEvent.action == "audit.export").exists()


def test_a_counsellor_s_note_shows_in_the_log_as_an_event_without_its_words(login_as):
    complaint = models.Complaint.select().first()
    counsellor = login_as("counsellor")
    response = counsellor.post("/klachten/%d/notities" % complaint.id, data={
        "csrf_token": csrf_token(counsellor, "/account/"), "note-body": "Vertrouwelijk-gesprek-met-moeder"})
    assert response.status_code in (200, 302)
    assert models.ComplaintNote.select().where(models.ComplaintNote.body == "Vertrouwelijk-gesprek-met-moeder").exists()
    for reader in ("counsellor", "admin"):
        client = login_as(reader)
        page = events_of(client.get("/logboek/?action=complaint.note_add"))
        export = client.get("/logboek/export.csv").get_data(as_text=True)
        assert listed("complaint.note_add") in page
        assert "Vertrouwelijk-gesprek-met-moeder" not in page and "Vertrouwelijk-gesprek-met-moeder" not in export


# Events on complaints are the counsellor's ------------------------------------------------------

def complaint_events_in_the_log(login_as):
    """A day of the counsellor's work on complaints (through the app), and the public threads' events."""
    counsellor = login_as("counsellor")
    noor = involved(demo_case("0001"), "victim")
    token = csrf_token(counsellor, "/klachten/nieuw")
    response = counsellor.post("/klachten/nieuw", data={
        "csrf_token": token, "received_on": db.today().isoformat(), "complainant_kind": "parent",
        "pupil": str(noor.id), "case_reference": demo_case("0001").reference, "description": "Het gaat door."})
    assert response.status_code == 302
    complaint = models.Complaint.select().order_by(models.Complaint.id.desc()).first()
    counsellor.get("/klachten/%d" % complaint.id)
    counsellor.post("/klachten/%d/advies" % complaint.id, data={"csrf_token": token, "advice-advice": "x"})
    thread = models.PublicThread.create(receipt_code="ABCD-EFGH-JKLM-NPQS", phrase_hash="x", complaint=complaint)
    message = models.ThreadMessage.create(thread=thread, author_kind="reporter", body="x")
    append("thread.answer", "publicthread", thread.id, user=demo_user("counsellor"))
    append("public.reply", "threadmessage", message.id)
    report = models.Report.get(models.Report.case == demo_case("0001"))
    report_thread = models.PublicThread.create(receipt_code="ABCD-EFGH-JKLM-NPQT", phrase_hash="x", report=report)
    report_message = models.ThreadMessage.create(thread=report_thread, author_kind="reporter", body="x")
    append("thread.view", "publicthread", report_thread.id, user=demo_user("coordinator"))
    append("report.reply.marker", "threadmessage", report_message.id)
    append("access.denied", "publicthread", None, detail="zonder-object")
    login_as("mentor").get("/dossiers/%d" % demo_case("0001").id)
    counsellor.get("/logboek/?pupils=%d" % noor.id)
    return complaint, noor


COMPLAINT_ACTIONS = ("complaint.create", "complaint.view", "complaint.advice", "thread.answer", "public.reply")


def test_the_coordinator_s_log_export_and_pupil_filter_show_no_event_on_a_complaint(login_as):
    complaint, noor = complaint_events_in_the_log(login_as)
    coordinator = login_as("coordinator")
    views = [events_of(coordinator.get(path)) for path in (
        "/logboek/", "/logboek/?pupils=%d" % noor.id, "/logboek/?case=%s" % demo_case("0001").reference,
        "/logboek/?action=complaint.create")]
    export = coordinator.get("/logboek/export.csv").get_data(as_text=True)
    everything, by_pupil, by_case, by_action = views
    for action in COMPLAINT_ACTIONS:
        assert listed(action) not in everything and listed(action) not in by_pupil and listed(action) not in by_case
        assert ";%s;" % action not in export
        assert 'value="%s"' % action not in everything  # not offered in the filter either
    assert "complaint_log" not in everything and "complaint_log" not in export  # the counsellor's reading
    assert "Geen gebeurtenissen gevonden." in by_action
    # What is not about a complaint stays: the mentor's reading of the case, the report's thread.
    for action in ("case.view", "thread.view", "report.reply.marker", "access.denied"):
        assert listed(action) in everything and ";%s;" % action in export, action
    assert listed("case.view") in by_pupil and listed("case.view") in by_case
    assert "dat deel van het logboek leest de vertrouwenspersoon" in everything


def test_the_counsellor_reads_the_events_on_complaints_and_the_administrator_all(login_as):
    complaint, noor = complaint_events_in_the_log(login_as)
    counsellor = login_as("counsellor")
    response = counsellor.get("/logboek/")
    page = events_of(response)
    export = counsellor.get("/logboek/export.csv").get_data(as_text=True)
    assert response.status_code == 200
    for action in COMPLAINT_ACTIONS:
        assert listed(action) in page and ";%s;" % action in export, action
    for action in ("case.view", "thread.view", "report.reply.marker", "login.success"):
        assert listed(action) not in page and ";%s;" % action not in export, action
    assert "alleen wat er met klachten gebeurde" in page
    # No case filter: it would tell which case numbers exist.
    assert 'name="case"' not in page
    assert counsellor.get("/logboek/?case=1999-9999").status_code == 200
    admin = events_of(login_as("admin").get("/logboek/"))
    for action in COMPLAINT_ACTIONS + ("case.view", "thread.view"):
        assert listed(action) in admin, action


# Every kind of event in words ---------------------------------------------------------------------

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _strings(node):
    """The string literals an expression can evaluate to ("a" if x else "b" gives both)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return None


def written_actions():
    """Every action the code writes: the first argument of audit.record() and audit.seen() (and
    views/public.py's _record()) and of AuditEvent.append(), and every action= keyword."""
    found, unreadable = set(), []
    code = [path for folder in ("", "views", "domain", "models", "permissions", "forms") for path in sorted((ROOT / folder).glob("*.py"))]
    for path in code:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func)
            arguments = [keyword.value for keyword in node.keywords if keyword.arg == "action"]
            if name in ("audit.record", "audit.seen", "_record", "AuditEvent.append", "models.AuditEvent.append") \
                    and node.args:
                arguments.append(node.args[0])
            for argument in arguments:
                strings = _strings(argument)
                if strings is not None:
                    found.update(strings)
                elif not (isinstance(argument, ast.Name) and argument.id == "action") and name != "render_template":
                    unreadable.append("%s:%d" % (path.name, node.lineno))
    return found, unreadable


def test_every_action_the_code_writes_has_a_label():
    found, unreadable = written_actions()
    assert not unreadable, "pass the action as a literal (or action=...) so it can be checked: %s" % unreadable
    assert {"case.view", "case.close", "evidence.view", "user.create", "retention.run"} <= found  # the scan sees them
    assert sorted(found - set(audit.ACTION_LABELS)) == []
    assert sorted(set(audit.ACTION_LABELS) - found) == [], "labels for actions no code writes"


def test_every_action_a_days_work_logs_has_a_label(login_as):
    coordinator, mentor = login_as("coordinator"), login_as("mentor")
    for path in ("/", "/dossiers/", "/dossiers/%d" % demo_case("0001").id, "/meldingen/", "/logboek/", "/monitor/"):
        coordinator.get(path)
    mentor.get("/dossiers/%d" % demo_case("0003").id)
    in_log = {row.action for row in models.AuditEvent.select(models.AuditEvent.action).distinct()}
    assert in_log and sorted(in_log - set(audit.ACTION_LABELS)) == []


def test_the_viewer_and_its_filter_name_events_in_words_and_keep_the_key(login_as):
    client = login_as("coordinator")
    client.get("/dossiers/%d" % demo_case("0003").id)
    page = events_of(client.get("/logboek/"))
    assert "Dossier bekeken" in page and listed("case.view") in page
    assert '<option value="case.view">Dossier bekeken</option>' in page
    assert '<option value="case.view">case.view</option>' not in page


def test_the_viewer_speaks_english_in_english(login_as):
    client = login_as("coordinator")
    client.post("/taal", data={"csrf_token": csrf_token(client, "/account/"), "language": "en"})
    client.get("/dossiers/%d" % demo_case("0003").id)
    page = events_of(client.get("/logboek/"))
    assert '<option value="case.view">Case viewed</option>' in page and "Dossier bekeken" not in page


def test_the_csv_has_the_words_and_the_key(login_as):
    client = login_as("coordinator")
    client.get("/dossiers/%d" % demo_case("0003").id)
    rows = read_csv(client.get("/logboek/export.csv?action=case.view"))
    assert rows[0][2:4] == ["actie", "actiecode"]
    assert rows[1][1:4] == ["coordinator", "Dossier bekeken", "case.view"]


def test_the_period_filter_counts_school_days_in_the_school_s_time(app_context):
    """An event half an hour after midnight in the school (23:30 UTC the evening before, in winter)
    belongs to the school's new day, and one half an hour before it to the day before."""
    import time_machine
    for moment, action in ((datetime.datetime(2026, 11, 1, 22, 30), "test.before_midnight"),
                           (datetime.datetime(2026, 11, 1, 23, 0), "test.at_midnight"),
                           (datetime.datetime(2026, 11, 1, 23, 30), "test.after_midnight"),
                           (datetime.datetime(2026, 11, 2, 23, 0), "test.next_midnight")):
        with time_machine.travel(moment.replace(tzinfo=datetime.timezone.utc), tick=False):
            append(action)
    day = datetime.date(2026, 11, 2)

    def found(**dates):
        return {event.action for event in audit.events(scope=audit.EVERY_EVENT, **dates)
                if event.action.startswith("test.")}
    # The school's midnight to the second begins its day.
    assert found(date_from=day, date_to=day) == {"test.at_midnight", "test.after_midnight"}
    assert found(date_to=day - datetime.timedelta(days=1)) == {"test.before_midnight"}


def test_a_school_day_starts_at_the_school_s_midnight_whatever_the_server_s_time_zone(server_in_another_time_zone):
    """Stored moments are UTC: the school's 2 November begins at 23:00 UTC on 1 November (winter
    time in the Netherlands and Flanders), on a server in any time zone."""
    assert audit.school_day_start(datetime.date(2026, 11, 2)) == datetime.datetime(2026, 11, 1, 23, 0)
    assert audit.school_day_start(datetime.date(2026, 7, 1)) == datetime.datetime(2026, 6, 30, 22, 0)  # summer


# Writing an event (audit.py), called directly: what each field holds.

def last_event():
    return models.AuditEvent.select().order_by(models.AuditEvent.id.desc()).get()


def test_an_event_names_its_user_its_object_and_at_most_500_characters_of_detail(app_context):
    mentor, case = demo_user("mentor"), demo_case("0001")
    with models.db.atomic():
        audit.record("test.case", case, detail="x" * 501, user=mentor)
    event = last_event()
    assert (event.action, event.user_id, event.username, event.object_type, event.object_id, event.address) == (
        "test.case", mentor.id, "mentor", "case", case.id, "")
    assert event.detail == "x" * 500
    with models.db.atomic():
        audit.record("test.typed", case, detail=None, object_type="case_part")
    event = last_event()
    assert (event.user_id, event.username, event.object_type, event.object_id, event.detail) == (
        None, "", "case_part", case.id, "")
    audit.seen("test.nothing")
    event = last_event()
    assert (event.action, event.object_type, event.object_id, event.detail) == ("test.nothing", "", None, "")
    with models.db.atomic():
        audit.record("test.no_detail", case)
    assert last_event().detail == ""


def test_an_event_in_a_request_keeps_the_address_unless_told_not_to_and_the_signed_in_user(app):
    mentor = demo_user("mentor")
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "10.20.30.40"}):
        audit.record("test.anonymous")
        assert (last_event().address, last_event().user_id, last_event().username) == ("10.20.30.40", None, "")
        audit.record("test.reporter", keep_address=False)
        assert last_event().address == ""
        audit.record("test.named", user=mentor)
        assert (last_event().address, last_event().username) == ("10.20.30.40", "mentor")
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "a" * 70}):
        audit.seen("test.long_address")
        assert last_event().address == "a" * 64
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": ""}):  # a server that was told no address
        audit.seen("test.no_address")
        assert last_event().address == ""


def test_a_formula_s_every_first_character_is_defused_and_nothing_else():
    assert [audit.spreadsheet_safe(value) for value in ("=1", "+1", "-1", "@1", "\t1", "\r1")] == [
        "'=1", "'+1", "'-1", "'@1", "'\t1", "'\r1"]
    assert [audit.spreadsheet_safe(value) for value in (None, "", 0, 12, "a=1", " -1")] == [
        "", "", "0", "12", "a=1", " -1"]


def test_an_action_is_named_in_words_or_by_its_key_when_unknown(app_context):
    assert audit.action_label("case.view") == "Dossier bekeken"
    assert audit.action_label("test.retired_action") == "test.retired_action"


def test_the_account_page_lists_the_last_ninety_days_of_login_changes_newest_first(app_context):
    import time_machine
    mentor, other = demo_user("mentor"), demo_user("coordinator")
    models.AuditEvent.delete().execute()
    start = datetime.datetime(2026, 11, 2, 9, 0)
    with time_machine.travel(start.replace(tzinfo=datetime.timezone.utc), tick=False) as clock:
        for action, user in (("mfa.enrol", mentor), ("case.view", mentor), ("mfa.enrol", other),
                             ("user.password_reset", mentor), ("logout.everywhere", mentor)):
            audit.record(action, user, user=user)
            clock.shift(datetime.timedelta(minutes=1))
        clock.shift(datetime.timedelta(days=90, minutes=-5))  # the first is now exactly ninety days ago
        assert [event.action for event in audit.account_history(mentor)] == [
            "logout.everywhere", "user.password_reset", "mfa.enrol"]
        assert [event.action for event in audit.account_history(mentor, limit=2)] == [
            "logout.everywhere", "user.password_reset"]
        clock.shift(datetime.timedelta(seconds=1))
        assert [event.action for event in audit.account_history(mentor)] == [
            "logout.everywhere", "user.password_reset"]


def test_the_log_s_filter_lists_each_kind_once_in_the_order_of_its_words(app_context):
    for action in ("case.view", "audit.view", "case.view", "test.Zebra", "test.apple", "test.x_y", "test.xz"):
        audit.seen(action)
    keys = [key for key, _label in audit.actions(audit.EVERY_EVENT)]
    assert len(keys) == len(set(keys))
    labels = [label for _key, label in audit.actions(audit.EVERY_EVENT)]
    assert labels == sorted(labels, key=str.lower)
    assert labels.index("Dossier bekeken") < labels.index("Logboek bekeken") < labels.index("test.apple") \
        < labels.index("test.Zebra")
    assert labels.index("test.x_y") < labels.index("test.xz")  # "_" sorts between capitals and small letters
    with pytest.raises(ValueError):
        audit.events(scope="everything")


def report_naming(pupil, case=None):
    report = models.Report.create(reported_on=db.today(), reporter_kind="staff", channel="conversation",
                                  description="x", case=case)
    models.ReportPupil.create(report=report, pupil=pupil)
    return report


def thread_of(report):
    return models.PublicThread.create(receipt_code="T-%08d" % report.id, phrase_hash="x", report=report)


def logged(scope=audit.EVERY_EVENT, **filters):
    return {event.action for event in audit.events(scope=scope, **filters)}


def test_a_pupil_s_events_are_those_on_the_pupil_the_reports_and_complaints_naming_them_and_their_cases(
        app_context, factory):
    """A report, its public thread and a complaint count for the pupil they name, whether or not a case
    came of them; another pupil's, and an event on another kind of object that has the same id, do not."""
    pien, other = factory.pupil(), factory.pupil()
    for name, pupil in (("pien", pien), ("other", other)):
        report = report_naming(pupil)
        complaint = models.Complaint.create(received_on=db.today(), complainant_kind="parent", description="x",
                                            pupil=pupil)
        for kind, record in (("pupil", pupil), ("report", report), ("publicthread", thread_of(report)),
                             ("complaint", complaint), ("case", factory.case(victim=pupil))):
            append("%s.%s" % (name, kind), kind, record.id)
            append("%s.%s_id_as_user" % (name, kind), "user", record.id)
    assert logged(pupil_ids=[pien.id]) == {"pien.pupil", "pien.report", "pien.publicthread", "pien.complaint",
                                            "pien.case"}


def test_a_case_s_events_take_in_its_reports_and_their_public_threads_and_no_other_case_s(app_context, factory):
    cases = {name: factory.case(victim=factory.pupil()) for name in ("this", "other")}
    for name, case in cases.items():
        report = report_naming(factory.pupil(), case=case)
        for kind, record in (("case", case), ("report", report), ("publicthread", thread_of(report))):
            append("%s.%s" % (name, kind), kind, record.id)
            append("%s.%s_id_as_user" % (name, kind), "user", record.id)
    assert logged(case_id=cases["this"].id) == {"this.case", "this.report", "this.publicthread"}


def test_a_read_is_logged_for_whom_it_is_told_and_under_the_kind_of_object_it_is_told(app):
    """The calendar feed's reader is known by the link, not signed in; the counsellor's list of complaints is
    logged as an event on complaints, so the coordinator's log leaves it out."""
    mentor = demo_user("mentor")
    with app.test_request_context("/"):
        audit.seen("calendar.feed", mentor, user=mentor)
        assert (last_event().username, last_event().object_type, last_event().object_id) == (
            "mentor", "user", mentor.id)
        audit.seen("complaint.list", detail="3 klachten", object_type="complaint")
        assert (last_event().username, last_event().object_type, last_event().object_id) == ("", "complaint", None)
    assert "complaint.list" not in logged(scope=audit.NO_COMPLAINT_EVENTS)


def test_the_account_page_lists_the_twenty_newest_login_changes(app_context):
    mentor = demo_user("mentor")
    for _ in range(21):
        audit.record("mfa.enrol", mentor, user=mentor)
    assert len(list(audit.account_history(mentor))) == 20
