"""The live checklist in Chromium, portrait and landscape: every tap saved, nothing lost offline."""
import re

import pytest
from playwright.sync_api import expect

from browser import keep_screenshot, log_in, protocol_step
from conftest import PASSWORD

pytestmark = pytest.mark.browser

PORTRAIT = {"width": 820, "height": 1180}
LANDSCAPE = {"width": 1180, "height": 820}


def open_context(browser, viewport):
    """A tablet. A "leave this page?" question is answered yes and kept in page.dialogs, so a
    test that navigates with something unsaved fails on its assertion instead of waiting on it."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.type), dialog.accept()))
    return context, page


def start_follow_up(page, base_url):
    """As mentor2, start a fresh follow-up conversation with Isa on the 3C case."""
    log_in(page, base_url, "mentor2", PASSWORD)
    page.get_by_role("link", name=re.compile("Duwen en spullen afpakken")).first.click()
    step = protocol_step(page, "Vervolggesprekken")
    step.get_by_role("link", name="Gesprek voeren").click()
    page.get_by_label("Vervolggesprek").check()
    page.get_by_label(re.compile("Vos, Isa")).check()
    page.get_by_role("button", name="Start het gesprek").click()
    expect(page.get_by_role("heading", name="Vervolggesprek", exact=True)).to_be_visible()
    # A tap before htmx has loaded does nothing (the mentor would tap again); wait for it.
    page.wait_for_load_state()
    return page.url


def item(page, number):
    return page.locator(".item").nth(number - 1)


def tick(page, number):
    return item(page, number).locator(".item__tick")


def finger_tap(page, target):
    """Tap as a finger does: down, a moment's rest, up (an answer that lands in between must not eat it)."""
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.wait_for_timeout(400)
    page.mouse.up()


def wait_saved(page):
    """Wait until htmx has no request in flight and nothing is unsaved (what the page's
    leave-the-page guard goes by, on <html data-unsaved>, and each item's own mark).

    A locator, not wait_for_function: a polled string predicate is compiled in the page,
    where our Content-Security-Policy (rightly) forbids eval, so it failed whenever it had to poll.
    """
    expect(page.locator("html[data-unsaved], .htmx-request, .is-unsaved")).to_have_count(0)


