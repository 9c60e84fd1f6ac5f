"""From a teacher's report to a case in the mentor's "what is due", in Chromium at 820x1180."""
import re

import pytest
from playwright.sync_api import expect

from browser import TABLET_PORTRAIT, keep_screenshot, log_in, protocol_step
from conftest import PASSWORD

pytestmark = pytest.mark.browser


def new_page(browser):
    return browser.new_context(viewport=TABLET_PORTRAIT).new_page()


def pick_pupil(page, name):
    page.get_by_label("Zoek een leerling op naam of klas").fill(name)
    page.locator("#pupil-results-report").get_by_role("checkbox", name=re.compile(name)).check()


def test_report_becomes_a_case_that_is_due_for_the_mentor(browser, live_server, tmp_path):
    description = "Finn neemt in de pauze steeds de tas van Amira af en gooit die weg."

    teacher = new_page(browser)
    log_in(teacher, live_server, "staff", PASSWORD)
    teacher.get_by_role("link", name="Nieuwe melding").first.click()
    pick_pupil(teacher, "Amira")
    pick_pupil(teacher, "Finn")
    expect(teacher.locator("#pupil-results-report input:checked")).to_have_count(2)
    teacher.get_by_label("Wat is er gebeurd?").fill(description)
    teacher.get_by_label("Met spullen").check()
    teacher.get_by_label("Waar gebeurde het?").fill("Schoolplein")
    keep_screenshot(teacher, "cases-1-report-form.png")
    teacher.get_by_role("button", name="Melding versturen").click()
    expect(teacher.get_by_text("Je melding is opgeslagen")).to_be_visible()
    expect(teacher.locator(".badge--new")).to_have_text("Nieuw")

    coordinator = new_page(browser)
    log_in(coordinator, live_server, "coordinator", PASSWORD)
    coordinator.get_by_role("link", name="Naar het postvak").click()
    coordinator.get_by_role("link", name=re.compile("Finn neemt in de pauze")).click()
    coordinator.get_by_role("link", name="Dossier openen").click()
    coordinator.get_by_label(re.compile("Haddou, Amira")).select_option("victim")
    coordinator.get_by_label(re.compile("Meijer, Finn")).select_option("bully")
    # The mentor of the chosen pupils' class (3C: Fatima El Amrani), read when the form is sent.
    assert coordinator.get_by_label("Mentor").locator("option:checked").inner_text() == \
        "De mentor van de klas van de gekozen leerlingen"
    coordinator.get_by_label("Korte titel").fill("Tas afpakken op het plein")
    coordinator.get_by_role("button", name="Dossier openen").click()
    expect(coordinator.get_by_text(re.compile(r"Dossier \d{4}-\d{4} is geopend"))).to_be_visible()
    reference = re.search(r"\d{4}-\d{4}", coordinator.locator("h1").inner_text()).group(0)
    keep_screenshot(coordinator, "cases-2-case.png")

    mentor = new_page(browser)
    log_in(mentor, live_server, "mentor2", PASSWORD)
    due = mentor.locator("section", has=mentor.get_by_role("heading", name="Wat moet er gebeuren"))
    # The report was the signal: the first step left is the talk with Amira, due within the week.
    talk_due = due.get_by_role("link", name=re.compile("Gesprek met de gepeste leerling.*%s" % reference))
    expect(talk_due).to_be_visible()
    expect(due.get_by_role("heading", name="Deze week")).to_be_visible()
    keep_screenshot(mentor, "cases-3-mentor-due.png")

    # The step on the home page leads straight to its conversation; the mentor marks the step done
    # on the case page instead: htmx swaps the tracker and the timeline in place.
    talk_due.click()
    expect(mentor).to_have_url(re.compile(r"/gesprekken/nieuw/\d+/victim-talk$"))
    mentor.get_by_role("link", name="← Dossier %s" % reference).click()
    expect(protocol_step(mentor, "Signaal opvangen en vastleggen")).to_have_class(re.compile("tracker__step--done"))
    talk = protocol_step(mentor, "Gesprek met de gepeste leerling")
    talk.get_by_label(re.compile("Notitie bij")).fill("Met Amira gesproken")
    url_before = mentor.url
    talk.get_by_role("button", name="Gedaan").click()
    expect(talk).to_have_class(re.compile("tracker__step--done"))
    expect(mentor.locator("#case-timeline")).to_contain_text("Met Amira gesproken")
    assert mentor.url == url_before
    expect(protocol_step(mentor, "Gesprek met de pester en meelopers")).to_contain_text("uiterlijk")
    keep_screenshot(mentor, "cases-4-step-done.png")
    for page in (teacher, coordinator, mentor):
        page.context.close()


def test_a_name_typed_before_the_scripts_arrive_is_still_searched(browser, live_server):
    """On a slow first visit a teacher may type before htmx has loaded; the search still runs."""
    teacher = new_page(browser)
    try:
        log_in(teacher, live_server, "staff", PASSWORD)
        held = []  # the request for htmx, answered only once the name is typed
        teacher.route(re.compile(r".*/static/vendor/htmx[^/]*\.js$"), lambda route: held.append(route))
        teacher.goto(live_server + "/meldingen/nieuw", wait_until="commit")
        teacher.get_by_label("Zoek een leerling op naam of klas").fill("Amira")
        for _ in range(100):  # the parser asked for htmx before the box could be typed in
            if held:
                break
            teacher.wait_for_timeout(50)
        assert held, "the page did not ask for htmx"
        expect(teacher.locator("#pupil-results-report")).not_to_contain_text("Amira")
        held.pop().continue_()
        expect(teacher.locator("#pupil-results-report").get_by_role("checkbox", name=re.compile("Amira"))).to_be_visible()
    finally:
        teacher.context.close()  # also ends a request still held when the test failed


def test_the_coordinator_sorts_the_overview_by_keyboard_and_filters_keep_the_sort(page, live_server):
    """On a laptop: a column header is a link (Tab, Enter) that sorts by it and says so (aria-sort); again
    turns the order round; filtering keeps the sort, sorting keeps the filters. No script needed."""
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server, "coordinator", PASSWORD)
    page.goto(live_server + "/dossiers/")
    header = page.locator("th", has=page.get_by_role("link", name="Mentor", exact=True))
    expect(header).not_to_have_attribute("aria-sort", re.compile("."))
    page.get_by_role("link", name="Mentor", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"volgorde=mentor&richting=op"))
    expect(header).to_have_attribute("aria-sort", "ascending")
    mentors = page.locator("td[data-label='Mentor']").all_inner_texts()
    assert mentors == sorted(mentors) and len(set(mentors)) > 1
    page.get_by_role("link", name=re.compile("^Mentor")).press("Enter")
    expect(header).to_have_attribute("aria-sort", "descending")
    assert page.locator("td[data-label='Mentor']").all_inner_texts() == sorted(mentors, reverse=True)
    page.get_by_label("Alleen met een te late stap").check()
    page.get_by_role("button", name="Filteren").click()
    expect(page).to_have_url(re.compile(r"te_laat=1"))
    expect(header).to_have_attribute("aria-sort", "descending")
    page.get_by_role("link", name="Volgende stap", exact=True).click()
    expect(page).to_have_url(re.compile(r"te_laat=1.*volgorde=termijn|volgorde=termijn.*te_laat=1"))
    expect(page.get_by_label("Alleen met een te late stap")).to_be_checked()
    assert page.console_errors == []
