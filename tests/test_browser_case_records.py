"""On the online case's page, in Chromium at 820x1180: a parent contact that completes the parent step,
and a screenshot added to the evidence log (a file that is too large is stopped before it is sent)."""
import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from browser import TABLET_PORTRAIT, keep_screenshot, log_in, open_section, protocol_step
from conftest import PASSWORD

pytestmark = pytest.mark.browser


def screenshot_png():
    buffer = io.BytesIO()
    Image.new("RGB", (360, 640), (236, 229, 221)).save(buffer, "PNG")
    return buffer.getvalue()


def test_mentor_records_a_parent_contact_and_uploads_evidence_from_the_case_page(browser, live_server):
    context = browser.new_context(viewport=TABLET_PORTRAIT)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    log_in(page, live_server, "mentor", PASSWORD)
    page.goto(live_server + "/dossiers/")  # the home page's due items lead to their actions instead
    page.get_by_role("link", name=re.compile("Groepsapp met foto")).first.click()

    open_section(page, "parents")
    parents = page.locator("#parents")
    parents.get_by_text("Oudercontact vastleggen", exact=True).first.click()
    parents.get_by_label("Ouders van").select_option(label="Lotte van Dijk")
    parents.get_by_label("Hoe").select_option(label="Telefoon")
    parents.get_by_label("Wat is besproken").fill("Vader gebeld: hij wist niets van de groepsapp.")
    parents.get_by_label("Stap van het protocol").select_option(
        label="Afronden: Ouders van de gepeste leerling informeren")
    parents.get_by_role("button", name="Oudercontact vastleggen").click()
    expect(page.get_by_text("Het oudercontact is vastgelegd. De stap is afgerond.")).to_be_visible()
    expect(page.locator("#parents")).to_contain_text("Vader gebeld: hij wist niets van de groepsapp.")
    expect(protocol_step(page, "Ouders van de gepeste leerling informeren")).to_have_class(
        re.compile("tracker__step--done"))

    open_section(page, "evidence")
    evidence = page.locator("#evidence")
    evidence.get_by_text("Bewijs toevoegen", exact=True).click()
    evidence.get_by_label("Datum en precieze tijd").fill("2026-01-15T21:14:05")
    evidence.get_by_label("Platform of app").fill("TikTok")
    evidence.get_by_label("Wat is er te zien").fill("Filmpje waarin Lotte wordt nagedaan.")
    upload = evidence.get_by_label(re.compile("Schermafdruk, foto of opgeslagen chat"))
    upload.set_input_files({"name": "te-groot.png", "mimeType": "image/png", "buffer": b"\0" * (7 * 1024 * 1024)})
    url_before = page.url
    evidence.get_by_role("button", name="Bewijs vastleggen").click()
    assert "te groot" in upload.evaluate("input => input.validationMessage")
    assert page.url == url_before  # nothing was sent
    upload.set_input_files({"name": "tiktok.png", "mimeType": "image/png", "buffer": screenshot_png()})
    evidence.get_by_role("button", name="Bewijs vastleggen").click()
    expect(page.get_by_text("Het bewijs is vastgelegd.")).to_be_visible()
    item = page.locator("#evidence .record", has_text="TikTok")
    expect(item).to_contain_text("15 januari 2026 21:14:05")
    view = item.get_by_role("link", name=re.compile("Bekijken"))
    response = page.request.get(live_server + view.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    keep_screenshot(page, "case-records-evidence.png")
    assert errors == []
    context.close()
