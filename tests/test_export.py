"""The way out: `flask export` (and the administrator's button) writes everything in open formats, without
work notes and counsellor notes; `flask import` of it into an empty instance gives the same school back."""
import csv
import hashlib
import io
import json
import os
import zipfile

import pytest

import db
import models
from app import create_app
from backups import app_database, empty_instance, fingerprint
from cli import export_command, import_command
from conftest import PASSWORD, csrf_token
from databases import Connection, drop_database
from db import close_all_connections
from domain import evidence, export


@pytest.fixture
def exported(app, tmp_path):
    """The demo school exported with `flask export`; the ZIP's path."""
    target = tmp_path / "exports" / "herstel-export.zip"
    target.parent.mkdir()
    result = app.test_cli_runner().invoke(export_command, [str(target)])
    assert result.exit_code == 0, result.output
    return target


@pytest.fixture
def instance(tmp_path):
    app, database = empty_instance(tmp_path / "imported")
    yield app, database
    close_all_connections()
    drop_database(database)


def contents(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_export_holds_every_table_documented_the_lists_the_files_and_a_readme(app, exported):
    files = contents(exported)
    assert oct(os.stat(exported).st_mode & 0o777) == "0o600"
    manifest = json.loads(files.pop("manifest.json"))
    assert manifest["format"] == "herstel-export" and manifest["schema"] and manifest["herstel_version"]
    assert {entry["name"] for entry in manifest["files"]} == set(files)
    for entry in manifest["files"]:
        assert hashlib.sha256(files[entry["name"]]).hexdigest() == entry["sha256"]

    readme = files["README.md"].decode()
    for model in export.exported_models():
        table = json.loads(files["tables/%s.json" % model._meta.table_name])
        assert table["description"], model
        for field in table["fields"]:  # every field says what it holds
            assert field["description"] and field["type"], (model, field["name"])
            assert "`%s`" % field["name"] in readme
        assert "## %s" % model._meta.table_name in readme
        with app.app_context():  # (the audit log has one line more: the export's own)
            assert len(table["rows"]) == model.select().count() - (model is models.AuditEvent)

    with app.app_context():
        assert {row["student_number"] for row in json.loads(files["tables/pupil.json"])["rows"]} == \
            {pupil.student_number for pupil in models.Pupil.select()}
        pupils = list(csv.DictReader(io.StringIO(files["lists/leerlingen.csv"].decode("utf-8-sig")), delimiter=";"))
        assert len(pupils) == models.Pupil.select().count() and "achternaam" in pupils[0]
        cases = list(csv.DictReader(io.StringIO(files["lists/dossiers.csv"].decode("utf-8-sig")), delimiter=";"))
        assert {row["dossier"] for row in cases} == {case.reference for case in models.Case.select()}
        for name in ("medewerkers", "meldingen", "klachten", "logboek"):
            assert files["lists/%s.csv" % name].startswith("\ufeff".encode())
        stored = [item for item in models.Evidence.select() if item.file_name]
        assert stored
        for item in stored:
            assert files["evidence/" + item.file_name] == evidence.read(item.file_name)
        signed = models.Agreement.select().where(models.Agreement.status == "locked")
        pdfs = [name for name in files if name.startswith("agreements/")]
        assert len(pdfs) == signed.count() >= 1 and all(files[name].startswith(b"%PDF") for name in pdfs)
        assert models.AuditEvent.select().where(models.AuditEvent.action == "school.export").count() == 1


def test_work_notes_counsellor_notes_and_login_secrets_stay_out(app, tmp_path):
    with app.app_context():
        with models.db.atomic():
            models.User.update(totp_secret="JBSWY3DPEHPK3PXPSECRETSECRETAB").where(
                models.User.username == "coordinator").execute()
        private = [note.body for note in models.PersonalNote.select()] + \
            [note.body for note in models.ComplaintNote.select()]
    assert len(private) >= 2  # the demo school keeps both
    target = tmp_path / "export.zip"
    assert app.test_cli_runner().invoke(export_command, [str(target)]).exit_code == 0
    files = contents(target)
    assert "tables/personal_note.json" not in files and "tables/complaint_note.json" not in files
    everything = b"".join(files.values())
    for body in private:
        assert json.dumps(body)[1:-1].encode() not in everything and body.encode() not in everything
    assert b"JBSWY3DPEHPK3PXP" not in everything
    assert all("totp_secret" not in row for row in json.loads(files["tables/user.json"])["rows"])


def exported_rows(database, model):
    columns = ", ".join('"%s"' % field.column_name for field in export.fields_of(model))
    with Connection(database) as connection:
        return [tuple(bytes(value) if isinstance(value, memoryview) else value for value in row)
                for row in connection.execute('SELECT %s FROM "%s" ORDER BY id' % (columns, model._meta.table_name))]


def test_import_of_the_demo_school_gives_the_same_school_back(app, exported, instance):
    source = app_database(app)
    before = {model: exported_rows(source, model) for model in export.exported_models()}
    before[models.AuditEvent] = before[models.AuditEvent][:-1]  # the line that logs the export itself
    with app.app_context():
        files = {item.file_name: evidence.read(item.file_name) for item in models.Evidence.select() if item.file_name}

    imported_app, imported = instance
    result = imported_app.test_cli_runner().invoke(import_command, [str(exported)])
    assert result.exit_code == 0, result.output
    assert "Ingelezen" in result.output
    for model, rows in before.items():
        after = exported_rows(imported, model)
        if model is models.AuditEvent:
            assert after[:-1] == rows and len(after) == len(rows) + 1  # and the line that logs the import
        else:
            assert after == rows, model._meta.table_name
    for name, data in files.items():
        assert (imported.evidence / name).read_bytes() == data

    with imported_app.app_context():  # a school that works: new rows get new numbers, people log in
        with models.db.atomic():
            models.Case.create(reference="2099-0001", protocol_key="vo-nl")
            models.AuditEvent.append(action="test.after_import")
    client = imported_app.test_client()
    client.post("/login", data={"username": "coordinator", "password": PASSWORD, "csrf_token": csrf_token(client)})
    with imported_app.app_context():
        case = models.Case.select().order_by(models.Case.id).first()
    assert client.get("/dossiers/%d" % case.id).status_code == 200


def test_import_into_an_instance_that_is_not_empty_is_refused_and_changes_nothing(app, exported):
    before = fingerprint(app_database(app))
    result = app.test_cli_runner().invoke(import_command, [str(exported)])
    assert result.exit_code != 0 and "niet leeg" in result.output and "Er is niets veranderd" in result.output
    assert fingerprint(app_database(app)) == before


def test_a_damaged_export_is_refused_and_changes_nothing(exported, instance, tmp_path):
    files = contents(exported)
    files["lists/leerlingen.csv"] += b"extra;regel\r\n"
    spoilt = tmp_path / "spoilt.zip"
    with zipfile.ZipFile(spoilt, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    imported_app, imported = instance
    before = fingerprint(imported)
    result = imported_app.test_cli_runner().invoke(import_command, [str(spoilt)])
    assert result.exit_code != 0 and "SHA-256" in result.output and "Er is niets veranderd" in result.output
    assert fingerprint(imported) == before
    (tmp_path / "not.zip").write_bytes(b"no zip at all")
    result = imported_app.test_cli_runner().invoke(import_command, [str(tmp_path / "not.zip")])
    assert result.exit_code != 0 and "geen export van Herstel" in result.output
    assert fingerprint(imported) == before


def test_an_export_from_a_newer_herstel_is_refused(exported, instance, tmp_path):
    files = contents(exported)
    manifest = json.loads(files["manifest.json"])
    manifest["schema"].append("9999_from_the_future")
    files["manifest.json"] = json.dumps(manifest).encode()
    newer = tmp_path / "newer.zip"
    with zipfile.ZipFile(newer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    imported_app, imported = instance
    before = fingerprint(imported)
    result = imported_app.test_cli_runner().invoke(import_command, [str(newer)])
    assert result.exit_code != 0 and "nieuwere versie van Herstel" in result.output and "9999" in result.output
    assert fingerprint(imported) == before


def test_import_is_refused_while_another_process_has_the_instance_open(exported, instance):
    imported_app, imported = instance
    other = create_app(imported.config())  # as a server worker would
    before = fingerprint(imported)
    result = imported_app.test_cli_runner().invoke(import_command, [str(exported)])
    assert result.exit_code != 0 and "Herstel draait nog" in result.output
    assert fingerprint(imported) == before
    del other


def test_the_administrator_downloads_the_export_and_it_is_logged(app, login_as):
    admin = login_as("admin")
    page = admin.get("/instellingen/").get_data(as_text=True)
    assert "Exporteren (ZIP)" in page
    response = admin.post("/instellingen/export", data={"csrf_token": csrf_token(admin, "/instellingen/")})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"] and "herstel-export-" in \
        response.headers["Content-Disposition"]
    files = contents(io.BytesIO(response.get_data()))
    assert "README.md" in files and "tables/case.json" in files
    with app.app_context():
        event = models.AuditEvent.select().where(models.AuditEvent.action == "school.export").get()
        assert event.username == "admin" and "rijen" in event.detail
    coordinator = login_as("coordinator")
    refused = coordinator.post("/instellingen/export", data={"csrf_token": csrf_token(coordinator, "/account/")})
    assert refused.status_code == 403


def download_own_notes(client):
    response = client.post("/account/aantekeningen", data={"csrf_token": csrf_token(client, "/account/")})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    return json.loads(response.get_data())


def test_an_author_downloads_their_own_work_notes_and_no_one_elses(login_as, app):
    with app.app_context():
        mentor, coordinator = (models.User.by_username(name) for name in ("mentor", "coordinator"))
        own = {note.body for note in models.PersonalNote.select().where(models.PersonalNote.author == mentor)}
        others = {note.body for note in models.PersonalNote.select().where(models.PersonalNote.author != mentor)}
    assert own and others  # the demo school has notes of more than one author
    document = download_own_notes(login_as("mentor"))
    assert {note["text"] for note in document["work_notes"]} == own
    assert all(note["case"] for note in document["work_notes"])
    assert "complaint_notes" not in document  # the mentor has none to have
    with app.app_context():
        logged = models.AuditEvent.get(models.AuditEvent.action == "personal_note.export")
        assert logged.user_id == mentor.id and coordinator.id != mentor.id


def test_the_counsellor_downloads_their_complaint_notes_unless_they_are_sealed(login_as, app):
    with app.app_context():
        counsellor = models.User.by_username("counsellor")
        notes = {note.body for note in models.ComplaintNote.select().where(models.ComplaintNote.author == counsellor)}
    assert notes
    assert {note["text"] for note in download_own_notes(login_as("counsellor"))["complaint_notes"]} == notes
    with app.app_context():  # an administrator reset the password: the notes wait for the counsellor's factor
        models.User.update(admin_password_reset_at=db.utcnow()).where(models.User.id == counsellor.id).execute()
    assert "complaint_notes" not in download_own_notes(login_as("counsellor"))


def test_downloading_own_notes_needs_the_form_token(login_as):
    client = login_as("mentor")
    client.get("/account/")
    assert client.post("/account/aantekeningen").status_code == 400
