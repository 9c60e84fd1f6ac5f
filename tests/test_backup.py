"""`flask backup TARGET`: one archive with the database snapshot and every evidence file it names, a
manifest, encrypted for the school's public key; refused without a key unless --unencrypted."""
import hashlib
import datetime
import json
import os
import sqlite3
import threading

import pytest
from flask_babel import format_datetime

import models
from backups import KeyPair, backups, key, make_backup, members, needs_pg_dump  # noqa: F401 (fixtures)
from cli import backup_key_command
from databases import POSTGRES, postgres_only, sqlite_only
from db import migration_names, utcnow
from domain import archive, backup, evidence

pytestmark = needs_pg_dump


def test_backup_without_a_key_is_refused_and_says_how_to_set_one(app, backups):
    result = make_backup(app, backups / "herstel.age")
    assert result.exit_code != 0
    for advice in ("HERSTEL_BACKUP_RECIPIENT", "backup-key", "--unencrypted", "README"):
        assert advice in result.output
    assert os.listdir(backups) == []


def test_a_key_that_is_no_public_key_is_refused(app, backups):
    app.config["BACKUP_RECIPIENTS"] = "age1notakey"
    result = make_backup(app, backups / "herstel.age")
    assert result.exit_code != 0 and "geen publieke sleutel" in result.output and "backup-key" in result.output
    assert os.listdir(backups) == []


def test_the_archive_holds_the_database_every_evidence_file_and_a_manifest(app, backups, key):
    target = backups / "herstel.age"
    result = make_backup(app, target, key)
    assert result.exit_code == 0, result.output
    assert "Reservekopie gemaakt" in result.output and "versleuteld" in result.output
    assert oct(os.stat(target).st_mode & 0o777) == "0o600"
    encrypted = target.read_bytes()
    assert encrypted.startswith(archive.AGE_MAGIC)
    assert b"coordinator" not in encrypted and b"Noor" not in encrypted  # nothing readable on the backup disk

    inside = members(key.decrypt(target))
    manifest = json.loads(inside.pop("manifest.json"))
    assert manifest["format"] == "herstel-backup" and manifest["format_version"] == 1
    assert manifest["database"] == ("postgresql" if POSTGRES else "sqlite")
    assert manifest["schema"] == migration_names()  # the schema version: every migration, applied
    assert manifest["herstel_version"] and manifest["made_at"].endswith("+00:00")
    listed = {entry["name"]: entry for entry in manifest["files"]}
    assert set(listed) == set(inside)
    for name, data in inside.items():
        assert listed[name]["sha256"] == hashlib.sha256(data).hexdigest() and listed[name]["size"] == len(data)
    with app.app_context():
        stored = [item.file_name for item in models.Evidence.select().where(models.Evidence.file_name.is_null(False))]
        assert stored  # the demo's screenshot
        for name in stored:
            assert inside["evidence/" + name] == evidence.read(name)
    assert ("database/herstel.dump" if POSTGRES else "database/herstel.db") in inside
    assert manifest["missing_evidence"] == []


def test_an_evidence_file_no_row_names_stays_out(app, backups, key):
    with app.app_context():
        stray = evidence.store(evidence.CleanFile(b"\x89PNG left over", "image/png"))
    result = make_backup(app, backups / "herstel.age", key)
    assert result.exit_code == 0, result.output
    assert "evidence/" + stray not in members(key.decrypt(backups / "herstel.age"))


def test_a_lost_evidence_file_is_named_and_the_rest_is_kept(app, backups, key):
    with app.app_context():
        item = models.Evidence.select().where(models.Evidence.file_name.is_null(False)).get()
        os.unlink(evidence.path_of(item.file_name))
    result = make_backup(app, backups / "herstel.age", key)
    assert result.exit_code == 0, result.output
    assert "Let op" in result.output and str(item.id) in result.output
    manifest = json.loads(members(key.decrypt(backups / "herstel.age"))["manifest.json"])
    assert manifest["missing_evidence"] == [item.id]


def test_unencrypted_only_on_purpose(app, backups):
    target = backups / "herstel.tar.gz"
    result = make_backup(app, target, None, "--unencrypted")
    assert result.exit_code == 0, result.output
    assert "ONVERSLEUTELD" in result.output
    assert "manifest.json" in members(target.read_bytes())
    assert oct(os.stat(target).st_mode & 0o777) == "0o600"


