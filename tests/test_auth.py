"""Logging in: passwords, throttling, sessions that end on the server."""
import datetime
import re

import pytest
import time_machine
from argon2 import PasswordHasher, Type

import models
from conftest import APP_PASSWORD_HASHER, PASSWORD, AuthActions, HeldChecks, csrf_token, demo_user, in_parallel
from test_attack import CountingHasher


class ArgonChecks(CountingHasher):
    """Counts only the checks that take argon2's time: those against a real hash."""

    def verify(self, stored, password):
        if stored.startswith("$argon2"):
            self.checks += 1
        return self.hasher.verify(stored, password)


def audit_actions(action):
    return list(models.AuditEvent.select().where(models.AuditEvent.action == action))


def test_login_page_is_dutch_and_has_labelled_fields(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<label class="field__label" for="username">Gebruikersnaam</label>' in html
    assert '<label class="field__label" for="password">Wachtwoord</label>' in html
    assert 'lang="nl"' in html


def test_login_with_the_right_password_reaches_the_home_page(client, auth):
    response = auth.login("mentor")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    html = client.get("/").get_data(as_text=True)
    assert "Jeroen Bakker" in html and "Mijn open dossiers" in html
    assert [e.username for e in audit_actions("login.success")] == ["mentor"]


def test_wrong_password_and_unknown_user_get_the_same_message(client, auth):
    wrong = auth.login("mentor", "not-the-password")
    unknown = auth.login("nobody", "not-the-password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Gebruikersnaam of wachtwoord klopt niet." in response.get_data(as_text=True)
    assert 'value="nobody"' in unknown.get_data(as_text=True)  # what was typed stays
    assert len(audit_actions("login.failure")) == 2
    assert models.UserSession.select().count() == 0


def test_empty_fields_are_named(client):
    token = csrf_token(client)
    response = client.post("/login", data={"username": "", "password": "", "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Vul je gebruikersnaam in." in html and "Vul je wachtwoord in." in html


def test_deactivated_user_cannot_log_in(client, auth, factory):
    factory.user("gone", active=False)
    assert auth.login("gone").status_code == 401


@pytest.mark.parametrize("username,password", [
    ("nobody", PASSWORD), ("gone", PASSWORD), ("mentor", "wrong-password"), ("mentor", PASSWORD)],
    ids=["unknown", "deactivated", "wrong password", "right password"])
def test_every_login_costs_one_password_check_so_timing_tells_no_account_apart(
        client, auth, factory, monkeypatch, username, password):
    """An unknown name, a deactivated account and a wrong password answer as slowly as a right one."""
    factory.user("gone", active=False)
    hasher = ArgonChecks(models.base.password_hasher)
    monkeypatch.setattr(models.base, "password_hasher", hasher)
    auth.login(username, password)
    assert hasher.checks == 1


def test_an_account_without_a_usable_hash_costs_a_check_too(client, auth, factory, monkeypatch):
    user = factory.user("broken")
    models.User.update(password_hash="").where(models.User.id == user.id).execute()
    hasher = ArgonChecks(models.base.password_hasher)
    monkeypatch.setattr(models.base, "password_hasher", hasher)
    assert auth.login("broken", PASSWORD).status_code == 401
    assert hasher.checks == 1


def test_five_failures_lock_the_account_with_an_increasing_delay(client, auth):
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0), tick=False) as clock:
        for _ in range(5):
            assert auth.login("mentor", "wrong-password").status_code == 401
        locked = auth.login("mentor", PASSWORD)  # even the right password waits
        assert locked.status_code == 429
        assert "Te veel mislukte pogingen" in locked.get_data(as_text=True)
        clock.shift(datetime.timedelta(seconds=61))
        assert auth.login("mentor", "wrong-password").status_code == 401  # 6th failure: 2 minutes
        clock.shift(datetime.timedelta(seconds=61))
        assert auth.login("mentor", PASSWORD).status_code == 429
        clock.shift(datetime.timedelta(seconds=60))
        assert auth.login("mentor", PASSWORD).status_code == 302
    assert audit_actions("login.throttled")


def test_throttle_counts_in_the_database_so_every_worker_shares_it(client, auth, app):
    for _ in range(5):
        auth.login("mentor", "wrong-password")
    other_worker = AuthActions(app.test_client())
    assert other_worker.login("mentor", PASSWORD).status_code == 429
    row = models.LoginThrottle.get(models.LoginThrottle.key == "account:mentor")
    assert row.failures == 5 and row.locked_until is not None


def test_wrong_passwords_sent_in_parallel_get_no_more_checks_than_the_throttle_allows(app, monkeypatch):
    limit = app.config["LOGIN_MAX_FAILURES_ACCOUNT"]
    tries = 12
    clients = [app.test_client() for _ in range(tries)]
    tokens = [csrf_token(client) for client in clients]
    gate = HeldChecks(tries)
    monkeypatch.setattr(models.User, "check_password", gate.wrap(models.User.check_password))
    statuses = in_parallel([lambda client=client, token=token: gate.answer(lambda: client.post("/login", data={
        "username": "mentor", "password": "wrong-password", "csrf_token": token}).status_code)
        for client, token in zip(clients, tokens)])
    assert gate.calls == limit
    assert sorted(statuses) == [401] * limit + [429] * (tries - limit)
    assert models.LoginThrottle.get(models.LoginThrottle.key == "account:mentor").failures == limit


def test_a_right_password_is_not_counted_against_the_account_or_the_address(client, auth):
    auth.login("mentor", "wrong-password", address="10.1.2.3")
    auth.login("mentor", PASSWORD, address="10.1.2.3")
    auth.logout()
    assert not models.LoginThrottle.select().where(models.LoginThrottle.key == "account:mentor").exists()
    assert models.LoginThrottle.get(models.LoginThrottle.key == "address:10.1.2.3").failures == 1


def test_many_accounts_from_one_address_lock_the_address(client, auth, app):
    limit = app.config["LOGIN_MAX_FAILURES_ADDRESS"]
    for number in range(limit):
        auth.login("guess%d" % number, "wrong-password", address="10.9.8.7")
    assert auth.login("coordinator", PASSWORD, address="10.9.8.7").status_code == 429
    assert auth.login("coordinator", PASSWORD, address="10.9.8.8").status_code == 302


def test_a_quiet_hour_forgives_earlier_failures(client, auth):
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0), tick=False) as clock:
        for _ in range(4):
            auth.login("mentor", "wrong-password")
        clock.shift(datetime.timedelta(hours=2))
        for _ in range(4):
            assert auth.login("mentor", "wrong-password").status_code == 401
        assert auth.login("mentor", PASSWORD).status_code == 302


