"""Touch targets and sizes on a tablet, in portrait (820x1180) and landscape (1180x820) with touch: every
interactive element of the case page, the checklist, the agreement, signing and the report form is at
least 44 px in both dimensions, or spaced as WCAG 2.2's target-size rule (2.5.8) allows; nothing scrolls
sideways. (The signing page: in test_browser_agreement, which signs.)"""
import re

import pytest
from playwright.sync_api import expect

from browser import ARTIFACTS, log_in, small_targets
from conftest import PASSWORD

pytestmark = pytest.mark.browser

VIEWPORTS = {"portrait": {"width": 820, "height": 1180}, "landscape": {"width": 1180, "height": 820}}




def check(page, name, orientation):
    """No target too small or too close, nothing sideways; a screenshot of what was measured."""
    page.wait_for_load_state()
    small = small_targets(page)
    width = VIEWPORTS[orientation]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    page.screenshot(path=str(ARTIFACTS / ("touch-%s-%s.png" % (name, orientation))), full_page=True)
    assert not small, "%s (%s): %s" % (name, orientation, "; ".join(small))


@pytest.fixture(params=list(VIEWPORTS))
def tablet(request, browser):
    context = browser.new_context(viewport=VIEWPORTS[request.param], has_touch=True, is_mobile=False)
    page = context.new_page()
    page.orientation = request.param
    yield page
    context.close()


def open_all_folds(page):
    page.evaluate("document.querySelectorAll('details').forEach((fold) => { fold.open = true; })")


def test_the_mentor_s_case_page_and_report_form(tablet, live_server):
    log_in(tablet, live_server, "mentor", PASSWORD)
    tablet.goto(live_server + "/dossiers/")
    tablet.get_by_role("link", name=re.compile("Buitensluiten in de pauze")).first.click()
    # The first screen shows what is next for the mentor, in either orientation.
    action = tablet.locator("#next .button").first.bounding_box()
    assert action["y"] + action["height"] <= VIEWPORTS[tablet.orientation]["height"]
    check(tablet, "case-folded", tablet.orientation)
    open_all_folds(tablet)
    check(tablet, "case-open", tablet.orientation)
    tablet.goto(live_server + "/meldingen/nieuw")
    check(tablet, "report-form", tablet.orientation)


def test_mentor2_s_checklist_agreement_and_signing(tablet, live_server):
    log_in(tablet, live_server, "mentor2", PASSWORD)
    tablet.goto(live_server + "/dossiers/")
    tablet.get_by_role("link", name=re.compile("Duwen en spullen afpakken")).first.click()
    case_url = tablet.url
    tablet.locator(".case-menu").get_by_role("link", name="Gesprekken").click()
    tablet.locator("#case-conversations .rows__item", has=tablet.locator(".badge--open")).first.get_by_role(
        "link").click()
    expect(tablet.locator(".talk-bar")).to_be_visible()
    check(tablet, "checklist", tablet.orientation)
    tablet.goto(case_url)
    tablet.locator(".case-menu").get_by_role("link", name="Afspraken").click()
    tablet.locator("#case-agreements").get_by_role("link", name=re.compile("versie")).first.click()
    check(tablet, "agreement", tablet.orientation)
    # Signing is measured where test_browser_agreement signs (in portrait): it leaves nothing to sign.
