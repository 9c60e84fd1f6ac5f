"""Class agreements on the tablet (Chromium at 820x1180): the mentor opens the class from Preventie, hands the
tablet round the class's representatives, each reads the rules above the pad and signs, and the signed rules are
locked; the poster shows who signed."""
import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from browser import log_in
from conftest import PASSWORD
from test_browser_agreement import draw

pytestmark = pytest.mark.browser


def test_representatives_sign_the_class_agreements_on_the_tablet_and_the_mentor_locks_them(page, live_server):
    log_in(page, live_server, "mentor", PASSWORD)
    page.get_by_role("link", name="Preventie", exact=True).click()
    page.get_by_role("link", name=re.compile("Klas 1A")).click()
    rules = page.locator(".class-rules").first.inner_text()
    page.get_by_role("link", name="Laten tekenen op de tablet").click()
    expect(page).to_have_url(re.compile(r"/tekenen"))

    page.get_by_label(re.compile("Naam van wie tekent")).fill("Sem Jansen")
    page.get_by_role("button", name="Handtekening opslaan").click()
    expect(page.get_by_text("Er staat nog geen handtekening in het vak.")).to_be_visible()  # an empty pad stays

    for name, wave in [("Sem Jansen", 20), ("Julia de Graaf", 40)]:
        text = page.locator(".sign__text")
        assert text.inner_text().split() == rules.split()  # each signer reads the rules
        assert text.bounding_box()["y"] < page.locator("[data-signature-pad]").bounding_box()["y"]
        page.get_by_label(re.compile("Naam van wie tekent")).fill(name)
        draw(page, wave)
        page.get_by_role("button", name="Handtekening opslaan").click()
        expect(page.get_by_text("De handtekening van %s is opgeslagen." % name)).to_be_visible()
    expect(page.locator(".talk-bar__progress")).to_have_text("2 handtekeningen")

    page.locator(".talk-bar__back").click()
    page.get_by_role("button", name=re.compile("Vastzetten")).click()
    expect(page.locator("[data-locked]")).to_contain_text("Getekend door Sem Jansen, Julia de Graaf")
    expect(page.get_by_role("button", name="Afspraken opslaan")).to_have_count(0)  # the rules no longer change

    poster = page.request.get(live_server + page.get_by_role("link", name="Poster (PDF)").get_attribute("href"))
    text = " ".join(pdf_page.extract_text() for pdf_page in PdfReader(io.BytesIO(poster.body())).pages)
    assert "Sem Jansen, Julia de Graaf" in re.sub(r"\s+", " ", text)
    assert not page.console_errors
