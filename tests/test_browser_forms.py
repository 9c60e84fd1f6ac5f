"""Forms on the tablet (Chromium at 820x1180): full-row checkboxes of at least 44 px, the pupils a
conversation guide is written for ticked, text areas that grow with their text."""
import re

import pytest
from playwright.sync_api import expect

from browser import keep_screenshot, log_in, open_case
from conftest import PASSWORD

pytestmark = pytest.mark.browser


def assert_full_row(row):
    """A checkbox row: at least 44 px high, holding its box beside (not above) its text, and a tap at
    its far end ticks the box."""
    box, check = row.bounding_box(), row.locator("input").bounding_box()
    text = row.locator(".check-row__text").bounding_box()
    name = row.inner_text()
    assert box["height"] >= 44 and box["width"] >= 44, name
    assert box["y"] <= check["y"] and check["y"] + check["height"] <= box["y"] + box["height"], name
    assert check["x"] + check["width"] <= text["x"] and text["y"] < check["y"] + check["height"], name
    ticked = row.locator("input").is_checked()
    row.click(position={"x": box["width"] - 3, "y": box["height"] / 2})
    assert row.locator("input").is_checked() != ticked, name
    row.click(position={"x": box["width"] - 3, "y": box["height"] / 2})


def test_choosing_a_guide_ticks_its_pupils_on_rows_a_finger_hits(page, live_server):
    log_in(page, live_server, "mentor", PASSWORD)
    open_case(page, live_server, "Buitensluiten in de pauze")
    page.goto(page.url.split("#")[0].replace("/dossiers/", "/gesprekken/nieuw/") + "/bully-talk")
    daan, tim = page.get_by_label(re.compile("Daan")), page.get_by_label(re.compile("Tim"))
    # No guide chosen yet: the pupils any of the step's guides is for (Daan bullies, Tim follows).
    expect(daan).to_be_checked()
    expect(tim).to_be_checked()
    page.locator("input[name=template][value=follower-talk]").check()
    expect(daan).not_to_be_checked()
    expect(tim).to_be_checked()
    page.locator("input[name=template][value=bully-guidance]").check()
    expect(daan).to_be_checked()
    expect(tim).not_to_be_checked()
    # Once the mentor ticks a pupil, the choice is theirs: another guide changes nothing.
    tim.check()
    page.locator("input[name=template][value=follower-talk]").check()
    expect(daan).to_be_checked()
    expect(tim).to_be_checked()
    for row in page.locator("label.check-row").all():
        assert_full_row(row)
    back = page.get_by_role("link", name=re.compile("← Dossier")).bounding_box()
    assert back["height"] >= 44 and back["width"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= 820
    keep_screenshot(page, "start-conversation.png")
    assert page.console_errors == []


def test_the_report_form_asks_each_question_once_with_full_rows_and_a_growing_text_box(page, live_server):
    log_in(page, live_server, "staff", PASSWORD)
    page.goto(live_server + "/meldingen/nieuw")
    expect(page.get_by_text("Wat is er gebeurd?", exact=True)).to_have_count(1)
    rows = page.locator("label.check-row")
    expect(rows.filter(has_text="Dit is een signaal")).to_have_count(1)
    expect(rows.filter(has_text="strafbare feiten")).to_have_count(1)
    assert rows.count() >= 8  # the kinds of bullying, the signal, the criminal facts, sharing the name
    for row in rows.all():
        assert_full_row(row)

    description = page.get_by_label("Wat is er gebeurd?")
    one_line = description.bounding_box()["height"]
    description.fill("\n".join("Regel %d van wat er gebeurde." % number for number in range(1, 16)))
    assert description.bounding_box()["height"] > 2 * one_line
    assert description.evaluate("area => area.scrollHeight <= area.clientHeight + 1")  # every line in view
    assert page.evaluate("document.documentElement.scrollWidth") <= 820
    keep_screenshot(page, "report-form.png")
    assert page.console_errors == []



def test_a_report_sent_half_filled_in_comes_back_with_its_problems_first_and_what_was_typed(page, live_server):
    """GOV.UK's pattern on the form every staff member uses: the page's title says there is a problem, the
    error summary has the focus (a screen reader reads it out), each of its links leads to its field, and
    the text typed is still there."""
    log_in(page, live_server, "staff", PASSWORD)
    page.goto(live_server + "/meldingen/nieuw")
    page.get_by_label("Waar gebeurde het?").fill("Bij de kluisjes")
    page.get_by_role("button", name=re.compile("Melding versturen|Melden|Versturen")).click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile("^Fout: "))
    assert summary.bounding_box()["y"] < page.locator("h1").bounding_box()["y"]
    expect(page.get_by_label("Waar gebeurde het?")).to_have_value("Bij de kluisjes")
    summary.get_by_role("link", name="Beschrijf wat er gebeurd is.").click()
    expect(page.get_by_label("Wat is er gebeurd?")).to_be_focused()
    summary.get_by_role("link", name="Kies minstens één leerling.").click()
    expect(page.locator("#pupil-search-report")).to_be_focused()
    keep_screenshot(page, "report-form-errors.png")
    # The page itself came back 400 (Chromium logs that); nothing else went wrong.
    assert [error for error in page.console_errors if "status of 400" not in error] == []
