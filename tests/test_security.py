"""What every response carries, and what bad requests get: a clear answer, never a 500."""
import pytest

import models
from conftest import PASSWORD, csrf_token


@pytest.mark.parametrize("path", ["/login", "/health", "/does-not-exist"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'",
                      "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/login", "/static/css/herstel.css"])
def test_no_page_may_be_framed_or_opened_beside_another_site_and_only_static_files_are_cached(client, path):
    """The whole policy, word for word, on pages and static files alike; no other site may put a page in a
    frame (a hidden tap on a case) or keep a handle on its window. Static files may be cached."""
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "connect-src 'self'; form-action 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert ("no-store" in response.headers.get("Cache-Control", "")) == (not path.startswith("/static/"))
    assert "HX-Request" not in response.headers.get("Vary", "")  # a page asked without htmx varies not by it


def test_pages_with_pupil_data_are_never_cached(login_as, client):
    response = login_as("coordinator").get("/dossiers/")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"


def test_session_cookie_is_httponly_and_samesite(client):
    client.get("/login")
    cookie = client.get_cookie("herstel_session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_session_cookie_is_secure_behind_https(tmp_path, monkeypatch, demo_database):
    from app import create_app
    from db import close_all_connections
    from databases import copy_database, drop_database
    monkeypatch.setenv("HERSTEL_HTTPS", "1")
    database = copy_database(demo_database, tmp_path)
    app = create_app(database.config())
    assert app.config["SESSION_COOKIE_SECURE"] is True
    for path in ("/login", "/health", "/static/css/herstel.css"):
        assert app.test_client().get(path).headers["Strict-Transport-Security"] == "max-age=63072000", path
    close_all_connections()
    drop_database(database)


def test_no_hsts_without_https(client):
    """A server on plain HTTP (`make run`) makes no promise of HTTPS."""
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_htmx_is_configured_without_history_cache(client):
    html = client.get("/login").get_data(as_text=True)
    assert '"historyCacheSize": 0' in html
    assert 'data-hx-headers=\'{"X-CSRFToken": "' in html


def test_templates_have_no_inline_script_or_style():
    import pathlib
    import re
    for template in pathlib.Path("templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script>|<script [^>]*>[^<]+</script>|<style|\sstyle=\"|\son[a-z]+=", text), template


def test_post_without_csrf_token_is_refused_and_writes_nothing(client):
    response = client.post("/login", data={"username": "mentor", "password": PASSWORD})
    assert response.status_code == 400
    assert "formulier is verlopen" in response.get_data(as_text=True)
    assert models.UserSession.select().count() == 0


def test_forged_csrf_token_is_refused(login_as):
    client = login_as("admin")
    before = models.User.select().count()
    response = client.post("/beheer/gebruikers/nieuw", data={
        "csrf_token": "forged.token.value", "username": "intruder", "full_name": "Intruder",
        "language": "nl", "password": "long-enough-password"})
    assert response.status_code == 400
    assert models.User.select().count() == before


def test_htmx_post_without_csrf_header_is_refused(login_as):
    client = login_as("admin")
    staff = models.User.by_username("staff")
    response = client.post("/beheer/gebruikers/%d/actief" % staff.id, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert models.User.by_username("staff").is_active


def test_htmx_post_with_csrf_header_is_accepted(login_as):
    client = login_as("admin")
    token = csrf_token(client, "/beheer/gebruikers")
    staff = models.User.by_username("staff")
    response = client.post("/beheer/gebruikers/%d/actief" % staff.id,
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200
    assert 'id="user-%d"' % staff.id in response.get_data(as_text=True)
    assert "HX-Request" in {name.strip() for name in response.headers["Vary"].split(",")}
    assert not models.User.by_username("staff").is_active


def test_ten_megabyte_body_is_refused_with_413(client):
    token = csrf_token(client)
    response = client.post("/login", data={"username": "x" * (10 * 1024 * 1024), "password": "p",
                                           "csrf_token": token})
    assert response.status_code == 413
    assert "te groot" in response.get_data(as_text=True)


def test_percent_encoded_non_utf8_gets_the_login_message(client):
    token = csrf_token(client)
    body = "username=%FF%FE%C3&password=%80%81&csrf_token=" + token
    response = client.post("/login", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 401
    assert "Gebruikersnaam of wachtwoord klopt niet." in response.get_data(as_text=True)


def test_raw_non_utf8_body_is_refused_with_a_message(client):
    token = csrf_token(client)
    body = b"username=\xff\xfe\xc3&password=\x80\x81&csrf_token=" + token.encode()
    response = client.post("/login", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "Laad de pagina opnieuw" in response.get_data(as_text=True)
    assert models.UserSession.select().count() == 0


def test_unknown_page_is_a_dutch_404(client):
    response = client.get("/nergens")
    assert response.status_code == 404
    assert "Deze pagina bestaat niet" in response.get_data(as_text=True)


def test_htmx_error_gets_a_fragment_not_a_page(login_as):
    response = login_as("mentor").get("/dossiers/999999", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert "<html" not in response.get_data(as_text=True)


# The Host header ---------------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [("GET", "/login"), ("POST", "/melden"), ("POST", "/login"),
                                         ("GET", "/dossiers/"), ("GET", "/static/css/herstel.css")])
def test_a_host_the_server_does_not_answer_to_gets_a_clean_400(client, method, path):
    response = client.open(path, method=method, headers={"Host": "evil.example"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Herstel is niet bereikbaar via dit adres." in body
    assert "evil.example" not in body  # nothing built on the host it came with
    assert response.headers["Content-Security-Policy"]


def test_the_default_hosts_serve_make_run_and_the_tests():
    import config
    assert config.trusted_hosts(config.DEFAULT_TRUSTED_HOSTS) == ["localhost", "127.0.0.1"]


def test_trusted_hosts_come_from_the_environment(tmp_path, monkeypatch, demo_database):
    from app import create_app
    from db import close_all_connections
    from databases import copy_database, drop_database
    monkeypatch.setenv("HERSTEL_TRUSTED_HOSTS", "Herstel.School.example, 10.0.0.5")
    database = copy_database(demo_database, tmp_path)
    app = create_app(database.config())
    assert app.config["TRUSTED_HOSTS"] == ["herstel.school.example", "10.0.0.5"]
    client = app.test_client()
    assert client.get("/login", headers={"Host": "herstel.school.example"}).status_code == 200
    assert client.get("/login", headers={"Host": "10.0.0.5:8000"}).status_code == 200
    assert client.get("/login", headers={"Host": "localhost"}).status_code == 400
    close_all_connections()
    drop_database(database)


def test_behind_a_proxy_the_forwarded_host_must_be_trusted(tmp_path, demo_database):
    from app import create_app
    from db import close_all_connections
    from databases import copy_database, drop_database
    database = copy_database(demo_database, tmp_path)
    app = create_app(dict(database.config(), TRUST_PROXY=True, TRUSTED_HOSTS=["herstel.school.example"]))
    client = app.test_client()
    proxied = {"Host": "127.0.0.1:8000", "X-Forwarded-Proto": "https"}
    assert client.get("/login", headers=dict(proxied, **{"X-Forwarded-Host": "herstel.school.example"})) \
        .status_code == 200
    assert client.get("/login", headers=dict(proxied, **{"X-Forwarded-Host": "evil.example"})).status_code == 400
    close_all_connections()
    drop_database(database)
