"""Dutch by default, English when chosen, and no text left untranslated."""
import pathlib
import subprocess
import sys

from babel.messages.pofile import read_po

import models
from conftest import ROOT, csrf_token


def english_catalog():
    with open(ROOT / "translations/en/LC_MESSAGES/messages.po", "rb") as handle:
        return read_po(handle)


def test_every_interface_text_has_an_english_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    pybabel = pathlib.Path(sys.executable).parent / "pybabel"
    subprocess.run([str(pybabel), "--quiet", "extract", "-F", "babel.cfg", "-k", "_l", "-o", str(pot),
                    "--ignore-dirs", ".* ._ tests bench migrations static translations instance", "."],
                   cwd=ROOT, check=True)
    with open(pot, "rb") as handle:
        source_ids = {message.id for message in read_po(handle) if message.id}
    # Both kinds of source must be in it: a form label and a template text.
    assert {"Gebruikersnaam", "Naar de inhoud"} <= source_ids
    catalog = english_catalog()
    missing = sorted(str(i) for i in source_ids if not (catalog.get(i) and catalog.get(i).string))
    assert not missing, "run `make messages` and translate: %s" % missing


def test_pages_are_dutch_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="nl"' in html and ">Gebruikersnaam<" in html


def test_language_can_be_switched_before_login(client):
    english = english_catalog().get("Gebruikersnaam").string
    client.post("/taal", data={"language": "en", "csrf_token": csrf_token(client)})
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in html and ">%s<" % english in html


def test_a_users_language_is_remembered(login_as):
    client = login_as("mentor")
    client.post("/taal", data={"language": "en", "csrf_token": csrf_token(client, "/account/")})
    assert models.User.by_username("mentor").language == "en"
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_an_unknown_language_is_refused(login_as):
    client = login_as("mentor")
    client.post("/taal", data={"language": "xx", "csrf_token": csrf_token(client, "/account/")})
    assert models.User.by_username("mentor").language == "nl"
