"""The restoration agreement: drafted from the conversation, hashed, printed, locked once signed."""
import datetime
import io

import pytest
from PIL import Image
from pypdf import PdfReader

import agreements
import models
import pdf
from conftest import demo_case, demo_user


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def signature_png(wave=40):
    """A real PNG like a finger drawing: dark strokes on a transparent canvas, one shape per party."""
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    for x in range(40, 560):
        image.putpixel((x, 100 + (x % wave) - wave // 2), (20, 20, 20, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def draft(app_context):
    """A draft from the joint conversation on the 3C case (Isa, Bram and Finn)."""
    case = demo_case("0003")
    joint = models.Conversation.get(models.Conversation.case == case,
                                    models.Conversation.template_key == "no-blame-joint-conversation")
    with models.db.atomic():
        agreement = agreements.draft(case, demo_user("mentor2"), joint)
        agreements.update(agreement, restorative_act="Bram helpt Isa haar kluisje opnieuw in te richten.",
                          support_figures="Mevrouw El Amrani; Sophie Brouwer (klasgenoot)",
                          period_start=datetime.date(2026, 11, 23), period_end=datetime.date(2027, 1, 29),
                          evaluation_on=datetime.date(2026, 12, 7))
    return agreement


def test_a_draft_takes_the_agreements_made_in_the_conversation(draft):
    assert agreements.commitment_lines(draft) == [
        "Van nu af aan groeten we elkaar gewoon en laten we elkaars spullen met rust.",
        "Als er iets gebeurt, meldt Isa het meteen bij mevrouw El Amrani."]
    assert [(p.name, p.role) for p in draft.parties.order_by(models.AgreementParty.id)] == [
        ("Bram van der Linden", "bully"), ("Finn Meijer", "follower"), ("Isa Vos", "victim"),
        ("Fatima El Amrani", "mentor")]
    assert draft.version == 2 and draft.status == "draft"  # the demo school has version 1


def test_the_pdf_holds_every_party_commitment_version_and_the_stored_hash(draft):
    text = pdf_text(pdf.agreement_pdf(draft, "Het Baken"))
    for name in ("Bram van der Linden", "Finn Meijer", "Isa Vos", "Fatima El Amrani"):
        assert name in text
    for line in agreements.commitment_lines(draft):
        assert " ".join(line.split()) in " ".join(text.split())
    assert "versie 2" in text and "CONCEPT" in text
    assert draft.content_sha256 == agreements.content_hash(draft) and draft.content_sha256 in text
    assert "23 november 2026" in text and "29 januari 2027" in text and "pagina 1 van" in text


def test_the_hash_changes_with_the_content(draft):
    before = draft.content_sha256
    agreements.update(draft, commitments=draft.commitments + "\nBram zegt sorry tegen Isa.")
    assert draft.content_sha256 != before


def test_a_signed_agreement_is_locked_and_prints_the_signatures(draft):
    with pytest.raises(agreements.AgreementError, match="Nog niet iedereen"):
        agreements.lock(draft)
    for number, party in enumerate(draft.parties):
        if party.role == "mentor":
            party.signed_on_paper = True
        else:
            party.signature_png = signature_png(30 + 10 * number)
            party.signed_at = datetime.datetime(2026, 11, 23, 13, 5)
        party.save()
    agreements.lock(draft)
    data = pdf.agreement_pdf(draft, "Het Baken")
    text = pdf_text(data)
    assert "CONCEPT" not in text and "getekend op papier" in text and "23 november 2026 14:05" in text
    assert sum(len(page.images) for page in PdfReader(io.BytesIO(data)).pages) == 3
    with pytest.raises(agreements.AgreementError, match="nieuwe versie"):
        agreements.update(draft, restorative_act="Iets anders")
    assert models.Agreement.get_by_id(draft.id).restorative_act.startswith("Bram helpt")
    second = agreements.draft(draft.case, demo_user("mentor2"))
    assert second.version == 3 and second.status == "draft"


def test_a_period_that_ends_before_it_starts_is_refused(draft):
    with pytest.raises(agreements.AgreementError, match="eindigt voordat"):
        agreements.update(draft, period_start=datetime.date(2027, 1, 1), period_end=datetime.date(2026, 12, 1))


def test_text_with_markup_and_odd_characters_prints_safely(draft):
    agreements.update(draft, restorative_act="<b>vet</b> & <script>alert(1)</script> — ‘aanhalingstekens’")
    text = pdf_text(pdf.agreement_pdf(draft, "Het Baken & co"))
    assert "<script>alert(1)</script>" in text and "Het Baken & co" in text


def test_mentor_drafts_edits_and_downloads_the_agreement(login_as):
    from conftest import csrf_token
    client = login_as("mentor2")
    case = demo_case("0003")
    joint = models.Conversation.get(models.Conversation.case == case,
                                    models.Conversation.template_key == "no-blame-joint-conversation")
    token = csrf_token(client, "/dossiers/%d" % case.id)
    response = client.post("/herstelovereenkomsten/nieuw/%d" % case.id, data={"csrf_token": token, "gesprek": joint.id})
    agreement = models.Agreement.select().order_by(models.Agreement.id.desc()).first()
    assert response.headers["Location"] == "/herstelovereenkomsten/%d" % agreement.id
    assert agreement.version == 2 and "groeten we elkaar" in agreement.commitments  # the demo has version 1

    bad = client.post("/herstelovereenkomsten/%d" % agreement.id, data={
        "csrf_token": token, "commitments": "Van nu af aan zit Isa naast Sophie.",
        "period_start": "2026-12-01", "period_end": "2026-11-01"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "De periode eindigt voordat ze begint." in html
    assert "Van nu af aan zit Isa naast Sophie." in html  # what was typed stays
    assert "groeten we elkaar" in models.Agreement.get_by_id(agreement.id).commitments

    download = client.get("/herstelovereenkomsten/%d/pdf" % agreement.id)
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "no-store"
    assert agreement.content_sha256 in pdf_text(download.data)
    event = models.AuditEvent.get(models.AuditEvent.action == "agreement.download")
    assert (event.username, event.object_id) == ("mentor2", agreement.id)


def test_a_locked_agreement_cannot_be_edited_over_http(login_as):
    from conftest import csrf_token
    agreement = models.Agreement.select().first()
    for party in agreement.parties:
        party.signed_on_paper = True
        party.save()
    with models.db.atomic():
        agreements.lock(agreement)
    client = login_as("coordinator")
    token = csrf_token(client, "/herstelovereenkomsten/%d" % agreement.id)
    client.post("/herstelovereenkomsten/%d" % agreement.id, data={"csrf_token": token, "commitments": "Anders"})
    assert models.Agreement.get_by_id(agreement.id).commitments != "Anders"
