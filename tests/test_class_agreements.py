"""Class agreements (a poster for the classroom) and the first-years' bullying contract (signed per pupil)."""
import io
import re

from pypdf import PdfReader

import models
from conftest import csrf_token, demo_user
from db import today
from domain import prevention


def pdf_text(data):
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


def class_of(name):
    return models.SchoolClass.get(name=name)


def test_a_new_school_years_agreements_start_from_the_year_levels_template(login_as):
    two_b = class_of("2B")
    page = login_as("mentor").get("/preventie/klassen/%d?jaar=%d" % (two_b.id, prevention.current_school_year() + 1))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Nog geen klassenafspraken" in html
    assert prevention.agreement_template(2)[0] in html and prevention.agreement_template(1)[0] not in html


def test_the_mentor_writes_the_agreements_and_prints_them_as_a_poster(login_as):
    mentor, one_a = login_as("mentor"), class_of("1A")
    year = prevention.current_school_year() + 1
    url = "/preventie/klassen/%d?jaar=%d" % (one_a.id, year)
    response = mentor.post(url, data={"csrf_token": csrf_token(mentor, url), "agreement-rules":
                                      "We luisteren naar elkaar.\n\n  We helpen elkaar.  ",
                                      "agreement-made_on": today().isoformat(), "agreement-reviewed_on": ""})
    assert response.status_code == 302
    agreement = prevention.class_agreement(one_a, year)
    assert agreement.rule_lines == ["We luisteren naar elkaar.", "We helpen elkaar."]
    assert models.AuditEvent.select().where(models.AuditEvent.action == "prevention.class_agreement").exists()
    poster = mentor.get("/preventie/klassen/%d/afspraken.pdf?jaar=%d" % (one_a.id, year))
    assert poster.mimetype == "application/pdf"
    text = pdf_text(poster.data)
    assert "Zo gaan wij met elkaar om" in text and "Klas 1A" in text
    assert "We luisteren naar elkaar." in text and "We helpen elkaar." in text
    reader = PdfReader(io.BytesIO(poster.data))
    assert [round(float(value)) for value in reader.pages[0].mediabox[2:]] == [595, 842]  # A4
    sizes = set()
    reader.pages[0].extract_text(visitor_text=lambda text, cm, tm, font, size: sizes.add(round(size * tm[0])))
    assert max(sizes) >= 30  # large type


def test_agreements_refuse_too_many_rules_keeping_what_was_typed(login_as):
    mentor, one_a = login_as("mentor"), class_of("1A")
    url = "/preventie/klassen/%d" % one_a.id
    rules = "\n".join("Afspraak %d" % number for number in range(16))
    response = mentor.post(url, data={"csrf_token": csrf_token(mentor, url), "agreement-rules": rules,
                                      "agreement-made_on": today().isoformat()})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Hoogstens 15 afspraken" in html and "Afspraak 15" in html
    assert 'href="#agreement-rules"' in html


def test_another_mentor_neither_reads_nor_writes_a_class_that_is_not_theirs(login_as):
    mentor2, one_a = login_as("mentor2"), class_of("1A")
    assert mentor2.get("/preventie/klassen/%d" % one_a.id).status_code == 403
    response = mentor2.post("/preventie/klassen/%d/contract" % one_a.id, data={
        "csrf_token": csrf_token(mentor2, "/"), "contract-pupils": [], "contract-signed_on": today().isoformat()})
    assert response.status_code == 403
    assert models.ContractSignature.select().count() == 4  # the demo's signatures are all still there


def test_the_contract_records_who_signed_and_who_did_not_yet(login_as):
    mentor, one_a = login_as("mentor"), class_of("1A")
    year = prevention.current_school_year()
    status = prevention.contract_status(one_a, year)
    signed = [pupil.id for pupil, signature in status if signature]
    not_yet = [pupil for pupil, signature in status if signature is None]
    assert len(signed) == 4 and len(not_yet) == 2
    url = "/preventie/klassen/%d" % one_a.id
    response = mentor.post(url + "/contract", data={
        "csrf_token": csrf_token(mentor, url), "contract-pupils": [str(i) for i in signed[1:] + [not_yet[0].id]],
        "contract-signed_on": today().isoformat()})
    assert response.status_code == 302
    after = dict((pupil.id, signature) for pupil, signature in prevention.contract_status(one_a, year))
    assert after[not_yet[0].id].signed_on == today() and after[not_yet[0].id].recorded_by_id == demo_user("mentor").id
    assert after[signed[0]] is None  # unchecked: a mistake taken back
    event = models.AuditEvent.get(models.AuditEvent.action == "prevention.contract_signatures")
    assert "1 getekend, 1 teruggenomen" in event.detail
    html = mentor.get(url).get_data(as_text=True)
    assert "4 van 6 leerlingen hebben getekend" in html and "nog niet getekend" in html


