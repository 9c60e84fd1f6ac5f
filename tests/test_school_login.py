"""Signing in with the school's account: the settings page's checks, and the rules that decide who a provider
account is (its login through a real provider in Chromium is in test_browser_school_login.py)."""
import shutil

import pytest

import models
from conftest import PASSWORD, csrf_token
from domain import school_login

ISSUER = "https://login.school.example"
SETTINGS = {"issuer": ISSUER, "client_id": "herstel-app", "client_secret": "s3cret-van-de-school",
            "allowed_domains": "hetbaken.example", "local_passwords": "everyone"}


def save_settings(client, **changes):
    data = dict(SETTINGS, csrf_token=csrf_token(client, "/instellingen/schoolaccount"), **changes)
    return client.post("/instellingen/schoolaccount", data={k: v for k, v in data.items() if v is not None})


def provider(**values):
    row = models.SignInProvider.for_update()
    for name, value in dict(dict(issuer=ISSUER, client_id="herstel-app", client_secret="s3cret",
                                 allowed_domains="hetbaken.example"), **values).items():
        setattr(row, name, value)
    row.save()
    return row


@pytest.mark.parametrize("changes, field, message", [
    ({"issuer": "http://login.school.example"}, "issuer", "De uitgever moet met https:// beginnen."),
    ({"issuer": "login.school.example"}, "issuer", "Vul een adres in zoals"),
    ({"client_id": ""}, "client_id", "Vul de client-id in die de aanbieder aan Herstel gaf."),
    ({"client_secret": ""}, "client_secret", "Vul het clientgeheim in dat de aanbieder aan Herstel gaf."),
    ({"allowed_domains": "hetbaken.example, school nl"}, "allowed_domains", "school is geen domeinnaam."),
    ({"allowed_domains": " "}, "allowed_domains", "Vul minstens één domein in"),
    ({"issuer": "", "client_id": "", "client_secret": "", "local_passwords": "admins"}, "local_passwords",
     "Zonder schoolaccount moet iedereen met een wachtwoord kunnen inloggen."),
    ({"local_passwords": "nobody"}, "local_passwords", "Ongeldige keuze."),
])
def test_the_settings_say_what_is_wrong_by_the_field_and_keep_what_was_typed(login_as, changes, field, message):
    client = login_as("admin")
    response = save_settings(client, **changes)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = page.split('id="%s-error">' % field, 1)[1].split("</p>", 1)[0]
    assert message in error.replace("&#39;", "'")
    # In the error summary at the top, linking to the field (to a list of radios by its first choice).
    target = field + "-0" if field == "local_passwords" else field
    assert 'href="#%s"' % target in page and 'id="%s"' % target in page
    assert 'value="herstel-app"' in page or changes.get("client_id") == ""
    assert models.SignInProvider.get_or_none() is None  # nothing saved


def test_the_secret_is_never_shown_again_and_an_empty_field_keeps_it(login_as):
    client = login_as("admin")
    assert save_settings(client, allowed_domains="HetBaken.example,  @leerling.hetbaken.example").status_code == 302
    page = client.get("/instellingen/schoolaccount").get_data(as_text=True)
    assert "s3cret-van-de-school" not in page
    assert "Ingesteld." in page
    assert 'value="hetbaken.example, leerling.hetbaken.example"' in page
    assert save_settings(client, client_secret="", local_passwords="admins").status_code == 302
    row = models.SignInProvider.get_by_id(1)
    assert (row.client_secret, row.local_passwords) == ("s3cret-van-de-school", "admins")
    details = [event.detail for event in models.AuditEvent.select().where(
        models.AuditEvent.action == "settings.sign_in").order_by(models.AuditEvent.id)]
    assert ["geheim nieuw" in details[0], "geheim ongewijzigd" in details[1]] == [True, True]
    assert all("s3cret" not in detail for detail in details)


def test_the_login_page_offers_the_school_account_only_once_it_is_set(client, app):
    assert "Inloggen met de schoolaccount" not in client.get("/login").get_data(as_text=True)
    assert client.get("/login/school").status_code == 404
    with app.app_context():
        provider()
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/login/school"' in page and "Inloggen met de schoolaccount" in page


def test_with_passwords_for_administrators_only_others_are_sent_to_the_school_account(app, auth):
    with app.app_context():
        provider(local_passwords="admins")
    response = auth.login("mentor", PASSWORD)
    assert response.status_code == 403
    assert "Log in met je schoolaccount." in response.get_data(as_text=True)
    assert auth.login("admin", PASSWORD).status_code == 302


# Who a provider account is ------------------------------------------------------------------------------

def claims(sub="abc-123", email="mentor@hetbaken.example", verified=True, **more):
    return dict(sub=sub, email=email, email_verified=verified, **more)


def test_an_account_links_by_a_verified_address_once_and_is_known_by_its_subject_after(app_context):
    row = provider()
    user, how = school_login.match_user(row, claims())
    assert (user.username, how) == ("mentor", "gekoppeld via mentor@hetbaken.example")
    # Later the address may change (or be gone): the subject is what counts.
    again, how = school_login.match_user(row, claims(email="", verified=False))
    assert (again.id, how) == (user.id, "")
    # The same subject at another provider is another account.
    other = provider(issuer="https://elders.example")
    with pytest.raises(school_login.Refused) as refused:
        school_login.match_user(other, claims(email=""))
    assert refused.value.reason == "no_email"


