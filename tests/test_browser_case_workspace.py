"""The case page as a workspace on a tablet (Chromium at 820x1180): what is next for this user on the
first screen, every section folded to a line with a count, the page short, a menu to each section."""
import re

import pytest
from playwright.sync_api import expect

from browser import keep_screenshot, log_in, protocol_step
from browser import open_case as open_from_overview
from conftest import PASSWORD

pytestmark = pytest.mark.browser

FIRST_SCREEN = 1180
MOST = 2050  # px: the whole page with its sections folded (the case menu takes two rows of 44 px in portrait)


def open_case(page, live_server, username, title):
    log_in(page, live_server, username, PASSWORD)
    open_from_overview(page, live_server, title)


def page_height(page):
    return page.evaluate("document.documentElement.scrollHeight")


def test_the_mentor_sees_tims_talk_of_today_first_on_a_short_page(page, live_server):
    open_case(page, live_server, "mentor", "Buitensluiten in de pauze")
    next_up = page.locator("#next")
    action = next_up.get_by_role("link", name="Vervolggesprek vastleggen")
    expect(action).to_be_visible()
    expect(next_up).to_contain_text("Vervolggesprek: Tim Kok")
    box = action.bounding_box()
    assert box["y"] + box["height"] <= FIRST_SCREEN and box["height"] >= 44  # no scrolling to find it
    assert page_height(page) <= MOST, page_height(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 820
    keep_screenshot(page, "case-workspace-first-screen.png", full_page=False)
    keep_screenshot(page, "case-workspace-folded.png")

    # Each folded section says how much it holds; the menu opens one in place.
    expect(page.locator("#fold-conversations .fold__count")).to_have_text(re.compile(r"^\d+$"))
    expect(page.locator("#fold-parents")).not_to_have_attribute("open", "")
    page.locator(".case-menu").get_by_role("link", name="Ouders").click()
    expect(page.locator("#fold-parents")).to_have_attribute("open", "")
    expect(page.locator("#parents")).to_be_in_viewport()
    menu = page.locator(".case-menu").bounding_box()
    assert 0 <= menu["y"] <= 1 and menu["height"] >= 44  # it stays at the top while the page scrolls

    # The action leads to Tim's form, unfolded.
    page.evaluate("window.scrollTo(0, 0)")
    action.click()
    tim_form = page.locator("#aftercare .followups", has=page.get_by_role("heading", name=re.compile("^Tim Kok")))
    expect(tim_form.locator("form.followup__form")).to_be_in_viewport()
    assert page.console_errors == []


def test_each_step_is_one_line_that_opens_in_place_and_waiting_steps_have_no_action(page, live_server):
    open_case(page, live_server, "mentor2", "Duwen en spullen afpakken")
    steps = page.locator(".tracker__step")
    assert steps.count() >= 5
    for step in steps.all():
        assert step.bounding_box()["height"] <= 80, step.inner_text()  # folded: one line (two when narrow)
    waiting = page.locator(".tracker__step--waiting")
    for step in waiting.all():
        step.locator("summary.tracker__head").click()
        expect(step.get_by_role("button")).to_have_count(0)
        expect(step.get_by_role("link", name="Gesprek voeren")).to_have_count(0)
    assert page_height(page) <= MOST + waiting.count() * 200
    keep_screenshot(page, "case-workspace-steps.png")


@pytest.mark.parametrize("username,title", [
    ("coordinator", "Buitensluiten in de pauze"), ("coordinator", "Duwen en spullen afpakken"),
    ("management", "Dreigen bij de fietsenstalling"), ("mentor", "Dreigen bij de fietsenstalling"),
    ("mentor", "Groepsapp met foto"), ("support", "Buitensluiten in de pauze")])
def test_every_demo_case_page_is_short_with_its_sections_folded(page, live_server, username, title):
    open_case(page, live_server, username, title)
    expect(page.locator("#next")).to_be_visible()
    assert page.locator("#next").bounding_box()["y"] < FIRST_SCREEN
    assert page_height(page) <= MOST, page_height(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 820


def test_a_step_done_in_place_brings_the_fold_counts_and_what_is_next_along(page, own_live_server):
    """The tracker's "Gedaan" swaps the tracker by htmx: the folded timeline's count, and the top's list of
    what is next, follow without a reload. (On a server of its own: the step it does is one the case records'
    test does through a parent contact.)"""
    open_case(page, own_live_server, "mentor", "Groepsapp met foto")
    page.evaluate("window.herstelLoadedOnce = true")  # gone if the page reloads
    next_up = page.locator("#next")
    titles = [title.strip() for title in page.locator(".tracker__step--due .tracker__title, "
                                                       ".tracker__step--overdue .tracker__title").all_text_contents()]
    title = next(title for title in titles if title in next_up.inner_text()
                 and protocol_step(page, title).locator("form.tracker__form").count())
    count = page.locator("#fold-timeline .fold__count")
    before = int(count.inner_text())
    assert before == page.locator("#case-timeline .timeline__item").count()
    step = protocol_step(page, title)
    step.get_by_role("button", name="Gedaan").click()
    expect(protocol_step(page, title)).to_have_class(re.compile("tracker__step--done"))
    expect(count).to_have_text(str(page.locator("#case-timeline .timeline__item").count()))
    assert int(count.inner_text()) > before
    expect(next_up).not_to_contain_text(title)
    for fold in ("conversations", "agreements"):
        rows = page.locator("#case-%s .rows__item" % fold).count()
        expect(page.locator("#fold-%s .fold__count" % fold)).to_have_text(str(rows))
    assert page.evaluate("window.herstelLoadedOnce") is True  # in place: no reload
    assert page.console_errors == []