def test_deletions_while_the_files_are_copied_leave_their_file_for_the_archive(app):
    with app.app_context():
        name = evidence.store(evidence.CleanFile(b"%PDF- evidence", "application/pdf"))
        with evidence.removals_held():
            assert evidence.remove(name) is False
            assert os.path.exists(evidence.path_of(name))
        assert evidence.remove(name) is True
        assert not os.path.exists(evidence.path_of(name))


def test_a_file_deleted_right_after_the_snapshot_is_still_in_the_archive(app, backups, key, monkeypatch):
    """A deletion that commits between the snapshot and the copying of the files leaves its file on disk
    for the archive (and for `flask retention` afterwards): the snapshot still names it."""
    with app.app_context():
        item = models.Evidence.select().where(models.Evidence.file_name.is_null(False)).get()
    removed = []

    def delete():
        with app.app_context():
            with models.db.atomic():
                models.Evidence.delete().where(models.Evidence.id == item.id).execute()
            removed.append(evidence.remove(item.file_name))
            models.db.close()

    name = "_postgres_snapshot" if POSTGRES else "_sqlite_snapshot"
    snapshot = getattr(backup, name)

    def snapshot_then_delete(*args):
        taken = snapshot(*args)
        thread = threading.Thread(target=delete)
        thread.start()
        thread.join(timeout=60)
        return taken

    monkeypatch.setattr(backup, name, snapshot_then_delete)
    result = make_backup(app, backups / "herstel.age", key)
    assert result.exit_code == 0, result.output
    assert removed == [False]
    inside = members(key.decrypt(backups / "herstel.age"))
    assert json.loads(inside["manifest.json"])["missing_evidence"] == []
    with app.app_context():
        assert inside["evidence/" + item.file_name] == evidence.read(item.file_name)


def test_backup_refuses_to_overwrite_unless_forced(app, backups, key):
    target = backups / "existing.age"
    target.write_bytes(b"an older backup")
    refused = make_backup(app, target, key)
    assert refused.exit_code != 0
    assert "bestaat al" in refused.output and "--force" in refused.output
    assert target.read_bytes() == b"an older backup"
    forced = make_backup(app, target, key, "--force")
    assert forced.exit_code == 0, forced.output
    assert target.read_bytes().startswith(archive.AGE_MAGIC)


def test_backup_into_a_missing_directory_says_so_and_leaves_nothing(app, tmp_path, key):
    result = make_backup(app, tmp_path / "nowhere" / "herstel.age", key)
    assert result.exit_code != 0 and "bestaat niet" in result.output
    assert not (tmp_path / "nowhere").exists()
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".herstel-")]


@sqlite_only("only a SQLite database is a file a backup could be written over")
def test_backup_into_the_database_itself_is_refused(app, key):
    result = make_backup(app, app.config["DATABASE"], key, "--force")
    assert result.exit_code != 0 and "database zelf" in result.output
    connection = sqlite3.connect(app.config["DATABASE"])
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    connection.close()


@postgres_only
def test_without_pg_dump_the_backup_says_what_to_install(app, backups, key, monkeypatch):
    monkeypatch.setenv("PATH", str(backups))  # a PATH without PostgreSQL's tools
    result = make_backup(app, backups / "herstel.age", key)
    assert result.exit_code != 0
    assert "pg_dump ontbreekt" in result.output and "postgresql-client" in result.output
    assert app.config["DATABASE"].split("@")[0] not in result.output  # no password in the message
    assert os.listdir(backups) == []


def test_the_last_backup_is_recorded_beside_the_data(app, backups, key):
    record = app.config["BACKUP_RECORD"]
    assert backup.last_backup(record) is None
    assert make_backup(app, backups / "herstel.age", key).exit_code == 0
    last = backup.last_backup(record)
    assert last.size == os.path.getsize(backups / "herstel.age") and last.encrypted
    assert os.path.dirname(record) == os.path.dirname(os.path.abspath(
        str(app.config["EVIDENCE_DIR"]) if POSTGRES else app.config["DATABASE"]))
    failed = make_backup(app, backups / "missing" / "herstel.age", key)
    assert failed.exit_code != 0 and backup.last_backup(record) == last  # only a backup that was made counts


