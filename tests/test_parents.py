"""Parent contacts on the case: who, how, when, by whom, what was agreed; and the protocol's parent step."""
import datetime
import html

import db
import models
from conftest import csrf_token, demo_case, demo_user


def pupil(first_name):
    return models.Pupil.get(models.Pupil.first_name == first_name)


def post_contact(client, case, **fields):
    """Post the parent contact form as the case page does (its fields carry the prefix 'parent-')."""
    values = {"pupil": pupil("Noor").id, "channel": "home", "contacted_on": db.today().isoformat(),
              "by_user": demo_user("mentor").id, "summary": "Thuis gesproken met vader en moeder van Noor.",
              "agreed": "Ouders bellen de mentor als Noor weer niet naar school wil."}
    values.update(fields)
    data = {"parent-" + name: value for name, value in values.items()}
    data["parent-csrf_token"] = csrf_token(client, "/account/")
    return client.post("/dossiers/%d/oudercontacten/nieuw" % case.id, data=data)


def step(case, key):
    return models.CaseStep.get(models.CaseStep.case == case, models.CaseStep.step_key == key)


def test_mentor_records_a_parent_contact_that_shows_on_the_case(login_as):
    client = login_as("mentor")
    case = demo_case("0001")
    before = models.ParentContact.select().where(models.ParentContact.case == case).count()
    response = post_contact(client, case)
    assert response.status_code == 302 and response.headers["Location"].endswith("#parents")
    contact = models.ParentContact.select().where(models.ParentContact.case == case).order_by(
        models.ParentContact.id.desc()).first()
    assert models.ParentContact.select().where(models.ParentContact.case == case).count() == before + 1
    assert (contact.pupil.first_name, contact.channel, contact.contacted_on, contact.by_user.username) == (
        "Noor", "home", db.today(), "mentor")
    assert contact.agreed == "Ouders bellen de mentor als Noor weer niet naar school wil."
    page = html.unescape(client.get("/dossiers/%d" % case.id).get_data(as_text=True))
    assert "Thuis gesproken met vader en moeder van Noor." in page and "Het oudercontact is vastgelegd." in page
    event = models.CaseEvent.get(models.CaseEvent.case == case, models.CaseEvent.kind == "parent_contact")
    assert event.text == "ouders van Noor Hoekstra (gesprek thuis)"
    audit = models.AuditEvent.get(models.AuditEvent.action == "case.parent_contact")
    assert (audit.username, audit.object_type, audit.object_id) == ("mentor", "case", case.id)


def test_the_contact_can_be_by_a_colleague(login_as):
    client = login_as("mentor")
    assert post_contact(client, demo_case("0001"), by_user=demo_user("coordinator").id).status_code == 302
    assert models.ParentContact.select().order_by(models.ParentContact.id.desc()).first().by_user.username == \
        "coordinator"


def test_a_parent_contact_completes_the_step_about_the_parents(login_as):
    client = login_as("mentor")
    case = demo_case("0001")
    assert step(case, "inform-parents").status == "open"
    page = client.get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert 'href="/dossiers/%d/oudercontacten/nieuw?stap=inform-parents"' % case.id in page
    form_page = client.get("/dossiers/%d/oudercontacten/nieuw?stap=inform-parents" % case.id).get_data(as_text=True)
    assert '<option selected value="inform-parents">' in form_page
    assert post_contact(client, case, complete_step="inform-parents").status_code == 302
    done = step(case, "inform-parents")
    assert done.status == "done" and done.done_by.username == "mentor"
    assert done.note.startswith("oudercontact van ")
    again = client.get("/dossiers/%d/oudercontacten/nieuw" % case.id).get_data(as_text=True)
    assert 'value="inform-parents"' not in again


