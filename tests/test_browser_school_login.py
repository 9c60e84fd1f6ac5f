"""Signing in with the school's account, in Chromium against gunicorn and a real OpenID Connect provider
(node's oidc-provider, tests/oidc_provider/provider.mjs) on 127.0.0.1: no mocked token endpoint. Each
refusal the issue names has its test; the provider's misbehaving clients (another audience, an expired
token, another redirect URI) are real clients of that provider."""
import os
import pathlib
import re
import subprocess

import pytest
from playwright.sync_api import expect

from browser import (
    ARTIFACTS, WORKER_SUFFIX, free_port, keep_screenshot, log_in, small_targets, start_production_server,
    wait_until_serving,
)
from conftest import PASSWORD
from databases import Connection, copy_database, drop_database

# On the worker of the other browser tests, those without Chromium too: one server pair per run (conftest.py).
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("live_server")]

PROVIDER_DIR = pathlib.Path(__file__).resolve().parent / "oidc_provider"
SECRET = "geheim-van-herstel"


class School(str):
    """The server's base URL, with its database and the provider's issuer."""

    database = issuer = None


@pytest.fixture(scope="module")
def school(demo_database, tmp_path_factory):
    """Gunicorn on a copy of the demo school of its own (these tests change how people log in), and the
    provider beside it; both killed by their PID at the end."""
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("the test provider is not installed: run `make test` (npm ci in tests/oidc_provider)")
    database = copy_database(demo_database, tmp_path_factory.mktemp("school-login"))
    env = dict(os.environ, DATABASE_URL=str(database), HERSTEL_EVIDENCE_DIR=str(database.evidence),
               HERSTEL_WORKERS="2")
    server_log = open(ARTIFACTS / ("school-login-server%s.log" % WORKER_SUFFIX), "w")
    provider_log = open(ARTIFACTS / ("school-login-provider%s.log" % WORKER_SUFFIX), "w")
    server, url = start_production_server(env, server_log)
    port = free_port()
    provider = subprocess.Popen(["node", "provider.mjs"], cwd=PROVIDER_DIR, stdout=provider_log,
                                stderr=subprocess.STDOUT, env=dict(os.environ, PORT=str(port), HERSTEL_URL=url))
    base = School(url)
    base.database, base.issuer = database, "http://127.0.0.1:%d" % port
    try:
        wait_until_serving(url + "/health", server, server_log)
        wait_until_serving(base.issuer + "/.well-known/openid-configuration", provider, provider_log)
        yield base
    finally:
        for process in (provider, server):
            process.terminate()
            process.wait(timeout=30)
        server_log.close()
        provider_log.close()
        drop_database(database)


def configure(school, client_id="herstel", issuer=None, domains="hetbaken.example", local_passwords="everyone",
              trust_mfa=False, create_accounts=False, second_factor_roles=""):
    """Set the provider as an administrator would, straight in the database (the settings page has its test)."""
    with Connection(school.database) as connection:
        connection.execute("DELETE FROM sign_in_provider")
        connection.execute(
            "INSERT INTO sign_in_provider (id, issuer, client_id, client_secret, allowed_domains, local_passwords, "
            "trust_provider_mfa, create_accounts, updated_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?, '2026-01-01 10:00:00')",
            (issuer or school.issuer, client_id, SECRET, domains, local_passwords, trust_mfa, create_accounts))
        connection.execute("UPDATE school_settings SET mfa_required_roles = ?", (second_factor_roles,))
        connection.execute("DELETE FROM user_identity")


def audit_lines(school, action):
    with Connection(school.database) as connection:
        return [detail for (detail,) in connection.execute(
            "SELECT detail FROM audit_event WHERE action = ? ORDER BY id", (action,))]


def sign_in_at_provider(page, school, account, mfa=False):
    """From Herstel's login page through the provider's own page, as a teacher would (in a fresh browser:
    the provider remembers whom it let in, and asks no one again)."""
    page.context.clear_cookies()
    page.goto(school + "/login")
    page.get_by_role("link", name="Inloggen met de schoolaccount").click()
    page.wait_for_url(re.compile(re.escape(school.issuer) + "/interaction/"))
    page.get_by_label("Accountnaam").fill(account)
    page.get_by_label("Wachtwoord bij de school").fill("wat-de-school-kent")
    if mfa:
        page.get_by_label("tweede factor").check()
    page.get_by_role("button", name="Aanmelden bij de school").click()
    page.wait_for_url(re.compile("^" + re.escape(school) + "/"))
    page.wait_for_load_state()