def test_backup_key_writes_a_protected_secret_key_and_shows_the_public_one(app, tmp_path):
    path = tmp_path / "key.txt"
    runner = app.test_cli_runner()
    short = runner.invoke(backup_key_command, [str(path)], input="kort\nkort\n")
    assert short.exit_code != 0 and "minstens" in short.output and not path.exists()
    passphrase = "correct paard batterij nietje"
    result = runner.invoke(backup_key_command, [str(path)], input="%s\n%s\n" % (passphrase, passphrase))
    assert result.exit_code == 0, result.output
    public = result.output.split("HERSTEL_BACKUP_RECIPIENT=")[1].split()[0]
    assert public.startswith("age1") and archive.recipients(public)
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert path.read_bytes().startswith(archive.AGE_MAGIC) and b"AGE-SECRET-KEY" not in path.read_bytes()
    assert archive.key_needs_passphrase(str(path))
    assert str(archive.identities(str(path), passphrase)[0].to_public()) == public
    # A wrong passphrase: test_restore's, where it is typed. Each try costs a second or more (scrypt at the work
    # factor age chose for this machine), as it does an attacker.
    again = runner.invoke(backup_key_command, [str(path), "--no-passphrase"])
    assert again.exit_code != 0 and "nooit overschreven" in again.output


def test_the_settings_page_shows_the_last_backup_and_the_home_page_warns_without_one(app, login_as, backups, key):
    admin, coordinator = login_as("admin"), login_as("coordinator")
    never = "Deze server heeft nog nooit een reservekopie gemaakt."
    assert never in admin.get("/instellingen/").get_data(as_text=True)
    assert never in admin.get("/").get_data(as_text=True)
    assert "reservekopie" not in coordinator.get("/").get_data(as_text=True)  # for the administrator only

    assert make_backup(app, backups / "herstel.age", key).exit_code == 0
    last = backup.last_backup(app.config["BACKUP_RECORD"])
    with app.test_request_context():
        moment = format_datetime(last.made_at, "d MMMM yyyy HH:mm")
    page = admin.get("/instellingen/").get_data(as_text=True)
    assert "Laatste reservekopie: %s, %d kB." % (moment, round(os.path.getsize(backups / "herstel.age") / 1024)) in page
    assert never not in page and "Deze reservekopie is niet versleuteld" not in page
    assert "reservekopie" not in admin.get("/").get_data(as_text=True)

    made_at = utcnow() - datetime.timedelta(days=2, minutes=1)
    with open(app.config["BACKUP_RECORD"], "w") as handle:
        json.dump({"made_at": made_at.isoformat() + "+00:00", "size": last.size, "encrypted": True}, handle)
    assert "Er is al meer dan twee dagen geen reservekopie gemaakt." in admin.get("/").get_data(as_text=True)
    with open(app.config["BACKUP_RECORD"], "w") as handle:
        json.dump({"made_at": (made_at + datetime.timedelta(minutes=2)).isoformat() + "+00:00", "size": last.size,
                   "encrypted": True}, handle)
    assert "reservekopie" not in admin.get("/").get_data(as_text=True)


def test_the_settings_page_says_when_the_last_backup_was_not_encrypted(app, login_as, backups):
    assert make_backup(app, backups / "herstel.tar.gz", None, "--unencrypted").exit_code == 0
    assert "Deze reservekopie is niet versleuteld" in login_as("admin").get("/instellingen/").get_data(as_text=True)


def test_a_failing_postgresql_tool_does_not_quote_the_data_it_choked_on():
    """psql and pg_restore quote the row of a failed COPY; that line (with a pupil's name) stays out of the
    message, which may end up in a cron mail."""
    stderr = (b'psql:/tmp/restore.sql:120: ERROR:  duplicate key value violates unique constraint "pupil_pkey"\n'
              b"DETAIL:  Key (student_number)=(20240007) already exists.\n"
              b'CONTEXT:  COPY pupil, line 1: "7\t20240007\tNoor\t\tHoekstra\t1\t\\N\tt"\n')
    with pytest.raises(archive.ArchiveError) as refused:
        archive.run_tool(["sh", "-c", "printf '%s' \"$1\" >&2; exit 1", "sh", stderr.decode()], dict(os.environ),
                         "Het terugzetten van de database")
    message = str(refused.value)
    assert "duplicate key value" in message
    assert "Noor" not in message and "Hoekstra" not in message and "20240007" not in message


def test_an_archive_for_two_keys_opens_with_either(app, backups, tmp_path):
    """The school's key and the school board's, both in HERSTEL_BACKUP_RECIPIENT."""
    school, board = KeyPair(tmp_path), KeyPair(backups)
    app.config["BACKUP_RECIPIENTS"] = "%s, %s" % (school.public, board.public)
    assert make_backup(app, backups / "herstel.age").exit_code == 0
    assert members(school.decrypt(backups / "herstel.age")) == members(board.decrypt(backups / "herstel.age"))
