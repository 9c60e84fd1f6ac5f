"""The support team records a support group meeting; the mentor reads the report back, not the notes.
Chromium at 820x1180."""
import re

import pytest
from playwright.sync_api import expect

from browser import TABLET_PORTRAIT, keep_screenshot, log_in, open_case, open_section
from conftest import PASSWORD

pytestmark = pytest.mark.browser

NOTES = "Luuk wilde eerst niet meedoen; na uitleg wel. Niemand kreeg de schuld."
REPORT_BACK = "De steungroep loopt Noor morgen op naar de kantine. Wil de mentor dit donderdag nabespreken?"


def test_a_support_group_meeting_reports_back_to_the_mentor(browser, live_server):
    member = browser.new_context(viewport=TABLET_PORTRAIT).new_page()
    log_in(member, live_server, "support", PASSWORD)
    member.get_by_role("link", name="Naar het ondersteuningsteam").click()
    referral = member.locator(".rows__item", has_text="Hoekstra, Noor")
    expect(referral).to_contain_text("Weerbaarheid en begeleiding")
    keep_screenshot(member, "support-1-workspace.png")
    referral.get_by_role("link", name="Sessie vastleggen").click()

    member.get_by_label("Soort sessie").select_option("support_group")
    member.get_by_label("Wie waren erbij").fill("")
    member.get_by_label("Notities van het ondersteuningsteam").fill(NOTES)
    member.get_by_label("Terugkoppeling aan de mentor").fill(REPORT_BACK)
    member.get_by_role("button", name="Opslaan").click()
    expect(member.locator("#participants-error")).to_have_text("Schrijf op wie erbij waren.")
    expect(member.get_by_label("Terugkoppeling aan de mentor")).to_have_value(REPORT_BACK)
    member.get_by_label("Wie waren erbij").fill("Emma Vermeulen, Yara Öztürk, Luuk Dekker; Sanne Visser")
    keep_screenshot(member, "support-2-session-form.png")
    member.get_by_role("button", name="Opslaan").click()
    expect(member.get_by_text("De sessie is vastgelegd.")).to_be_visible()
    expect(member.locator("#case-support")).to_contain_text(NOTES)

    # Finishing the guidance takes a second, deliberate tap.
    member.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Ondersteuning").click()
    member.get_by_text("Begeleiding afronden").click()
    member.get_by_role("button", name="Ja, de begeleiding van Noor Hoekstra is afgerond").click()
    expect(member.get_by_text("De begeleiding is afgerond.")).to_be_visible()
    expect(member.locator("section", has=member.get_by_role("heading", name="Afgeronde begeleiding"))).to_contain_text(
        "Hoekstra, Noor")
    expect(member.get_by_text("Er zijn geen open doorverwijzingen.")).to_be_visible()
    keep_screenshot(member, "support-4-guidance-finished.png")
    member.context.close()

    mentor = browser.new_context(viewport=TABLET_PORTRAIT).new_page()
    log_in(mentor, live_server, "mentor", PASSWORD)
    open_case(mentor, live_server, "Buitensluiten in de pauze")  # not from home: its to-dos lead to actions
    open_section(mentor, "support")
    section = mentor.locator("#case-support")
    expect(section).to_contain_text(REPORT_BACK)
    expect(section).to_contain_text("Steungroep (niet-confronterende aanpak)")
    expect(mentor.locator("body")).not_to_contain_text(NOTES)
    expect(section.get_by_role("link", name="Sessie vastleggen")).to_have_count(0)
    section.scroll_into_view_if_needed()
    keep_screenshot(mentor, "support-3-mentor-reads-report-back.png")
    mentor.context.close()
