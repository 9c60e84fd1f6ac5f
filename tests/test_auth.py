"""Logging in: passwords, throttling, sessions that end on the server."""
import datetime

import pytest
import time_machine

import models
from conftest import PASSWORD, AuthActions, HeldChecks, csrf_token, demo_user, in_parallel
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
