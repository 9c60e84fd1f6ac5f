"""Touch targets and sizes on a tablet, in portrait (820x1180) and turned to landscape (1180x820) with touch: every
interactive element of the case page, the checklist, the agreement, signing, the report form, the coordinator's
forms (a new case, a correction, prevention) and every page of each role's main menu is at least 44 px in both
dimensions (a link inside a sentence aside: browser.SMALL_TARGETS); nothing scrolls sideways, the page nor a
table inside its frame; the case page's menu hides no link past an edge and lists the sections in the page's
order. Each page is measured in portrait, then turned as a tablet turns (the page stays, its layout follows),
measured again, and turned back. (The signing page, in both orientations: in test_browser_agreement, which
signs.)"""
import re
import urllib.parse

import pytest
from playwright.sync_api import expect

from browser import keep_screenshot, log_in, open_case, small_targets
from conftest import PASSWORD

pytestmark = pytest.mark.browser

VIEWPORTS = {"portrait": {"width": 820, "height": 1180}, "landscape": {"width": 1180, "height": 820}}
# A table wider than its frame: the frame scrolls sideways and cuts off its last column (a button, say).
TABLES_CUT_OFF = """() => [...document.querySelectorAll('.table-wrap')]
  .filter((frame) => frame.scrollWidth > frame.clientWidth + 1).map((frame) => frame.querySelector('caption')?.textContent)"""




def turned(page):
    """The page in each orientation in turn, as a tablet turned in the hand (no reload); in portrait after."""
    for orientation, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        yield orientation
    page.set_viewport_size(VIEWPORTS["portrait"])