def test_session_ends_after_thirty_idle_minutes(client, auth):
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0), tick=False) as clock:
        auth.login("mentor")
        clock.shift(datetime.timedelta(minutes=29))
        assert client.get("/").status_code == 200
        clock.shift(datetime.timedelta(minutes=29))  # active 29 minutes ago: still in
        assert client.get("/").status_code == 200
        clock.shift(datetime.timedelta(minutes=31))
        response = client.get("/")
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert models.UserSession.select().count() == 0


def test_an_ended_session_says_why_on_the_login_page_and_leads_back_to_the_page(client, auth):
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0), tick=False) as clock:
        auth.login("mentor")
        clock.shift(datetime.timedelta(minutes=31))
        response = client.get("/dossiers/?status=open")
        assert response.status_code == 302
        login_url = response.headers["Location"]
        assert '<p class="banner banner--info" role="status">Log in om verder te gaan.</p>' in client.get(
            login_url).get_data(as_text=True)
        response = client.post(login_url, data={"username": "mentor", "password": PASSWORD,
                                                "csrf_token": csrf_token(client)})
        assert response.headers["Location"] == "/dossiers/?status=open"


def test_a_form_sent_after_the_session_ended_leads_to_the_login_without_a_way_back_to_it(client, auth):
    """Only a page can be asked for again after logging in: a form's address answers a GET with 405."""
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0), tick=False) as clock:
        auth.login("mentor")
        token = csrf_token(client, "/account/")
        clock.shift(datetime.timedelta(minutes=31))
        response = client.post("/account/wachtwoord", data={"csrf_token": token})
        assert response.status_code == 302 and response.headers["Location"] == "/login"

