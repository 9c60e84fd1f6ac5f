"""The second factor at login (TOTP), on a frozen clock: enrolling, codes right, wrong, reused and
drifted, recovery codes, the role requirement, the administrator's reset, the shared throttle."""
import datetime
import re

import pyotp
import pytest
import segno
import time_machine

import models
from conftest import PASSWORD, AuthActions, HeldChecks, csrf_token, demo_user, in_parallel
from domain import second_factor
from access_routes import ROUTES

MONDAY = datetime.datetime(2027, 1, 11, 9, 0)
STEP = datetime.timedelta(seconds=30)
SECRET_RE = re.compile(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<')
RECOVERY_RE = re.compile(r"<code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code>")


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def code_for(secret, moment):
    return pyotp.TOTP(secret).at(moment)


def now():
    return datetime.datetime.now()


def audit_actions(action):
    return list(models.AuditEvent.select().where(models.AuditEvent.action == action))


def give_second_factor(username):
    """Enrol a user the way the enrolment page does; return the secret and the recovery codes."""
    user = demo_user(username)
    secret = second_factor.pending_secret(user)
    codes = second_factor.enrol(user, code_for(secret, now()))
    assert codes is not None
    return secret, codes


def any_csrf_token(client):
    """The session's CSRF token from a page the client can open in its state (every page has it)."""
    from conftest import CSRF_RE
    for page in ("/login", "/account/"):
        response = client.get(page)
        if response.status_code == 200:
            return CSRF_RE.search(text(response)).group(1)
    raise AssertionError("no page with a CSRF token")


def post_code(client, code, path="/login/code"):
    return client.post(path, data={"code": code, "csrf_token": any_csrf_token(client)})


def show_it_is_me(client, typed=PASSWORD):
    """The step before setting up the second factor on the account page: the password (or a code)."""
    return client.post("/account/tweede-factor/bevestigen", data={
        "secret": typed, "csrf_token": csrf_token(client, "/account/")})


def text(response):
    return response.get_data(as_text=True)


def follow(client, response):
    """The page a redirect leads to (with its flashed messages)."""
    assert response.status_code == 302, response.status_code
    return text(client.get(response.headers["Location"]))


# Enrolling ---------------------------------------------------------------------------------

def test_enrolment_shows_a_qr_code_and_the_secret_and_stores_only_a_confirmed_factor(client, auth, clock):
    auth.login("mentor")
    assert show_it_is_me(client).headers["Location"] == "/account/tweede-factor"
    page = client.get("/account/tweede-factor")
    html = text(page)
    assert page.status_code == 200
    assert '<img class="enrol__qr" src="data:image/svg+xml;' in html  # drawn here, no outside service
    secret = SECRET_RE.search(html).group(1).replace(" ", "")
    user = demo_user("mentor")
    assert user.totp_pending_secret == secret and user.totp_secret is None
    expected_qr = segno.make("otpauth://totp/Herstel:mentor?secret=%s&issuer=Herstel" % secret, error="m")
    assert expected_qr.svg_data_uri(scale=5, border=4) in html
    # Opening the page again shows the same secret, so a scan made a moment ago stays valid.
    assert secret in text(client.get("/account/tweede-factor")).replace(" ", "")

    wrong = post_code(client, "000000" if code_for(secret, now()) != "000000" else "111111", "/account/tweede-factor")
    assert wrong.status_code == 400 and "Deze code klopt niet." in text(wrong)
    assert demo_user("mentor").totp_secret is None  # nothing half-enrolled

    clock.shift(STEP)
    done = post_code(client, code_for(secret, now()), "/account/tweede-factor")
    codes = RECOVERY_RE.findall(text(done))
    assert done.status_code == 200 and len(set(codes)) == 10
    user = demo_user("mentor")
    assert user.totp_secret == secret and user.totp_pending_secret is None
    hashes = {row.code_hash for row in models.RecoveryCode.select().where(models.RecoveryCode.user == user)}
    assert len(hashes) == 10 and not hashes & set(codes)  # stored as hashes only
    assert [e.object_id for e in audit_actions("mfa.enrol")] == [user.id]
    # Shown once: the account page has no codes, only how many are left.
    account = text(client.get("/account/"))
    assert not RECOVERY_RE.search(account) and "Je hebt nog 10 herstelcodes." in account


@pytest.mark.parametrize("typed,message", [
    ("", "Vul de code uit je app in."),
    ("12ab56", "Een code uit de app bestaat alleen uit 6 cijfers."),
    ("1234567", "Een code uit de app heeft 6 cijfers; je typte er 7."),
])
def test_bad_input_while_enrolling_is_named_and_kept(client, auth, typed, message):
    auth.login("mentor")
    show_it_is_me(client)
    client.get("/account/tweede-factor")
    response = post_code(client, typed, "/account/tweede-factor")
    html = text(response)
    assert response.status_code == 400
    assert '<p class="field__error" id="code-error">%s</p>' % message in html
    assert 'value="%s"' % typed in html
    assert demo_user("mentor").totp_secret is None


def test_an_unconfirmed_enrolment_does_not_change_how_one_logs_in(app, client, auth):
    auth.login("mentor")
    show_it_is_me(client)
    client.get("/account/tweede-factor")
    auth.logout()
    response = AuthActions(client).login("mentor")
    assert response.headers["Location"] == "/"  # the password alone, as before


# Setting it up or replacing it needs the password or a code --------------------------------

def test_a_borrowed_session_cannot_replace_the_second_factor(client, auth, clock):
    """Someone at a tablet left logged in: no QR code, and a code for the secret in waiting is refused."""
    old_secret, _ = give_second_factor("mentor")
    clock.shift(STEP)
    auth.login("mentor")
    post_code(client, code_for(old_secret, now()))
    page = client.get("/account/tweede-factor")
    assert page.status_code == 200 and "Laat eerst zien dat jij het bent." in text(page)
    assert "enrol__qr" not in text(page) and not SECRET_RE.search(text(page))
    waiting = second_factor.pending_secret(demo_user("mentor"))  # as if it had been seen on a screen
    clock.shift(STEP)
    refused = post_code(client, code_for(waiting, now()), "/account/tweede-factor")
    assert refused.status_code == 400 and "Laat eerst zien dat jij het bent." in text(refused)
    assert demo_user("mentor").totp_secret == old_secret
    assert len(models.RecoveryCode.select().where(models.RecoveryCode.user == demo_user("mentor"))) == 10


def test_a_wrong_password_is_refused_counted_and_logged(client, auth, clock):
    auth.login("mentor")
    response = show_it_is_me(client, "not-my-password")
    assert response.status_code == 400 and "Dit is niet je wachtwoord." in text(response)
    assert models.LoginThrottle.get(models.LoginThrottle.key == "account:mentor").failures == 1
    assert [e.username for e in audit_actions("mfa.setup_refused")] == ["mentor"]
    assert "enrol__qr" not in text(client.get("/account/tweede-factor"))
    empty = show_it_is_me(client, "")
    assert empty.status_code == 400 and "Vul je wachtwoord in." in text(empty)


def test_the_password_or_a_current_code_opens_a_fresh_secret_to_replace_the_factor(client, auth, clock):
    old_secret, _ = give_second_factor("mentor")
    clock.shift(STEP)
    auth.login("mentor")
    post_code(client, code_for(old_secret, now()))
    seen_before = second_factor.pending_secret(demo_user("mentor"))
    clock.shift(STEP)
    assert show_it_is_me(client, code_for(old_secret, now())).headers["Location"] == "/account/tweede-factor"
    new_secret = SECRET_RE.search(text(client.get("/account/tweede-factor"))).group(1).replace(" ", "")
    assert new_secret != seen_before  # a secret shown before the proof never becomes the factor
    reused = show_it_is_me(client, code_for(old_secret, now()))
    assert reused.status_code == 400 and "Deze code is al gebruikt." in text(reused)
    done = post_code(client, code_for(new_secret, now()), "/account/tweede-factor")
    assert done.status_code == 200 and len(RECOVERY_RE.findall(text(done))) == 10
    assert demo_user("mentor").totp_secret == new_secret
    assert "enrol__qr" not in text(client.get("/account/tweede-factor"))  # one proof, one enrolment


def test_the_proof_lasts_fifteen_minutes(client, auth, clock):
    auth.login("mentor")
    show_it_is_me(client)
    secret = SECRET_RE.search(text(client.get("/account/tweede-factor"))).group(1).replace(" ", "")
    clock.shift(datetime.timedelta(minutes=15, seconds=1))
    late = post_code(client, code_for(secret, now()), "/account/tweede-factor")
    assert late.status_code == 400 and "je bevestiging is verlopen" in text(late)
    assert demo_user("mentor").totp_secret is None
    show_it_is_me(client)
    secret = SECRET_RE.search(text(client.get("/account/tweede-factor"))).group(1).replace(" ", "")
    clock.shift(datetime.timedelta(minutes=15))  # its last second
    in_time = post_code(client, code_for(secret, now()), "/account/tweede-factor")
    assert in_time.status_code == 200 and demo_user("mentor").totp_secret is not None


# Logging in with a code ------------------------------------------------------------------

def test_the_password_leads_to_the_code_and_nothing_else_is_reachable(client, auth, clock):
    secret, _ = give_second_factor("mentor")
    clock.shift(STEP)
    response = auth.login("mentor")
    assert response.status_code == 302 and response.headers["Location"] == "/login/code"
    assert models.UserSession.select().count() == 0  # no session yet
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"] == "/login/code"
    assert '<p class="banner banner--info" role="status">Vul eerst de code uit je app in.</p>' in follow(client, home)
    assert client.get("/dossiers/", headers={"HX-Request": "true"}).status_code == 401
    assert [e.username for e in audit_actions("login.password_ok")] == ["mentor"]

    done = post_code(client, code_for(secret, now()))
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert models.UserSession.select().count() == 1
    assert audit_actions("login.success")[-1].detail == "met tweede factor"


def test_the_half_logged_in_state_reaches_no_route_an_anonymous_visitor_cannot(app, clock):
    give_second_factor("coordinator")
    client = app.test_client()
    AuthActions(client).login("coordinator")
    own = {"auth.second_step", "auth.enrol", "auth.login", "auth.language"}
    for endpoint, method, path, expected in ROUTES:
        if endpoint in own:
            continue
        url = path() if callable(path) else path
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": csrf_token(client, "/login")})
        assert response.status_code == expected[None], "%s %s" % (method, url)
        if response.status_code == 302:
            assert response.headers["Location"] == "/login/code", url


def test_wrong_code_is_refused_and_counted(client, auth, clock):
    secret, _ = give_second_factor("mentor")
    clock.shift(STEP)
    auth.login("mentor")
    right = code_for(secret, now())
    wrong = "%06d" % ((int(right) + 1) % 1_000_000)
    response = post_code(client, wrong)
    assert response.status_code == 401
    assert "Deze code klopt niet." in text(response) and 'value="%s"' % wrong in text(response)
    assert models.LoginThrottle.get(models.LoginThrottle.key == "account:mentor").failures == 1
    assert audit_actions("login.code_failure")
    assert client.get("/").headers["Location"] == "/login/code"


def test_a_code_is_accepted_only_once(app, client, auth, clock):
    secret, _ = give_second_factor("mentor")
    clock.shift(STEP)
    code = code_for(secret, now())
    auth.login("mentor")
    assert post_code(client, code).headers["Location"] == "/"
    other = app.test_client()  # someone who saw the code over the mentor's shoulder
    AuthActions(other).login("mentor")
    replay = post_code(other, code)
    assert replay.status_code == 401
    assert "Deze code is al gebruikt. Wacht op de volgende code in je app." in text(replay)
    clock.shift(STEP)
    assert post_code(other, code_for(secret, now())).headers["Location"] == "/"  # the next code works


def test_the_code_used_to_enrol_does_not_log_in_again(client, auth, clock):
    secret, _ = give_second_factor("mentor")  # confirmed with this step's code
    auth.login("mentor")
    assert post_code(client, code_for(secret, now())).status_code == 401


@pytest.mark.parametrize("drift,accepted", [(-2, False), (-1, True), (1, True), (2, False)])
def test_a_phone_clock_one_step_off_is_tolerated(client, auth, clock, drift, accepted):
    secret, _ = give_second_factor("mentor")
    clock.shift(10 * STEP)
    auth.login("mentor")
    response = post_code(client, code_for(secret, now() + drift * STEP))
    assert (response.status_code == 302) is accepted


def test_two_workers_never_both_accept_one_code(app_context, clock):
    secret, _ = give_second_factor("mentor")
    clock.shift(STEP)
    code = code_for(secret, now())
    first, second = demo_user("mentor"), demo_user("mentor")  # each read before either wrote
    assert [second_factor.accept_code(first, code), second_factor.accept_code(second, code)] == ["ok", "reused"]


@pytest.mark.parametrize("typed,message", [
    ("", "Vul de code uit je app in."),
    ("abc", "Een code uit de app bestaat uit 6 cijfers; een herstelcode uit 16 letters en cijfers"),
    ("1234567", "Een code uit de app heeft 6 cijfers; je typte er 7."),
    ("12 34", "Een code uit de app heeft 6 cijfers; je typte er 4."),
])
def test_bad_input_at_the_code_step_is_named_and_not_counted(client, auth, clock, typed, message):
    give_second_factor("mentor")
    auth.login("mentor")
    response = post_code(client, typed)
    assert response.status_code == 400
    assert message in text(response) and 'id="code-error"' in text(response)
    assert not models.LoginThrottle.select().where(models.LoginThrottle.key == "account:mentor").exists()


def test_the_code_step_times_out_back_to_the_password(client, auth, clock):
    secret, _ = give_second_factor("mentor")
    auth.login("mentor")
    clock.shift(datetime.timedelta(minutes=5, seconds=1))
    response = post_code(client, code_for(secret, now()))
    assert response.headers["Location"] == "/login"
    page = follow(client, response)
    assert "Je inlogpoging is verlopen. Log opnieuw in met je wachtwoord." in page
    assert 'id="password"' in page
    with client.session_transaction() as session:
        assert "second_step" not in session  # the halfway state is gone
    assert client.get("/login/code").headers["Location"] == "/login"
    assert models.UserSession.select().count() == 0
    # Four minutes is still in time.
    auth.login("mentor")
    clock.shift(datetime.timedelta(minutes=4))
    assert post_code(client, code_for(secret, now())).headers["Location"] == "/"


def test_the_code_step_holds_five_minutes_to_the_second(client, auth, clock):
    secret, _ = give_second_factor("mentor")
    clock.shift(STEP)
    auth.login("mentor")
    clock.shift(datetime.timedelta(minutes=5))
    assert post_code(client, code_for(secret, now())).headers["Location"] == "/"


def test_a_user_deactivated_during_the_code_step_goes_back_to_the_password(client, auth, clock):
    """Even with the right code, and the halfway state leaves the session."""
    secret, _ = give_second_factor("mentor")
    clock.shift(STEP)
    auth.login("mentor")
    models.User.update(is_active=False).where(models.User.username == "mentor").execute()
    assert post_code(client, code_for(secret, now())).headers["Location"] == "/login"
    with client.session_transaction() as session:
        assert "second_step" not in session
    assert models.UserSession.select().count() == 0


def test_a_password_changed_during_the_code_step_goes_back_to_the_password(client, auth, clock):
    """The login began with the old password: a change since (on another device, or an administrator's reset)
    ends it, even with the right code."""
    secret, _ = give_second_factor("mentor")
    clock.shift(STEP)
    auth.login("mentor")
    with client.session_transaction() as session:
        assert session["second_step"]["password"] == demo_user("mentor").password_changed_at.isoformat()
    models.User.update(password_changed_at=datetime.datetime.utcnow()).where(
        models.User.username == "mentor").execute()
    assert post_code(client, code_for(secret, now())).headers["Location"] == "/login"
    with client.session_transaction() as session:
        assert "second_step" not in session
    assert models.UserSession.select().count() == 0


def test_a_notice_waits_for_the_next_login_on_a_server_in_any_time_zone(app, client, auth, server_in_another_time_zone,
                                                                        clock):
    """The login's start is compared with the notices' moments in UTC: a recovery code used an hour ago is
    told at this login (on a server five hours behind UTC it was not, as if it were still to come)."""
    secret, codes = give_second_factor("mentor")
    clock.shift(STEP)
    auth.login("mentor")
    post_code(client, codes[0])
    clock.shift(datetime.timedelta(hours=1))
    later = app.test_client()
    AuthActions(later).login("mentor")
    assert "is met een van je herstelcodes ingelogd" in follow(later, post_code(later, code_for(secret, now())))

def test_next_page_is_kept_through_the_second_step(client, clock):
    secret, _ = give_second_factor("mentor")
    clock.shift(STEP)
    response = client.post("/login?next=/account/", data={
        "username": "mentor", "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/login/code"
    assert post_code(client, code_for(secret, now())).headers["Location"] == "/account/"


# Recovery codes --------------------------------------------------------------------------

def test_each_recovery_code_works_once(app, client, auth, clock):
    _, codes = give_second_factor("mentor")
    clock.shift(STEP)
    auth.login("mentor")
    first = post_code(client, codes[0].upper().replace("-", " "))  # typed loosely from paper
    assert first.headers["Location"] == "/"
    assert "Je hebt er nog 9 over" in text(client.get("/"))
    assert audit_actions("mfa.recovery_used")[0].detail == "nog 9 herstelcodes over"

    again = app.test_client()
    AuthActions(again).login("mentor")
    reused = post_code(again, codes[0])
    assert reused.status_code == 401 and "Deze herstelcode klopt niet of is al gebruikt." in text(reused)
    assert post_code(again, codes[1]).headers["Location"] == "/"
    assert models.RecoveryCode.unused_of(demo_user("mentor")).count() == 8


def test_another_users_recovery_code_does_not_work(client, auth, clock):
    give_second_factor("mentor")
    _, their_codes = give_second_factor("mentor2")
    clock.shift(STEP)
    auth.login("mentor")
    assert post_code(client, their_codes[0]).status_code == 401


def test_the_user_is_told_at_the_next_login_that_a_recovery_code_was_used(app, client, auth, clock):
    secret, codes = give_second_factor("mentor")
    clock.shift(STEP)
    auth.login("mentor")
    post_code(client, codes[0])
    clock.shift(datetime.timedelta(hours=1))
    later = app.test_client()
    AuthActions(later).login("mentor")
    home = follow(later, post_code(later, code_for(secret, now())))
    assert "is met een van je herstelcodes ingelogd" in home
    clock.shift(datetime.timedelta(hours=1))
    once_more = app.test_client()
    AuthActions(once_more).login("mentor")
    assert "herstelcodes ingelogd" not in follow(once_more, post_code(once_more, code_for(secret, now())))


# The shared throttle ---------------------------------------------------------------------

def test_wrong_codes_and_wrong_passwords_count_together(client, auth, clock):
    secret, _ = give_second_factor("mentor")
    clock.shift(STEP)
    for _ in range(3):
        assert auth.login("mentor", "wrong-password").status_code == 401
    auth.login("mentor")  # the right password does not wipe the count while a code is due
    right = code_for(secret, now())
    wrong = "%06d" % ((int(right) + 1) % 1_000_000)
    assert post_code(client, wrong).status_code == 401
    assert post_code(client, wrong).status_code == 401  # fifth failure: locked
    locked = post_code(client, right)
    assert locked.status_code == 429 and "Te veel mislukte pogingen" in text(locked)
    assert auth.login("mentor").status_code == 429  # starting over does not help
    clock.shift(datetime.timedelta(seconds=61))
    auth.login("mentor")
    assert post_code(client, code_for(secret, now())).headers["Location"] == "/"
    assert not models.LoginThrottle.select().where(models.LoginThrottle.key == "account:mentor").exists()


def test_wrong_codes_sent_in_parallel_get_no_more_checks_than_the_throttle_allows(app, clock, monkeypatch):
    secret, _ = give_second_factor("mentor")
    clock.shift(STEP)
    limit, tries = app.config["LOGIN_MAX_FAILURES_ACCOUNT"], 12
    clients = [app.test_client() for _ in range(tries)]
    for client in clients:  # each past the password, with the code still due
        assert AuthActions(client).login("mentor").headers["Location"] == "/login/code"
    tokens = [any_csrf_token(client) for client in clients]
    valid = {code_for(secret, now() + drift * STEP) for drift in (-1, 0, 1)}
    wrong = next(code for code in ("%06d" % n for n in range(0, 1_000_000, 111_111)) if code not in valid)
    gate = HeldChecks(tries)
    monkeypatch.setattr(second_factor, "accept_code", gate.wrap(second_factor.accept_code))
    statuses = in_parallel([lambda client=client, token=token: gate.answer(lambda: client.post("/login/code", data={
        "code": wrong, "csrf_token": token}).status_code) for client, token in zip(clients, tokens)])
    assert gate.calls == limit
    assert sorted(statuses) == [401] * limit + [429] * (tries - limit)


# Required per role -----------------------------------------------------------------------

def require_second_factor_for(login_as, *roles):
    admin = login_as("admin")
    response = admin.post("/instellingen/", data={
        "csrf_token": csrf_token(admin, "/instellingen/"), "school_name": "Het Baken", "region": "nl",
        "default_protocol": "vo-nl", "second_factor_roles": list(roles)})
    assert response.status_code == 302


def test_settings_have_a_checkbox_per_role_all_off_by_default(login_as):
    html = text(login_as("admin").get("/instellingen/"))
    for value in ("staff", "mentor", "coordinator", "support", "counsellor", "admin"):
        assert re.search(r'<input id="second_factor_roles-\d" name="second_factor_roles" type="checkbox" value="%s">'
                         % value, html), value
    assert models.SchoolSettings.current().second_factor_roles == set()


def test_a_required_role_enrols_right_after_the_password(login_as, client, auth, clock):
    require_second_factor_for(login_as, "coordinator", "counsellor")
    assert models.SchoolSettings.current().mfa_required_roles == "coordinator,counsellor"
    assert "tweede factor verplicht: coordinator,counsellor" in audit_actions("settings.save")[-1].detail

    response = auth.login("coordinator")
    assert response.headers["Location"] == "/login/tweede-factor"
    for path in ("/", "/dossiers/", "/account/"):
        assert client.get(path).headers["Location"] == "/login/tweede-factor", path
    assert ('<p class="banner banner--info" role="status">Stel eerst je tweede factor in; daarna kun je verder.</p>'
            in follow(client, client.get("/")))
    assert client.get("/dossiers/", headers={"HX-Request": "true"}).status_code == 401
    assert client.get("/login/code").headers["Location"] == "/login/tweede-factor"

    page = text(client.get("/login/tweede-factor"))
    secret = SECRET_RE.search(page).group(1).replace(" ", "")
    bad = post_code(client, "12345", "/login/tweede-factor")
    assert bad.status_code == 400 and "je typte er 5" in text(bad)
    assert not models.UserSession.select().where(models.UserSession.user == demo_user("coordinator")).exists()
    done = post_code(client, code_for(secret, now()), "/login/tweede-factor")
    assert done.status_code == 200 and len(RECOVERY_RE.findall(text(done))) == 10
    assert client.get("/dossiers/").status_code == 200
    assert demo_user("coordinator").totp_secret == secret

    other = AuthActions(client.application.test_client())
    assert other.login("mentor").headers["Location"] == "/"  # a role that is not required


def test_enrolment_during_login_has_fifteen_minutes(login_as, client, auth, clock):
    require_second_factor_for(login_as, "coordinator")
    auth.login("coordinator")
    clock.shift(datetime.timedelta(minutes=14))
    assert client.get("/login/tweede-factor").status_code == 200
    clock.shift(datetime.timedelta(minutes=2))
    response = client.get("/login/tweede-factor")
    assert response.headers["Location"] == "/login"
    assert "Je inlogpoging is verlopen" in follow(client, response)


def test_admins_can_be_required_too(login_as, auth):
    require_second_factor_for(login_as, "admin")
    assert auth.login("admin").headers["Location"] == "/login/tweede-factor"
    assert AuthActions(login_as(None)).login("staff").headers["Location"] == "/"


def test_a_required_role_cannot_switch_its_second_factor_off(login_as, client, auth, clock):
    secret, _ = give_second_factor("counsellor")
    require_second_factor_for(login_as, "counsellor")
    clock.shift(STEP)
    auth.login("counsellor")
    post_code(client, code_for(secret, now()))
    clock.shift(STEP)
    response = client.post("/account/tweede-factor/uitzetten", data={
        "code": code_for(secret, now()), "csrf_token": csrf_token(client, "/account/")})
    assert "Voor jouw rol is een tweede factor verplicht" in follow(client, response)
    assert demo_user("counsellor").has_second_factor


def test_a_user_switches_their_own_second_factor_off_with_a_code(client, auth, clock):
    secret, _ = give_second_factor("mentor")
    clock.shift(STEP)
    auth.login("mentor")
    post_code(client, code_for(secret, now()))
    wrong = client.post("/account/tweede-factor/uitzetten", data={
        "code": "12345a", "csrf_token": csrf_token(client, "/account/")})
    assert wrong.status_code == 400 and "bestaat alleen uit 6 cijfers" in text(wrong)
    clock.shift(STEP)
    response = client.post("/account/tweede-factor/uitzetten", data={
        "code": code_for(secret, now()), "csrf_token": csrf_token(client, "/account/")})
    assert "Je tweede factor staat uit." in follow(client, response)
    assert not demo_user("mentor").has_second_factor
    assert models.RecoveryCode.select().count() == 0 and audit_actions("mfa.disable")


# The administrator's reset ---------------------------------------------------------------

def test_admin_resets_a_second_factor_and_the_user_is_told_at_next_login(login_as, client, auth, clock):
    give_second_factor("support")
    support = demo_user("support")
    admin = login_as("admin")
    page = text(admin.get("/beheer/gebruikers/%d" % support.id))
    assert "Tweede factor uitzetten" in page
    response = admin.post("/beheer/gebruikers/%d/tweede-factor" % support.id,
                          data={"csrf_token": csrf_token(admin, "/account/")})
    assert "De tweede factor van Sanne Visser staat uit." in follow(admin, response)
    support = demo_user("support")
    assert support.totp_secret is None and support.totp_last_step is None
    assert models.RecoveryCode.select().where(models.RecoveryCode.user == support).count() == 0
    event = audit_actions("mfa.reset")[0]
    assert (event.username, event.object_id) == ("admin", support.id)

    clock.shift(datetime.timedelta(minutes=10))
    response = auth.login("support")  # a password is enough again
    assert response.headers["Location"] == "/"
    home = follow(client, response)
    assert "heeft beheerder Ingrid Smit je tweede factor uitgezet" in home
    assert "heeft beheerder" not in text(client.get("/"))  # told once


def test_a_reset_during_the_code_step_sends_the_user_back_to_the_password(login_as, client, auth, clock):
    secret, _ = give_second_factor("support")
    clock.shift(STEP)
    auth.login("support")
    admin = login_as("admin")
    admin.post("/beheer/gebruikers/%d/tweede-factor" % demo_user("support").id,
               data={"csrf_token": csrf_token(admin, "/account/")})
    # The old code no longer lets anyone in; the password step starts again.
    response = post_code(client, code_for(secret, now()))
    assert response.headers["Location"] == "/login"
    assert client.get("/").headers["Location"].startswith("/login?")
    assert models.UserSession.select().where(models.UserSession.user == demo_user("support")).count() == 0


def test_users_list_shows_who_has_a_second_factor(login_as, clock):
    give_second_factor("mentor")
    html = text(login_as("admin").get("/beheer/gebruikers"))
    row = re.search(r'<tr id="user-%d".*?</tr>' % demo_user("mentor").id, html, re.S).group(0)
    assert re.search(r"<td[^>]*>aan</td>", row), row


def test_demo_users_have_no_second_factor(app_context):
    assert not models.User.select().where(models.User.totp_secret.is_null(False)).exists()
    assert models.SchoolSettings.current().second_factor_roles == set()
