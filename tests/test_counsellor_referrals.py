"""A referral to the confidential counsellor (seed 001: the vertrouwenspersoon as help for a pupil, issue 20).
Whoever sees the referral sees that it exists, its date and whether it is open; what it says (its note, detail
and how it was closed) is for the counsellor alone: not on any page another role reaches, not in the case PDF,
not in a parent's access export, not on the timeline. Nor is a complaint's description or the counsellor's
notes on it."""
import io

import pypdf
import pytest
from markupsafe import escape

import models
from conftest import csrf_token, demo_case
from access_routes import ROLES, ROUTES
from db import today as school_today

NOTE = "Noor-wil-praten-7319 over thuis"
DETAIL = "Spreekuur-dinsdag-4471"
CLOSE_NOTE = "Afgerond-na-drie-gesprekken-5523"
SECRETS = (NOTE, DETAIL, CLOSE_NOTE)


def noor():
    return models.Pupil.get(models.Pupil.first_name == "Noor")


def pdf_text(data):
    return " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def refer(client, case, **fields):
    """The mentor's referral form, to the counsellor for Noor unless told otherwise."""
    page = "/dossiers/%d" % case.id
    data = {"csrf_token": csrf_token(client, page), "referral-target": "counsellor", "referral-pupil": noor().id,
            "referral-training": "", "referral-detail": DETAIL, "referral-referred_on": school_today().isoformat(),
            "referral-note": NOTE, "referral-complete_step": ""}
    data.update(fields)
    return client.post("/dossiers/%d/doorverwijzingen/nieuw" % case.id, data=data)


@pytest.fixture
def referral(login_as):
    """Noor referred to the counsellor on case 0001 by her mentor, and closed by the counsellor with a note."""
    response = refer(login_as("mentor"), demo_case("0001"))
    assert response.status_code == 302
    referral = models.Referral.get(models.Referral.target == "counsellor")
    client = login_as("counsellor")
    closed = client.post("/doorverwijzingen/%d/afsluiten" % referral.id, data={
        "csrf_token": csrf_token(client, "/doorverwijzingen/%d/afsluiten" % referral.id),
        "close-closed_on": school_today().isoformat(), "close-close_note": CLOSE_NOTE})
    assert closed.status_code == 302 and closed.headers["Location"].endswith("/#counsellor-referrals")
    return models.Referral.get_by_id(referral.id)


def test_a_mentor_refers_a_pupil_to_the_counsellor_and_the_counsellor_reads_it_on_their_page(login_as):
    case = demo_case("0001")
    response = refer(login_as("mentor"), case)
    assert response.status_code == 302
    referral = models.Referral.get(models.Referral.target == "counsellor")
    assert (referral.note, referral.detail, referral.pupil_id) == (NOTE, DETAIL, noor().id)
    home = login_as("counsellor").get("/").get_data(as_text=True)
    assert "Doorverwezen naar de vertrouwenspersoon" in home and NOTE in home and DETAIL in home
    assert case.reference in home and "Noor Hoekstra" in home
    event = models.CaseEvent.get(models.CaseEvent.kind == "referral", models.CaseEvent.case == case,
                                 models.CaseEvent.text.contains("Vertrouwenspersoon"))
    assert event.text == "Vertrouwenspersoon: Noor Hoekstra"  # the detail stays out of the timeline
    assert models.AuditEvent.select().where(models.AuditEvent.action == "referral.list",
                                            models.AuditEvent.username == "counsellor").exists()


def test_the_case_page_says_a_referral_to_the_counsellor_exists_and_not_what_it_says(login_as, referral):
    case = demo_case("0001")
    for role in ("mentor", "coordinator", "support"):
        page = login_as(role).get("/dossiers/%d" % case.id).get_data(as_text=True)
        assert "Wat in deze doorverwijzing staat, is alleen voor de vertrouwenspersoon." in page, role
        assert "Vertrouwenspersoon" in page and "afgesloten op" in page, role
        assert not any(secret in page for secret in SECRETS), role
    # The counsellor reads the case through the complaint about Noor, and the referral whole: the check above can fail.
    page = login_as("counsellor").get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert all(secret in page for secret in SECRETS)


