"""A pupil reports on a phone (390x844), the coordinator answers by role, the pupil reads it; in Chromium."""
import re

import pytest
from playwright.sync_api import expect

from browser import TABLET_PORTRAIT, keep_screenshot, log_in
from conftest import PASSWORD
from databases import Connection

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def report_page_on(live_server):
    """The school switches the public report page on (it is off in the demo), and off again after."""
    def switch(on):
        with Connection(live_server.database) as connection:
            connection.execute("UPDATE school_settings SET public_reports_enabled = ?", (on,))
    switch(True)
    yield live_server
    switch(False)


def test_pupil_reports_on_a_phone_and_reads_the_answer(browser, report_page_on):
    base = report_page_on
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    pupil = phone.new_page()
    pupil.goto(base + "/melden")
    expect(pupil.get_by_role("heading", level=1)).to_contain_text("gepest")
    assert pupil.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling"
    pupil.get_by_label("Ik wil pesten melden").check()
    pupil.get_by_label("Een leerling").check()
    pupil.get_by_label("Wat is er gebeurd?").fill("In de groepsapp sturen ze nare foto's van mij. 😢")
    pupil.get_by_label("Gebeurt het online?").fill("WhatsApp")
    pupil.get_by_label("Sinds wanneer gebeurt het?").fill("Twee weken")
    keep_screenshot(pupil, "meldknop-1-form-phone.png")
    pupil.get_by_role("button", name="Versturen").click()
    expect(pupil.get_by_role("heading", name="Dank je wel! Je melding is verstuurd.")).to_be_visible()
    code = pupil.locator('[data-receipt="code"]').inner_text()
    phrase = pupil.locator('[data-receipt="phrase"]').inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", code)
    keep_screenshot(pupil, "meldknop-2-receipt-phone.png")

    staff = browser.new_context(viewport=TABLET_PORTRAIT).new_page()
    log_in(staff, base, "coordinator", PASSWORD)
    staff.goto(base + "/meldingen/")
    staff.get_by_role("link", name=re.compile("In de groepsapp sturen ze nare")).click()
    thread = staff.locator("section", has=staff.get_by_role("heading", name="Gesprek met de melder (meldknop)"))
    thread.get_by_label("Antwoord aan de melder").fill("Dank je dat je het vertelt. Ik praat morgen met je mentor.")
    thread.get_by_role("button", name="Antwoord versturen").click()
    expect(staff.get_by_text("Je antwoord staat klaar voor de melder.")).to_be_visible()
    expect(staff.get_by_text("Ik praat morgen met je mentor.")).to_be_visible()
    staff.context.close()

    pupil.goto(base + "/melden/status")
    pupil.get_by_label("Je code").fill(code.lower())
    pupil.get_by_label("Je geheime zin").fill(phrase)
    pupil.get_by_role("button", name="Lezen").click()
    expect(pupil.get_by_role("heading", name="Je gesprek met de school")).to_be_visible()
    expect(pupil.get_by_text("Ik praat morgen met je mentor.")).to_be_visible()
    expect(pupil.locator(".message__who").first).to_contain_text("De anti-pestcoördinator")
    expect(pupil.get_by_text("Marleen")).to_have_count(0)
    pupil.get_by_label("Jouw bericht").fill("Oké, dank je.")
    pupil.get_by_role("button", name="Bericht versturen").click()
    expect(pupil.get_by_text("Je bericht is verstuurd.")).to_be_visible()
    expect(pupil.get_by_text("Oké, dank je.")).to_be_visible()
    assert pupil.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    keep_screenshot(pupil, "meldknop-3-answer-phone.png")
    phone.close()
