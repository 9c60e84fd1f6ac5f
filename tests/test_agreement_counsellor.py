"""The signed restoration agreement tells parents and pupil where to go when they find the bullying badly handled:
the school's confidential counsellor, by name and how to reach them (seed 001, "Ouders en het pestprobleem")."""
import io

import pytest
from pypdf import PdfReader

import models
from conftest import demo_user
from domain import pdf


def pdf_text(data):
    # pypdf breaks lines where the PDF does; the sentence is read as one line.
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


@pytest.fixture
def signed(app_context):
    return models.Agreement.get(models.Agreement.status == "locked")


def test_the_agreement_names_the_counsellor_and_how_parents_reach_them(signed):
    text = pdf_text(pdf.agreement_pdf(signed, "Het Baken"))
    assert "Niet tevreden over de aanpak?" in text
    assert ("Dan kunnen zij terecht bij de vertrouwenspersoon van de school, Peter Hendriks "
            "(Via de receptie of vertrouwenspersoon@hetbaken.example)." in text)
    assert text.index("Niet tevreden over de aanpak?") < text.index("Handtekeningen")


def test_without_a_counsellor_in_herstel_the_agreement_still_points_to_one(signed):
    models.UserRole.delete().where(models.UserRole.role == "counsellor").execute()
    policy = models.PreventionPolicy.current()
    policy.counsellor_reach = ""
    with models.db.atomic():
        policy.store()
    text = pdf_text(pdf.agreement_pdf(signed, "Het Baken"))
    assert "Dan kunnen zij terecht bij de vertrouwenspersoon van de school (de mentor zegt wie dat is)." in text
    assert "Peter Hendriks" not in text


def test_a_signed_agreement_is_built_anew_when_the_school_names_another_counsellor(login_as, monkeypatch):
    monkeypatch.setattr(pdf, "_signed_pdfs", pdf._SignedPdfCache())
    client = login_as("coordinator")
    signed = models.Agreement.get(models.Agreement.status == "locked")
    first = client.get("/herstelovereenkomsten/%d/pdf" % signed.id)
    assert "Peter Hendriks" in pdf_text(first.data)
    models.UserRole.delete().where(models.UserRole.role == "counsellor").execute()
    models.UserRole.create(user=demo_user("mentor2"), role="counsellor")
    after = pdf_text(client.get("/herstelovereenkomsten/%d/pdf" % signed.id).data)
    assert "Peter Hendriks" not in after and "vertrouwenspersoon van de school, Fatima El Amrani" in after