def test_what_only_the_counsellor_reads_is_on_no_page_another_role_reaches(login_as, referral):
    """What a referral to the counsellor says, and a complaint's description and the counsellor's notes on it: on
    no page of the access table, for every role but the counsellor (the coordinator and admin included), nor on
    the referral's own page and the pupil's. One walk for both: a walk costs some 600 pages."""
    complaint = models.Complaint.select().first()
    complaint_words = [note.body for note in complaint.notes] + [complaint.description]
    assert complaint_words and all(complaint_words)
    counsellor_page = login_as("counsellor").get("/klachten/%d" % complaint.id).get_data(as_text=True)
    assert all(words in counsellor_page for words in complaint_words)  # the check below can fail
    secrets = [form.encode() for words in complaint_words + list(SECRETS) for form in {words, str(escape(words))}]
    for role in ROLES:
        if role == "counsellor":
            continue
        client = login_as(role)
        urls = [path() if callable(path) else path for _, method, path, _ in ROUTES if method == "GET"]
        for url in urls + ["/doorverwijzingen/%d/afsluiten" % referral.id, "/leerlingen/%d" % noor().id]:
            response = client.get(url, follow_redirects=True)
            assert response.status_code < 500, url  # a page that failed would hide nothing it should
            for secret in secrets:
                assert secret not in response.data, "%s reads %r on %s" % (
                    role or "anonymous", secret.decode()[:40], url)


def test_only_the_counsellor_closes_a_referral_to_the_counsellor(login_as):
    case = demo_case("0001")
    assert refer(login_as("mentor"), case).status_code == 302
    referral = models.Referral.get(models.Referral.target == "counsellor")
    url = "/doorverwijzingen/%d/afsluiten" % referral.id
    for role in ("mentor", "coordinator", "support"):
        client = login_as(role)
        assert client.get(url).status_code == 403, role
        token = csrf_token(client, "/account/")
        assert client.post(url, data={"csrf_token": token, "close-closed_on": school_today().isoformat(),
                                      "close-close_note": "x"}).status_code == 403, role
    assert login_as("mentor2").get(url).status_code == 404  # does not see the case at all
    assert models.Referral.get_by_id(referral.id).is_open
    page = login_as("counsellor").get(url)
    assert page.status_code == 200 and NOTE in page.get_data(as_text=True)


def test_the_case_pdf_says_the_referral_exists_and_never_what_it_says(login_as, referral):
    case = demo_case("0001")
    client = login_as("coordinator")
    for query in ("", "?leerling=%d" % noor().id):
        response = client.get("/dossiers/%d/dossier.pdf%s" % (case.id, query))
        assert response.status_code == 200
        text = pdf_text(response.data)
        assert "Naar Vertrouwenspersoon" in text and "alleen voor de vertrouwenspersoon" in text, query
        assert not any(secret in text for secret in SECRETS), query
        # The other referrals keep their words: the check above can fail.
        assert "Noor slaapt slecht en wil niet meer naar de pauze." in text


def test_the_access_export_says_the_referral_exists_and_never_what_it_says(login_as, referral):
    client = login_as("coordinator")
    url = "/inzageverzoek/leerling/%d" % noor().id
    response = client.post(url, data={
        "csrf_token": csrf_token(client, url), "for_whom": "parent", "requester_name": "Karin Hoekstra",
        "requested_on": school_today().isoformat(), "file_format": "pdf", "note": ""})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert "Vertrouwenspersoon" in text and "alleen voor de vertrouwenspersoon" in text
    assert not any(secret in text for secret in SECRETS)
    assert "Noor slaapt slecht en wil niet meer naar de pauze." in text  # another referral's note stays