def test_a_step_that_is_not_offered_is_refused_and_nothing_is_saved(login_as):
    client = login_as("mentor")
    case = demo_case("0001")
    before = models.ParentContact.select().count()
    response = post_contact(client, case, complete_step="joint-talk")
    assert response.status_code == 400
    assert "Ongeldige keuze" in response.get_data(as_text=True)
    assert models.ParentContact.select().count() == before
    assert step(case, "joint-talk").status == "open"


def test_bad_input_gets_dutch_messages_beside_the_fields_and_keeps_what_was_typed(login_as):
    client = login_as("mentor")
    case = demo_case("0001")
    before = models.ParentContact.select().count()
    tomorrow = (db.today() + datetime.timedelta(days=1)).isoformat()
    response = post_contact(client, case, pupil="", contacted_on=tomorrow, summary="   ",
                            agreed="Wat de ouders vroegen, bewaard na een fout.")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert 'id="parent-pupil-error">Kies de leerling om wiens ouders het gaat.' in page
    assert 'id="parent-contacted_on-error">Een oudercontact in de toekomst kan nog niet worden vastgelegd.' in page
    assert 'id="parent-summary-error">Schrijf kort op wat er besproken is.' in page
    assert "Wat de ouders vroegen, bewaard na een fout." in page
    assert 'value="%s"' % tomorrow in page
    assert models.ParentContact.select().count() == before


def test_garbage_in_every_field_is_a_message_not_a_500(login_as):
    client = login_as("mentor")
    response = post_contact(client, demo_case("0001"), pupil="abc", channel="pigeon", contacted_on="gisteren",
                            by_user="999999", summary="x" * 5001)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    for field in ("pupil", "channel", "contacted_on", "by_user", "summary"):
        assert 'id="parent-%s-error"' % field in page, field
    assert "Hoogstens 5000 tekens." in page


def test_only_parents_of_pupils_in_the_case(login_as):
    client = login_as("mentor")
    response = post_contact(client, demo_case("0001"), pupil=pupil("Lotte").id)
    assert response.status_code == 400
    assert not models.ParentContact.select().where(models.ParentContact.pupil == pupil("Lotte"),
                                                   models.ParentContact.case == demo_case("0001")).exists()


def test_a_closed_case_takes_no_new_contacts(login_as):
    client = login_as("coordinator")
    closed = models.Case.get(models.Case.status == "closed")
    before = models.ParentContact.select().count()
    response = post_contact(client, closed, pupil=pupil("Mees").id)
    assert response.status_code == 302
    assert models.ParentContact.select().count() == before
    assert "Dit dossier is gesloten." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_form_loads_as_a_fragment_when_opened_on_the_case_page(login_as):
    """The case page does not build the form; opening it fetches the fragment the form page includes."""
    client = login_as("mentor")
    case = demo_case("0001")
    url = "/dossiers/%d/oudercontacten/nieuw" % case.id
    page = client.get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert 'data-hx-get="%s"' % url in page and 'name="parent-summary"' not in page
    fragment = client.get(url, headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and 'name="parent-summary"' in body
    assert "HX-Request" in fragment.headers["Vary"]
    assert "<html" in client.get(url).get_data(as_text=True)


def test_the_form_has_the_open_parents_step_chosen(login_as):
    """Case 0002 (online bullying) waits for the victim's parents to be informed: the contact form, on the case page
    (loaded by htmx) and on its own, has that step chosen, so saving the contact completes it without a tap more.
    Opened for a measure's parents (the to-do), it chooses no step."""
    client = login_as("mentor")
    case = demo_case("0002")
    assert step(case, "inform-parents").status == "open"
    path = "/dossiers/%d/oudercontacten/nieuw" % case.id
    for page in (client.get(path, headers={"HX-Request": "true"}), client.get(path)):
        assert '<option selected value="inform-parents">' in page.get_data(as_text=True)
    measure_form = client.get(path + "?leerling=%d" % pupil("Noor").id).get_data(as_text=True)
    assert '<option selected value="">' in measure_form
