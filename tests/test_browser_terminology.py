"""A Flemish school: the administrator picks Vlaanderen, the case page speaks of klascoach,
zorgteam and zorgcoördinator. Chromium at 820x1180; the screenshot is kept as an artifact."""
import pytest
from playwright.sync_api import expect

from browser import TABLET_PORTRAIT, keep_screenshot, log_in, open_section, protocol_step
from conftest import PASSWORD
from databases import Connection

pytestmark = pytest.mark.browser


@pytest.fixture
def back_to_dutch_after(live_server):
    """The live server is shared: whatever the test leaves, the school is Dutch again afterwards."""
    yield live_server
    with Connection(live_server.database) as connection:
        connection.execute("UPDATE school_settings SET region = 'nl', default_protocol = 'vo-nl'")


def test_a_flemish_school_reads_its_own_words_on_the_case_page(browser, back_to_dutch_after):
    base = back_to_dutch_after
    admin = browser.new_context(viewport=TABLET_PORTRAIT).new_page()
    log_in(admin, base, "admin", PASSWORD)
    admin.goto(base + "/instellingen/")
    expect(admin.get_by_text("Vlaanderen: klascoach, zorgteam, zorgcoördinator, CLB.")).to_be_visible()
    admin.get_by_label("Land en termen").select_option("vl")
    admin.get_by_role("button", name="Opslaan").click()  # the Dutch default protocol does not fit
    expect(admin.locator("#default_protocol-error")).to_contain_text("Dit protocol is niet voor scholen in Vlaanderen")
    admin.get_by_label("Standaardprotocol voor nieuwe dossiers").select_option(label="Stappenplan (Vlaanderen)")
    admin.get_by_role("button", name="Opslaan").click()
    expect(admin.get_by_text("De instellingen zijn opgeslagen.")).to_be_visible()
    admin.context.close()

    coordinator = browser.new_context(viewport=TABLET_PORTRAIT).new_page()
    log_in(coordinator, base, "coordinator", PASSWORD)
    expect(coordinator.locator(".topbar__roles")).to_have_text("Zorgcoördinator")
    coordinator.get_by_role("navigation").get_by_role("link", name="Dossiers").click()
    coordinator.get_by_role("link", name="Buitensluiten in de pauze").click()
    open_section(coordinator, "facts")
    expect(coordinator.locator("dt", has_text="Klascoach")).to_be_visible()
    expect(coordinator.locator("#support-title")).to_have_text("Zorgteam")
    open_section(coordinator, "support")
    expect(coordinator.get_by_text("Terugkoppeling aan de klascoach").first).to_be_visible()
    joint_talk = protocol_step(coordinator, "Gezamenlijk gesprek met gepeste en pester")
    expect(joint_talk.get_by_text("Wie: Klascoach")).to_be_visible()
    keep_screenshot(coordinator, "terminology-vl-case.png")
    coordinator.context.close()
