"""Personal work notes: their author reads them, no one else (not the coordinator, not an administrator)."""
import html
import io

from pypdf import PdfReader

import models
from conftest import csrf_token, demo_case, demo_user

SECRET = "Mijn eigen vermoeden: de vader van Daan weet er meer van."


def post_note(client, case, body):
    return client.post("/dossiers/%d/werkaantekeningen/nieuw" % case.id,
                       data={"note-body": body, "note-csrf_token": csrf_token(client, "/account/")})


def page_of(client, case):
    return html.unescape(client.get("/dossiers/%d" % case.id).get_data(as_text=True))


def test_a_work_note_is_read_by_its_author_alone(login_as):
    case = demo_case("0001")
    mentor = login_as("mentor")
    response = post_note(mentor, case, SECRET)
    assert response.status_code == 302 and response.headers["Location"].endswith("#notes")
    note = models.PersonalNote.get(models.PersonalNote.body == SECRET)
    assert (note.author.username, note.case_id) == ("mentor", case.id)
    assert SECRET in page_of(mentor, case)
    for other in ("coordinator", "support", "counsellor"):
        client = login_as(other)
        assert SECRET not in page_of(client, case), other
        assert client.get("/werkaantekeningen/%d" % note.id).status_code == 404, other
    admin = login_as("admin")
    assert admin.get("/dossiers/%d" % case.id).status_code == 404
    assert admin.get("/werkaantekeningen/%d" % note.id).status_code == 404
    refused = models.AuditEvent.select().where(models.AuditEvent.action == "access.denied",
                                               models.AuditEvent.object_type == "personalnote")
    assert {event.username for event in refused} == {"coordinator", "support", "counsellor", "admin"}


def test_each_person_sees_only_their_own_notes_on_the_same_case(login_as):
    case = demo_case("0001")
    mentor_page, support_page = page_of(login_as("mentor"), case), page_of(login_as("support"), case)
    mentors = models.PersonalNote.get(models.PersonalNote.author == demo_user("mentor"),
                                      models.PersonalNote.case == case)
    supports = models.PersonalNote.get(models.PersonalNote.author == demo_user("support"),
                                       models.PersonalNote.case == case)
    assert mentors.body in mentor_page and supports.body not in mentor_page
    assert supports.body in support_page and mentors.body not in support_page
    assert mentors.body not in page_of(login_as("coordinator"), case)


def test_the_author_edits_and_deletes_a_note(login_as):
    client = login_as("mentor")
    note = models.PersonalNote.get(models.PersonalNote.author == demo_user("mentor"))
    assert note.body in html.unescape(client.get("/werkaantekeningen/%d" % note.id).get_data(as_text=True))
    response = client.post("/werkaantekeningen/%d" % note.id, data={
        "note-body": "Aangepast na het gesprek.", "note-csrf_token": csrf_token(client, "/account/")})
    assert response.status_code == 302
    changed = models.PersonalNote.get_by_id(note.id)
    assert changed.body == "Aangepast na het gesprek." and changed.updated_at > changed.created_at
    deleted = client.post("/werkaantekeningen/%d/verwijderen" % note.id,
                          data={"csrf_token": csrf_token(client, "/account/")})
    assert deleted.status_code == 302
    assert models.PersonalNote.get_or_none(models.PersonalNote.id == note.id) is None
    actions = [event.action for event in models.AuditEvent.select().where(
        models.AuditEvent.object_type == "personalnote").order_by(models.AuditEvent.id)]
    assert actions == ["personal_note.view", "personal_note.update", "personal_note.delete"]


def test_nobody_else_can_change_or_delete_a_note(login_as):
    note = models.PersonalNote.get(models.PersonalNote.author == demo_user("mentor"))
    coordinator = login_as("coordinator")
    token = csrf_token(coordinator, "/account/")
    assert coordinator.post("/werkaantekeningen/%d" % note.id, data={
        "note-body": "overschreven", "note-csrf_token": token}).status_code == 404
    deleted = coordinator.post("/werkaantekeningen/%d/verwijderen" % note.id, data={"csrf_token": token})
    assert deleted.status_code == 404
    assert models.PersonalNote.get_by_id(note.id).body == note.body


def test_an_empty_or_too_long_note_gets_a_message_and_keeps_the_text(login_as):
    client = login_as("mentor")
    case = demo_case("0001")
    before = models.PersonalNote.select().count()
    empty = post_note(client, case, "   ")
    assert empty.status_code == 400
    assert 'id="note-body-error">Een lege aantekening wordt niet bewaard.' in html.unescape(
        empty.get_data(as_text=True))
    long_text = "lang " * 2001
    too_long = post_note(client, case, long_text)
    page = html.unescape(too_long.get_data(as_text=True))
    assert too_long.status_code == 400 and "Hoogstens 10.000 tekens." in page and long_text.strip() in page
    assert models.PersonalNote.select().count() == before


def test_a_note_never_reaches_the_timeline_the_audit_log_or_the_evidence_print(login_as):
    client = login_as("mentor")
    case = demo_case("0002")
    assert post_note(client, case, SECRET).status_code == 302
    assert not models.CaseEvent.select().where(models.CaseEvent.text.contains("vader van Daan")).exists()
    assert not models.AuditEvent.select().where(models.AuditEvent.detail.contains("vader van Daan")).exists()
    printed = PdfReader(io.BytesIO(client.get("/dossiers/%d/bewijs.pdf" % case.id).data))
    assert "vader van Daan" not in " ".join(page.extract_text() for page in printed.pages)
