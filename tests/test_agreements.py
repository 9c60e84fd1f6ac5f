"""The restoration agreement: drafted from the conversation, hashed, printed, locked once signed."""
import datetime
import hashlib
import io
import json

import peewee
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin
from pypdf import PdfReader

import models
from conftest import demo_case, demo_user
from domain import agreements, conversations, pdf
from db import today as school_today


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
    assert not any(p.signed_at or p.signature_png for p in second.parties)  # signed again, from scratch


def test_a_parent_who_is_present_signs_too(draft):
    before = draft.content_sha256
    agreements.add_parent(draft, "Vader van Bram")
    assert [p.role for p in draft.parties.order_by(models.AgreementParty.id)][-1] == "parent"
    assert draft.content_sha256 != before
    assert "Vader van Bram" in pdf_text(pdf.agreement_pdf(draft, "Het Baken"))
    with pytest.raises(agreements.AgreementError, match="naam van de ouder"):
        agreements.add_parent(draft, "  ")


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
    agreement = models.Agreement.get(models.Agreement.status == "draft")
    for party in agreement.parties:
        party.signed_on_paper = True
        party.save()
    with models.db.atomic():
        agreements.lock(agreement)
    client = login_as("coordinator")
    token = csrf_token(client, "/herstelovereenkomsten/%d" % agreement.id)
    client.post("/herstelovereenkomsten/%d" % agreement.id, data={"csrf_token": token, "commitments": "Anders"})
    assert models.Agreement.get_by_id(agreement.id).commitments != "Anders"