@pytest.mark.parametrize("account, reason", [
    (claims(verified=False), "unverified"),
    (claims(verified="true"), "unverified"),  # only a real true counts
    (claims(verified=None, xms_edov=False), "unverified"),
    (claims(email="mentor@hetbaken.example.evil.example"), "domain"),
    (claims(email="iemand@hetbaken.example"), "unknown"),
    (claims(email=None), "no_email"),
])
def test_no_account_links_without_a_verified_address_of_the_schools_domain(app_context, account, reason):
    with pytest.raises(school_login.Refused) as refused:
        school_login.match_user(provider(), account)
    assert refused.value.reason == reason
    assert models.UserIdentity.select().count() == 0


def test_entra_ids_verified_domain_claim_counts_as_a_verified_address(app_context):
    user, how = school_login.match_user(provider(), claims(verified=None, xms_edov=True))
    assert user.username == "mentor"


def test_a_deactivated_user_cannot_sign_in_with_the_provider(app_context):
    row = provider()
    school_login.match_user(row, claims())
    models.User.update(is_active=False).where(models.User.username == "mentor").execute()
    with pytest.raises(school_login.Refused) as refused:
        school_login.match_user(row, claims())
    assert refused.value.reason == "inactive"


def test_signing_in_makes_an_account_only_when_allowed_and_then_without_a_role(app_context):
    row = provider(create_accounts=True)
    user, how = school_login.match_user(row, claims(sub="new-1", email="mentor.nieuw@hetbaken.example",
                                                    name="Nieuwe Mentor"))
    assert (user.username, user.full_name, user.roles, user.is_admin) == ("mentor.nieuw", "Nieuwe Mentor", set(),
                                                                          False)
    assert not user.check_password("")  # no password to log in with
    assert how == "account aangemaakt voor mentor.nieuw@hetbaken.example"


@pytest.mark.parametrize("trusted, account, done", [
    (False, {"amr": ["pwd", "mfa"]}, False),
    (True, {"amr": ["pwd", "mfa"]}, True),
    (True, {"amr": ["pwd", "otp"]}, True),
    (True, {"amr": ["pwd"]}, False),
    (True, {"acr": "http://schemas.openid.net/pape/policies/2007/06/multi-factor"}, True),
    (True, {"acr": "possessionorinherence"}, False),
    (True, {"acr": "urn:example:mfa"}, True),
    (True, {}, False),
])
def test_the_providers_second_factor_counts_only_when_trusted_and_said(app_context, trusted, account, done):
    assert school_login.second_factor_done(provider(trust_provider_mfa=trusted), account) is done


@pytest.mark.skipif(not shutil.which("java"), reason="the Nu Html Checker needs Java")
def test_the_administrator_unlinks_a_school_account_and_its_next_login_links_again(app, login_as):
    """A provider account linked to the wrong person (a shared address, an account passed on) is
    unlinked on the user's page: the link is gone, the user's sessions end (one may have come
    through it), the log says who did it, and the account's next login is matched afresh."""
    with app.app_context():
        row = provider()
        mentor, _ = school_login.match_user(row, claims())
        identity = models.UserIdentity.get(models.UserIdentity.user == mentor)
    mentor_session = login_as("mentor")
    assert mentor_session.get("/").status_code == 200
    admin = login_as("admin")
    page = admin.get("/beheer/gebruikers/%d" % mentor.id).get_data(as_text=True)
    assert ISSUER in page and "account abc-123" in page
    path = "/beheer/gebruikers/%d/schoolaccount/%d/ontkoppelen" % (mentor.id, identity.id)
    # Through another user's page: not found, and nothing changes.
    staff = models.User.get(models.User.username == "staff")
    token = csrf_token(admin, "/beheer/gebruikers/%d" % mentor.id)
    assert admin.post("/beheer/gebruikers/%d/schoolaccount/%d/ontkoppelen" % (staff.id, identity.id),
                      data={"csrf_token": token}).status_code == 404
    assert admin.post(path, data={}).status_code == 400  # no token
    with app.app_context():
        assert models.UserIdentity.select().count() == 1
    response = admin.post(path, data={"csrf_token": token})
    assert response.status_code == 302
    assert "Het schoolaccount is losgekoppeld van" in admin.get(response.location).get_data(as_text=True)
    with app.app_context():
        assert models.UserIdentity.select().count() == 0
        event = models.AuditEvent.select().where(models.AuditEvent.action == "user.provider_unlink").get()
        assert (event.username, event.object_id, event.detail) == ("admin", mentor.id, ISSUER + " · abc-123")
        # The next login with that account links again by its verified address (here: to the mentor).
        again, how = school_login.match_user(row, claims())
        assert (again.id, how) == (mentor.id, "gekoppeld via mentor@hetbaken.example")
    assert mentor_session.get("/").status_code == 302  # signed out everywhere


def test_the_pages_with_the_school_account_set_are_valid_html(app, login_as, tmp_path):
    from test_valid_html import checker_errors
    with app.app_context():
        school_login.match_user(provider(local_passwords="admins"), claims())
        mentor_id = models.User.get(models.User.username == "mentor").id
    admin = login_as("admin")
    pages = {"login.html": login_as(None).get("/login"),
             "settings.html": admin.get("/instellingen/schoolaccount"),
             "user.html": admin.get("/beheer/gebruikers/%d" % mentor_id),
             "settings-errors.html": save_settings(admin, issuer="ftp://x", allowed_domains="x y"),
             "settings-test.html": admin.post("/instellingen/schoolaccount/testen",
                                              data={"csrf_token": csrf_token(admin, "/instellingen/")})}
    assert "De verbinding werkt nog niet" in pages["settings-test.html"].get_data(as_text=True)  # no such provider
    for name, response in pages.items():
        (tmp_path / name).write_text(response.get_data(as_text=True))
    assert checker_errors(tmp_path) == []
