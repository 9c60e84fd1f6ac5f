"""The restoration agreement on the tablet (Chromium at 820x1180): typed, sent to signing with
"Laten tekenen" before any "Opslaan", read by each signer above the pad, signed, and every word
typed found back in the PDF."""
import datetime
import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from browser import TABLET_PORTRAIT, keep_screenshot, log_in, open_section, small_targets
from db import today as school_today
from conftest import PASSWORD

TABLET_LANDSCAPE = {"width": 1180, "height": 820}

pytestmark = pytest.mark.browser

TYPED = {
    "Wat we afspreken (één afspraak per regel)": "Van nu af aan laat Bram de kluisjes van Isa met rust.\n"
                                                "Finn haalt een volwassene als hij ziet dat Isa wordt geduwd.",
    "Hersteldaad": "Bram schildert samen met zijn vader een nieuw naambordje voor het kluisje.",
    "Steunfiguren": "Mevrouw El Amrani en Sophie Brouwer als maatje in de pauze.",
    "Coaching (optioneel)": "Zes weken weerbaarheidstraining bij het ondersteuningsteam.",
}


def draw(page, wave):
    """A signature by mouse: a few strokes across the pad, once the pad's script listens."""
    page.wait_for_load_state()
    box = page.locator("[data-signature-pad]").bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + box["height"] / 2)
    page.mouse.down()
    for step in range(1, 40):
        page.mouse.move(box["x"] + 30 + step * 15, box["y"] + box["height"] / 2 + (wave if step % 2 else -wave))
    page.mouse.up()


def words(text):
    return re.findall(r"\w+", text)


def test_typed_text_goes_to_signing_first_each_signer_reads_it_and_every_word_is_in_the_pdf(
        browser, live_server, tmp_path):
    context = browser.new_context(viewport=TABLET_PORTRAIT, has_touch=True)
    page = context.new_page()
    log_in(page, live_server, "mentor2", PASSWORD)
    page.get_by_role("link", name=re.compile("Duwen en spullen afpakken")).first.click()
    open_section(page, "agreements")
    page.locator("#case-agreements").get_by_role("link", name=re.compile("versie 1")).click()
    expect(page).to_have_url(re.compile(r"/herstelovereenkomsten/\d+$"))  # there, not still on the case page
    agreement_url = page.url

    for label, text in TYPED.items():
        page.get_by_label(label, exact=True).fill(text)
    evaluation = school_today() + datetime.timedelta(days=10)
    page.get_by_label("Evaluatiegesprek op").fill(evaluation.isoformat())
    expect(page.locator("html")).to_have_attribute("data-unsent", "")

    # Leaving with the text unsent: the browser asks first; staying keeps every word.
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.get_by_role("link", name=re.compile("Dossier")).first.click()
    expect(page.get_by_label("Hersteldaad", exact=True)).to_have_value(TYPED["Hersteldaad"])
    assert dialogs == ["beforeunload"] and page.url == agreement_url

    # "Laten tekenen" before any "Opslaan": what was typed is saved and goes to signing, unasked.
    page.get_by_role("button", name="Laten tekenen").click()
    expect(page).to_have_url(re.compile(r"/tekenen$"))
    page.wait_for_load_state()
    # Every button and the pad large enough for a finger, the tablet held either way (test_browser_touch).
    for orientation, viewport in (("landscape", TABLET_LANDSCAPE), ("portrait", TABLET_PORTRAIT)):
        page.set_viewport_size(viewport)
        assert small_targets(page) == [], orientation
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], orientation
        keep_screenshot(page, "touch-signing-%s.png" % orientation)
    assert dialogs == ["beforeunload"]

    # An empty pad is not sent.
    page.get_by_role("button", name="Handtekening opslaan").click()
    expect(page.get_by_text("Er staat nog geen handtekening in het vak.")).to_be_visible()

    for name, wave in [("Bram van der Linden", 20), ("Finn Meijer", 35), ("Isa Vos", 50)]:
        expect(page.locator(".sign__who")).to_have_text(name)
        text = page.locator(".sign__text")
        expect(text).to_be_visible()
        shown = text.inner_text()
        for typed in TYPED.values():
            assert all(word in shown for word in words(typed)), "%s reads the whole text before signing" % name
        assert text.bounding_box()["y"] < page.locator("[data-signature-pad]").bounding_box()["y"]  # above the pad
        draw(page, wave)
        if name == "Isa Vos":
            keep_screenshot(page, "agreement-signing.png")
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
    text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    missing = [word for typed in TYPED.values() for word in words(typed) if word not in text]
    assert not missing, "typed, signed, and not in the PDF: %s" % missing
    assert "Bram van der Linden" in text and "getekend op papier" in text and "CONCEPT" not in text
    assert sum(len(p.images) for p in reader.pages) == 3
    context.close()
