"""The counsellor's reading of a case: a complaint links to a case only through a pupil of that case,
and opens of that case what concerns that pupil (permissions/rules.py states the rule)."""
import datetime
import re

import pytest

import db
import models
from conftest import csrf_token, demo_case, demo_user
from domain import complaints, conversations
from permissions import may_read_record


def pupil(first_name):
    return models.Pupil.get(models.Pupil.first_name == first_name)


def form_data(client, path, **fields):
    data = {"csrf_token": csrf_token(client, path), "received_on": db.today().isoformat(),
            "complainant_kind": "parent", "complainant_name": "meneer Jansen", "complainant_contact": "06-11111111",
            "pupil": "", "case_reference": "", "description": "Niemand luistert naar ons."}
    data.update(fields)
    return data


def field_error(html, field_id):
    match = re.search(r'<p class="field__error" id="%s-error">([^<]*)</p>' % re.escape(field_id), html)
    return match.group(1) if match else None


def complaint_count():
    return models.Complaint.select().count()


# Linking a complaint to a case ----------------------------------------------------------------

def test_a_case_number_without_a_pupil_links_nothing_and_keeps_what_was_typed(login_as):
    client = login_as("counsellor")
    before = complaint_count()
    response = client.post("/klachten/nieuw", data=form_data(client, "/klachten/nieuw",
                                                             case_reference=demo_case("0002").reference))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert field_error(html, "case_reference") == ("Kies eerst de leerling over wie de klacht gaat: een dossier "
                                                   "wordt alleen via een leerling van dat dossier gekoppeld.")
    assert 'value="%s"' % demo_case("0002").reference in html and "Niemand luistert naar ons." in html
    assert 'value="meneer Jansen"' in html
    assert complaint_count() == before
    assert login_as("counsellor").get("/dossiers/%d" % demo_case("0002").id).status_code == 404


def test_a_wrong_pair_gets_the_same_answer_whether_the_case_exists_or_not(login_as):
    """No one learns which case numbers exist by typing them."""
    client = login_as("counsellor")
    noor = pupil("Noor")
    answers = []
    for reference in (demo_case("0003").reference, "2026-9999"):
        response = client.post("/klachten/nieuw", data=form_data(client, "/klachten/nieuw", pupil=str(noor.id),
                                                                 case_reference=reference))
        assert response.status_code == 400
        message = field_error(response.get_data(as_text=True), "case_reference")
        assert message and reference in message
        answers.append(message.replace(reference, "…"))
    assert answers[0] == answers[1]
    assert answers[0] == "Noor Hoekstra is niet betrokken bij een dossier met nummer …. Controleer het dossiernummer."


def test_the_domain_refuses_a_case_without_a_pupil_of_it_too(app_context):
    case, noor = demo_case("0002"), pupil("Noor")
    counsellor = demo_user("counsellor")
    for fields in ({"pupil": None}, {"pupil": noor}):
        with pytest.raises(complaints.ComplaintError):
            complaints.record(counsellor, received_on=db.today(), complainant_kind="parent", description="x",
                              case=case, **fields)
    complaint = models.Complaint.select().first()
    with pytest.raises(complaints.ComplaintError):
        complaints.update(complaint, case=case)
    assert models.Complaint.get_by_id(complaint.id).case_id == demo_case("0001").id


