"""Dutch by default, English when chosen, and no text left untranslated."""
import ast
import pathlib
import subprocess
import sys

from babel.messages.pofile import read_po

import db
import models
from conftest import ROOT, csrf_token, demo_case, demo_user


def english_catalog():
    with open(ROOT / "translations/en/LC_MESSAGES/messages.po", "rb") as handle:
        return read_po(handle)


def test_every_interface_text_has_an_english_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    pybabel = pathlib.Path(sys.executable).parent / "pybabel"
    subprocess.run([str(pybabel), "--quiet", "extract", "-F", "babel.cfg", "-k", "_l", "-o", str(pot),
                    "--ignore-dirs", ".* ._ tests bench migrations static translations instance mutants node_modules",
                    "."],
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


def speaks_english(username):
    """The demo user chose English, as on the account page."""
    with models.db.atomic():
        models.User.update(language="en").where(models.User.username == username).execute()


def test_an_english_mentor_reads_in_english_that_a_step_is_already_done(login_as):
    speaks_english("mentor")
    client = login_as("mentor")
    case = demo_case("0001")
    url = "/dossiers/%d/stappen/joint-talk" % case.id
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/dossiers/%d" % case.id)}
    client.post(url, data={"note": "Goed gesprek"}, headers=headers)
    again = client.post(url, data={"note": "Nog eens"}, headers=headers)
    html = again.get_data(as_text=True)
    assert again.status_code == 409
    assert "This step has already been completed." in html and "Deze stap is al afgerond." not in html


def test_an_english_coordinator_reads_in_english_that_a_case_is_already_closed(login_as):
    speaks_english("coordinator")
    client = login_as("coordinator")
    case = demo_case("0003")
    token = csrf_token(client, "/dossiers/%d" % case.id)
    client.post("/dossiers/%d/sluiten" % case.id, data={"csrf_token": token, "reason": "Opgelost."})
    again = client.post("/dossiers/%d/sluiten" % case.id, data={"csrf_token": token, "reason": "Nog eens."},
                        follow_redirects=True)
    html = again.get_data(as_text=True)
    assert "This case is already closed." in html and "Dit dossier is al gesloten." not in html


def test_an_english_mentor_reads_in_english_that_a_party_already_signed(login_as):
    speaks_english("mentor2")
    client = login_as("mentor2")
    agreement = models.Agreement.get(models.Agreement.status == "draft")
    party = agreement.parties.order_by(models.AgreementParty.id).first()
    token = csrf_token(client, "/herstelovereenkomsten/%d/tekenen" % agreement.id)
    url = "/herstelovereenkomsten/%d/partijen/%d" % (agreement.id, party.id)
    client.post(url, data={"csrf_token": token, "on_paper": "1"})
    again = client.post(url, data={"csrf_token": token, "on_paper": "1"}, follow_redirects=True)
    html = again.get_data(as_text=True)
    assert "%s has already signed." % party.name in html and "heeft al getekend" not in html


def test_an_english_mentor_reads_who_decides_a_suspension_in_english_words(login_as):
    """The refusal names who decides, in the school's words and the reader's language, not in Dutch."""
    settings = models.SchoolSettings.current()
    settings.region = "vl"
    settings.save()
    speaks_english("mentor")
    client = login_as("mentor")
    case = demo_case("0002")
    sem = models.Pupil.get(models.Pupil.first_name == "Sem")
    page = client.post("/dossiers/%d/maatregelen" % case.id, follow_redirects=True, data={
        "csrf_token": csrf_token(client, "/dossiers/%d" % case.id), "pupil": sem.id, "phase": 4,
        "description": "Schorsing van één dag.", "decided_on": db.today().isoformat()}).get_data(as_text=True)
    assert "Phase 4 (Schorsing) is decided by: grade coordinator and management." in page
    assert "beslist: graadcoördinator" not in page


def test_an_english_coordinator_reads_the_repeat_warning_in_english(login_as, factory):
    daan = models.Pupil.get(models.Pupil.first_name == "Daan")  # the bully of the demo's case 0001
    case = factory.case(mentor=demo_user("mentor"), victim=factory.pupil(), bully=daan)
    speaks_english("coordinator")
    html = login_as("coordinator").get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert "%s has bullied before, in case %s." % (daan.display_name, demo_case("0001").reference) in html
    assert "eerder pester" not in html


# Exceptions raised in domain/ with a message that is the same in every language, on purpose:
# none of them reaches someone using the web pages. Every other message is wrapped in _().
UNTRANSLATED_ON_PURPOSE = {
    ("domain/archive.py", "ArchiveError"): "backup and restore speak Dutch to the operator at the command line",
    ("domain/backup.py", "ArchiveError"): "backup and restore speak Dutch to the operator at the command line",
    ("domain/restore.py", "ArchiveError"): "backup and restore speak Dutch to the operator at the command line",
    ("domain/export.py", "ExportError"): "flask export and flask import speak Dutch to the operator at the command "
                                         "line; the administrator's download raises none of them",
    ("domain/protocols.py", "ProtocolError"): "a protocol file's problem, for whoever edits the file; the app "
                                              "refuses to start and says so in the log",
    ("domain/notify.py", "MailError"): "raised in the delivery thread, outside any user's request: logged and "
                                       "stored with the unsent mail",
    ("domain/evidence.py", "ValueError"): "a programming error (a file name the app did not make), never shown",
    ("domain/school_login.py", "ProviderError"): "its reason is a key for the audit log; the login page and the "
                                                 "settings page say it in the user's words (refusal_text, problem_text)",
    ("domain/school_login.py", "Refused"): "its reason is a key for the audit log; refusal_text says it in the "
                                           "user's words",
}


def _why_untranslated(argument):
    """Why an exception's argument is not a message in the user's language (None when it is,
    or when it is no text at all, like a variable or a number)."""
    if isinstance(argument, ast.Call) and getattr(argument.func, "id", None) == "_":
        msgid = argument.args[0] if argument.args else None
        if isinstance(msgid, ast.Constant) and isinstance(msgid.value, str):
            return None
        return "formatted before _(): no catalogue has that text; pass named placeholders to _()"
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        return "a literal not wrapped in _()"
    if isinstance(argument, ast.JoinedStr):
        return "an f-string: wrap a literal with named placeholders in _()"
    if isinstance(argument, ast.BinOp) and isinstance(argument.op, ast.Mod):
        if _why_untranslated(argument.left) is None:
            return "translated, then formatted with %: use named placeholders in _()"
        return "a literal formatted with %, not wrapped in _()"
    if (isinstance(argument, ast.Call) and isinstance(argument.func, ast.Attribute)
            and argument.func.attr == "format"):
        return "a literal formatted with .format(), not wrapped in _()"
    return None


def untranslated_raises():
    """{(file, exception): ["line: why", ...]} for each `raise SomeError(text)` in domain/ whose
    text would read the same in every language."""
    found = {}
    for path in sorted((ROOT / "domain").glob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            name = getattr(node.exc.func, "id", None) or getattr(node.exc.func, "attr", "?")
            for argument in node.exc.args:
                why = _why_untranslated(argument)
                if why:
                    found.setdefault((relative, name), []).append("%d: %s" % (node.lineno, why))
    return found


def test_domain_errors_are_raised_in_the_users_language():
    found = untranslated_raises()
    offenders = ["%s %s line %s" % (path, name, line) for (path, name), lines in sorted(found.items())
                 if (path, name) not in UNTRANSLATED_ON_PURPOSE for line in lines]
    assert not offenders, "wrap the message in _() with named placeholders: %s" % offenders
    stale = sorted(set(UNTRANSLATED_ON_PURPOSE) - set(found))
    assert not stale, "these raise no untranslated text any more; drop them from the list: %s" % stale


def test_what_stays_dutch_on_an_english_page_is_marked_as_dutch(login_as):
    """The protocols' steps, their guidance and the timeline's lines are kept in Dutch: on an English page each is
    marked lang="nl", so a screen reader reads it as Dutch (WCAG 3.1.2); on a Dutch page nothing is marked."""
    client, case = login_as("mentor"), demo_case("0001")
    dutch = client.get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert '<span class="tracker__title">Gesprek met de gepeste leerling</span>' in dutch and 'lang="nl"' in dutch
    assert '<span lang="nl">' not in dutch
    client.post("/taal", data={"language": "en", "csrf_token": csrf_token(client, "/account/")})
    english = client.get("/dossiers/%d" % case.id).get_data(as_text=True)
    assert '<span class="tracker__title"><span lang="nl">Gesprek met de gepeste leerling</span></span>' in english
    assert '<span lang="nl">Noor wil vooral dat het buitensluiten stopt.</span>' not in english  # a note: as typed
    timeline = english[english.index('id="case-timeline"'):]
    assert ': <span lang="nl">' in timeline