def test_administrator_sets_up_the_school_account_and_the_test_says_what_is_wrong(page, school):
    configure(school, client_id="", issuer="", domains="")
    with Connection(school.database) as connection:
        connection.execute("DELETE FROM sign_in_provider")
    log_in(page, school, "admin", PASSWORD)
    page.goto(school + "/instellingen/")
    page.get_by_role("link", name="Schoolaccount instellen").click()
    redirect_uri = school + "/login/school/terug"
    expect(page.locator("#redirect-uri")).to_have_text(redirect_uri)

    page.get_by_label("Uitgever (issuer-URL) van de aanbieder").fill("ftp://login.school.example")
    page.get_by_label("Client-id").fill("herstel-elders")
    page.get_by_label("Toegestane e-maildomeinen").fill("hetbaken.example, geen domein")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator("#issuer-error")).to_contain_text("https://")
    expect(page.locator("#client_secret-error")).to_have_text("Vul het clientgeheim in dat de aanbieder aan Herstel gaf.")
    expect(page.locator("#allowed_domains-error")).to_contain_text("geen is geen domeinnaam")
    expect(page.locator(".error-summary")).to_contain_text("Er is een probleem")
    expect(page.get_by_label("Client-id")).to_have_value("herstel-elders")  # what was typed stays
    expect(page.get_by_label("Toegestane e-maildomeinen")).to_have_value("hetbaken.example, geen domein")

    page.get_by_label("Uitgever (issuer-URL) van de aanbieder").fill(school.issuer)
    page.get_by_label("Clientgeheim").fill(SECRET)
    page.get_by_label("Toegestane e-maildomeinen").fill("HetBaken.example")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator(".flashes")).to_contain_text("De instellingen voor de schoolaccount zijn opgeslagen.")
    expect(page.locator("#client_secret-help")).to_contain_text("Ingesteld.")
    expect(page.get_by_label("Clientgeheim")).to_have_value("")  # never shown again
    assert SECRET not in page.content()

    page.get_by_role("button", name="Verbinding testen").click()
    expect(page.locator("#verbindingstest")).to_contain_text("Registreer precies dit adres bij de aanbieder: "
                                                             + redirect_uri)
    keep_screenshot(page, "school-login-test-redirect.png")

    page.get_by_label("Client-id").fill("herstel")
    page.get_by_label("Clientgeheim").fill("niet-het-geheim")
    page.get_by_role("button", name="Opslaan").click()
    page.get_by_role("button", name="Verbinding testen").click()
    expect(page.locator("#verbindingstest")).to_contain_text("weigert de client-id met dit clientgeheim")

    page.get_by_label("Clientgeheim").fill(SECRET)
    page.get_by_role("button", name="Opslaan").click()
    page.get_by_role("button", name="Verbinding testen").click()
    expect(page.locator("#verbindingstest")).to_contain_text("De verbinding werkt")

    page.get_by_label("Uitgever (issuer-URL) van de aanbieder").fill("http://127.0.0.1:%d" % free_port())
    page.get_by_role("button", name="Opslaan").click()
    page.get_by_role("button", name="Verbinding testen").click()
    expect(page.locator("#verbindingstest")).to_contain_text("discovery-document van de aanbieder is niet bereikbaar")
    for element in page.locator("main .button, main input[type=text], main input[type=password]").all():
        assert element.bounding_box()["height"] >= 44, element.inner_text()
    with Connection(school.database) as connection:
        assert connection.execute("SELECT allowed_domains, client_secret FROM sign_in_provider") == [
            ("hetbaken.example", SECRET)]
    assert len(audit_lines(school, "settings.sign_in_test")) == 4
    assert page.console_errors == [] or all("400" in error for error in page.console_errors)


