"""The confidential counsellor: intake, status, advice, the committee, private notes, the read-only case."""
import datetime
import re

import pytest

import db
import models
from conftest import csrf_token, demo_case, demo_user
from domain import complaints, conversations


def demo_complaint():
    return models.Complaint.select().first()


def new_complaint(**fields):
    values = dict(received_on=db.today(), complainant_kind="parent", description="De school doet niets.",
                  counsellor=demo_user("counsellor"))
    values.update(fields)
    return models.Complaint.create(**values)


def form_data(client, path, **fields):
    data = {"csrf_token": csrf_token(client, path), "received_on": db.today().isoformat(),
            "complainant_kind": "parent", "complainant_name": "meneer Jansen", "complainant_contact": "06-11111111",
            "pupil": "", "case_reference": "", "description": "Er wordt niets gedaan aan het pesten van Sem."}
    data.update(fields)
    return data


def field_error(html, field_id):
    match = re.search(r'<p class="field__error" id="%s-error">([^<]*)</p>' % re.escape(field_id), html)
    return match.group(1) if match else None


def snapshot():
    """Counts of everything a complaint form could write."""
    return (models.Complaint.select().count(), models.ComplaintNote.select().count(),
            [(c.status, c.advice, c.committee_referred_on, c.case_id, c.description)
             for c in models.Complaint.select()])


# Intake ---------------------------------------------------------------------------------------

def test_counsellor_records_a_complaint_about_a_pupil_linked_to_a_case_by_its_reference(login_as):
    client = login_as("counsellor")
    noor = models.Pupil.get(models.Pupil.first_name == "Noor")
    case = demo_case("0001")
    response = client.post("/klachten/nieuw", data=form_data(client, "/klachten/nieuw", pupil=str(noor.id),
                                                             case_reference=" %s " % case.reference))
    assert response.status_code == 302
    complaint = models.Complaint.select().order_by(models.Complaint.id.desc()).first()
    assert (complaint.pupil_id, complaint.case_id, complaint.status) == (noor.id, case.id, "received")
    assert complaint.counsellor == demo_user("counsellor")
    assert response.headers["Location"].endswith("/klachten/%d" % complaint.id)
    event = models.AuditEvent.get(models.AuditEvent.action == "complaint.create")
    assert (event.object_id, event.username) == (complaint.id, "counsellor")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Er wordt niets gedaan aan het pesten van Sem." in page and case.reference in page


