"""The audit log and the pupil import in real Chromium at tablet size."""
import pytest

from browser import keep_screenshot, log_in
from conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_admin_imports_pupils_after_a_preview(page, live_server, tmp_path):
    csv_file = tmp_path / "leerlingen.csv"
    csv_file.write_bytes("Leerlingnummer;Roepnaam;Tussenvoegsel;Achternaam;Klas;Mentor e-mail\r\n"
                         "990001;Quinten;;Zuidema;5E;mentor2@hetbaken.example\r\n"
                         "990002;Rosa;ter;Horst;5E;\r\n".encode("cp1252"))
    log_in(page, live_server, "admin", PASSWORD)
    page.wait_for_url(live_server + "/")
    page.goto(live_server + "/beheer/gebruikers")
    page.get_by_role("link", name="Leerlingen importeren").click()
    page.get_by_label("CSV-bestand uit het leerlingvolgsysteem").set_input_files(str(csv_file))
    page.get_by_role("button", name="Voorvertoning").click()
    page.get_by_role("heading", name="Voorvertoning van de import").wait_for()
    assert page.get_by_text("2 nieuwe leerlingen").is_visible()
    assert page.get_by_text("Mentor van 5E: Fatima El Amrani").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 820
    keep_screenshot(page, "pupil-import-preview.png")
    page.get_by_role("button", name="Importeren").click()
    page.get_by_text("Import uitgevoerd: 2 nieuwe en 0 bijgewerkte leerlingen, 1 nieuwe klassen.").wait_for()
    assert page.console_errors == []


def test_coordinator_filters_the_audit_log(page, live_server):
    log_in(page, live_server, "coordinator", PASSWORD)
    page.wait_for_url(live_server + "/")
    page.get_by_role("link", name="Logboek").click()
    page.get_by_role("heading", name="Logboek").wait_for()
    page.get_by_label("Soort gebeurtenis").select_option("login.success")
    page.get_by_role("button", name="Filteren").click()
    page.wait_for_url("**action=login.success**")
    actions = page.locator("tbody code").all_inner_texts()
    assert actions and set(actions) == {"login.success"}
    page.get_by_label("Zoek een leerling op naam of klas").fill("Noor")
    page.get_by_label("Noor", exact=False).first.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 820
    keep_screenshot(page, "audit-log.png")
    assert page.console_errors == []