def png_bytes(size, ink=True):
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    if ink:
        for x in range(10, size[0] - 10):
            image.putpixel((x, size[1] // 2), (0, 0, 0, 255))
            image.putpixel((x, size[1] // 2 + 1), (0, 0, 0, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("data,message", [
    (b"GIF89a not a png", "geen PNG"),
    (b"<html><script>alert(1)</script></html>", "geen PNG"),
    (b"\x89PNG\r\n\x1a\n" + b"rubbish" * 10, "geen bruikbare PNG"),
    (png_bytes((1, 1)), "onmogelijke maat"),
    (png_bytes((600, 200), ink=False), "nog geen handtekening"),
    (b"\x89PNG\r\n\x1a\n" + b"0" * (20 * 1024 * 1024), "te groot"),
])
def test_only_a_real_png_signature_of_sane_size_is_accepted(data, message):
    with pytest.raises(agreements.AgreementError, match=message):
        agreements.signature_png(data)


def test_a_real_signature_is_re_encoded():
    original = signature_png()
    clean = agreements.signature_png(original)
    assert clean.startswith(b"\x89PNG") and Image.open(io.BytesIO(clean)).size == (600, 200)


def test_the_last_signature_locks_the_agreement_and_plans_each_pupil_s_follow_ups(draft):
    import time_machine
    parties = list(draft.parties.order_by(models.AgreementParty.id))
    with time_machine.travel(datetime.datetime(2026, 11, 23, 13, 0), tick=False):
        for number, party in enumerate(parties[:-1]):
            assert agreements.sign(draft, party, png=signature_png(30 + 10 * number)) is False
        with pytest.raises(agreements.AgreementError, match="al getekend"):
            agreements.sign(draft, parties[0], png=signature_png())
        assert agreements.sign(draft, parties[-1], on_paper=True) is True
    draft = models.Agreement.get_by_id(draft.id)
    assert draft.status == "locked" and draft.content_sha256 == agreements.content_hash(draft)
    assert models.CaseEvent.select().where(models.CaseEvent.case == draft.case,
                                           models.CaseEvent.kind == "agreement_signed").count() == 1
    D = datetime.date
    talks = {}
    for follow_up in (models.FollowUp.select().where(models.FollowUp.agreement == draft)
                      .order_by(models.FollowUp.due_on)):
        talks.setdefault(follow_up.pupil.first_name, []).append((follow_up.due_on, follow_up.evaluation))
    assert sorted(talks) == ["Bram", "Finn", "Isa"]  # each pupil in the agreement; not the mentor
    for days in talks.values():
        assert days[:5] == [(D(2026, 11, 25), False), (D(2026, 11, 30), False), (D(2026, 12, 7), True),
                            (D(2026, 12, 23), False), (D(2027, 3, 23), False)]  # the evaluation day among them
        assert days[-1] == (D(2028, 9, 23), False) and len(days) == 11  # every 3 months up to two years
    with pytest.raises(agreements.AgreementError, match="vergrendeld"):
        agreements.sign(draft, parties[0], on_paper=True)


def sign_all(agreement):
    for party in agreement.parties.order_by(models.AgreementParty.id):
        agreements.sign(agreement, party, on_paper=True)
    return models.Agreement.get_by_id(agreement.id)


def open_follow_ups(case):
    return models.FollowUp.select().where(models.FollowUp.case == case, models.FollowUp.done_at.is_null(),
                                          models.FollowUp.cancelled_at.is_null())


def test_a_new_version_supersedes_the_old_one_and_cancels_its_follow_ups_to_come(app_context):
    case = demo_case("0001")  # version 1 signed nine days ago: each pupil's talks planned
    first = models.Agreement.get(models.Agreement.case == case)
    old_open = open_follow_ups(case).count()
    late = open_follow_ups(case).where(models.FollowUp.due_on <= school_today()).count()
    held = models.FollowUp.select().where(models.FollowUp.case == case, models.FollowUp.done_at.is_null(False)).count()
    assert old_open > 20 and held == 5 and late == 1  # Tim's talk of a week ago was not held yet
    with models.db.atomic():
        second = agreements.draft(case, demo_user("mentor"))
        agreements.update(second, commitments="Van nu af aan laat Daan Noor meedoen.",
                          evaluation_on=school_today() + datetime.timedelta(days=14))
        second = sign_all(second)
    first = models.Agreement.get_by_id(first.id)
    assert first.superseded_at is not None and second.superseded_at is None
    planned = models.FollowUp.select().where(models.FollowUp.agreement == second).count()
    # Version 2's, and the late talk, which checks version 1: only version 1's talks still to come are cancelled.
    assert open_follow_ups(case).count() == planned + late and planned == 3 * 11
    assert open_follow_ups(case).where(models.FollowUp.agreement == first).count() == late
    cancelled = models.FollowUp.select().where(models.FollowUp.agreement == first,
                                               models.FollowUp.cancelled_at.is_null(False)).count()
    assert cancelled == old_open - late
    assert models.FollowUp.select().where(models.FollowUp.case == case,
                                          models.FollowUp.done_at.is_null(False)).count() == held  # kept
    events = {event.kind: event.text for event in models.CaseEvent.select().where(models.CaseEvent.case == case)}
    assert events["follow_ups_cancelled"] == ("%d open vervolggesprek(ken) vervangen door die van "
                                              "herstelovereenkomst versie 2" % (old_open - late))
    assert events["agreement_superseded"] == "versie 1 vervangen door versie 2"


def test_a_new_draft_closes_the_earlier_draft_which_can_no_longer_be_signed(login_as):
    from conftest import csrf_token
    case = demo_case("0003")
    first = models.Agreement.get(models.Agreement.case == case, models.Agreement.status == "draft")
    client = login_as("mentor2")
    token = csrf_token(client, "/dossiers/%d" % case.id)
    client.post("/herstelovereenkomsten/nieuw/%d" % case.id, data={"csrf_token": token})
    first = models.Agreement.get_by_id(first.id)
    assert first.superseded_at is not None and first.status == "draft"
    assert "Concept versie 1 gesloten: versie 2 is opgesteld" in [
        event.text for event in models.CaseEvent.select().where(models.CaseEvent.kind == "agreement_superseded")]
    page = client.get("/herstelovereenkomsten/%d" % first.id).get_data(as_text=True)
    assert "concept gesloten" in page and "Laten tekenen" not in page
    refused = client.get("/herstelovereenkomsten/%d/tekenen" % first.id)
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/herstelovereenkomsten/%d" % first.id)
    party = first.parties.first()
    with pytest.raises(agreements.AgreementError, match="nieuwere versie"):
        agreements.sign(first, party, on_paper=True)
    with pytest.raises(agreements.AgreementError, match="nieuwere versie"):
        agreements.update(first, commitments="Anders")


@pytest.mark.parametrize("change,field,message", [
    ({"commitments": " \n  "}, "commitments", "Schrijf minstens één afspraak op."),
    ({"period_start": None}, "period_start", "Vul in vanaf wanneer de afspraken gelden."),
    ({"period_end": None}, "period_end", "Vul in tot en met wanneer de afspraken gelden."),
    ({"evaluation_on": None}, "evaluation_on", "Vul de dag van het evaluatiegesprek in."),
    ({"evaluation_on": school_today() - datetime.timedelta(days=1)}, "evaluation_on",
     "Het evaluatiegesprek kan niet in het verleden liggen."),
])
def test_an_agreement_needs_a_commitment_a_period_and_the_evaluation_day_to_be_signed(app_context, change, field,
                                                                                      message):
    agreement = models.Agreement.get(models.Agreement.status == "draft")
    with models.db.atomic():
        agreements.update(agreement, **{"evaluation_on": school_today() + datetime.timedelta(days=7), **change})
    assert agreements.problems_of(agreement) == {field: message}
    with pytest.raises(agreements.AgreementError, match=message):
        agreements.sign(agreement, agreement.parties.first(), on_paper=True)
    assert not models.AgreementParty.select().where(models.AgreementParty.agreement == agreement,
                                                    models.AgreementParty.signed_at.is_null(False)).exists()


def test_a_new_draft_runs_six_weeks_from_today(app_context):
    agreement = agreements.draft(demo_case("0001"), demo_user("mentor"))
    today = school_today()
    assert (agreement.period_start, agreement.period_end, agreement.evaluation_on) == (
        today, today + datetime.timedelta(weeks=6), None)


def test_a_text_does_not_change_once_someone_signed_it(app_context):
    agreement = models.Agreement.get(models.Agreement.status == "draft")
    agreements.sign(agreement, agreement.parties.first(), on_paper=True)
    with pytest.raises(agreements.AgreementError, match="al voor deze tekst getekend"):
        agreements.update(agreement, commitments="Iets anders")
    with pytest.raises(agreements.AgreementError, match="al voor deze tekst getekend"):
        agreements.add_parent(agreement, "Moeder van Isa")


def test_laten_tekenen_saves_what_was_typed_first_or_refuses_with_it_kept(login_as):
    from conftest import csrf_token
    agreement = models.Agreement.get(models.Agreement.status == "draft")
    client = login_as("mentor2")
    url = "/herstelovereenkomsten/%d" % agreement.id
    token = csrf_token(client, url)
    typed = {"csrf_token": token, "action": "sign", "commitments": "Van nu af aan laat Bram het etui van Isa liggen.",
             "restorative_act": "Bram koopt een nieuw etui.", "support_figures": "Sophie",
             "period_start": school_today().isoformat(), "period_end": "", "evaluation_on": ""}
    refused = client.post(url, data=typed)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert 'id="period_end-error">Vul in tot en met wanneer de afspraken gelden.<' in html
    assert 'id="evaluation_on-error">Vul de dag van het evaluatiegesprek in.<' in html
    assert '<a href="#evaluation_on">Vul de dag van het evaluatiegesprek in.</a>' in html  # the summary
    assert "Van nu af aan laat Bram het etui van Isa liggen.</textarea>" in html  # kept
    assert "Bram koopt" not in models.Agreement.get_by_id(agreement.id).restorative_act  # and nothing half saved

    evaluation = school_today() + datetime.timedelta(days=10)
    typed.update(period_end=(school_today() + datetime.timedelta(weeks=6)).isoformat(),
                 evaluation_on=evaluation.isoformat())
    saved = client.post(url, data=typed)
    assert saved.status_code == 302 and saved.headers["Location"] == url + "/tekenen"
    stored = models.Agreement.get_by_id(agreement.id)
    assert (stored.commitments, stored.restorative_act, stored.evaluation_on) == (
        "Van nu af aan laat Bram het etui van Isa liggen.", "Bram koopt een nieuw etui.", evaluation)
    assert stored.content_sha256 == agreements.content_hash(stored)


def test_each_signer_reads_the_whole_text_above_the_pad(login_as):
    agreement = models.Agreement.get(models.Agreement.status == "draft")
    html = login_as("mentor2").get("/herstelovereenkomsten/%d/tekenen" % agreement.id).get_data(as_text=True)
    text = html[html.index('class="sign__text"'):html.index("data-signature-pad")]
    for line in agreements.commitment_lines(agreement):
        assert "<li>%s</li>" % line in text
    assert agreement.restorative_act in text and agreement.support_figures in text
    assert "Evaluatiegesprek op" in text and "tot en met" in text
    for party in agreement.parties:
        assert party.name in text


def test_an_incomplete_text_does_not_reach_the_signing_screen(login_as):
    agreement = models.Agreement.get(models.Agreement.status == "draft")
    models.Agreement.update(commitments="").where(models.Agreement.id == agreement.id).execute()
    client = login_as("mentor2")
    response = client.get("/herstelovereenkomsten/%d/tekenen" % agreement.id)
    assert response.status_code == 302 and response.headers["Location"] == "/herstelovereenkomsten/%d" % agreement.id
    assert "Schrijf minstens één afspraak op." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_signing_over_http_with_a_drawn_png(login_as):
    import base64
    from conftest import csrf_token
    agreement = models.Agreement.get(models.Agreement.status == "draft")
    party = agreement.parties.order_by(models.AgreementParty.id).first()
    client = login_as("mentor2")
    url = "/herstelovereenkomsten/%d/tekenen" % agreement.id
    assert party.name in client.get(url).get_data(as_text=True)
    token = csrf_token(client, url)
    post_url = "/herstelovereenkomsten/%d/partijen/%d" % (agreement.id, party.id)
    bad = client.post(post_url, data={"csrf_token": token, "signature": "data:image/png;base64,bm90IGEgcG5n"})
    assert bad.status_code == 303 and models.AgreementParty.get_by_id(party.id).signed_at is None
    good = client.post(post_url, data={"csrf_token": token, "signature": "data:image/png;base64," +
                                       base64.b64encode(signature_png()).decode()})
    assert good.status_code == 302
    assert models.AgreementParty.get_by_id(party.id).signature_png.startswith(b"\x89PNG")
    other = models.AgreementParty.select().where(models.AgreementParty.agreement != agreement).first()
    if other is not None:
        assert client.post("/herstelovereenkomsten/%d/partijen/%d" % (agreement.id, other.id),
                           data={"csrf_token": token, "on_paper": "1"}).status_code == 404


def test_the_school_logo_is_checked_on_upload_and_printed_on_the_pdf(login_as):
    from conftest import csrf_token
    client = login_as("admin")
    form = {"school_name": "Het Baken", "region": "nl", "default_protocol": "vo-nl", "retention_months": "24"}
    fake = client.post("/instellingen/", content_type="multipart/form-data", data=dict(
        form, csrf_token=csrf_token(client, "/instellingen/"), logo=(io.BytesIO(b"<html>not an image</html>"), "logo.png")))
    assert fake.status_code == 400 and "Dit is geen afbeelding." in fake.get_data(as_text=True)
    assert models.SchoolSettings.current().logo_png is None
    logo = io.BytesIO()
    Image.new("RGB", (300, 120), (11, 85, 99)).save(logo, "JPEG")
    logo.seek(0)
    saved = client.post("/instellingen/", content_type="multipart/form-data", data=dict(
        form, csrf_token=csrf_token(client, "/instellingen/"), logo=(logo, "logo.jpg")))
    assert saved.status_code == 302
    stored = models.SchoolSettings.current().logo_png
    assert stored.startswith(b"\x89PNG")  # re-encoded
    agreement = models.Agreement.get(models.Agreement.status == "draft")
    with_logo = pdf.agreement_pdf(agreement, "Het Baken", stored)
    assert sum(len(page.images) for page in PdfReader(io.BytesIO(with_logo)).pages) == 1


def test_a_signed_agreement_is_built_once_per_worker_and_anew_when_the_school_changes(login_as, monkeypatch):
    from conftest import csrf_token
    built = []
    real_build = pdf.agreement_pdf
    monkeypatch.setattr(pdf, "agreement_pdf", lambda *args: built.append(args[1]) or real_build(*args))
    monkeypatch.setattr(pdf, "_signed_pdfs", pdf._SignedPdfCache())  # nothing from earlier tests
    client = login_as("coordinator")
    signed = models.Agreement.get(models.Agreement.status == "locked")
    first = client.get("/herstelovereenkomsten/%d/pdf" % signed.id)
    again = client.get("/herstelovereenkomsten/%d/pdf" % signed.id)
    assert first.status_code == again.status_code == 200 and first.data == again.data
    assert len(built) == 1
    assert models.AuditEvent.select().where(models.AuditEvent.action == "agreement.download").count() == 2

    admin = login_as("admin")
    renamed = admin.post("/instellingen/", data={
        "school_name": "Het Nieuwe Baken", "region": "nl", "default_protocol": "vo-nl", "retention_months": "24",
        "csrf_token": csrf_token(admin, "/instellingen/")})
    assert renamed.status_code == 302
    after = client.get("/herstelovereenkomsten/%d/pdf" % signed.id)
    assert built[-1] == "Het Nieuwe Baken" and "Het Nieuwe Baken" in pdf_text(after.data)

    draft = models.Agreement.get(models.Agreement.status == "draft")
    client.get("/herstelovereenkomsten/%d/pdf" % draft.id)
    client.get("/herstelovereenkomsten/%d/pdf" % draft.id)
    assert len(built) == 4  # a draft changes until it is signed: built every time



# What the agreement records about itself, not what the parties agreed: everything else the model
# holds is content and must be in the hash, a field added later included.
BOOKKEEPING = {"id", "conversation", "status", "content_sha256", "created_by", "created_at", "locked_at",
               "superseded_at"}
CONTENT = [name for name in models.Agreement._meta.sorted_field_names if name not in BOOKKEEPING]


def changed(field, value, shift):
    """Another value of the field's kind than value: shift (a short text) changes it."""
    if isinstance(field, peewee.ForeignKeyField):
        return field.rel_model.get(field.rel_model.id != value.id)
    if isinstance(field, peewee.DateField):
        return (value or datetime.date(2026, 12, 1)) + datetime.timedelta(days=len(shift))
    if isinstance(field, peewee.IntegerField):
        return value + len(shift)
    return value + shift


@pytest.mark.parametrize("name", CONTENT + ["party.name", "party.role"])
# Not whitespace alone: the commitments are one per line with the spaces around them left out, so that a
# stray space or empty line typed on the tablet is not another agreement.
@given(shift=st.text(min_size=1, max_size=4).filter(str.strip), which=st.integers(min_value=0))
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_content_field_changes_the_hash(draft, name, shift, which):
    """Each thing the parties agree on, and each party's name and role, is in the hash: a change
    to any of them, however small, gives another hash."""
    parties = [models.AgreementParty(name=party.name, role=party.role) for party in draft.parties]
    before = agreements.content_hash(draft, parties)
    copy = models.Agreement(**{field: getattr(draft, field) for field in models.Agreement._meta.sorted_field_names})
    if name.startswith("party."):
        party, attribute = parties[which % len(parties)], name.split(".")[1]
        setattr(party, attribute, getattr(party, attribute) + shift)
    else:
        setattr(copy, name, changed(models.Agreement._meta.fields[name], getattr(draft, name), shift))
    assert agreements.content_hash(copy, parties) != before


def test_a_parent_s_name_may_be_two_hundred_characters_and_no_more(draft):
    """The refusal says "hoogstens 200 tekens": the 200th character is allowed, the 201st is not."""
    agreements.add_parent(draft, "  " + "a" * 200 + "  ")  # the spaces around it do not count
    assert [p.name for p in draft.parties.order_by(models.AgreementParty.id)][-1] == "a" * 200
    with pytest.raises(agreements.AgreementError, match="hoogstens 200 tekens"):
        agreements.add_parent(draft, "b" * 201)
    assert not models.AgreementParty.select().where(models.AgreementParty.name == "b" * 201).exists()


def test_the_timeline_says_which_version_was_signed(draft):
    import time_machine
    with time_machine.travel(datetime.datetime(2026, 11, 23, 13, 0), tick=False), models.db.atomic():
        signed = sign_all(draft)
    event = models.CaseEvent.get(models.CaseEvent.case == signed.case, models.CaseEvent.kind == "agreement_signed")
    assert event.text == "Versie %d" % signed.version


def test_a_new_version_starts_from_the_one_before_and_takes_the_talks_agreements_when_it_has_them(draft):
    """A new version changes what changed: the restorative act, who supports and the coaching come along,
    and the commitments too unless the talk it is drafted from made agreements of its own."""
    with models.db.atomic():
        agreements.update(draft, coaching="Sophie loopt in de pauze met Isa mee.")
    draft = models.Agreement.get_by_id(draft.id)
    with models.db.atomic():
        third = agreements.draft(draft.case, demo_user("mentor2"))
    assert third.version == 3
    assert (third.restorative_act, third.support_figures, third.coaching, third.commitments) == (
        draft.restorative_act, draft.support_figures, "Sophie loopt in de pauze met Isa mee.", draft.commitments)
    follow_up = models.Conversation.get(models.Conversation.case == draft.case,
                                        models.Conversation.template_key == "follow-up-conversation")
    with models.db.atomic():
        models.ConversationLine.create(conversation=follow_up, kind="agreement", text="Bram zit niet meer naast Isa.",
                                       created_by=demo_user("mentor2"), client_key="test-line")
        fourth = agreements.draft(draft.case, demo_user("mentor2"), follow_up)
    assert agreements.commitment_lines(fourth) == ["Bram zit niet meer naast Isa."]
    assert (fourth.restorative_act, fourth.coaching) == (draft.restorative_act, "Sophie loopt in de pauze met Isa mee.")


def drawn(size, ink=150, opacity=255, mode="RGBA", padding=0):
    """A PNG of `size` with `ink` pixels of `opacity` on a transparent canvas, in `mode`; `padding` bytes
    of text carried in the file besides the picture."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    for n in range(ink):
        image.putpixel((n % size[0], n // size[0]), (20, 20, 20, opacity))
    if mode == "P":
        image = image.convert("P", palette=Image.Palette.ADAPTIVE)
    elif mode != "RGBA":
        image = image.convert(mode)
    info = PngImagePlugin.PngInfo()
    if padding:
        info.add_text("verstopt", "x" * padding)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


@pytest.mark.parametrize("size,accepted", [
    ((100, 40), True), ((4000, 2000), True), ((4000, 40), True), ((100, 2000), True),
    ((99, 40), False), ((100, 39), False), ((4001, 2000), False), ((4000, 2001), False),
    ((600, 39), False), ((600, 2001), False), ((99, 200), False), ((4001, 200), False),
])
def test_a_signature_is_100_to_4000_pixels_wide_and_40_to_2000_high(app_context, size, accepted):
    """Both sides count, each up to and including its limits."""
    data = drawn(size)
    if accepted:
        assert Image.open(io.BytesIO(agreements.signature_png(data))).size == size
    else:
        with pytest.raises(agreements.AgreementError) as refused:
            agreements.signature_png(data)
        assert str(refused.value) == "Deze handtekening heeft een onmogelijke maat."


@pytest.mark.parametrize("ink,opacity,accepted", [
    (150, 255, True), (150, 33, True), (149, 255, False), (150, 32, False), (10000, 32, False),
])
def test_a_signature_needs_150_pixels_of_some_opacity(app_context, ink, opacity, accepted):
    """A pixel counts as ink from an opacity of 33 (of 255) on: the faint edge of a stroke alone is not a signature."""
    data = drawn((600, 200), ink=ink, opacity=opacity)
    if accepted:
        assert agreements.signature_png(data).startswith(b"\x89PNG\r\n\x1a\n")
    else:
        with pytest.raises(agreements.AgreementError) as refused:
            agreements.signature_png(data)
        assert str(refused.value) == "Er staat nog geen handtekening in het vak."


def test_a_signature_of_exactly_the_size_limit_is_kept_without_what_it_carried_besides_the_picture(app_context):
    """512 KiB is allowed and a byte more is not; the kept PNG is drawn anew, so text hidden in the file is gone."""
    bare = len(drawn((600, 200), padding=1))
    exact = drawn((600, 200), padding=1 + agreements.MAX_SIGNATURE_BYTES - bare)
    assert len(exact) == agreements.MAX_SIGNATURE_BYTES
    clean = agreements.signature_png(exact)
    assert b"verstopt" not in clean and b"xxxx" not in clean and len(clean) < 10000
    with pytest.raises(agreements.AgreementError) as refused:
        agreements.signature_png(drawn((600, 200), padding=2 + agreements.MAX_SIGNATURE_BYTES - bare))
    assert str(refused.value) == "Deze handtekening is te groot."


@pytest.mark.parametrize("mode", ["P", "LA"])
def test_a_signature_with_a_palette_or_in_grey_is_read_by_its_opacity_too(app_context, mode):
    """A browser may hand over a PNG with a palette (a colour marked transparent) or in grey with an opacity
    channel: its ink counts the same, and what is kept is a colour PNG with an opacity channel like any other."""
    assert Image.open(io.BytesIO(drawn((600, 200), ink=149, mode=mode))).mode == mode
    with pytest.raises(agreements.AgreementError, match="nog geen handtekening"):
        agreements.signature_png(drawn((600, 200), ink=149, mode=mode))
    clean = Image.open(io.BytesIO(agreements.signature_png(drawn((600, 200), ink=150, mode=mode))))
    assert clean.mode == "RGBA" and sum(clean.getchannel("A").histogram()[33:]) == 150


def test_a_second_version_starts_from_the_first_of_its_own_case(app_context):
    """Version 2 takes the restorative act, who supports and the commitments of version 1 of the same case,
    not of the latest version of another case."""
    with models.db.atomic():
        other = agreements.draft(demo_case("0001"), demo_user("mentor"))  # another case's version 2
        agreements.update(other, restorative_act="Daan en Tim ruimen samen het lokaal op.", support_figures="Meneer Bakker",
                          coaching="Noor praat wekelijks met de vertrouwenspersoon.", commitments="Iets anders.")
        first = models.Agreement.get(models.Agreement.case == demo_case("0003"), models.Agreement.version == 1)
        second = agreements.draft(demo_case("0003"), demo_user("mentor2"))
    assert second.version == 2
    assert (second.restorative_act, second.support_figures, second.coaching, second.commitments) == (
        first.restorative_act, first.support_figures, first.coaching, first.commitments)
    assert second.restorative_act.startswith("Bram helpt Isa")


def test_a_line_struck_through_in_the_talk_is_not_agreed(app_context):
    case = demo_case("0003")
    joint = models.Conversation.get(models.Conversation.case == case,
                                    models.Conversation.template_key == "no-blame-joint-conversation")
    line = models.ConversationLine.get(models.ConversationLine.conversation == joint,
                                       models.ConversationLine.kind == "agreement",
                                       models.ConversationLine.text.startswith("Als er iets gebeurt"))
    with models.db.atomic():
        conversations.remove_line(line, demo_user("mentor2"))
        agreement = agreements.draft(case, demo_user("mentor2"), joint)
    assert agreements.commitment_lines(agreement) == [
        "Van nu af aan groeten we elkaar gewoon en laten we elkaars spullen met rust."]


def test_a_new_draft_closes_only_the_open_draft_of_its_case_in_the_drafter_s_name(app_context):
    """The third version closes the second (the first was closed by the second and stays closed as it was);
    other cases' agreements, a signed version among them, are left alone; the timeline names who drafted."""
    case, mentor = demo_case("0003"), demo_user("mentor2")
    others = {row.id: row.superseded_at for row in models.Agreement.select().where(models.Agreement.case != case)}
    assert others and None in others.values()
    with models.db.atomic():
        agreements.draft(case, mentor)
    first = models.Agreement.get(models.Agreement.case == case, models.Agreement.version == 1)
    with models.db.atomic():
        third = agreements.draft(case, demo_user("coordinator"))
    assert third.version == 3
    assert models.Agreement.get_by_id(first.id).superseded_at == first.superseded_at is not None
    assert {row.id: row.superseded_at for row in models.Agreement.select().where(
        models.Agreement.case != case)} == others
    events = [(event.text, event.user.username) for event in models.CaseEvent.select().where(
        models.CaseEvent.case == case, models.CaseEvent.kind == "agreement_superseded").order_by(models.CaseEvent.id)]
    assert events[-2:] == [("Concept versie 1 gesloten: versie 2 is opgesteld", "mentor2"),
                           ("Concept versie 2 gesloten: versie 3 is opgesteld", "coordinator")]


def test_a_period_of_one_day_is_a_period(draft):
    agreements.update(draft, period_start=datetime.date(2026, 12, 1), period_end=datetime.date(2026, 12, 1))
    assert (draft.period_start, draft.period_end) == (datetime.date(2026, 12, 1), datetime.date(2026, 12, 1))


def test_a_drawn_signature_is_kept_and_one_on_paper_is_marked_so(draft):
    """A drawn signature is kept as the PNG drawn anew; a signature on paper as such, with no picture. Signing
    names who planned the follow-ups, and the timeline's line has the moment the text was locked."""
    parties = list(draft.parties.order_by(models.AgreementParty.id))
    drawn_png = signature_png()
    mentor = demo_user("mentor2")
    with models.db.atomic():
        assert agreements.sign(draft, parties[0], png=drawn_png, user=mentor) is False
        for party in parties[1:]:
            agreements.sign(draft, party, on_paper=True, user=mentor)
    stored = {party.id: (party.signature_png, party.signed_on_paper) for party in draft.parties}
    assert stored[parties[0].id] == (agreements.signature_png(drawn_png), False)
    assert all(stored[party.id] == (None, True) for party in parties[1:])
    draft = models.Agreement.get_by_id(draft.id)
    signed = models.CaseEvent.get(models.CaseEvent.case == draft.case, models.CaseEvent.kind == "agreement_signed")
    assert signed.at == draft.locked_at
    planned = models.CaseEvent.get(models.CaseEvent.case == draft.case, models.CaseEvent.kind == "follow_ups_planned",
                                   models.CaseEvent.at >= draft.locked_at)
    assert planned.text.startswith("Herstelovereenkomst versie 2: ") and planned.user_id == mentor.id


def test_every_refusal_of_an_agreement_is_said_whole(draft):
    """Each refusal the mentor may meet, word for word (the tests above match them by a few words)."""
    def refusal(action, *args, **kwargs):
        with pytest.raises(agreements.AgreementError) as refused:
            action(*args, **kwargs)
        return str(refused.value)

    parties = list(draft.parties.order_by(models.AgreementParty.id))
    assert refusal(agreements.add_parent, draft, " ") == "Vul de naam van de ouder in (hoogstens 200 tekens)."
    assert refusal(agreements.update, draft, period_start=datetime.date(2027, 1, 2),
                   period_end=datetime.date(2027, 1, 1)) == "De periode eindigt voordat ze begint."
    assert refusal(agreements.lock, draft) == "Nog niet iedereen heeft getekend."
    assert refusal(agreements.signature_png, b"GIF89a") == "Dit is geen PNG-afbeelding van een handtekening."
    assert refusal(agreements.signature_png, b"\x89PNG\r\n\x1a\nrubbish") == "Dit is geen bruikbare PNG-afbeelding."
    assert refusal(agreements.sign, draft, parties[0]) == "Dit is geen PNG-afbeelding van een handtekening."
    incomplete = models.Agreement.get_by_id(draft.id)
    incomplete.commitments, incomplete.evaluation_on = " ", None
    assert refusal(agreements.sign, incomplete, parties[0], on_paper=True) == (
        "Schrijf minstens één afspraak op. Vul de dag van het evaluatiegesprek in.")
    assert agreements.problems_before_signing("Iets", datetime.date(2030, 1, 10), datetime.date(2030, 2, 1),
                                              datetime.date(2030, 1, 9)) == {
        "evaluation_on": "Het evaluatiegesprek ligt vóór het begin van de periode."}
    agreements.sign(draft, parties[0], on_paper=True)
    assert refusal(agreements.sign, draft, parties[0], on_paper=True) == "Bram van der Linden heeft al getekend."
    assert refusal(agreements.update, draft, coaching="Anders") == (
        "Er is al voor deze tekst getekend; een andere tekst is een nieuwe versie.")
    for party in parties[1:]:
        agreements.sign(draft, party, on_paper=True)
    assert refusal(agreements.sign, draft, parties[0], on_paper=True) == (
        "Deze overeenkomst is al ondertekend en vergrendeld.")
    assert refusal(agreements.update, draft, coaching="Anders") == (
        "Deze overeenkomst is ondertekend en kan niet meer veranderen. Maak een nieuwe versie.")
    newer = agreements.draft(draft.case, demo_user("mentor2"))
    agreements.draft(draft.case, demo_user("mentor2"))
    newer = models.Agreement.get_by_id(newer.id)
    assert refusal(agreements.sign, newer, newer.parties.first(), on_paper=True) == (
        "Dit concept is gesloten: er is een nieuwere versie.")
    assert refusal(agreements.add_parent, newer, "Moeder van Isa") == "Dit concept is gesloten: er is een nieuwere versie."


def test_the_hash_is_computed_as_it_always_was():
    """A printed footer proves which text was signed only if the hash is computed the same way years later:
    SHA-256 of the content as JSON with its keys sorted and its letters as they are (UTF-8), the commitments
    one per line without the spaces around them, a date as YYYY-MM-DD and a missing one as "". Both values
    here were computed once and must never change."""
    case = models.Case(reference="2026-0042")
    agreement = models.Agreement(
        case=case, version=3, commitments="  Daan groet Noor.\n\n Tim laat Noor meedoen. ",
        restorative_act="Daan en Tim ruimen samen het lokaal op; één keer.", support_figures="Meneer Bakker (mentor)",
        coaching="Noor praat wekelijks met mevrouw Öztürk.", period_start=datetime.date(2026, 12, 1),
        period_end=datetime.date(2027, 1, 15), evaluation_on=datetime.date(2026, 12, 22))
    parties = [models.AgreementParty(name="Daan de Jong", role="bully"),
               models.AgreementParty(name="Noor Çelik", role="victim")]
    written_out = json.dumps({
        "case": "2026-0042", "coaching": "Noor praat wekelijks met mevrouw Öztürk.",
        "commitments": ["Daan groet Noor.", "Tim laat Noor meedoen."], "evaluation_on": "2026-12-22",
        "parties": [["Daan de Jong", "bully"], ["Noor Çelik", "victim"]], "period": ["2026-12-01", "2027-01-15"],
        "restorative_act": "Daan en Tim ruimen samen het lokaal op; één keer.",
        "support_figures": "Meneer Bakker (mentor)", "version": 3}, ensure_ascii=False, separators=(", ", ": "))
    assert agreements.content_hash(agreement, parties) == hashlib.sha256(written_out.encode()).hexdigest() == (
        "dc23ae42c9481f647248447712935e3b13a89a017475f1aa5010c0515579bf6a")
    bare = models.Agreement(case=case, version=1, commitments="", restorative_act="", support_figures="", coaching="")
    assert agreements.content_hash(bare, []) == "1288ecfc9546fb64ed38898c0a6c7ca0cf109d02b04cf8f6958a3c0549cce77b"


@pytest.mark.parametrize("start,end,evaluation,problems", [
    (0, 0, 0, {}),  # a period of one day, evaluated that day, today
    (0, 10, 0, {}),
    (1, 10, 1, {}),  # evaluated on the period's first day
    (2, 1, 5, {"period_end": "De periode eindigt voordat ze begint."}),
    (2, 10, 1, {"evaluation_on": "Het evaluatiegesprek ligt vóór het begin van de periode."}),
    (0, 10, -1, {"evaluation_on": "Het evaluatiegesprek kan niet in het verleden liggen."}),
])
def test_a_text_may_be_signed_from_its_first_day_to_its_last(app_context, start, end, evaluation, problems):
    """Days counted from today: the evaluation may be today and on the period's first day, and a period may
    last one day; a day earlier is refused, each with its whole message."""
    day = school_today()
    assert agreements.problems_before_signing("Iets", *(day + datetime.timedelta(days=n)
                                                        for n in (start, end, evaluation))) == problems


def test_a_draft_records_who_drafted_it_and_from_which_talk(app_context):
    """And a first version drafted without a talk starts with no commitments: the mentor writes them."""
    case = demo_case("0003")
    joint = models.Conversation.get(models.Conversation.case == case,
                                    models.Conversation.template_key == "no-blame-joint-conversation")
    with models.db.atomic():
        agreement = agreements.draft(case, demo_user("mentor2"), joint)
    stored = models.Agreement.get_by_id(agreement.id)
    assert (stored.conversation_id, stored.created_by_id) == (joint.id, demo_user("mentor2").id)
    fresh = models.Case.select().where(models.Case.id.not_in(models.Agreement.select(models.Agreement.case))).first()
    with models.db.atomic():
        first = agreements.draft(fresh, demo_user("coordinator"))
    stored = models.Agreement.get_by_id(first.id)
    assert (stored.version, stored.commitments, stored.conversation_id, stored.created_by_id) == (
        1, "", None, demo_user("coordinator").id)
    assert agreements.problems_of(stored)["commitments"] == "Schrijf minstens één afspraak op."
