"""An administrator's reset of someone's password or second factor: logged as a reset, the user's
sessions and calendar link ended, the user told at their next login, and the counsellor's notes
sealed until the counsellor proves a second factor of their own. Both reset together is said aloud."""
import datetime

import pytest
import time_machine
from peewee import IntegrityError, SqliteDatabase
from playhouse.migrations import Runner

import db
import models
from conftest import PASSWORD, AuthActions, csrf_token, demo_user
from databases import drop_database, new_database
from test_calendar import new_link
from test_second_factor import (
    MONDAY, SECRET_RE, STEP, code_for, follow, give_second_factor, now, post_code, show_it_is_me, text,
)

NEW_PASSWORD = "een-nieuw-wachtwoord-van-de-beheerder"


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def audit_actions(action):
    return list(models.AuditEvent.select().where(models.AuditEvent.action == action))


def reset_password(admin, username, password=NEW_PASSWORD):
    """The administrator types a new password on the user's page, as for a forgotten one."""
    user = demo_user(username)
    return admin.post("/beheer/gebruikers/%d" % user.id, data={
        "csrf_token": csrf_token(admin, "/beheer/gebruikers"), "username": user.username,
        "full_name": user.full_name, "email": user.email or "", "language": user.language,
        "roles": sorted(user.roles), "is_admin": "y" if user.is_admin else "", "password": password})


def reset_second_factor(admin, username):
    return admin.post("/beheer/gebruikers/%d/tweede-factor" % demo_user(username).id,
                      data={"csrf_token": csrf_token(admin, "/beheer/gebruikers")})


def the_note():
    return models.ComplaintNote.select().where(models.ComplaintNote.author == demo_user("counsellor")).first()


def complaint_page(client):
    return text(client.get("/klachten/%d" % the_note().complaint_id))


def test_a_password_reset_is_logged_as_a_reset_ends_every_session_and_the_user_is_told(app, login_as, clock):
    mentor = login_as("mentor")
    link = new_link(mentor)
    admin = login_as("admin")
    response = reset_password(admin, "mentor")
    assert "Het wachtwoord van Jeroen Bakker is opnieuw ingesteld." in follow(admin, response)

    [event] = audit_actions("user.password_reset")
    assert (event.username, event.object_type, event.object_id) == ("admin", "user", demo_user("mentor").id)
    assert "zonder tweede factor" in event.detail
    assert mentor.get("/").status_code == 302  # the mentor's session ended
    assert app.test_client().get(link).status_code == 404  # and the calendar link with it

    clock.shift(datetime.timedelta(minutes=5))
    client = app.test_client()
    home = follow(client, AuthActions(client).login("mentor", NEW_PASSWORD))
    assert "Op 11 januari 2027 10:00 heeft beheerder Ingrid Smit je wachtwoord opnieuw ingesteld." in home
    assert "heeft beheerder" not in text(client.get("/"))  # told once
    history = text(client.get("/account/"))
    assert "Wachtwoord opnieuw ingesteld door beheerder" in history and "door admin" in history


def test_a_counsellor_with_a_second_factor_keeps_the_notes_out_of_reach_of_a_password_reset(app, login_as, clock):
    """The administrator knows the new password, not the counsellor's phone: the login stops at the code."""
    secret, _ = give_second_factor("counsellor")
    reset_password(login_as("admin"), "counsellor")
    assert demo_user("counsellor").notes_sealed_since is not None
    clock.shift(STEP)
    impostor = app.test_client()
    assert AuthActions(impostor).login("counsellor", NEW_PASSWORD).headers["Location"] == "/login/code"
    assert impostor.get("/klachten/").headers["Location"] == "/login/code"

    counsellor = app.test_client()
    AuthActions(counsellor).login("counsellor", NEW_PASSWORD)
    post_code(counsellor, code_for(secret, now()))
    assert the_note().body in complaint_page(counsellor)  # their own factor opens the notes
    assert demo_user("counsellor").notes_sealed_since is None
    assert [e.username for e in audit_actions("user.notes_unsealed")] == ["counsellor"]


def test_a_reset_during_the_code_step_sends_the_user_back_to_the_password(app, login_as, clock):
    """Half a login, with the old password, is a session too: the reset ends it."""
    secret, _ = give_second_factor("counsellor")
    clock.shift(STEP)
    client = app.test_client()
    AuthActions(client).login("counsellor")
    clock.shift(datetime.timedelta(seconds=5))
    reset_password(login_as("admin"), "counsellor")
    assert post_code(client, code_for(secret, now())).headers["Location"] == "/login"
    assert not models.UserSession.select().where(models.UserSession.user == demo_user("counsellor")).exists()


def test_without_a_second_factor_the_notes_stay_sealed_until_the_counsellor_sets_one_up(app, login_as, clock):
    reset_password(login_as("admin"), "counsellor")
    client = app.test_client()
    AuthActions(client).login("counsellor", NEW_PASSWORD)
    page = complaint_page(client)
    assert the_note().body not in page
    assert "Je notities zijn verzegeld sinds 11 januari 2027 10:00" in page
    assert 'name="note-body"' not in page  # nothing to write into while sealed

    count = models.ComplaintNote.select().count()
    typed = "Gesprek met moeder, vervolg volgende week."
    refused = client.post("/klachten/%d/notities" % the_note().complaint_id, data={
        "csrf_token": csrf_token(client, "/account/"), "note-body": typed})
    assert refused.status_code == 400
    assert "Je notities zijn verzegeld; deze notitie is niet opgeslagen." in text(refused)
    assert typed in text(refused)  # what was typed stays on the screen
    assert models.ComplaintNote.select().count() == count

    show_it_is_me(client, NEW_PASSWORD)
    secret = SECRET_RE.search(text(client.get("/account/tweede-factor"))).group(1).replace(" ", "")
    post_code(client, code_for(secret, now()), "/account/tweede-factor")
    assert the_note().body in complaint_page(client)