def test_a_mentor_signs_in_with_the_school_account_and_logs_out_at_both(page, school):
    configure(school)
    callbacks = []
    page.on("request", lambda request: "/login/school/terug" in request.url and callbacks.append(request.url))
    sign_in_at_provider(page, school, "mentor")
    page.console_errors.clear()  # the provider's own page asks for a favicon it does not have
    expect(page.get_by_role("heading", name=re.compile("^Goedendag, "))).to_be_visible()
    assert page.url == school + "/"
    assert audit_lines(school, "login.success")[-1] == "met schoolaccount"
    assert audit_lines(school, "login.provider_link")[-1] == "gekoppeld via mentor@hetbaken.example"
    with Connection(school.database) as connection:
        assert connection.execute(
            'SELECT u.username, i.issuer, i.subject FROM user_identity i JOIN "user" u ON u.id = i.user_id') == [
            ("mentor", school.issuer, "mentor")]  # the provider's sub is its account id
    keep_screenshot(page, "school-login-home.png")
    page.get_by_role("link", name="Mijn account").click()
    expect(page.locator("main")).to_contain_text("Schoolaccount gekoppeld")  # in what happened to one's login

    page.get_by_role("button", name="Uitloggen", exact=True).click()
    offer = page.get_by_role("link", name="Ook uitloggen bij de schoolaccount")
    expect(offer).to_have_attribute("href", re.compile("^" + re.escape(school.issuer + "/session/end?")))
    keep_screenshot(page, "school-login-logged-out.png")
    assert small_targets(page) == []  # the school account's button and the provider's logout are finger-sized

    # The provider's answer replayed (from this browser's history, or by whoever read it) finds no login
    # waiting for it: the state was used up.
    assert len(callbacks) == 1
    page.goto(callbacks[0])
    expect(page.locator(".flashes")).to_contain_text("Deze inlogpoging is verlopen of al gebruikt.")
    assert page.url.startswith(school + "/login")
    assert audit_lines(school, "login.provider_refused")[-1].startswith("state")

    # The second time the provider remembers the teacher (no page of its own), and Herstel knows the account
    # by its subject.
    page.get_by_role("link", name="Inloggen met de schoolaccount").click()
    page.wait_for_url(school + "/")
    expect(page.get_by_role("heading", name=re.compile("^Goedendag, "))).to_be_visible()
    assert page.console_errors == []


@pytest.mark.parametrize("client_id, text, reason", [
    ("herstel-vreemd", "het bewijs van de aanbieder is niet voor Herstel bedoeld", "audience"),
    ("herstel-verlopen", "het bewijs van de aanbieder is verlopen", "expired"),
])
def test_an_id_token_for_another_audience_or_expired_lets_no_one_in(page, school, client_id, text, reason):
    configure(school, client_id=client_id)
    sign_in_at_provider(page, school, "mentor")
    expect(page.locator(".flashes")).to_contain_text(text)
    assert page.url.startswith(school + "/login")
    page.goto(school + "/")
    assert page.url.startswith(school + "/login")  # not logged in
    assert audit_lines(school, "login.provider_refused")[-1].startswith(reason + ":")
    with Connection(school.database) as connection:
        assert connection.execute("SELECT COUNT(*) FROM user_identity") == [(0,)]


def test_an_unknown_person_gets_no_account_unless_the_school_allows_it_and_then_no_role(page, school):
    configure(school)
    sign_in_at_provider(page, school, "nieuw")
    expect(page.locator(".flashes")).to_contain_text(
        "Herstel heeft geen medewerker met het e-mailadres nieuw@hetbaken.example.")
    assert audit_lines(school, "login.provider_refused")[-1] == "unknown: nieuw@hetbaken.example"

    configure(school, create_accounts=True)
    sign_in_at_provider(page, school, "nieuw")
    expect(page.get_by_role("heading", name="Goedendag, Nieuwe Collega")).to_be_visible()
    with Connection(school.database) as connection:
        assert connection.execute(
            'SELECT u.username, u.email, (SELECT COUNT(*) FROM user_role r WHERE r.user_id = u.id), u.is_admin '
            'FROM "user" u WHERE u.email = ?', ("nieuw@hetbaken.example",)) == [
            ("nieuw", "nieuw@hetbaken.example", 0, False)]


@pytest.mark.parametrize("account, text, reason", [
    ("gast", "Het e-mailadres gast@elders.example hoort niet bij de school.", "domain"),
    ("onbevestigd", "geeft geen bevestigd e-mailadres", "unverified"),
])
def test_an_address_outside_the_schools_domains_or_unverified_links_no_one(page, school, account, text, reason):
    configure(school, create_accounts=True)
    sign_in_at_provider(page, school, account)
    expect(page.locator(".flashes")).to_contain_text(text)
    assert audit_lines(school, "login.provider_refused")[-1].startswith(reason + ":")
    with Connection(school.database) as connection:
        assert connection.execute('SELECT COUNT(*) FROM "user" WHERE email LIKE ?', (account + "@%",)) == [(0,)]