def test_session_ends_after_twelve_hours_even_when_active(client, auth):
    with time_machine.travel(datetime.datetime(2026, 11, 2, 7, 0), tick=False) as clock:
        auth.login("mentor")
        for _ in range(12 * 4 - 1):
            clock.shift(datetime.timedelta(minutes=15))
            assert client.get("/").status_code == 200  # active every quarter of an hour
        clock.shift(datetime.timedelta(minutes=30))  # 12 h 15 min after login
        assert client.get("/").status_code == 302


def test_logout_ends_the_session_on_the_server(client, auth):
    auth.login("mentor")
    stolen_cookie = client.get_cookie("herstel_session").value
    assert auth.logout().status_code == 302
    replay = client.application.test_client()
    replay.set_cookie("herstel_session", stolen_cookie)
    response = replay.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_password_change_ends_every_other_session(app, client, auth):
    auth.login("mentor")
    tablet = app.test_client()
    AuthActions(tablet).login("mentor")
    assert tablet.get("/").status_code == 200
    token = csrf_token(client, "/account/")
    response = client.post("/account/wachtwoord", data={
        "csrf_token": token, "current_password": PASSWORD,
        "new_password": "a-new-long-password", "confirm": "a-new-long-password"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this device stays in
    assert tablet.get("/").status_code == 302
    assert demo_user("mentor").check_password("a-new-long-password")


def test_password_change_refuses_a_wrong_current_password_and_keeps_the_old_one(client, auth):
    auth.login("mentor")
    token = csrf_token(client, "/account/")
    response = client.post("/account/wachtwoord", data={
        "csrf_token": token, "current_password": "wrong", "new_password": "short", "confirm": "other"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Een wachtwoord heeft minstens 12 tekens." in html
    assert "De twee wachtwoorden zijn niet gelijk." in html
    assert demo_user("mentor").check_password(PASSWORD)


def test_log_out_everywhere(app, client, auth):
    auth.login("mentor")
    tablet = app.test_client()
    AuthActions(tablet).login("mentor")
    token = csrf_token(client, "/account/")
    client.post("/account/sessies/beeindigen", data={"csrf_token": token})
    assert tablet.get("/").status_code == 302
    assert client.get("/").status_code == 302
    [event] = audit_actions("logout.everywhere")
    assert (event.object_type, event.object_id) == ("user", demo_user("mentor").id)


def test_next_parameter_never_leaves_the_site(client, auth):
    token = csrf_token(client)
    response = client.post("/login?next=https://evil.example/", data={
        "username": "mentor", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"
    auth.logout()
    token = csrf_token(client)
    response = client.post("/login?next=/account/", data={
        "username": "mentor", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/account/"


def test_passwords_are_stored_as_argon2id(app):
    assert demo_user("mentor").password_hash.startswith("$argon2id$")


def test_the_app_hashes_at_argon2id_s_recommended_cost_where_the_tests_hash_cheaply():
    """conftest swaps in a cheap hasher for the tests; the app's own is argon2-cffi's recommended one."""
    recommended = PasswordHasher()
    assert [(hasher.type, hasher.time_cost, hasher.memory_cost, hasher.parallelism)
            for hasher in (APP_PASSWORD_HASHER, recommended)] == [(Type.ID, 3, 65536, 4)] * 2
    assert models.base.password_hasher.memory_cost < APP_PASSWORD_HASHER.memory_cost


# The throttle itself (security.py), called directly: its whole schedule, to the second.

def test_the_throttle_waits_one_two_four_eight_then_fifteen_minutes():
    import security
    minutes = [security.lock_duration(failures, 5) for failures in range(1, 12)]
    assert minutes == [None] * 4 + [datetime.timedelta(minutes=m) for m in (1, 2, 4, 8, 15, 15, 15)]
    assert security.lock_duration(19, 20) is None and security.lock_duration(20, 20) == datetime.timedelta(minutes=1)


def test_the_wait_is_told_in_whole_minutes_rounded_up():
    import security
    assert [security.LoginAttempt(wait=seconds).wait_minutes
            for seconds in (0, 1, 60, 61, 120, 121)] == [1, 1, 1, 2, 2, 3]


def throttle(key):
    row = models.LoginThrottle.get_or_none(models.LoginThrottle.key == key)
    return (row.failures, row.locked_until) if row else None


def test_each_try_is_counted_before_its_check_and_the_fifth_locks_for_a_minute(app_context):
    import security
    start = datetime.datetime(2026, 11, 2, 9, 0)
    with time_machine.travel(start, tick=False) as clock:
        for number in range(1, 5):
            attempt = security.reserve_login_attempt("  Mentor ", "10.0.0.1")
            assert attempt.wait == 0 and attempt.locks == {"account:mentor": None, "address:10.0.0.1": None}
            assert throttle("account:mentor") == (number, None) and throttle("address:10.0.0.1") == (number, None)
        fifth = security.reserve_login_attempt("mentor", "10.0.0.2")
        assert fifth.locks["account:mentor"] == start + datetime.timedelta(minutes=1)
        assert throttle("account:mentor") == (5, start + datetime.timedelta(minutes=1))
        clock.shift(datetime.timedelta(seconds=20))
        locked = security.reserve_login_attempt("MENTOR", "10.0.0.3")
        assert locked.wait == 41 and locked.locks == {}  # 40 seconds and a bit: nothing counted
        assert throttle("account:mentor")[0] == 5 and throttle("address:10.0.0.3") is None
        clock.shift(datetime.timedelta(seconds=39))  # its last second
        assert security.reserve_login_attempt("mentor", "10.0.0.3").wait == 2
        clock.shift(datetime.timedelta(seconds=1))  # the minute is over: the sixth try counts, and locks for two
        assert security.reserve_login_attempt("mentor", "10.0.0.3").wait == 0
        assert throttle("account:mentor") == (6, start + datetime.timedelta(minutes=3))


def test_an_hour_of_quiet_forgives_but_not_a_second_less(app_context):
    import security
    start = datetime.datetime(2026, 11, 2, 9, 0)
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(3):
            security.reserve_login_attempt("mentor", "10.0.0.1")
        clock.shift(datetime.timedelta(hours=1))
        security.reserve_login_attempt("mentor", "10.0.0.1")
        assert throttle("account:mentor") == (4, None)
        clock.shift(datetime.timedelta(hours=1, seconds=1))
        security.reserve_login_attempt("mentor", "10.0.0.1")
        assert throttle("account:mentor") == (1, None)


def test_a_right_answer_gives_back_its_count_and_its_own_lock_only(app_context):
    import security
    start = datetime.datetime(2026, 11, 2, 9, 0)
    with time_machine.travel(start, tick=False) as clock:
        first = security.reserve_login_attempt("mentor", "10.0.0.1")
        security.release_login_attempt(first)  # the only try, and right: no trace left
        assert throttle("account:mentor") is None and throttle("address:10.0.0.1") is None
        for _ in range(4):
            security.reserve_login_attempt("mentor", "10.0.0.1")
        fifth = security.reserve_login_attempt("mentor", "10.0.0.1")
        security.release_login_attempt(fifth)  # the fifth was right: its lock goes with its count
        assert throttle("account:mentor") == (4, None) and throttle("address:10.0.0.1") == (4, None)
        other = security.reserve_login_attempt("coordinator", "10.0.0.1")
        for _ in range(3):
            security.reserve_login_attempt("coordinator", "10.0.0.9")
        clock.shift(datetime.timedelta(minutes=2))
        locking = security.reserve_login_attempt("coordinator", "10.0.0.9")  # locks coordinator's account
        security.release_login_attempt(other)  # an older right answer does not lift a lock it did not set
        assert throttle("account:coordinator") == (4, locking.locks["account:coordinator"])
        assert throttle("address:10.0.0.1") == (4, None)  # the address allows 20
        # A right answer that came back after its own lock ran out does not lift the lock of a try after it.
        for _ in range(4):
            security.reserve_login_attempt("slow", "10.0.0.5")
        slow = security.reserve_login_attempt("slow", "10.0.0.5")
        clock.shift(datetime.timedelta(minutes=1))
        after = security.reserve_login_attempt("slow", "10.0.0.5")
        security.release_login_attempt(slow)
        assert throttle("account:slow") == (5, after.locks["account:slow"])


def test_a_right_answer_takes_back_only_its_own_count(app_context):
    """Someone else's right password, from another address, leaves the counters of an attack on this account
    as they were."""
    import security
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0), tick=False):
        for _ in range(3):
            security.reserve_login_attempt("mentor", "10.0.0.1")
        security.release_login_attempt(security.reserve_login_attempt("coordinator", "10.0.0.2"))
        assert throttle("account:coordinator") is None and throttle("address:10.0.0.2") is None
        assert throttle("account:mentor") == (3, None) and throttle("address:10.0.0.1") == (3, None)

def test_a_right_password_clears_the_account_s_count_whatever_its_case_and_spaces(app_context):
    import security
    security.reserve_login_attempt("mentor", "10.0.0.1")
    security.reserve_login_attempt("x" * 160, "10.0.0.1")
    assert throttle("account:" + "x" * 150) == (1, None)
    security.record_login_success("  MENTOR ")
    security.record_login_success("x" * 151)
    assert throttle("account:mentor") is None and throttle("account:" + "x" * 150) is None
    assert throttle("address:10.0.0.1") == (2, None)


def last_seen():
    return models.UserSession.get().last_seen_at


def test_a_session_lasts_thirty_idle_minutes_to_the_second_and_notes_activity_once_a_minute(client, auth):
    start = datetime.datetime(2026, 11, 2, 9, 0)
    with time_machine.travel(start, tick=False) as clock:
        auth.login("mentor")
        clock.shift(datetime.timedelta(seconds=59))
        assert client.get("/").status_code == 200 and last_seen() == start  # not a write on every page
        clock.shift(datetime.timedelta(seconds=2))
        assert client.get("/").status_code == 200 and last_seen() == start + datetime.timedelta(seconds=61)
        clock.shift(datetime.timedelta(minutes=30))  # idle exactly thirty minutes: still in
        assert client.get("/").status_code == 200
        clock.shift(datetime.timedelta(minutes=30, seconds=1))
        assert client.get("/").status_code == 302
    assert models.UserSession.select().count() == 0


def test_activity_is_noted_after_a_whole_minute_and_only_in_one_s_own_session(app, client, auth):
    """Exactly a minute after the last note is not yet more than a minute; and one user's visits keep
    only their own session alive, and one session that ends ends no other."""
    start = datetime.datetime(2026, 11, 2, 9, 0)
    with time_machine.travel(start, tick=False) as clock:
        auth.login("mentor")
        other = app.test_client()
        AuthActions(other).login("coordinator")
        clock.shift(datetime.timedelta(seconds=60))
        assert client.get("/").status_code == 200
        seen = dict(models.UserSession.select(models.UserSession.user, models.UserSession.last_seen_at).tuples())
        assert set(seen.values()) == {start}
        clock.shift(datetime.timedelta(minutes=20))
        assert other.get("/").status_code == 200  # the coordinator works on; the mentor has left the tablet
        clock.shift(datetime.timedelta(minutes=11))
        assert client.get("/").status_code == 302  # thirty-one idle minutes
        assert other.get("/").status_code == 200
        assert [row.user.username for row in models.UserSession.select()] == ["coordinator"]

@pytest.mark.parametrize("username,roles", [("admin", "beheerder"), ("mentor", "Mentor")])
def test_the_header_names_the_roles_the_session_holds_and_no_other(login_as, username, roles):
    """The administrator of the demo holds no role of the protocol: only "beheerder" is named."""
    page = login_as(username).get("/account/").get_data(as_text=True)
    assert re.search(r'<span class="topbar__roles">(.*?)</span>', page, re.S).group(1) == roles

def test_a_session_lasts_twelve_hours_to_the_second(client, auth):
    with time_machine.travel(datetime.datetime(2026, 11, 2, 7, 0), tick=False) as clock:
        auth.login("mentor")
        for _ in range(12 * 2):
            clock.shift(datetime.timedelta(minutes=30))
            assert client.get("/").status_code == 200  # the last one twelve hours to the second after login
        clock.shift(datetime.timedelta(seconds=1))
        assert client.get("/").status_code == 302


def test_a_deactivated_user_s_open_session_ends(client, auth):
    auth.login("mentor")
    assert client.get("/").status_code == 200
    models.User.update(is_active=False).where(models.User.username == "mentor").execute()
    assert client.get("/").status_code == 302