def test_a_reference_of_no_case_is_refused_next_to_the_field_keeping_what_was_typed(login_as):
    client = login_as("counsellor")
    noor = models.Pupil.get(models.Pupil.first_name == "Noor")
    before = snapshot()
    response = client.post("/klachten/nieuw", data=form_data(client, "/klachten/nieuw", pupil=str(noor.id),
                                                             case_reference="2099-9999"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert field_error(html, "case_reference") == ("Noor Hoekstra is niet betrokken bij een dossier met nummer "
                                                   "2099-9999. Controleer het dossiernummer.")
    assert 'value="2099-9999"' in html and "Er wordt niets gedaan aan het pesten van Sem." in html
    assert 'value="meneer Jansen"' in html
    assert snapshot() == before


def test_a_case_the_chosen_pupil_is_not_in_is_refused_so_a_typo_opens_no_other_childs_case(login_as):
    client = login_as("counsellor")
    noor = models.Pupil.get(models.Pupil.first_name == "Noor")
    before = snapshot()
    response = client.post("/klachten/nieuw", data=form_data(client, "/klachten/nieuw", pupil=str(noor.id),
                                                             case_reference=demo_case("0003").reference))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Noor Hoekstra is niet betrokken bij een dossier met nummer %s" % demo_case("0003").reference in field_error(
        html, "case_reference")
    assert 'id="pupil-one-%d" name="pupil" value="%d" checked' % (noor.id, noor.id) in html  # still chosen
    assert snapshot() == before


@pytest.mark.parametrize("fields,field,message", [
    ({"description": "   "}, "description", "Beschrijf waar de klacht over gaat."),
    ({"received_on": ""}, "received_on", "Vul een datum in."),
    ({"received_on": (db.today() + datetime.timedelta(days=1)).isoformat()}, "received_on",
     "Een datum in de toekomst kan niet."),
    ({"received_on": "gisteren"}, "received_on", None),
    ({"complainant_kind": "headmaster"}, "complainant_kind", None),
    ({"complainant_name": "x" * 201}, "complainant_name", "Hoogstens 200 tekens."),
    ({"description": "x" * 10_001}, "description", "Hoogstens 10.000 tekens."),
    ({"case_reference": "x" * 17}, "case_reference", "Een dossiernummer heeft hoogstens 16 tekens."),
])
def test_bad_intake_is_refused_with_a_message_beside_the_field_and_nothing_saved(login_as, fields, field, message):
    client = login_as("counsellor")
    before = snapshot()
    response = client.post("/klachten/nieuw", data=form_data(client, "/klachten/nieuw", **fields))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    error = field_error(html, field)
    assert error, "no message beside %s" % field
    if message:
        assert error == message
    assert snapshot() == before


@pytest.mark.parametrize("value", ["999999", "Noor"])
def test_an_unknown_pupil_is_refused_with_a_message(login_as, value):
    client = login_as("counsellor")
    before = snapshot()
    response = client.post("/klachten/nieuw", data=form_data(client, "/klachten/nieuw", pupil=value))
    assert response.status_code == 400
    assert re.search(r'<p class="field__error" id="pupil-error">[^<]+</p>', response.get_data(as_text=True))
    assert snapshot() == before


def test_dates_that_are_not_dates_get_a_dutch_message(login_as):
    client = login_as("counsellor")
    response = client.post("/klachten/nieuw", data=form_data(client, "/klachten/nieuw", received_on="gisteren"))
    error = field_error(response.get_data(as_text=True), "received_on")
    assert "Not a valid" not in error and "datum" in error.lower()


def test_editing_a_complaint_can_unlink_its_case_and_the_counsellor_loses_it(login_as):
    client = login_as("counsellor")
    complaint, case = demo_complaint(), demo_case("0001")
    assert client.get("/dossiers/%d" % case.id).status_code == 200
    path = "/klachten/%d/bewerken" % complaint.id
    response = client.post(path, data=form_data(client, path, pupil=str(complaint.pupil_id), case_reference="",
                                                description=complaint.description))
    assert response.status_code == 302
    assert models.Complaint.get_by_id(complaint.id).case_id is None
    assert client.get("/dossiers/%d" % case.id).status_code == 404
    assert models.AuditEvent.select().where(models.AuditEvent.action == "complaint.update").count() == 1


def test_received_on_cannot_move_past_the_committee_referral(login_as):
    client = login_as("counsellor")
    complaint = new_complaint(received_on=db.today() - datetime.timedelta(days=10),
                              committee_referred_on=db.today() - datetime.timedelta(days=5))
    path = "/klachten/%d/bewerken" % complaint.id
    response = client.post(path, data=form_data(client, path, received_on=db.today().isoformat()))
    assert response.status_code == 400
    assert "klachtencommissie" in field_error(response.get_data(as_text=True), "received_on")
    assert models.Complaint.get_by_id(complaint.id).received_on == db.today() - datetime.timedelta(days=10)


# Status, advice, the committee ---------------------------------------------------------------------

def test_a_complaint_moves_from_received_through_investigating_and_advised_to_closed(app_context):
    complaint = new_complaint()
    assert complaints.next_statuses(complaint) == ("investigating", "closed")
    assert complaints.change_status(complaint, "investigating") == "received"
    complaints.write_advice(complaint, "Schoolarts en de GGD", "Zorg dat de mentor binnen een week belt.")
    complaints.change_status(complaint, "advised")
    complaints.change_status(complaint, "closed")
    assert models.Complaint.get_by_id(complaint.id).status == "closed"
    complaints.change_status(complaint, "investigating")  # taken up again
    assert models.Complaint.get_by_id(complaint.id).status == "investigating"


@pytest.mark.parametrize("start,target,message", [
    ("received", "advised", "Van ‘Ontvangen’ kan een klacht niet naar ‘Advies gegeven’."),
    ("investigating", "advised", "Schrijf eerst het advies aan het schoolbestuur."),
    ("investigating", "investigating", "De klacht heeft deze status al."),
    ("closed", "advised", "Van ‘Gesloten’ kan een klacht niet naar ‘Advies gegeven’."),
    ("received", "withdrawn", "Kies een status uit de lijst."),
])
def test_status_changes_the_rules_refuse(app_context, start, target, message):
    complaint = new_complaint(status=start)
    with pytest.raises(complaints.ComplaintError, match=re.escape(message)):
        complaints.change_status(complaint, target)
    assert models.Complaint.get_by_id(complaint.id).status == start


def test_advised_without_advice_is_refused_beside_the_status_field(login_as):
    client = login_as("counsellor")
    complaint = demo_complaint()  # investigating, no advice yet
    path = "/klachten/%d" % complaint.id
    response = client.post(path + "/status", data={"csrf_token": csrf_token(client, path), "status-status": "advised"})
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "status-status") == \
        "Schrijf eerst het advies aan het schoolbestuur."
    assert models.Complaint.get_by_id(complaint.id).status == "investigating"