def test_the_second_factor_is_still_asked_unless_the_school_trusts_the_providers(page, school):
    configure(school, second_factor_roles="mentor")
    sign_in_at_provider(page, school, "mentor", mfa=True)
    assert page.url == school + "/login/tweede-factor"  # the provider's mfa is not trusted: set up Herstel's
    assert audit_lines(school, "login.provider_ok")

    configure(school, second_factor_roles="mentor", trust_mfa=True)
    sign_in_at_provider(page, school, "mentor", mfa=False)
    assert page.url == school + "/login/tweede-factor"  # trusted, but the provider asked no second factor

    sign_in_at_provider(page, school, "mentor", mfa=True)
    expect(page.get_by_role("heading", name=re.compile("^Goedendag, "))).to_be_visible()
    assert audit_lines(school, "login.success")[-1] == "met schoolaccount, tweede factor bij de aanbieder"


def test_with_the_provider_down_the_password_still_works(page, school):
    configure(school, issuer="http://127.0.0.1:%d" % free_port())
    page.goto(school + "/login")
    page.get_by_role("link", name="Inloggen met de schoolaccount").click()
    expect(page.locator(".flashes")).to_contain_text("De schoolaccount is nu niet bereikbaar.")
    assert audit_lines(school, "login.provider_refused")[-1].startswith("unreachable:")
    log_in(page, school, "mentor", PASSWORD)
    expect(page.get_by_role("heading", name=re.compile("^Goedendag, "))).to_be_visible()


def test_with_passwords_for_administrators_only_a_mentor_uses_the_school_account(page, school):
    configure(school, issuer="http://127.0.0.1:%d" % free_port(), local_passwords="admins")
    log_in(page, school, "mentor", PASSWORD)
    expect(page.locator("#password-error")).to_contain_text("alleen beheerders")
    assert page.url.startswith(school + "/login")
    assert audit_lines(school, "login.password_refused")
    log_in(page, school, "admin", PASSWORD)  # the way in while the provider is down
    expect(page.get_by_role("heading", name=re.compile("^Goedendag, "))).to_be_visible()


def provider_walk(url, account):
    """Through the provider's login as a browser would, without one: its answer for Herstel's callback."""
    import http.cookiejar
    import urllib.error
    import urllib.parse
    import urllib.request

    class Stop(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), Stop)

    def location(request):
        try:
            opener.open(request, timeout=10)
        except urllib.error.HTTPError as answer:
            assert answer.code in (302, 303), answer.read()
            return urllib.parse.urljoin(request if isinstance(request, str) else request.full_url,
                                        answer.headers["Location"])
        raise AssertionError("no redirect from %s" % request)

    interaction = location(url)
    resume = location(urllib.request.Request(interaction + "/login", data=urllib.parse.urlencode(
        {"login": account, "password": "x"}).encode()))
    answer = location(resume)
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(answer).query))


def test_keys_are_fetched_again_for_an_unknown_key_id(app, school):
    """Herstel keeps the provider's keys; a token signed with a key it does not know (the provider rotated
    them) makes it fetch them once more instead of refusing."""
    from joserfc.jwk import RSAKey

    import models
    from domain import school_login
    with app.test_request_context():
        row = models.SignInProvider(id=1, issuer=school.issuer, client_id="herstel", client_secret=SECRET,
                                    allowed_domains="hetbaken.example")
        session = {}
        url = school_login.start(row, session, school + "/login/school/terug")
        client = school_login.client_for(row)
        client.server_metadata["jwks"] = {"keys": [RSAKey.generate_key(2048, parameters={"kid": "oud"}).as_dict(
            private=False)]}
        answer = provider_walk(url, "mentor")
        claims = school_login.finish(row, session, answer)
        assert (claims["sub"], claims["email"], claims["aud"]) == ("mentor", "mentor@hetbaken.example", "herstel")
        assert [key["kid"] for key in client.server_metadata["jwks"]["keys"]] != ["oud"]
        with pytest.raises(school_login.Refused) as refused:  # the same answer twice: its state is used up
            school_login.finish(row, session, answer)
        assert refused.value.reason == "state"