@pytest.mark.parametrize("about", [None, "Noor"], ids=["no pupil", "a pupil of another case"])
def test_an_older_complaint_linked_without_a_pupil_of_the_case_opens_nothing(login_as, about):
    """Complaints saved before the rule, linked by number alone, no longer open the case."""
    case = demo_case("0002")
    complaint = models.Complaint.create(received_on=db.today(), complainant_kind="parent", description="x",
                                        case=case, pupil=pupil(about) if about else None,
                                        counsellor=demo_user("counsellor"))
    client = login_as("counsellor")
    assert client.get("/dossiers/%d" % case.id).status_code == 404
    evidence = models.Evidence.get(models.Evidence.case == case, models.Evidence.file_name.is_null(False))
    assert client.get("/bewijs/%d/bekijken" % evidence.id).status_code == 404
    assert client.get("/dossiers/%d/bewijs.pdf" % case.id).status_code == 404
    page = client.get("/klachten/%d" % complaint.id).get_data(as_text=True)
    assert 'href="/dossiers/%d"' % case.id not in page
    assert "geeft geen inzage" in page
    # The same complaint about a pupil of the case does open it: the check above can fail.
    models.Complaint.update(pupil=pupil("Lotte")).where(models.Complaint.id == complaint.id).execute()
    assert login_as("counsellor").get("/dossiers/%d" % case.id).status_code == 200


# What the counsellor reads of a linked case ---------------------------------------------------

@pytest.fixture
def others_records(app, factory):
    """Case 0001 (the demo complaint is about Noor, its victim) with records of Noor and of Daan, its bully."""
    with app.app_context():
        case, noor, daan = demo_case("0001"), pupil("Noor"), pupil("Daan")
        mentor = demo_user("mentor")
        with models.db.atomic():
            noor_talk = conversations.start(case, "victim-talk", "victim-conversation", mentor,
                                            [(noor, noor.display_name, "victim")])
            models.ConversationLine.create(conversation=noor_talk, kind="wish", client_key="k-noor",
                                           text="Noor-wens-ZICHTBAAR")
            daan_talk = conversations.start(case, "bully-talk", "bully-guidance", mentor,
                                            [(daan, daan.display_name, "bully")])
            models.ConversationLine.create(conversation=daan_talk, kind="note", client_key="k-daan",
                                           text="Daan-gesprek-GEHEIM")
            daan_agreement = models.Agreement.create(case=case, version=7, created_by=mentor,
                                                     commitments="Daan-afspraak-GEHEIM")
            models.AgreementParty.create(agreement=daan_agreement, pupil=daan, name=daan.display_name, role="bully")
            models.FollowUp.create(case=case, agreement=daan_agreement, due_on=db.today(), done_at=db.utcnow(),
                                   outcome="not_kept", note="Vervolg-Daan-GEHEIM")
            models.ParentContact.create(case=case, pupil=daan, channel="phone", contacted_on=db.today(),
                                        by_user=mentor, summary="Vader-van-Daan-GEHEIM")
            models.Measure.create(case=case, pupil=daan, phase=1, description="Strafwerk-Daan-GEHEIM",
                                  decided_by=mentor, decided_on=db.today())
            daan_referral = models.Referral.create(case=case, pupil=daan, target="training", referred_on=db.today(),
                                                   by_user=mentor, note="Training-Daan-GEHEIM")
            daan_report = models.Report.create(reported_on=db.today(), created_by=mentor, reporter_kind="staff",
                                               channel="conversation", description="Melding-over-Daan-GEHEIM",
                                               status="in_case", case=case)
            models.ReportPupil.create(report=daan_report, pupil=daan)
            models.CaseEvent.add(case, "parent_contact", "Tijdlijn-Daan-GEHEIM", mentor)
            # The online case's screenshot, moved into this case.
            evidence = models.Evidence.get(models.Evidence.file_name.is_null(False))
            models.Evidence.update(case=case, description="Bewijs-GEHEIM").where(
                models.Evidence.id == evidence.id).execute()
            before = factory.case(bully=daan, status="closed")  # Daan bullied before: the case page warns
            models.Case.update(opened_at=case.opened_at - datetime.timedelta(days=30)).where(
                models.Case.id == before.id).execute()
        return {"case": case, "noor_talk": noor_talk, "daan_talk": daan_talk, "daan_agreement": daan_agreement,
                "daan_referral": daan_referral, "daan_report": daan_report, "evidence": evidence,
                "noor_agreement": models.Agreement.get(models.Agreement.case == case,
                                                       models.Agreement.status == "locked"),
                "noor_report": models.Report.get(models.Report.case == case,
                                                 models.Report.id != daan_report.id)}