def test_writing_advice_then_advising_is_audited_with_the_old_and_new_status(login_as):
    client = login_as("counsellor")
    complaint = demo_complaint()
    path = "/klachten/%d" % complaint.id
    response = client.post(path + "/advies", data={
        "csrf_token": csrf_token(client, path), "advice-experts_consulted": "Orthopedagoog van het samenwerkingsverband",
        "advice-advice": "Laat de coördinator de regie nemen."})
    assert response.status_code == 302
    response = client.post(path + "/status", data={"csrf_token": csrf_token(client, path), "status-status": "advised"})
    assert response.status_code == 302
    complaint = models.Complaint.get_by_id(complaint.id)
    assert (complaint.status, complaint.advice) == ("advised", "Laat de coördinator de regie nemen.")
    event = models.AuditEvent.get(models.AuditEvent.action == "complaint.status")
    assert event.detail == "investigating -> advised"


def test_a_closed_complaint_keeps_its_details_and_advice_until_it_is_taken_up_again(login_as):
    client = login_as("counsellor")
    complaint = new_complaint(status="closed", advice="Advies gegeven.")
    path = "/klachten/%d" % complaint.id
    page = client.get(path).get_data(as_text=True)
    assert "/bewerken" not in page and 'name="advice-advice"' not in page
    response = client.post(path + "/advies", data={"csrf_token": csrf_token(client, path), "advice-advice": "Anders."})
    assert response.status_code == 400
    assert re.search(r'role="alert">Deze klacht is gesloten', response.get_data(as_text=True))
    response = client.post(path + "/bewerken", data=form_data(client, path, description="Iets anders."))
    assert response.status_code == 400 and "gesloten" in response.get_data(as_text=True)
    complaint = models.Complaint.get_by_id(complaint.id)
    assert (complaint.advice, complaint.description) == ("Advies gegeven.", "De school doet niets.")


def test_the_referral_to_the_complaints_committee_is_recorded_with_its_date(login_as):
    client = login_as("counsellor")
    complaint = demo_complaint()
    path = "/klachten/%d" % complaint.id
    day = db.today() - datetime.timedelta(days=1)
    response = client.post(path + "/commissie", data={"csrf_token": csrf_token(client, path),
                                                      "committee-referred_on": day.isoformat()})
    assert response.status_code == 302
    assert models.Complaint.get_by_id(complaint.id).committee_referred_on == day
    assert models.AuditEvent.get(models.AuditEvent.action == "complaint.committee").detail == day.isoformat()
    assert "naar de externe klachtencommissie" in client.get(path).get_data(as_text=True)


@pytest.mark.parametrize("value,message", [
    ("", "Vul een datum in."),
    ((db.today() + datetime.timedelta(days=1)).isoformat(), "Een datum in de toekomst kan niet."),
    ("2000-01-01", "De doorverwijzing kan niet vóór de ontvangst van de klacht liggen."),
])
def test_a_committee_date_the_rules_refuse_is_explained_beside_the_field(login_as, value, message):
    client = login_as("counsellor")
    complaint = demo_complaint()
    path = "/klachten/%d" % complaint.id
    response = client.post(path + "/commissie", data={"csrf_token": csrf_token(client, path),
                                                      "committee-referred_on": value})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert field_error(html, "committee-referred_on") == message
    assert 'value="%s"' % value in html or not value
    assert models.Complaint.get_by_id(complaint.id).committee_referred_on is None


def test_the_domain_refuses_committee_dates_too(app_context):
    complaint = new_complaint(received_on=db.today() - datetime.timedelta(days=3))
    with pytest.raises(complaints.ComplaintError):
        complaints.refer_to_committee(complaint, db.today() - datetime.timedelta(days=4))
    with pytest.raises(complaints.ComplaintError):
        complaints.refer_to_committee(complaint, db.today() + datetime.timedelta(days=1))
    complaints.refer_to_committee(complaint, db.today())
    assert models.Complaint.get_by_id(complaint.id).committee_referred_on == db.today()


# Private notes ----------------------------------------------------------------------------------

NOTE = "Vader klinkt boos; mogelijk eigen ervaring met pesten. Niet delen."


