"""axe-core, the accessibility checker, finds no serious or critical violation on the pages the browser
tests walk: home, the overview, the case page (folded and with every section open), the checklist, the
agreement, signing, the report form and the monitor. `make test` installs the version package-lock.json
pins into node_modules/ (`make axe`); the tests inject it into each page themselves (nothing is served)."""
import json
import re

import pytest
from playwright.sync_api import expect

from browser import ROOT, TABLET_PORTRAIT, keep_screenshot, log_in
from conftest import PASSWORD

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
LAPTOP = {"width": 1280, "height": 800}

RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => ({
    rule: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((node) => node.target.join(" ") + ": " + node.failureSummary.replace(/\\s+/g, " ")),
  }));
}"""


@pytest.fixture
def checked(browser):
    """A browser context whose pages take an injected script (the app's CSP forbids them to anyone else)."""
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `make axe` (npm ci installs the pinned version)")
    context = browser.new_context(viewport=TABLET_PORTRAIT, bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def violations(page, name):
    """axe's serious and critical violations on the page as it is now, described; a screenshot beside."""
    page.wait_for_load_state()
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(RUN_AXE)
    keep_screenshot(page, "axe-%s.png" % name)
    return ["%s %s (%s): %s" % (name, item["rule"], item["impact"], item["help"]) + "".join(
        "\n    " + node for node in item["nodes"]) for item in found]


def open_all_folds(page):
    page.evaluate("document.querySelectorAll('details').forEach((fold) => { fold.open = true; })")


def open_case(page, live_server, title):
    page.goto(live_server + "/dossiers/")
    page.get_by_role("link", name=re.compile(title)).first.click()
    expect(page.locator("#next")).to_be_visible()
    return page.url


def test_the_mentor_s_pages(checked, live_server):
    log_in(checked, live_server, "mentor", PASSWORD)
    found = violations(checked, "mentor-home")
    checked.goto(live_server + "/dossiers/")
    found += violations(checked, "mentor-overview")
    open_case(checked, live_server, "Buitensluiten in de pauze")
    found += violations(checked, "mentor-case-folded")
    open_all_folds(checked)
    found += violations(checked, "mentor-case-open")
    checked.goto(live_server + "/meldingen/nieuw")
    found += violations(checked, "report-form")
    assert not found, "\n".join(found)


def test_mentor2_s_checklist_agreement_and_signing(checked, live_server):
    log_in(checked, live_server, "mentor2", PASSWORD)
    case_url = open_case(checked, live_server, "Duwen en spullen afpakken")
    checked.locator(".case-menu").get_by_role("link", name="Gesprekken").click()
    checked.locator("#case-conversations .rows__item", has=checked.locator(".badge--open")).first.get_by_role(
        "link").click()
    expect(checked.locator(".talk-bar")).to_be_visible()
    found = violations(checked, "checklist")
    checked.goto(case_url)
    checked.locator(".case-menu").get_by_role("link", name="Afspraken").click()
    checked.locator("#case-agreements").get_by_role("link", name=re.compile("versie")).last.click()
    expect(checked).to_have_url(re.compile(r"/herstelovereenkomsten/\d+$"))  # there, not still on the case page
    agreement_url = checked.url
    found += violations(checked, "agreement")
    checked.goto(agreement_url + "/tekenen")
    expect(checked).to_have_url(re.compile(r"/tekenen$"))  # the draft is ready to sign: not sent back
    found += violations(checked, "signing")
    assert not found, "\n".join(found)


def test_the_coordinator_s_pages_on_a_laptop(checked, live_server):
    checked.set_viewport_size(LAPTOP)
    log_in(checked, live_server, "coordinator", PASSWORD)
    found = violations(checked, "coordinator-home")
    checked.goto(live_server + "/dossiers/?status=all&volgorde=termijn")
    found += violations(checked, "coordinator-overview")
    open_case(checked, live_server, "Dreigen bij de fietsenstalling")
    open_all_folds(checked)
    found += violations(checked, "coordinator-case-open")
    checked.goto(live_server + "/monitor/")
    found += violations(checked, "monitor")
    assert not found, "\n".join(found)


def test_axe_finds_a_serious_violation(checked, live_server):
    """The check above can fail: an image without a text alternative is a critical violation."""
    log_in(checked, live_server, "staff", PASSWORD)
    checked.evaluate("""document.querySelector("main").insertAdjacentHTML("beforeend", '<img src="/favicon.svg">')""")
    found = violations(checked, "broken")
    assert any("image-alt" in line for line in found), json.dumps(found)
