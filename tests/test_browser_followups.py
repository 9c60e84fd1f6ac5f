"""A follow-up talk recorded on the tablet (Chromium at 820x1180): each pupil's own, large enough to tap."""
import re

import pytest
from playwright.sync_api import expect

from browser import keep_screenshot, log_in, protocol_step
from conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_the_mentor_records_tim_s_talk_of_today_and_the_step_shows_the_next_one(page, own_live_server):
    # On a server of its own: the talk it records is the one the case workspace's test finds still to do.
    log_in(page, own_live_server, "mentor", PASSWORD)
    due = page.locator("section", has=page.get_by_role("heading", name="Wat moet er gebeuren"))
    due.get_by_role("link", name=re.compile("Vervolggesprek: Tim Kok")).click()
    tim = page.locator(".followups", has=page.get_by_role("heading", name=re.compile("^Tim Kok")))
    form = tim.locator("form.followup__form")
    expect(form).to_be_visible()
    for target in [*form.locator(".followup__choice").all(), form.locator("input[type=date]"),
                   form.get_by_role("button", name="Vastleggen")]:
        box = target.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, target.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 820
    keep_screenshot(page, "follow-ups-per-pupil.png")

    form.get_by_text("Gaat goed").click()
    form.get_by_placeholder(re.compile("Notitie")).fill("Tim nodigde Noor zelf uit.")
    form.get_by_role("button", name="Vastleggen").click()
    # The outcome is told in the follow-up section, where the page returns to, not at its top.
    message = page.locator("#aftercare .banner", has_text="Vervolggesprek vastgelegd: het gaat goed.")
    expect(message).to_be_in_viewport()
    expect(tim.get_by_text("Tim nodigde Noor zelf uit.")).to_be_visible()
    expect(protocol_step(page, "Vervolggesprekken").locator(".tracker__state")).to_contain_text(
        "loopt; volgend vervolggesprek")
    assert page.console_errors == []
