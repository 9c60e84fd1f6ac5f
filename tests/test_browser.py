"""In real Chromium at tablet size, against the production server."""
import pytest

from browser import keep_screenshot, log_in
from conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_mentor_logs_in_and_sees_the_home_page(page, live_server, tmp_path):
    log_in(page, live_server, "mentor", PASSWORD)
    page.wait_for_url(live_server + "/")
    assert page.get_by_role("heading", name="Goedendag, Jeroen Bakker").is_visible()
    assert page.get_by_role("heading", name="Mijn open dossiers").is_visible()
    assert page.get_by_role("link", name="Dossiers", exact=True).is_visible()
    assert page.get_by_role("link", name="Gebruikers").count() == 0  # not an admin
    # No horizontal scrolling at tablet width.
    assert page.evaluate("document.documentElement.scrollWidth") <= 820
    page.screenshot(path=str(tmp_path / "mentor-home.png"), full_page=True)
    assert (tmp_path / "mentor-home.png").stat().st_size > 10_000
    assert page.console_errors == []


def test_menu_targets_are_large_enough_to_tap(page, live_server):
    log_in(page, live_server, "coordinator", PASSWORD)
    page.wait_for_url(live_server + "/")
    for element in page.locator(".menu__link, .button").all():
        box = element.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, element.inner_text()


def test_keyboard_user_can_log_in_with_visible_focus(page, live_server):
    page.goto(live_server + "/login")
    page.keyboard.press("Tab")  # skip link first
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.get_by_label("Gebruikersnaam").focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.type("mentor2")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(live_server + "/")
    assert page.get_by_role("heading", name="Goedendag, Fatima El Amrani").is_visible()


@pytest.mark.parametrize("viewport", [{"width": 1180, "height": 820}, {"width": 390, "height": 844}],
                         ids=["tablet-landscape", "phone"])
def test_pages_fit_landscape_tablets_and_phones(browser, live_server, viewport, tmp_path):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    log_in(page, live_server, "coordinator", PASSWORD)
    page.wait_for_url(live_server + "/")
    for path in ["/", "/dossiers/", "/account/"]:
        page.goto(live_server + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], path
    keep_screenshot(page, "home-%dx%d.png" % (viewport["width"], viewport["height"]), full_page=False)
    context.close()