@pytest.mark.parametrize("viewport", [PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])
def test_taps_notes_and_agreements_survive_a_reload(browser, live_server, viewport):
    context, page = open_context(browser, viewport)
    url = start_follow_up(page, live_server)
    expect(page.locator("#progress")).to_have_text("0 van 11")
    tick(page, 1).click()
    tick(page, 3).click()
    expect(page.locator("#progress")).to_have_text("2 van 11")
    tick(page, 3).click()  # tapped by mistake: back
    expect(page.locator("#progress")).to_have_text("1 van 11")
    item(page, 2).get_by_text("Notitie", exact=True).click()
    item(page, 2).get_by_label("Notitie bij punt 2").fill("Gaat beter sinds de afspraken.")
    expect(item(page, 2).locator(".item__status")).to_have_text("Opgeslagen")
    page.get_by_label("Afspraken: nieuwe regel").fill("Van nu af aan zit Isa in de pauze bij Sophie.")
    page.get_by_label("Afspraken: nieuwe regel").press("Enter")
    expect(page.locator("#lines-agreement")).to_contain_text("Van nu af aan zit Isa in de pauze bij Sophie.")
    expect(page.get_by_label("Afspraken: nieuwe regel")).to_have_value("")
    wait_saved(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    name = "checklist-%dx%d" % (viewport["width"], viewport["height"])
    keep_screenshot(page, name + ".png")

    page.reload()
    assert page.dialogs == []
    expect(page.locator("#progress")).to_have_text("1 van 11")
    expect(tick(page, 1)).to_have_attribute("aria-pressed", "true")
    expect(tick(page, 3)).to_have_attribute("aria-pressed", "false")
    expect(item(page, 2).get_by_label("Notitie bij punt 2")).to_have_value("Gaat beter sinds de afspraken.")
    expect(page.locator("#lines-agreement li")).to_have_count(1)
    assert url == page.url
    context.close()


def test_the_count_holds_when_the_answers_to_two_taps_cross(browser, live_server):
    """Taps on two items are saved side by side, and the answer to the first can arrive last.
    The talk bar must still count both. (CI once saw "1 van 11" here, when each answer carried
    the count the server read for it.) The first answer is held back until the second has landed."""
    context, page = open_context(browser, PORTRAIT)
    start_follow_up(page, live_server)
    first = re.compile(r".*/punten/%s$" % tick(page, 1).get_attribute("id").removeprefix("tick-"))
    held = []
    page.route(first, lambda route: held.append((route, route.fetch())))  # saved; the answer waits
    tick(page, 1).click()
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the first tap never reached the server"
    with page.expect_response(re.compile(r".*/punten/%s$" % tick(page, 3).get_attribute("id").removeprefix("tick-"))):
        tick(page, 3).click()
    expect(page.locator("#progress")).to_have_text("2 van 11")
    route, answer = held[0]
    route.fulfill(response=answer)
    wait_saved(page)
    expect(tick(page, 1)).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#progress")).to_have_text("2 van 11")
    page.unroute(first)
    page.reload()
    expect(page.locator("#progress")).to_have_text("2 van 11")
    context.close()


def test_touch_targets_are_at_least_44_pixels(browser, live_server):
    context, page = open_context(browser, PORTRAIT)
    start_follow_up(page, live_server)
    targets = page.locator(".item__tick, .item summary, .talk-bar a, .lines__add button, .lines__add input, "
                           "#appointment button, #appointment input, .item__textarea")
    page.locator(".item details").evaluate_all("nodes => nodes.forEach(node => node.open = true)")
    assert targets.count() > 30
    small = []
    for index in range(targets.count()):
        box = targets.nth(index).bounding_box()
        if box and (box["height"] < 44 or box["width"] < 44):
            small.append((targets.nth(index).evaluate("n => n.outerHTML.slice(0, 80)"), box))
    assert small == []
    context.close()


def test_a_network_drop_shows_the_banner_and_the_save_is_retried(browser, live_server):
    context, page = open_context(browser, PORTRAIT)
    url = start_follow_up(page, live_server)
    banner = page.locator("#connection-banner")
    expect(banner).to_be_hidden()

    page.route(re.compile(r".*/gesprekken/\d+/(punten|regels).*"), lambda route: route.abort())
    tick(page, 4).click()
    item(page, 5).get_by_text("Notitie", exact=True).click()
    item(page, 5).get_by_label("Notitie bij punt 5").fill("Getypt toen de wifi wegviel.")
    expect(banner).to_be_visible()
    expect(tick(page, 4)).to_have_class(re.compile("is-unsaved"))
    expect(tick(page, 4)).to_have_attribute("aria-pressed", "true")  # the tap still shows
    keep_screenshot(page, "checklist-offline.png")

    page.unroute(re.compile(r".*/gesprekken/\d+/(punten|regels).*"))
    expect(banner).to_be_hidden(timeout=20_000)
    expect(tick(page, 4)).not_to_have_class(re.compile("is-unsaved"))
    wait_saved(page)
    page.goto(url)
    assert page.dialogs == []
    expect(tick(page, 4)).to_have_attribute("aria-pressed", "true")
    expect(item(page, 5).get_by_label("Notitie bij punt 5")).to_have_value("Getypt toen de wifi wegviel.")
    context.close()


def test_two_tablets_on_one_conversation_keep_both_notes(browser, live_server):
    first_context, first = open_context(browser, PORTRAIT)
    url = start_follow_up(first, live_server)
    second_context, second = open_context(browser, LANDSCAPE)
    log_in(second, live_server, "mentor2", PASSWORD)
    second.goto(url)

    tick(first, 6).click()
    tick(second, 7).click()
    wait_saved(first)
    wait_saved(second)
    item(first, 8).get_by_text("Notitie", exact=True).click()
    item(first, 8).get_by_label("Notitie bij punt 8").fill("Genoteerd op tablet één.")
    expect(item(first, 8).locator(".item__status")).to_have_text("Opgeslagen")
    item(second, 8).get_by_text("Notitie", exact=True).click()
    item(second, 8).get_by_label("Notitie bij punt 8").fill("Genoteerd op tablet twee.")
    conflict = item(second, 8).locator(".conflict")
    expect(conflict).to_contain_text("Genoteerd op tablet één.")
    keep_screenshot(second, "checklist-conflict.png")
    # A finger rests on the button for a moment; the note field loses focus as it lands.
    finger_tap(second, conflict.get_by_role("button", name="Beide bewaren"))
    expect(item(second, 8).get_by_label("Notitie bij punt 8")).to_have_value(
        "Genoteerd op tablet één.\nGenoteerd op tablet twee.")

    first.reload()
    expect(tick(first, 6)).to_have_attribute("aria-pressed", "true")
    expect(tick(first, 7)).to_have_attribute("aria-pressed", "true")
    expect(item(first, 8).get_by_label("Notitie bij punt 8")).to_have_value(
        "Genoteerd op tablet één.\nGenoteerd op tablet twee.")
    first_context.close()
    second_context.close()


def test_an_expired_session_keeps_the_screen_and_saves_after_logging_in_again(browser, live_server):
    from databases import Connection
    context, page = open_context(browser, PORTRAIT)
    url = start_follow_up(page, live_server)
    with Connection(live_server.database) as database:
        database.execute("DELETE FROM user_session")  # the session ended on the server (30 minutes idle)

    tick(page, 9).click()
    banner = page.locator("#connection-banner")
    expect(banner).to_contain_text("Je sessie is verlopen")
    expect(tick(page, 9)).to_have_attribute("aria-pressed", "true")
    keep_screenshot(page, "checklist-session-expired.png")

    login = context.new_page()  # what the banner's link opens: a new tab
    log_in(login, live_server, "mentor2", PASSWORD)
    login.close()
    expect(banner).to_be_hidden(timeout=30_000)  # the retry adopts the new CSRF token and saves
    wait_saved(page)
    page.goto(url)
    assert page.dialogs == []  # everything was saved: leaving asked nothing
    expect(tick(page, 9)).to_have_attribute("aria-pressed", "true")
    context.close()
