"""Turning the second factor on and logging in with it, in Chromium at 820x1180 against gunicorn."""
import time

import pyotp
import pytest
from playwright.sync_api import expect

from browser import keep_screenshot, log_in
from conftest import PASSWORD
from databases import Connection

pytestmark = pytest.mark.browser


def add_teacher(database, username):
    """A teacher of their own on the live server's database, so no other test meets a second factor."""
    with Connection(database) as connection:
        connection.execute(
            'INSERT INTO "user" (username, full_name, password_hash, is_admin, is_active, language, created_at,'
            " password_changed_at) SELECT ?, 'Tessa Twee', password_hash, FALSE, TRUE, 'nl', created_at, created_at"
            ' FROM "user" WHERE username = \'staff\'', (username,))
        connection.execute('INSERT INTO user_role (user_id, role) SELECT id, \'staff\' FROM "user" WHERE username = ?',
                           (username,))


def test_teacher_turns_on_the_second_factor_and_logs_in_with_a_fresh_code(page, live_server):
    add_teacher(live_server.database, "tessa")
    log_in(page, live_server, "tessa", PASSWORD)
    page.wait_for_url(live_server + "/")
    page.get_by_role("link", name="Mijn account").click()
    page.get_by_role("link", name="Tweede factor instellen").click()
    # First show it is you: a session left open is not enough to put a phone on the account.
    page.get_by_label("Je wachtwoord", exact=True).fill("not-my-password")
    page.get_by_role("button", name="Verder").click()
    expect(page.locator("#secret-error")).to_have_text("Dit is niet je wachtwoord.")
    page.get_by_label("Je wachtwoord", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Verder").click()

    qr = page.get_by_role("img", name="QR-code voor je authenticator-app")
    expect(qr).to_be_visible()
    assert qr.evaluate("image => image.complete && image.naturalWidth > 100")  # the CSP let the SVG in
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    for element in page.locator("main .button, main input[type=text]").all():
        assert element.bounding_box()["height"] >= 44, element.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 820

    page.get_by_label("Code uit je app", exact=True).fill("12a456")
    page.get_by_role("button", name="Bevestigen").click()
    expect(page.locator("#code-error")).to_have_text("Een code uit de app bestaat alleen uit 6 cijfers.")
    keep_screenshot(page, "second-factor-enrol.png")
    assert [error for error in page.console_errors if "400" not in error] == []  # the refused forms' status
    page.console_errors.clear()

    enrol_code = totp.now()
    page.get_by_label("Code uit je app", exact=True).fill(enrol_code)
    page.get_by_role("button", name="Bevestigen").click()
    expect(page.get_by_role("heading", name="Je herstelcodes")).to_be_visible()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    keep_screenshot(page, "second-factor-recovery-codes.png")
    page.get_by_role("link", name="Ik heb ze bewaard, verder").click()
    expect(page.get_by_text("Je hebt nog 10 herstelcodes.")).to_be_visible()
    keep_screenshot(page.locator("#second-factor"), "second-factor-account.png", full_page=False)

    page.get_by_role("button", name="Uitloggen", exact=True).click()
    log_in(page, live_server, "tessa", PASSWORD)
    page.wait_for_url(live_server + "/login/code")
    # A fresh code: the one used to enrol counts once, so while the app still shows it,
    # take the next one (the server tolerates one step of clock drift).
    code = totp.now()
    if code == enrol_code:
        code = totp.at(time.time() + 30)
    page.get_by_label("Code uit je app of een herstelcode").fill(code)
    keep_screenshot(page, "second-factor-code.png")
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(live_server + "/")
    expect(page.get_by_role("heading", name="Goedendag, Tessa Twee")).to_be_visible()
    expect(page.locator(".flashes")).to_contain_text("is voor je account een tweede factor ingesteld")
    keep_screenshot(page, "second-factor-logged-in.png")
    assert page.console_errors == []