def add_note(client, complaint, body=NOTE, htmx=False):
    path = "/klachten/%d" % complaint.id
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(path + "/notities", data={"csrf_token": csrf_token(client, path), "note-body": body},
                       headers=headers)


def test_a_note_is_saved_and_the_audit_log_records_it_without_its_words(login_as):
    client = login_as("counsellor")
    complaint = demo_complaint()
    response = add_note(client, complaint)
    assert response.status_code == 302
    note = models.ComplaintNote.get(models.ComplaintNote.body == NOTE)
    event = models.AuditEvent.get(models.AuditEvent.action == "complaint.note_add")
    assert (event.object_type, event.object_id, event.detail) == ("complaint_note", note.id, "klacht %d" % complaint.id)
    client.get("/klachten/%d" % complaint.id)
    assert not models.AuditEvent.select().where(
        models.AuditEvent.detail.contains("Vader") | models.AuditEvent.detail.contains("pesten")).exists()


def test_htmx_note_returns_the_notes_and_an_empty_one_is_refused_in_place(login_as):
    client = login_as("counsellor")
    complaint = demo_complaint()
    response = add_note(client, complaint, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith(("{#", "<section")) and NOTE in html
    assert "<html" not in html and "HX-Request" in response.headers["Vary"]
    count = models.ComplaintNote.select().count()
    response = add_note(client, complaint, body="   ", htmx=True)
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "note-body") == "Schrijf eerst een notitie."
    assert models.ComplaintNote.select().count() == count


def test_an_overlong_note_is_refused_and_kept_on_screen(login_as):
    client = login_as("counsellor")
    response = add_note(client, demo_complaint(), body="ab" * 5001)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and field_error(html, "note-body") == "Hoogstens 10.000 tekens."
    assert "ab" * 5001 in html
    assert not models.ComplaintNote.select().where(models.ComplaintNote.body == "ab" * 5001).exists()


def test_a_note_is_read_by_its_author_alone_not_by_an_admin_who_makes_themselves_counsellor(login_as):
    complaint = demo_complaint()
    add_note(login_as("counsellor"), complaint)
    admin = demo_user("admin")
    with models.db.atomic():
        admin.set_roles(["counsellor"])
    page = login_as("admin").get("/klachten/%d" % complaint.id)
    assert page.status_code == 200  # the complaint, now that the admin holds the role
    html = page.get_data(as_text=True)
    assert NOTE not in html and "Eerst horen hoe de mentor" not in html
    assert NOTE in login_as("counsellor").get("/klachten/%d" % complaint.id).get_data(as_text=True)


def test_notes_are_never_in_the_case_page_for_the_coordinator(login_as):
    add_note(login_as("counsellor"), demo_complaint())
    html = login_as("coordinator").get("/dossiers/%d" % demo_case("0001").id).get_data(as_text=True)
    assert NOTE not in html and "Moeder vindt dat de school te traag optreedt" not in html


# The linked case, read-only ---------------------------------------------------------------------

SAFE_FORMS = {"/logout", "/taal"}


def write_controls(html):
    """Actions of forms and htmx writes on a page, beyond logging out and the language."""
    actions = set(re.findall(r'<form[^>]*method="post"[^>]*action="([^"]+)"', html))
    actions |= set(re.findall(r'<form[^>]*action="([^"]+)"[^>]*method="post"', html))
    return (actions - SAFE_FORMS) | set(re.findall(r'hx-(?:post|put|patch|delete)="([^"]+)"', html))


def test_the_counsellor_reads_the_linked_case_without_a_single_edit_control(login_as):
    case = demo_case("0001")
    counsellor = login_as("counsellor").get("/dossiers/%d" % case.id)
    html = counsellor.get_data(as_text=True)
    assert counsellor.status_code == 200
    assert write_controls(html) == set()
    assert "Je leest dit dossier alleen" in html
    assert "Gesprek voeren" not in html and "Sessie vastleggen" not in html
    # The same page for the mentor has them: the check above can fail.
    assert write_controls(login_as("mentor").get("/dossiers/%d" % case.id).get_data(as_text=True))


def noor_talk(app, case):
    """A joint conversation under way with Noor, the pupil of the demo complaint."""
    with app.app_context():
        noor = models.Pupil.get(models.Pupil.first_name == "Noor")
        return conversations.start(case, "joint-talk", "no-blame-joint-conversation", demo_user("mentor"),
                                   [(noor, noor.display_name, "victim")])