SECRETS = ("Leidraad: gesprek met de leerling die pest", "Vader-van-Daan-GEHEIM", "Strafwerk-Daan-GEHEIM",
           "Training-Daan-GEHEIM", "Melding-over-Daan-GEHEIM", "Tijdlijn-Daan-GEHEIM", "Bewijs-GEHEIM",
           "Daan en Tim zeggen toe Noor met rust te laten.", "was eerder pester", "versie 7", "Vervolg-Daan-GEHEIM")
NOOR_S = ("Moeder geïnformeerd over de melding en de aanpak.", "Noor slaapt slecht en wil niet meer naar de pauze.",
          "Leidraad: gesprek met de gepeste leerling", "versie 1", "Noor vertelde na de les", "Noor komt graag",
          "Noor speelt mee; het gaat goed.")


def test_the_case_page_shows_the_counsellor_what_concerns_the_complaints_pupil_only(login_as, others_records):
    case = others_records["case"]
    counsellor = login_as("counsellor").get("/dossiers/%d" % case.id)
    mentor = login_as("mentor").get("/dossiers/%d" % case.id).get_data(as_text=True)
    page = counsellor.get_data(as_text=True)
    assert counsellor.status_code == 200
    for secret in SECRETS:
        assert secret in mentor, secret  # the check below can fail
        assert secret not in page, secret
    for own in NOOR_S:
        assert own in page, own
    # Every pupil and their role stay: whose case it is, is what the complaint is about.
    for involvement in case.involved_pupils():
        assert involvement.pupil.sort_name in page
    assert "alleen wat over Noor Hoekstra gaat" in page
    assert 'href="/dossiers/%d/bewijs.pdf"' % case.id not in page


def test_the_counsellor_opens_the_records_of_the_complaints_pupil_and_no_others(login_as, others_records):
    records = others_records
    client = login_as("counsellor")
    allowed = ["/gesprekken/%d" % records["noor_talk"].id,
               "/herstelovereenkomsten/%d" % records["noor_agreement"].id,
               "/herstelovereenkomsten/%d/pdf" % records["noor_agreement"].id,
               "/meldingen/%d" % records["noor_report"].id]
    refused = ["/gesprekken/%d" % records["daan_talk"].id,
               "/herstelovereenkomsten/%d" % records["daan_agreement"].id,
               "/herstelovereenkomsten/%d/pdf" % records["daan_agreement"].id,
               "/meldingen/%d" % records["daan_report"].id,
               "/bewijs/%d/bekijken" % records["evidence"].id,
               "/bewijs/%d/downloaden" % records["evidence"].id,
               "/doorverwijzingen/%d/afsluiten" % records["daan_referral"].id]
    for path in allowed:
        assert client.get(path).status_code == 200, path
    for path in refused:
        assert login_as("mentor").get(path).status_code == 200, path  # the mentor reads them
        assert client.get(path).status_code == 404, path
    # The evidence log of the whole case is not the pupil's: refused with a message.
    response = client.get("/dossiers/%d/bewijs.pdf" % records["case"].id)
    assert response.status_code == 403 and "geen toegang" in response.get_data(as_text=True)
    # Writes on another pupil's records: as if they did not exist, and nothing changes.
    token = csrf_token(client, "/account/")
    line_count = models.ConversationLine.select().count()
    for path, data in {"/gesprekken/%d/regels" % records["daan_talk"].id: {"kind": "note", "text": "x"},
                       "/gesprekken/%d/afronden" % records["daan_talk"].id: {},
                       "/herstelovereenkomsten/%d/ouders" % records["daan_agreement"].id: {"name": "x"},
                       "/doorverwijzingen/%d/afsluiten" % records["daan_referral"].id: {},
                       "/bewijs/%d/verwijderen" % records["evidence"].id: {}}.items():
        assert client.post(path, data=dict(data, csrf_token=token)).status_code == 404, path
    assert models.ConversationLine.select().count() == line_count
    assert models.Conversation.get_by_id(records["daan_talk"].id).ended_at is None
    assert models.Evidence.get_or_none(models.Evidence.id == records["evidence"].id) is not None


