"""The school's published protocol: built from the protocol files Herstel runs the cases by, step by step, in
both countries; public only when the school says so; a PDF with the same steps."""
import io
import re

import pytest
from pypdf import PdfReader

import models
from conftest import csrf_token
from domain import protocols

COUNTRIES = [("nl", "vo-nl", "anti-pestcoördinator", "mentor"),
             ("vl", "stappenplan-vl", "zorgcoördinator", "klascoach")]


def set_country(region, protocol):
    with models.db.atomic():
        models.SchoolSettings.update(region=region, default_protocol=protocol).execute()


def published_steps(html, key):
    """(title, owner, deadline) of each step of a protocol on the page, in order."""
    section = html.split('data-protocol="%s"' % key)[1].split("</section>")[0]
    return re.findall(r'<strong class="step-title">Stap \d+\. (.*?)</strong></p>\s*<p class="record__meta">'
                      r'<span class="step-owner">Wie: (.*?)</span> · '
                      r'<span class="step-deadline">Termijn: (.*?)</span>', section)


@pytest.mark.parametrize("region,key,coordinator,mentor", COUNTRIES)
def test_the_published_protocol_matches_the_protocol_file_step_by_step(login_as, region, key, coordinator, mentor):
    set_country(region, key)
    html = login_as("staff").get("/pestprotocol").get_data(as_text=True)
    protocol = protocols.load_protocol(str(protocols.PROTOCOL_DIR) + "/%s.yaml" % key, region)
    words = {"mentor": mentor, "coordinator": coordinator,
             "support": "ondersteuningsteam" if region == "nl" else "zorgteam"}
    steps = published_steps(html, key)
    assert [title for title, _, _ in steps] == [step.title for step in protocol.steps]
    assert [owner for _, owner, _ in steps] == [words[step.owner] for step in protocol.steps]
    for (_title, _owner, deadline), step in zip(steps, protocol.steps):
        assert (str(step.deadline.days) in deadline) or (step.deadline.days == 0 and "op de dag van" in deadline)
        after = "de melding" if step.deadline.after == "report" else protocol.step(step.deadline.after).title
        assert after in deadline.replace("&#39;", "'")
    section = html.split('data-protocol="%s"' % key)[1].split("</section>")[0]
    phases = re.findall(r'data-phase="(\d)"', section)
    assert phases == [str(phase.phase) for phase in protocol.escalation_phases]
    assert html.index('data-protocol="%s"' % key) < html.index('data-protocol="online-pesten"')  # the school's first
    assert coordinator.capitalize() in html and "Marleen de Vries" in html and "Peter Hendriks" in html
    assert "Kamer 1.12" in html and "@hetbaken.example" not in html.replace("vertrouwenspersoon@hetbaken.example", "")


def test_a_serious_case_deadline_and_the_follow_up_schedule_are_published(login_as):
    html = login_as("coordinator").get("/pestprotocol").get_data(as_text=True)
    assert "bij ernstig pesten" in html or not any(
        step.deadline.if_serious for step in protocols.load_protocol(str(protocols.PROTOCOL_DIR) + "/vo-nl.yaml").steps)
    assert "na 2 dagen, na 1 week, na 1 maand, daarna elke 3 maanden, tot 24 maanden na de afspraken" in html


@pytest.mark.parametrize("region,key,coordinator,mentor", COUNTRIES)
def test_the_pdf_has_the_same_steps(client, login_as, region, key, coordinator, mentor):
    set_country(region, key)
    response = login_as("mentor").get("/pestprotocol.pdf")
    assert response.mimetype == "application/pdf"
    pdf_text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    pdf_text = re.sub(r"\s+", " ", pdf_text)
    protocol = protocols.load_protocol(str(protocols.PROTOCOL_DIR) + "/%s.yaml" % key, region)
    positions = [pdf_text.find("Stap %d. %s" % (number, step.title)) for number, step in enumerate(protocol.steps, 1)]
    assert -1 not in positions, [step.title for step, at in zip(protocol.steps, positions) if at == -1]
    assert "Wie: %s" % mentor in pdf_text and "Marleen de Vries" in pdf_text
    assert "Pesten melden" in pdf_text


def test_the_public_page_is_off_by_default_and_on_when_the_coordinator_publishes_it(client, login_as):
    assert client.get("/pestprotocol").status_code == 404
    assert client.get("/pestprotocol.pdf").status_code == 404
    coordinator = login_as("coordinator")
    response = coordinator.post("/preventie/beleid", data={
        "csrf_token": csrf_token(coordinator, "/preventie/beleid"), "protocol_public": "y",
        "coordinator_reach": "Kamer 2.01", "counsellor_reach": "", "contract_text": "Ik pest niet."})
    assert response.status_code == 302
    policy = models.PreventionPolicy.get_by_id(1)
    assert policy.protocol_public and policy.coordinator_reach == "Kamer 2.01" and policy.contract_updated_at
    assert models.AuditEvent.select().where(models.AuditEvent.action == "prevention.policy_save").exists()
    page = client.get("/pestprotocol")
    assert page.status_code == 200 and "Kamer 2.01" in page.get_data(as_text=True)
    assert "Uitloggen" not in page.get_data(as_text=True)  # no menu for parents
    assert client.get("/pestprotocol.pdf").mimetype == "application/pdf"


def test_the_meldknop_is_in_how_to_report_when_it_is_on(login_as):
    html = login_as("staff").get("/pestprotocol").get_data(as_text=True)
    assert "/melden" not in html and "meldknop.nl" in html  # the demo log has it on the school computers
    with models.db.atomic():
        models.SchoolSettings.update(public_reports_enabled=True).execute()
    assert "http://localhost/melden" in login_as("staff").get("/pestprotocol").get_data(as_text=True)


def test_only_the_coordinator_edits_the_policy(login_as):
    for role in ("mentor", "support", "management"):
        client = login_as(role)
        response = client.post("/preventie/beleid", data={"csrf_token": csrf_token(client, "/"),
                                                          "protocol_public": "y"})
        assert response.status_code == 403
    assert not models.PreventionPolicy.get_by_id(1).protocol_public
