"""An access request in real Chromium at tablet size: the coordinator exports Noor's file for her mother."""
import pathlib

import pypdf
import pytest
from playwright.sync_api import expect

from browser import keep_screenshot, log_in
from conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_coordinator_exports_a_pupil_s_file_for_a_parent(page, live_server):
    log_in(page, live_server, "coordinator", PASSWORD)
    page.wait_for_url(live_server + "/")
    page.get_by_role("link", name="Logboek").click()
    page.get_by_role("link", name="Inzageverzoek").click()
    page.get_by_role("heading", name="Inzageverzoek").wait_for()
    page.get_by_label("Zoek een leerling op naam of klas").fill("Noor")
    page.get_by_label("Hoekstra, Noor", exact=False).check()
    page.get_by_role("button", name="Verder").click()
    page.get_by_role("heading", name="Inzageverzoek voor Noor Hoekstra").wait_for()

    page.get_by_label("Ouder of verzorger").check()
    page.get_by_label("Korte opmerking (komt op het voorblad)").fill("Gevraagd per brief")
    page.get_by_role("button", name="Overzicht downloaden").click()
    # Next to the empty field, and in the error summary at the top.
    expect(page.locator("#requester_name-error")).to_have_text("Vul de naam in van wie om inzage vroeg.")
    expect(page.locator(".error-summary").get_by_role("link", name="Vul de naam in van wie om inzage vroeg.")).to_be_visible()
    assert page.get_by_label("Korte opmerking (komt op het voorblad)").input_value() == "Gevraagd per brief"
    assert page.get_by_label("Ouder of verzorger").is_checked()
    assert [error for error in page.console_errors if "400" not in error] == []  # the refused form's status
    page.console_errors.clear()

    page.get_by_label("Naam van wie het verzoek deed").fill("Karin Hoekstra")
    assert page.evaluate("document.documentElement.scrollWidth") <= 820
    keep_screenshot(page, "access-request.png")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Overzicht downloaden").click()
    download = download_info.value
    assert download.suggested_filename.startswith("inzage-") and download.suggested_filename.endswith(".pdf")
    text = " ".join("\n".join(p.extract_text() for p in pypdf.PdfReader(pathlib.Path(download.path())).pages)
                    .split())
    assert "Noor Hoekstra" in text and "Karin Hoekstra" in text and "Gevraagd per brief" in text
    assert "Daan" not in text and "leerling A" in text
    assert page.console_errors == []