@pytest.mark.parametrize("first", ["second factor", "password"])
def test_password_and_second_factor_reset_together_is_told_to_the_counsellor_and_logged(app, login_as, clock, first):
    give_second_factor("counsellor")
    admin = login_as("admin")
    if first == "second factor":
        reset_second_factor(admin, "counsellor")
        reset_password(admin, "counsellor")
    else:
        reset_password(admin, "counsellor")
        reset_second_factor(admin, "counsellor")
    [event] = audit_actions("user.reset_both")
    assert (event.username, event.object_id) == ("admin", demo_user("counsellor").id)

    clock.shift(datetime.timedelta(minutes=5))
    client = app.test_client()
    home = follow(client, AuthActions(client).login("counsellor", NEW_PASSWORD))
    assert "had beheerder Ingrid Smit zowel je wachtwoord als je tweede factor opnieuw ingesteld" in home
    assert the_note().body not in complaint_page(client)  # whoever logs in with that password: sealed

    show_it_is_me(client, NEW_PASSWORD)
    secret = SECRET_RE.search(text(client.get("/account/tweede-factor"))).group(1).replace(" ", "")
    post_code(client, code_for(secret, now()), "/account/tweede-factor")
    assert the_note().body in complaint_page(client)
    history = text(client.get("/account/"))
    for label in ("Wachtwoord én tweede factor opnieuw ingesteld door beheerder", "Tweede factor gewist door beheerder",
                  "Tweede factor ingesteld", "Vertrouwelijke notities weer open"):
        assert label in history, label


def test_a_second_factor_reset_alone_seals_the_notes_but_is_no_takeover(app, login_as, clock):
    give_second_factor("counsellor")
    reset_second_factor(login_as("admin"), "counsellor")
    assert not audit_actions("user.reset_both")
    client = app.test_client()
    AuthActions(client).login("counsellor", PASSWORD)
    assert the_note().body not in complaint_page(client)


def test_an_administrator_changes_their_own_password_under_my_account_only(login_as):
    admin = login_as("admin")
    response = reset_password(admin, "admin", "een-ander-wachtwoord-zonder-controle")
    assert response.status_code == 400
    assert "Je eigen wachtwoord wijzig je onder Mijn account." in text(response)
    assert 'value="Ingrid Smit"' in text(response)
    assert demo_user("admin").check_password(PASSWORD)


def test_an_administrator_switches_their_own_second_factor_off_under_my_account_only(login_as, clock):
    give_second_factor("admin")
    admin = login_as("admin")
    response = reset_second_factor(admin, "admin")
    assert "Je eigen tweede factor zet je uit of opnieuw in onder Mijn account." in follow(admin, response)
    assert demo_user("admin").has_second_factor and not audit_actions("mfa.reset")


def test_a_new_user_gets_a_password_without_a_reset(login_as):
    admin = login_as("admin")
    admin.post("/beheer/gebruikers/nieuw", data={
        "csrf_token": csrf_token(admin, "/beheer/gebruikers/nieuw"), "username": "nieuw", "full_name": "Nieuw",
        "language": "nl", "roles": ["counsellor"], "password": "a-long-enough-password"})
    user = demo_user("nieuw")
    assert user.check_password("a-long-enough-password") and user.notes_sealed_since is None
    assert not audit_actions("user.password_reset")


def test_migration_0016_keeps_the_notices_and_knows_the_new_kinds(tmp_path):
    names = [migration.name for migration in Runner(SqliteDatabase(":memory:"), db.MIGRATIONS).status()]
    before = names[names.index("0016_admin_resets_seal_notes") - 1]
    location = new_database(tmp_path)
    database = db.open_database(location)
    Runner(database, db.MIGRATIONS).up(before)
    database.execute_sql('INSERT INTO "user" (username, full_name, password_hash, is_admin, is_active, language, '
                         "created_at, password_changed_at) VALUES ('vp', 'V P', '', FALSE, TRUE, 'nl', "
                         "'2026-01-01 10:00:00', '2026-01-01 10:00:00')")
    database.execute_sql("INSERT INTO security_notice (user_id, kind, created_at, actor) "
                         "VALUES (1, 'mfa_reset', '2026-01-02 10:00:00', 'Ingrid Smit')")
    Runner(database, db.MIGRATIONS).up()
    assert database.execute_sql("SELECT kind, actor FROM security_notice").fetchall() == [("mfa_reset", "Ingrid Smit")]
    database.execute_sql("INSERT INTO security_notice (user_id, kind, created_at, actor) "
                         "VALUES (1, 'reset_both', '2026-01-03 10:00:00', 'Ingrid Smit')")
    with pytest.raises(IntegrityError):
        database.execute_sql("INSERT INTO security_notice (user_id, kind, created_at, actor) "
                             "VALUES (1, 'whatever', '2026-01-03 10:00:00', '')")
    database.close_all()
    drop_database(location)