def test_every_write_on_the_linked_case_refuses_the_counsellor(login_as, app):
    case = demo_case("0001")
    talk = noor_talk(app, case)
    entry = talk.entries.first()
    agreement = models.Agreement.get(models.Agreement.case == case)
    noor = models.Pupil.get(models.Pupil.first_name == "Noor")
    follow_up = models.FollowUp.get(models.FollowUp.case == case, models.FollowUp.done_at.is_null(),
                                    models.FollowUp.pupil == noor)  # the complaint's pupil: a record of hers
    referral = models.Referral.get(models.Referral.case == case)
    session = models.SupportSession.get(models.SupportSession.case == case)
    client = login_as("counsellor")
    token = csrf_token(client, "/account/")
    writes = {
        "/dossiers/%d/stappen/joint-talk" % case.id: {"note": "x"},
        "/dossiers/%d/aanpak" % case.id: {"approach": "confrontational", "approach_level": "individual"},
        "/dossiers/%d/sluiten" % case.id: {"reason": "klaar"},
        "/dossiers/%d/heropenen" % case.id: {"reason": "opnieuw"},
        "/dossiers/%d/maatregelen" % case.id: {"pupil": "1", "phase": "1", "description": "x",
                                              "decided_on": db.today().isoformat()},
        "/gesprekken/nieuw/%d/joint-talk" % case.id: {},
        "/gesprekken/%d/punten/%d" % (talk.id, entry.id): {"done": "1"},
        "/gesprekken/%d/punten/%d/notitie" % (talk.id, entry.id): {"note": "x", "version": "0"},
        "/gesprekken/%d/regels" % talk.id: {"kind": "note", "text": "x"},
        "/gesprekken/%d/afspraak" % talk.id: {"at": "2030-01-01T10:00"},
        "/gesprekken/%d/afronden" % talk.id: {},
        "/herstelovereenkomsten/nieuw/%d" % case.id: {"gesprek": ""},
        "/herstelovereenkomsten/%d" % agreement.id: {"commitments": "x"},
        "/herstelovereenkomsten/%d/ouders" % agreement.id: {"name": "x"},
        "/herstelovereenkomsten/%d/partijen/%d" % (agreement.id, agreement.parties.first().id): {},
        "/vervolg/%d" % follow_up.id: {"f%d-outcome" % follow_up.id: "going_well"},
        "/ondersteuning/dossiers/%d/sessies/nieuw" % case.id: {"kind": "individual", "participants": "x",
                                                               "held_on": db.today().isoformat()},
        "/ondersteuning/sessies/%d" % session.id: {"kind": "individual", "participants": "x",
                                                   "held_on": db.today().isoformat()},
        "/ondersteuning/doorverwijzingen/%d/afronden" % referral.id: {},
    }
    tables = [models.CaseEvent, models.CaseStep, models.Conversation, models.ChecklistEntry, models.ConversationLine,
              models.Agreement, models.AgreementParty, models.FollowUp, models.Measure, models.SupportSession,
              models.Referral, models.Case]
    before = {table.__name__: [tuple(row) for row in table.select().tuples()] for table in tables}
    for path, data in writes.items():
        response = client.post(path, data=dict(data, csrf_token=token))
        assert response.status_code == 403, "%s answered %d" % (path, response.status_code)
    after = {table.__name__: [tuple(row) for row in table.select().tuples()] for table in tables}
    assert after == before
    assert models.AuditEvent.select().where(models.AuditEvent.action == "access.denied",
                                            models.AuditEvent.username == "counsellor").count() == len(writes)


def test_a_conversation_under_way_reads_as_a_report_for_the_counsellor(login_as, app):
    talk = noor_talk(app, demo_case("0001"))
    html = login_as("counsellor").get("/gesprekken/%d" % talk.id).get_data(as_text=True)
    assert write_controls(html) == set() and "nog bezig" in html
    assert write_controls(login_as("mentor").get("/gesprekken/%d" % talk.id).get_data(as_text=True))


def test_the_counsellor_has_no_case_list_and_no_menu_to_it(login_as):
    client = login_as("counsellor")
    assert client.get("/dossiers/").status_code == 403
    home = client.get("/").get_data(as_text=True)
    assert 'href="/dossiers/"' not in home and 'href="/klachten/"' in home
    assert demo_case("0001").reference in home  # the complaint's row names its case, nothing more
    assert 'href="/dossiers/%d"' % demo_case("0001").id not in home


def test_a_counsellor_without_a_linked_complaint_cannot_open_a_case(login_as):
    for suffix in ("0002", "0003"):
        assert login_as("counsellor").get("/dossiers/%d" % demo_case(suffix).id).status_code == 404