def test_the_conversation_of_the_complaints_pupil_reads_as_a_report(login_as, others_records):
    page = login_as("counsellor").get("/gesprekken/%d" % others_records["noor_talk"].id).get_data(as_text=True)
    assert "Noor-wens-ZICHTBAAR" in page and "nog bezig" in page


def test_a_counsellor_who_is_also_the_cases_mentor_reads_the_whole_case(login_as, others_records):
    mentor = demo_user("mentor")
    mentor.set_roles(["mentor", "counsellor"])
    page = login_as("mentor").get("/dossiers/%d" % others_records["case"].id).get_data(as_text=True)
    for secret in SECRETS:
        assert secret in page, secret


def test_the_counsellor_reads_the_checklist_and_the_follow_ups_of_the_complaints_pupil_s_talks_and_agreements(
        app, others_records):
    """A talk's checklist items belong to its pupils, and a follow-up without a pupil (from before they were
    per pupil) to the pupils of the talk or agreement it came from."""
    records = others_records
    with app.app_context():
        case, counsellor = records["case"], demo_user("counsellor")
        noor_item = models.ChecklistEntry.get(models.ChecklistEntry.conversation == records["noor_talk"])
        daan_item = models.ChecklistEntry.get(models.ChecklistEntry.conversation == records["daan_talk"])
        follow_ups = {name: models.FollowUp.create(case=case, due_on=db.today(), **source) for name, source in (
            ("noor_talk", {"conversation": records["noor_talk"]}), ("daan_talk", {"conversation": records["daan_talk"]}),
            ("noor_agreement", {"agreement": records["noor_agreement"]}),
            ("daan_agreement", {"agreement": records["daan_agreement"]}))}
        assert may_read_record(counsellor, noor_item, case) and not may_read_record(counsellor, daan_item, case)
        assert may_read_record(counsellor, follow_ups["noor_talk"], case)
        assert may_read_record(counsellor, follow_ups["noor_agreement"], case)
        assert not may_read_record(counsellor, follow_ups["daan_talk"], case)
        assert not may_read_record(counsellor, follow_ups["daan_agreement"], case)
        # A talk with no pupil in it (a parent alone) concerns no pupil: not the counsellor's to read.
        with models.db.atomic():
            parents_talk = conversations.start(case, "victim-talk", "victim-conversation", demo_user("mentor"),
                                               [(None, "Moeder van Noor", "parent")])
        assert not may_read_record(counsellor, parents_talk, case)
        mentor = demo_user("mentor")  # who reads the whole case reads them all
        assert all(may_read_record(mentor, record, case)
                   for record in [daan_item, parents_talk, *follow_ups.values()])


def test_the_counsellor_opens_the_page_of_the_complaints_pupil_and_not_of_the_other_pupils_in_the_case(login_as):
    """Noor's page, with the case of the complaint; Daan's, Tim's and Emma's are not the counsellor's to read
    (404, as any page one may not see), and the case page does not link to them."""
    client = login_as("counsellor")
    case = demo_case("0001")
    noor = pupil("Noor")
    others = [pupil(name) for name in ("Daan", "Tim", "Emma")]
    page = client.get("/leerlingen/%d" % noor.id)
    assert page.status_code == 200 and case.reference in page.get_data(as_text=True)
    for other in others:
        assert client.get("/leerlingen/%d" % other.id).status_code == 404, other.first_name
    case_page = client.get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert set(re.findall(r'href="/leerlingen/(\d+)"', case_page)) == {str(noor.id)}
    assert all(other.sort_name in case_page for other in others)  # named as in the case, not opened
    # The case's mentor still opens every pupil's page.
    mentor = login_as("mentor")
    assert all(mentor.get("/leerlingen/%d" % other.id).status_code == 200 for other in others)