def check(page, name):
    """In either orientation: no target too small, nothing sideways (a table cut off in its frame included); a
    screenshot of what was measured when asked for (make screenshots)."""
    page.wait_for_load_state()
    for orientation in turned(page):
        small = small_targets(page)
        width = VIEWPORTS[orientation]["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "%s (%s)" % (name, orientation)
        assert page.evaluate(TABLES_CUT_OFF) == [], "%s (%s): a table scrolls sideways in its frame" % (
            name, orientation)
        keep_screenshot(page, "touch-%s-%s.png" % (name, orientation))
        assert not small, "%s (%s): %s" % (name, orientation, "; ".join(small))


@pytest.fixture
def tablet(browser):
    context = browser.new_context(viewport=VIEWPORTS["portrait"], has_touch=True, is_mobile=False)
    yield context.new_page()
    context.close()


def open_all_folds(page):
    page.evaluate("document.querySelectorAll('details').forEach((fold) => { fold.open = true; })")


def test_the_mentor_s_case_page_and_report_form(tablet, live_server):
    log_in(tablet, live_server, "mentor", PASSWORD)
    open_case(tablet, live_server, "Buitensluiten in de pauze")
    for orientation in turned(tablet):
        # The first screen shows what is next for the mentor, in either orientation.
        action = tablet.locator("#next .button").first.bounding_box()
        assert action["y"] + action["height"] <= VIEWPORTS[orientation]["height"], orientation
        menu_fits(tablet, orientation)
    check(tablet, "case-folded")
    open_all_folds(tablet)
    check(tablet, "case-open")
    tablet.goto(live_server + "/meldingen/nieuw")
    check(tablet, "report-form")


MENU_LINKS = """() => [...document.querySelectorAll('.case-menu__link')].map((link) => {
  const box = link.getBoundingClientRect();
  return {name: link.textContent.trim(), target: link.getAttribute('href'), top: Math.round(box.top),
          right: box.right, height: box.height};
})"""

# Each menu link's section comes after the one before it on the page (Node.DOCUMENT_POSITION_FOLLOWING).
MENU_IN_PAGE_ORDER = """() => {
  const sections = [...document.querySelectorAll('.case-menu__link')]
    .map((link) => [link.textContent.trim(), document.querySelector(link.getAttribute('href'))]);
  const out = sections.filter(([, section]) => !section).map(([name]) => name + ': no section');
  for (let i = 1; i < sections.length; i++) {
    const [before, earlier] = sections[i - 1], [name, section] = sections[i];
    if (earlier && section && !(earlier.compareDocumentPosition(section) & Node.DOCUMENT_POSITION_FOLLOWING)) {
      out.push(name + ' before ' + before + ' on the page');
    }
  }
  return out;
}"""


def menu_fits(page, orientation):
    """The case page's menu hides no link past an edge: its links wrap, in two rows at most (it stays at the top
    while the page scrolls, and a third row would cover the heading a link scrolls to), in the order their
    sections stand on the page."""
    menu = page.locator(".case-menu")
    box = menu.bounding_box()
    assert box["x"] + box["width"] <= VIEWPORTS[orientation]["width"]
    assert menu.evaluate("menu => menu.scrollWidth <= menu.clientWidth")
    links = page.evaluate(MENU_LINKS)
    assert all(link["right"] <= box["x"] + box["width"] and link["height"] >= 44 for link in links), links
    assert len({link["top"] for link in links}) <= 2, links
    assert page.evaluate(MENU_IN_PAGE_ORDER) == []


def test_the_coordinator_s_case_menu_shows_every_section(tablet, live_server):
    log_in(tablet, live_server, "coordinator", PASSWORD)
    open_case(tablet, live_server, "Dreigen bij de fietsenstalling")
    expect(tablet.locator(".case-menu")).to_be_visible()
    for orientation in turned(tablet):
        menu_fits(tablet, orientation)
    check(tablet, "case-menu-coordinator")


def test_mentor2_s_checklist_agreement_and_signing(tablet, live_server):
    log_in(tablet, live_server, "mentor2", PASSWORD)
    case_url = open_case(tablet, live_server, "Duwen en spullen afpakken")
    tablet.locator(".case-menu").get_by_role("link", name="Gesprekken").click()
    tablet.locator("#case-conversations .rows__item", has=tablet.locator(".badge--open")).first.get_by_role(
        "link").click()
    expect(tablet.locator(".talk-bar")).to_be_visible()
    check(tablet, "checklist")
    tablet.goto(case_url)
    tablet.locator(".case-menu").get_by_role("link", name="Afspraken").click()
    tablet.locator("#case-agreements").get_by_role("link", name=re.compile("versie")).first.click()
    check(tablet, "agreement")
    # Signing is measured where test_browser_agreement signs (in portrait): it leaves nothing to sign.


MENU_ROWS = """() => {
  const tops = (selector) => new Set([...document.querySelectorAll(selector)]
    .map((element) => Math.round(element.getBoundingClientRect().top)));
  return {menu: tops('.menu__link').size, account: tops('.topbar__link').size};
}"""


@pytest.mark.parametrize("username", ["mentor", "coordinator", "support", "counsellor", "teamleader",
                                      "management", "staff", "admin"])
def test_every_role_s_menu_is_one_line_on_a_tablet_in_portrait(browser, live_server, username):
    """The main menu keeps to one line at 820 px, with account and sign-out by the name above it: a
    menu that wraps pushes the page down and leaves "Uitloggen" alone on a second line."""
    context = browser.new_context(viewport=VIEWPORTS["portrait"], has_touch=True)
    page = context.new_page()
    log_in(page, live_server, username, PASSWORD)
    rows = page.evaluate(MENU_ROWS)
    context.close()
    assert rows == {"menu": 1, "account": 1}, username


def test_the_coordinator_s_forms_and_prevention_pages(tablet, live_server):
    """The new case's severity, a correction's folds, prevention's back links and the agreement's link in the
    follow-up section: each a whole row or a tap-link, not a bare radio, a 26 px fold or a 20 px link."""
    log_in(tablet, live_server, "coordinator", PASSWORD)
    tablet.goto(live_server + "/dossiers/nieuw")
    expect(tablet.get_by_role("radio", name="Ernstig", exact=True)).to_be_visible()
    check(tablet, "new-case")
    case_url = open_case(tablet, live_server, "Buitensluiten in de pauze")
    open_all_folds(tablet)
    expect(tablet.locator("#agreed").get_by_role("link", name=re.compile("Herstelovereenkomst versie"))).to_be_visible()
    check(tablet, "case-follow-ups")
    tablet.goto(case_url + "/corrigeren")
    open_all_folds(tablet)
    check(tablet, "correction")
    tablet.goto(live_server + "/preventie/")
    tablet.get_by_role("link", name=re.compile("Beleid en publicatie")).click()
    expect(tablet.get_by_role("link", name="← Preventie")).to_be_visible()
    check(tablet, "prevention-policy")
    tablet.goto(live_server + "/preventie/")
    tablet.locator("#klassen .rows__link").first.click()
    expect(tablet.get_by_role("link", name="← Preventie")).to_be_visible()
    check(tablet, "prevention-class")


@pytest.mark.parametrize("username", ["mentor", "coordinator", "support", "counsellor", "teamleader",
                                      "management", "staff", "admin"])
def test_every_page_of_each_role_s_menu_is_finger_sized(tablet, live_server, username):
    """Each page the role's main menu leads to, measured as the case page is: a page nobody listed here
    (the admin's users, a table whose last column fell off the frame at 820 px) is measured all the same."""
    log_in(tablet, live_server, username, PASSWORD)
    pages = tablet.evaluate("[...document.querySelectorAll('.menu__link')].map((link) => link.href)")
    assert pages
    for url in pages:
        tablet.goto(url)
        open_all_folds(tablet)
        name = urllib.parse.urlsplit(url).path.strip("/").replace("/", "-") or "start"
        check(tablet, "menu-%s-%s" % (username, name))
