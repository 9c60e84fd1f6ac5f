"""Attacks on the way in: password guessing at scale and replayed session cookies."""
import datetime

import time_machine

import db
import models
from conftest import PASSWORD, AuthActions, csrf_token, demo_user

ATTEMPTS = 1000


class CountingHasher:
    """The real argon2 hasher, counting how often a password is actually checked."""

    def __init__(self, hasher):
        self.hasher, self.checks = hasher, 0

    def verify(self, *args):
        self.checks += 1
        return self.hasher.verify(*args)

    def __getattr__(self, name):
        return getattr(self.hasher, name)


def test_a_thousand_guesses_from_many_addresses_get_at_most_twenty_checks_an_hour(app, client, monkeypatch):
    hasher = CountingHasher(models.base.password_hasher)
    monkeypatch.setattr(models.base, "password_hasher", hasher)
    auth, start = AuthActions(client), datetime.datetime(2026, 11, 2, 8, 0)
    statuses = set()
    with time_machine.travel(start, tick=False) as clock:
        token = csrf_token(client)
        for attempt in range(ATTEMPTS):  # one hour: a guess every 3.6 seconds, each from another address
            address = "10.%d.%d.%d" % (attempt // 65536 % 256, attempt // 256 % 256, attempt % 256)
            response = client.post("/login", data={"username": "coordinator", "password": "guess-%d" % attempt,
                                                   "csrf_token": token}, environ_base={"REMOTE_ADDR": address})
            statuses.add(response.status_code)
            clock.shift(datetime.timedelta(seconds=3.6))
        assert hasher.checks <= 20
        assert statuses == {401, 429}
        with app.app_context():
            throttle = models.LoginThrottle.get(models.LoginThrottle.key == "account:coordinator")
            assert throttle.locked_until - db.utcnow() <= datetime.timedelta(minutes=15)  # never for good

        clock.shift(datetime.timedelta(minutes=15, seconds=1))  # the attack stopped; the window passed
        assert auth.login("coordinator", PASSWORD, address="192.168.1.20").status_code == 302


def test_the_lockout_doubles_from_one_minute_to_fifteen_and_stays_there(client, monkeypatch):
    """Four wrong passwords cost nothing; the fifth locks the account for a minute, and each
    wrong one after a lock doubles it (2, 4, 8) up to a quarter of an hour, never longer. While
    locked, no password is checked at all, a second before the lock ends included."""
    hasher = CountingHasher(models.base.password_hasher)
    monkeypatch.setattr(models.base, "password_hasher", hasher)
    with time_machine.travel(datetime.datetime(2026, 11, 2, 8, 0), tick=False) as clock:
        token = csrf_token(client)

        def guess(number):
            return client.post("/login", data={"username": "coordinator", "password": "guess-%d" % number,
                                               "csrf_token": token}, environ_base={"REMOTE_ADDR": "10.0.0.9"})

        for number in range(4):
            assert guess(number).status_code == 401
            clock.shift(datetime.timedelta(seconds=1))
        assert hasher.checks == 4
        for number, minutes in enumerate((1, 2, 4, 8, 15, 15), start=4):
            assert guess(number).status_code == 401  # checked, and this failure sets the lock
            assert hasher.checks == number + 1
            clock.shift(datetime.timedelta(minutes=minutes) - datetime.timedelta(seconds=1))
            locked = guess(100 + number)
            assert locked.status_code == 429 and hasher.checks == number + 1, "lock %d should last %d min" % (
                number - 3, minutes)
            clock.shift(datetime.timedelta(seconds=2))  # the lock has just ended
        assert hasher.checks == 10


def test_a_cookie_replayed_after_a_password_change_is_refused(app, client):
    with app.app_context():  # an item the mentor may tick, still open
        item = (models.ChecklistEntry.select().join(models.Conversation).join(models.Case)
                .where(models.Case.mentor == demo_user("mentor2"), models.ChecklistEntry.done == False)  # noqa: E712
                .first())
        talk = item.conversation
    tablet = app.test_client()
    AuthActions(tablet).login("mentor2")
    stolen_token = csrf_token(tablet, "/gesprekken/%d" % talk.id)  # valid for the session stolen next
    stolen_cookie = tablet.get_cookie("herstel_session").value
    tap = "/gesprekken/%d/punten/%d" % (talk.id, item.id)
    before = app.test_client()
    before.set_cookie("herstel_session", stolen_cookie)
    untick = before.post(tap, headers={"HX-Request": "true"}, data={"done": "0", "csrf_token": stolen_token})
    assert untick.status_code == 200  # the stolen pair works until the password is changed
    AuthActions(client).login("mentor2")
    response = client.post("/account/wachtwoord", data={
        "csrf_token": csrf_token(client, "/account/"), "current_password": PASSWORD,
        "new_password": "a-new-long-password", "confirm": "a-new-long-password"})
    assert response.status_code == 302
    replay = app.test_client()
    replay.set_cookie("herstel_session", stolen_cookie)
    refused = replay.get("/dossiers/")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    htmx = replay.post(tap, headers={"HX-Request": "true"}, data={"done": "1", "csrf_token": stolen_token})
    assert htmx.status_code in (400, 401)  # the session behind the cookie and its token is gone
    with app.app_context():
        assert not models.ChecklistEntry.get_by_id(item.id).done