def test_the_printable_contract_has_a_page_per_pupil_with_name_and_signature_lines(login_as):
    mentor, one_a = login_as("mentor"), class_of("1A")
    data = mentor.get("/preventie/klassen/%d/contract.pdf" % one_a.id).data
    reader = PdfReader(io.BytesIO(data))
    pupils = [pupil for pupil, _ in prevention.contract_status(one_a, prevention.current_school_year())]
    assert len(reader.pages) == len(pupils) == 6
    for page, pupil in zip(reader.pages, pupils):
        text = re.sub(r"\s+", " ", page.extract_text())
        assert "Naam: %s" % pupil.display_name in text and "Handtekening leerling" in text
        assert "Ik behandel anderen zoals ik zelf behandeld wil worden" in text
    unsigned = PdfReader(io.BytesIO(mentor.get("/preventie/klassen/%d/contract.pdf?wie=nog" % one_a.id).data))
    assert len(unsigned.pages) == 2


def test_only_first_year_classes_sign_the_contract(login_as):
    coordinator, two_b = login_as("coordinator"), class_of("2B")
    assert coordinator.get("/preventie/klassen/%d/contract.pdf" % two_b.id).status_code == 404
    assert 'id="contract"' not in coordinator.get("/preventie/klassen/%d" % two_b.id).get_data(as_text=True)
    assert 'id="contract"' in coordinator.get("/preventie/klassen/%d" % class_of("1A").id).get_data(as_text=True)


def test_the_overview_shows_each_class_and_the_contracts_count(login_as):
    html = login_as("coordinator").get("/preventie/").get_data(as_text=True)
    assert "pestcontract: 4 van 6 getekend" in html and "Klas 3C" in html
    mentor_html = login_as("mentor").get("/preventie/").get_data(as_text=True)
    assert "Klas 1A" in mentor_html and "Klas 3C" not in mentor_html


def signature_data_url():
    """A drawn line, as the signature pad sends it."""
    import base64
    from PIL import Image, ImageDraw
    image = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(10, 80), (120, 20), (290, 70)], fill=(0, 0, 0, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_representatives_sign_on_the_tablet_and_the_signed_agreements_are_locked_with_their_hash(login_as):
    mentor, one_a = login_as("mentor"), class_of("1A")
    url = "/preventie/klassen/%d" % one_a.id
    token = csrf_token(mentor, url + "/tekenen")
    empty = mentor.post(url + "/tekenen", data={"csrf_token": token, "name": "Sem", "signature": ""})
    assert empty.status_code == 400 and 'value="Sem"' in empty.get_data(as_text=True)  # typed name kept
    assert 'href="#signature-pad"' in empty.get_data(as_text=True)  # the summary leads to the pad
    nameless = mentor.post(url + "/tekenen", data={"csrf_token": token, "name": " ", "signature": signature_data_url()})
    page = nameless.get_data(as_text=True)
    assert nameless.status_code == 400 and 'href="#signer-name"' in page  # in the summary, and by the field:
    assert 'aria-describedby="signer-name-error"' in page and 'id="signer-name-error">Vul de naam in' in page
    assert mentor.post(url + "/vastzetten", data={"csrf_token": token}).status_code == 302
    agreement = prevention.class_agreement(one_a, prevention.current_school_year())
    assert agreement.locked_at is None  # nobody signed yet: nothing to lock
    for name in ("Sem Jansen", "Julia de Graaf"):
        response = mentor.post(url + "/tekenen", data={"csrf_token": token, "name": name,
                                                       "signature": signature_data_url()})
        assert response.status_code == 303
    assert mentor.post(url + "/vastzetten", data={"csrf_token": token}).status_code == 302
    agreement = prevention.class_agreement(one_a, prevention.current_school_year())
    signatures = list(agreement.signatures.order_by(models.ClassAgreementSignature.id))
    assert agreement.locked_at and agreement.content_sha256 == prevention.class_agreement_hash(agreement, signatures)
    assert [signature.name for signature in signatures] == ["Sem Jansen", "Julia de Graaf"]
    changed = mentor.post(url, data={"csrf_token": token, "agreement-rules": "Iets anders.",
                                     "agreement-made_on": today().isoformat()})
    assert changed.status_code == 400 and "vastgezet" in changed.get_data(as_text=True)
    assert prevention.class_agreement(one_a, prevention.current_school_year()).rules == agreement.rules
    late = mentor.post(url + "/tekenen", data={"csrf_token": token, "name": "Milan", "signature": signature_data_url()})
    assert late.status_code == 400 and agreement.signatures.count() == 2
    poster = pdf_text(mentor.get(url + "/afspraken.pdf").data)
    assert "Getekend door" in poster and "Sem Jansen, Julia de Graaf" in poster
    assert agreement.content_sha256 in poster
    actions = {event.action for event in models.AuditEvent.select()}
    assert {"prevention.class_agreement_sign", "prevention.class_agreement_lock"} <= actions
