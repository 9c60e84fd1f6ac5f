"""What issue 20 found to mend: the mentor a new case gets, guides with their own numbers, the case list's
step filter, and the support-group approach's words."""
import io
import re

from pypdf import PdfReader

import models
from conftest import csrf_token, demo_case, demo_user
from domain import agreements, conversations, pdf


def pupil(first_name):
    return models.Pupil.get(models.Pupil.first_name == first_name)


def open_case(client, **fields):
    data = {"csrf_token": csrf_token(client, "/dossiers/nieuw"), "protocol": "vo-nl", "title": "Duwen in de gang",
            "role_%d" % pupil("Noor").id: "victim", "role_%d" % pupil("Amira").id: "bully"}
    data.update(fields)
    return client.post("/dossiers/nieuw", data=data)


def test_a_new_case_gets_the_mentor_of_the_victims_class_not_the_first_in_the_list(login_as):
    client = login_as("coordinator")
    page = client.get("/dossiers/nieuw").get_data(as_text=True)
    assert re.search(r'<option selected value="0">De mentor van de klas van de gekozen leerlingen', page)
    response = open_case(client, mentor="0")  # what the form sends when the coordinator leaves it
    assert response.status_code == 302
    case = models.Case.get(models.Case.title == "Duwen in de gang")
    assert case.mentor == demo_user("mentor")  # Noor's class 2B; Amira (3C) would have given mentor2


def test_a_mentor_chosen_by_hand_is_kept(login_as):
    response = open_case(login_as("coordinator"), mentor=str(demo_user("mentor2").id))
    assert response.status_code == 302
    assert models.Case.get(models.Case.title == "Duwen in de gang").mentor == demo_user("mentor2")


def test_pupils_without_a_class_mentor_ask_for_one_by_the_field(login_as, factory):
    loner = factory.pupil(first_name="Kai")
    response = open_case(login_as("coordinator"), mentor="0", **{
        "role_%d" % pupil("Noor").id: "", "role_%d" % pupil("Amira").id: "", "role_%d" % loner.id: "victim"})
    assert response.status_code == 400
    assert "Geen van de gekozen leerlingen zit in een klas met een mentor" in response.get_data(as_text=True)
    assert not models.Case.select().where(models.Case.title == "Duwen in de gang").exists()


def test_a_guides_own_numbering_is_shown_once(app, login_as):
    case = demo_case("0001")
    with app.app_context(), models.db.atomic():
        talk = conversations.start(case, "bully-talk", "bully-seventeen-steps", demo_user("mentor"), [])
    first_step = models.ChecklistEntry.get(models.ChecklistEntry.conversation == talk,
                                           models.ChecklistEntry.text.startswith("1. Bedank"))
    assert first_step.position == 5 and first_step.number == 1 and first_step.bare_text.startswith("Bedank")
    page = login_as("mentor").get("/gesprekken/%d" % talk.id).get_data(as_text=True)
    assert '<span class="item__number">1.</span>\n  <span class="item__text">Bedank' in page
    assert "5. 1." not in page and ">1. Bedank" not in page
    preparation = models.ChecklistEntry.get(models.ChecklistEntry.conversation == talk,
                                            models.ChecklistEntry.position == 1)
    assert preparation.number == 1 and preparation.bare_text == preparation.text


def test_the_step_filter_lists_each_step_once_under_the_schools_protocols(login_as):
    client = login_as("coordinator")
    page = client.get("/dossiers/").get_data(as_text=True)
    select = page[page.index('id="f-stap"'):page.index("</select>", page.index('id="f-stap"'))]
    values = re.findall(r'<option value="([^"]+)"', select)
    assert len(values) == len(set(values))
    assert '<optgroup label="Online pesten' in select or "online-pesten:" in select
    assert "stappenplan-vl:" not in select  # a Dutch school: not the Flemish steps
    assert "vo-nl:joint-talk" in values
    by_step = client.get("/dossiers/?stap=vo-nl:joint-talk").get_data(as_text=True)
    open_joint = models.Case.select().join(models.CaseStep).where(  # in the school's protocol, or beside another
        ((models.CaseStep.step_key == "joint-talk") & (models.Case.protocol_key == "vo-nl"))
        | ((models.CaseStep.step_key == "vo-nl:joint-talk") & (models.Case.second_protocol_key == "vo-nl")),
        models.CaseStep.status == "open", models.Case.status == "open")
    assert open_joint.exists()
    for case in models.Case.select().where(models.Case.status == "open"):
        assert (case.reference in by_step) == (case in open_joint)
    assert client.get("/dossiers/?stap=online-pesten:joint-talk").status_code == 200


def set_support_group(case):
    models.Case.update(approach="non_confrontational").where(models.Case.id == case.id).execute()


def test_the_support_group_approach_names_no_bully_on_the_case_page_and_list(login_as):
    case = demo_case("0001")
    client = login_as("coordinator")
    before = client.get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert ">Pester</span>" in before
    set_support_group(case)
    page = client.get("/dossiers/%d" % case.id).get_data(as_text=True)
    pupils = page[page.index('id="pupils-title"'):page.index("</section>", page.index('id="pupils-title"'))]
    assert "Pester" not in pupils and "Meeloper" not in pupils and "Lid van de steungroep" in pupils
    listing = client.get("/dossiers/").get_data(as_text=True)
    row = listing[listing.index(case.reference):listing.index("</tr>", listing.index(case.reference))]
    assert "(lid van de steungroep)" in row and "(pester)" not in row


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_agreement_pdf_of_a_support_group_case_uses_the_groups_words(app_context):
    case = demo_case("0003")
    joint = models.Conversation.get(models.Conversation.case == case,
                                    models.Conversation.template_key == "no-blame-joint-conversation")
    with models.db.atomic():
        agreement = agreements.draft(case, demo_user("mentor2"), joint)
    assert "leerling die pestte" in pdf_text(pdf.agreement_pdf(agreement, "Het Baken"))
    set_support_group(case)
    agreement = models.Agreement.get_by_id(agreement.id)
    text = pdf_text(pdf.agreement_pdf(agreement, "Het Baken"))
    assert "leerling die pestte" not in text and "lid van de steungroep" in text
