"""Signing the restoration agreement on the tablet, then downloading the PDF, in Chromium at 820x1180."""
import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from browser import ARTIFACTS, TABLET_PORTRAIT, log_in
from conftest import PASSWORD

pytestmark = pytest.mark.browser


def draw(page, wave):
    """A signature by mouse: a few strokes across the pad, once the pad's script listens."""
    page.wait_for_load_state()
    box = page.locator("[data-signature-pad]").bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + box["height"] / 2)
    page.mouse.down()
    for step in range(1, 40):
        page.mouse.move(box["x"] + 30 + step * 15, box["y"] + box["height"] / 2 + (wave if step % 2 else -wave))
    page.mouse.up()


def test_three_pupils_draw_their_signature_and_the_pdf_downloads(browser, live_server, tmp_path):
    context = browser.new_context(viewport=TABLET_PORTRAIT)
    page = context.new_page()
    log_in(page, live_server, "mentor2", PASSWORD)
    page.get_by_role("link", name=re.compile("Duwen en spullen afpakken")).first.click()
    page.locator("#case-agreements").get_by_role("link", name=re.compile("versie 1")).click()
    page.get_by_role("link", name="Laten tekenen").click()

    # An empty pad is not sent.
    page.get_by_role("button", name="Handtekening opslaan").click()
    expect(page.get_by_text("Er staat nog geen handtekening in het vak.")).to_be_visible()

    for name, wave in [("Bram van der Linden", 20), ("Finn Meijer", 35), ("Isa Vos", 50)]:
        expect(page.locator(".sign__who")).to_have_text(name)
        draw(page, wave)
        if name == "Isa Vos":
            page.screenshot(path=str(ARTIFACTS / "agreement-signing.png"), full_page=True)
        page.get_by_role("button", name="Handtekening opslaan").click()
        expect(page.locator(".flashes")).to_contain_text("Getekend door %s." % name)
    expect(page.locator(".sign__who")).to_have_text("Fatima El Amrani")
    page.get_by_role("button", name="Fatima El Amrani tekent op papier").click()
    expect(page.get_by_text("Iedereen heeft getekend.")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="PDF downloaden").click()
    path = tmp_path / "agreement.pdf"
    download_info.value.save_as(path)
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Bram van der Linden" in text and "getekend op papier" in text and "CONCEPT" not in text
    assert sum(len(p.images) for p in reader.pages) == 3
    context.close()
