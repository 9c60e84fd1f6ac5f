"""A save the server refuses for a while (503: the disk is full, the database read-only) in Chromium:
the page keeps what was typed and tapped, says it is not saved yet, and tries again until it lands."""
import re

import pytest
from playwright.sync_api import expect

from test_browser_checklist import PORTRAIT, item, open_context, start_follow_up, tick, wait_saved

pytestmark = pytest.mark.browser

SAVES = re.compile(r".*/gesprekken/\d+/punten/\d+.*")
REFUSALS = 3  # the first saves get the server's 503, as test_faults' full disk gives it


def test_a_save_answered_503_keeps_the_text_and_is_retried_until_it_lands(browser, live_server):
    context, page = open_context(browser, PORTRAIT)
    url = start_follow_up(page, live_server)
    answered = []

    def refuse_at_first(route):
        if len(answered) < REFUSALS:
            answered.append(503)
            route.fulfill(status=503, content_type="text/html; charset=utf-8",
                          body="<p>Opslaan lukt op dit moment niet: de server kan niet schrijven.</p>")
        else:
            answered.append("server")
            route.continue_()

    page.route(SAVES, refuse_at_first)
    tick(page, 4).click()
    item(page, 5).get_by_text("Notitie", exact=True).click()
    note = item(page, 5).get_by_label("Notitie bij punt 5")
    note.fill("Getypt terwijl de server niet kon schrijven.")
    expect(tick(page, 4)).to_have_class(re.compile("is-unsaved"))  # refused: marked, not lost
    expect(tick(page, 4)).to_have_attribute("aria-pressed", "true")
    expect(note).to_have_value("Getypt terwijl de server niet kon schrijven.")
    expect(page.locator("#connection-banner")).to_be_visible()

    wait_saved(page)  # the retries reach the server once it answers again
    assert answered[:REFUSALS] == [503] * REFUSALS and "server" in answered
    page.unroute(SAVES)
    page.goto(url)
    assert page.dialogs == []
    expect(tick(page, 4)).to_have_attribute("aria-pressed", "true")
    expect(item(page, 5).get_by_label("Notitie bij punt 5")).to_have_value("Getypt terwijl de server niet kon schrijven.")
    context.close()
