"""The administrator manages users and their roles; a CLI command makes the first admin."""
import models
from cli import create_admin
from conftest import PASSWORD, AuthActions, csrf_token


def new_user_form(client, **fields):
    data = {"csrf_token": csrf_token(client, "/beheer/gebruikers/nieuw"), "username": "jvdlinden",
            "full_name": "Joost van der Linden", "email": "joost@school.example", "language": "nl",
            "roles": ["mentor", "support"], "password": "a-long-enough-password"}
    data.update(fields)
    return client.post("/beheer/gebruikers/nieuw", data=data)


def test_admin_creates_a_user_with_roles_who_can_log_in(app, login_as):
    response = new_user_form(login_as("admin"))
    assert response.status_code == 302
    user = models.User.by_username("jvdlinden")
    assert user.roles == {"mentor", "support"} and not user.is_admin
    assert AuthActions(app.test_client()).login("jvdlinden", "a-long-enough-password").status_code == 302
    assert models.AuditEvent.select().where(models.AuditEvent.action == "user.save").count() == 1


def test_bad_user_input_is_named_next_to_the_field_and_kept(login_as):
    client = login_as("admin")
    response = new_user_form(client, username="mentor", email="not-an-address", password="short",
                             full_name="Iemand Anders")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Deze gebruikersnaam is al in gebruik." in html
    assert "Dit is geen geldig e-mailadres." in html
    assert "Een wachtwoord heeft minstens 12 tekens." in html
    assert 'value="Iemand Anders"' in html and 'value="not-an-address"' in html
    assert models.User.select().where(models.User.full_name == "Iemand Anders").count() == 0


def test_unknown_role_is_refused(login_as):
    response = new_user_form(login_as("admin"), roles=["mentor", "headmaster"])
    assert response.status_code == 400
    assert models.User.by_username("jvdlinden") is None


def test_editing_keeps_the_password_when_left_empty(login_as):
    client = login_as("admin")
    staff = models.User.by_username("staff")
    response = client.post("/beheer/gebruikers/%d" % staff.id, data={
        "csrf_token": csrf_token(client, "/beheer/gebruikers"), "username": "staff",
        "full_name": "Kees Mulder", "language": "en", "roles": ["staff", "mentor"], "password": ""})
    assert response.status_code == 302
    staff = models.User.by_username("staff")
    assert staff.roles == {"staff", "mentor"} and staff.language == "en"
    assert staff.check_password(PASSWORD)


def test_deactivating_a_user_ends_their_sessions(app, login_as):
    teacher = login_as("staff")
    assert teacher.get("/").status_code == 200
    admin = login_as("admin")
    staff = models.User.by_username("staff")
    admin.post("/beheer/gebruikers/%d/actief" % staff.id, data={"csrf_token": csrf_token(admin, "/beheer/gebruikers")})
    assert not models.User.by_username("staff").is_active
    assert teacher.get("/").status_code == 302
    assert AuthActions(app.test_client()).login("staff").status_code == 401


def test_admin_cannot_remove_their_own_admin_right(login_as):
    client = login_as("admin")
    admin = models.User.by_username("admin")
    response = client.post("/beheer/gebruikers/%d" % admin.id, data={
        "csrf_token": csrf_token(client, "/beheer/gebruikers"), "username": "admin",
        "full_name": "Ingrid Smit", "language": "nl", "password": ""})
    assert response.status_code == 400
    assert models.User.by_username("admin").is_admin


def test_create_admin_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(create_admin, ["--username", "beheer", "--full-name", "Eerste Beheerder",
                                          "--password", "een-sterk-wachtwoord"])
    assert result.exit_code == 0, result.output
    user = models.User.by_username("beheer")
    assert user.is_admin and user.check_password("een-sterk-wachtwoord")


def test_create_admin_command_refuses_a_short_password_and_a_taken_name(app):
    runner = app.test_cli_runner()
    short = runner.invoke(create_admin, ["--username", "beheer", "--full-name", "B", "--password", "kort"])
    taken = runner.invoke(create_admin, ["--username", "admin", "--full-name", "B",
                                         "--password", "een-sterk-wachtwoord"])
    assert short.exit_code != 0 and "minstens 12 tekens" in short.output
    assert taken.exit_code != 0 and "bestaat al" in taken.output
    assert models.User.by_username("beheer") is None
