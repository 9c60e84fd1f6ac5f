"""`flask restore ARCHIVE`, and the drill: a backup taken while writers and uploads run comes back whole in
an empty instance; a damaged, cut-off or wrongly keyed archive is refused and changes nothing."""
import contextlib
import dataclasses
import hashlib
import io
import json
import os
import pathlib
import re
import secrets
import sqlite3
import tarfile
import threading

import pytest

import models
from app import create_app
from backups import (  # noqa: F401 (backups and key are fixtures)
    KeyPair, app_database, backups, empty_instance, fingerprint, key, make_backup, members, needs_pg_dump, restore,
    table_rows,
)
from databases import POSTGRES, Connection, drop_database, new_database
from db import InUse, close_all_connections, migration_names, today as school_today, utcnow
from domain import backup, evidence

pytestmark = needs_pg_dump


@pytest.fixture
def instance(tmp_path):
    """An empty instance to restore into; dropped afterwards."""
    app, database = empty_instance(tmp_path / "restored")
    yield app, database
    close_all_connections()
    drop_database(database)


# The drill -----------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Work:
    """What the writers had acknowledged: committed, and for uploads with their file flushed to disk."""

    reports: list = dataclasses.field(default_factory=list)  # ids, in the order they were committed
    uploads: dict = dataclasses.field(default_factory=dict)  # evidence id -> (file name, bytes)
    deleted: set = dataclasses.field(default_factory=set)  # evidence ids whose deletion committed
    errors: list = dataclasses.field(default_factory=list)


class Writers:
    """Threads that keep filing reports, uploading evidence files and deleting some of them again, as
    the app's views do, until stopped. Each error in a thread is kept, and fails the test."""

    def __init__(self, app):
        self.app, self.work, self.stop = app, Work(), threading.Event()
        self.progress = threading.Condition()
        self.case_id = models.Case.select(models.Case.id).order_by(models.Case.id).first().id
        self.threads = [threading.Thread(target=self._run, args=(job,), daemon=True)
                        for job in (self._report, self._report, self._upload, self._upload, self._delete)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in self.threads), "a writer hangs"
        assert not self.work.errors, "errors in writer threads: %r" % self.work.errors

    def _run(self, job):
        with self.app.app_context():
            try:
                while not self.stop.is_set():
                    job()
                    with self.progress:
                        self.progress.notify_all()
            except Exception as error:  # noqa: BLE001 - reported by __exit__, failing the test
                self.work.errors.append(repr(error))
                with self.progress:
                    self.progress.notify_all()
            finally:
                models.db.close()

    def _report(self):
        with models.db.atomic():
            report = models.Report.create(reported_on=school_today(), reporter_kind="staff", channel="phone",
                                          description="drill")
        with self.progress:
            self.work.reports.append(report.id)

    def _upload(self):
        data = b"\x89PNG drill " + secrets.token_bytes(2048)
        name = evidence.store(evidence.CleanFile(data, "image/png"))
        try:
            with models.db.atomic():
                item = models.Evidence.create(case=self.case_id, captured_at=utcnow(), platform="drill",
                                              file_name=name, content_type="image/png", size=len(data),
                                              sha256=hashlib.sha256(data).hexdigest())
        except BaseException:
            evidence.remove(name)
            raise
        with self.progress:
            self.work.uploads[item.id] = (name, data)

    def _delete(self):
        with self.progress:
            self.progress.wait_for(lambda: len(self.work.uploads) > len(self.work.deleted) + 3 or self.stop.is_set(),
                                   timeout=5)
            candidates = sorted(set(self.work.uploads) - self.work.deleted)
        if not candidates or self.stop.is_set():
            return
        item_id = candidates[0]
        with models.db.atomic():
            models.Evidence.delete().where(models.Evidence.id == item_id).execute()
        evidence.remove(self.work.uploads[item_id][0])  # after the commit, as the view does
        with self.progress:
            self.work.deleted.add(item_id)

    def wait_for(self, reports, uploads, deleted=0):
        with self.progress:
            assert self.progress.wait_for(lambda: self.work.errors or (
                len(self.work.reports) >= reports and len(self.work.uploads) >= uploads
                and len(self.work.deleted) >= deleted), timeout=60), "the writers made no progress"
            assert not self.work.errors, self.work.errors

    def acknowledged(self):
        with self.progress:
            return list(self.work.reports), dict(self.work.uploads), set(self.work.deleted)


def test_drill_a_backup_under_load_comes_back_whole_in_an_empty_instance(app, backups, key, tmp_path):
    target = backups / "herstel.age"
    with app.app_context():
        writers = Writers(app)
    with writers:
        writers.wait_for(reports=20, uploads=8, deleted=2)
        reports_before, uploads_before, deleted_before = writers.acknowledged()
        result = make_backup(app, target, key)
        assert result.exit_code == 0, result.output
        reports_at, uploads_at, _ = writers.acknowledged()
        deleted_at = writers.acknowledged()[2]
        # They write on after it, and delete files the snapshot names.
        writers.wait_for(reports=len(reports_at) + 20, uploads=len(uploads_at) + 5, deleted=len(deleted_at) + 2)
    reports_all, uploads_all, deleted_all = writers.acknowledged()
    source = app_database(app)
    demo_tables = {table: table_rows(source, table) for table in
                   ("user", "pupil", "case", "agreement", "agreement_party", "complaint", "conversation")}
    demo_files = {item: evidence_bytes(source, name) for item, name in stored_files(source)
                  if item not in uploads_all}

    restored_app, restored = empty_instance(tmp_path / "restored")
    try:
        check_drill(restored_app, restored, target, key, reports_before, reports_all, uploads_before, uploads_all,
                    deleted_before, deleted_all, demo_tables, demo_files)
    finally:
        close_all_connections()
        drop_database(restored)


def check_drill(restored_app, restored, target, key, reports_before, reports_all, uploads_before, uploads_all,
                deleted_before, deleted_all, demo_tables, demo_files):
    result = restore(restored_app, target, key)
    assert result.exit_code == 0, result.output
    assert "Teruggezet" in result.output

    # Every record acknowledged before the backup began is back; the reports form one unbroken run from
    # the first (a snapshot of one moment), and the writes after the backup are not in it.
    reports = [row[0] for row in Connection(restored).execute("SELECT id FROM report WHERE description = 'drill' "
                                                              "ORDER BY id")]
    assert set(reports_before) <= set(reports)
    assert reports == sorted(reports_all)[:len(reports)]
    assert len(reports) < len(reports_all)

    # Every evidence row has its file, byte for byte as uploaded; every upload acknowledged before the
    # backup and never deleted is back (one deleted meanwhile may be, or not), and no file is in the
    # folder that no row names.
    files = dict(stored_files(restored))
    assert {item for item in uploads_before if item not in deleted_all} <= set(files)
    assert not deleted_before & set(files)
    for item, name in files.items():
        expected = uploads_all[item][1] if item in uploads_all else demo_files[item]
        assert evidence_bytes(restored, name) == expected
    on_disk = {path.name for path in pathlib.Path(restored.evidence).iterdir() if not path.name.startswith(".")}
    assert on_disk == set(files.values())
    assert deleted_all & set(files)  # deletions after the snapshot happened, and their files were still copied

    for table, rows in demo_tables.items():  # the school itself, row for row
        assert table_rows(restored, table) == rows, table
    with restored_app.app_context():
        models.db.connect(reuse_if_open=True)
        assert models.User.by_username("coordinator").check_password("herstel-demo-2026")
        assert models.AuditEvent.select().where(models.AuditEvent.action == "backup.restore").count() == 1
    client = restored_app.test_client()
    assert client.get("/login").status_code == 200


def stored_files(database):
    with Connection(database) as connection:
        return connection.execute("SELECT id, file_name FROM evidence WHERE file_name IS NOT NULL ORDER BY id")


def evidence_bytes(database, name):
    return (pathlib.Path(database.evidence) / name).read_bytes()


# Refusals that change nothing ----------------------------------------------------------------------------

def damaged(kind, data, plain_tar):
    """The archive's bytes, spoilt in one way."""
    if kind == "a byte flipped in the middle":
        middle = len(data) // 2
        return data[:middle] + bytes([data[middle] ^ 0x40]) + data[middle + 1:]
    if kind == "cut off":
        return data[:len(data) * 2 // 3]
    if kind == "not an archive":
        return b"just some file\n" * 100
    if kind == "an evidence file swapped":  # unencrypted, so only the manifest's hashes can tell
        return swap_evidence(plain_tar)
    raise AssertionError(kind)


def swap_evidence(plain_tar):
    contents = members(plain_tar)
    name = next(name for name in contents if name.startswith("evidence/"))
    contents[name] = b"\x89PNG not what was backed up"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for member, data in contents.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.mark.parametrize("kind,says", [
    ("a byte flipped in the middle", "beschadigd of afgebroken"),
    ("cut off", "beschadigd of afgebroken"),
    ("not an archive", "geen reservekopie van Herstel"),
    ("an evidence file swapped", "SHA-256"),
])
def test_a_damaged_archive_is_refused_and_changes_nothing(app, backups, key, instance, kind, says):
    assert make_backup(app, backups / "good.age", key).exit_code == 0
    plain = key.decrypt(backups / "good.age")
    spoilt = backups / "spoilt"
    spoilt.write_bytes(damaged(kind, (backups / "good.age").read_bytes(), plain))
    restored_app, restored = instance
    before = fingerprint(restored)
    result = restore(restored_app, spoilt, key)
    assert result.exit_code != 0
    assert says in result.output and "Er is niets veranderd" in result.output
    assert fingerprint(restored) == before


def repack(contents):
    """A plain archive of {name: bytes}, with the manifest's hashes and sizes made to fit the contents."""
    manifest = json.loads(contents["manifest.json"])
    for entry in manifest["files"]:
        entry["sha256"] = hashlib.sha256(contents[entry["name"]]).hexdigest()
        entry["size"] = len(contents[entry["name"]])
    contents = dict(contents, **{"manifest.json": json.dumps(manifest).encode()})
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in contents.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def index_page(folder, data):
    """Where the root page of the pupils' number index ends (its cells fill it from the end)."""
    path = folder / "probe.db"
    path.write_bytes(bytes(data))
    with contextlib.closing(sqlite3.connect(path)) as connection:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        root = connection.execute("SELECT rootpage FROM sqlite_master "
                                  "WHERE name = 'pupil_student_number'").fetchone()[0]
    return root * page_size


def test_a_database_that_fails_its_own_check_is_refused_even_when_the_hashes_fit(app, backups, instance):
    """The manifest's hashes only say the archive is as it was written; the database itself is checked too
    (SQLite's integrity_check; pg_restore reading the whole dump)."""
    assert make_backup(app, backups / "herstel.tar.gz", None, "--unencrypted").exit_code == 0
    contents = members((backups / "herstel.tar.gz").read_bytes())
    name = "database/herstel.dump" if POSTGRES else "database/herstel.db"
    data = bytearray(contents[name])
    if POSTGRES:
        spoilt = range(len(data) // 3, len(data) * 2 // 3, 97)  # garbage through the middle third
    else:  # the end of the pupils' number index: only the integrity check reads it
        page = index_page(backups, data)
        spoilt = range(page - 200, page, 7)
    for offset in spoilt:
        data[offset] ^= 0x5A
    contents[name] = bytes(data)
    (backups / "spoilt.tar.gz").write_bytes(repack(contents))
    restored_app, restored = instance
    before = fingerprint(restored)
    result = restore(restored_app, backups / "spoilt.tar.gz")
    assert result.exit_code != 0 and "beschadigd" in result.output and "Er is niets veranderd" in result.output
    assert fingerprint(restored) == before


def test_an_archive_with_the_wrong_key_is_refused_and_changes_nothing(app, backups, key, instance, tmp_path):
    assert make_backup(app, backups / "herstel.age", key).exit_code == 0
    other = KeyPair(tmp_path / "backups")
    restored_app, restored = instance
    before = fingerprint(restored)
    result = restore(restored_app, backups / "herstel.age", other)
    assert result.exit_code != 0
    assert "sleutel hoort niet bij dit archief" in result.output and "Er is niets veranderd" in result.output
    assert fingerprint(restored) == before
    without = restore(restored_app, backups / "herstel.age")
    assert without.exit_code != 0 and "--key-file" in without.output and "HERSTEL_BACKUP_IDENTITY" in without.output
    assert fingerprint(restored) == before


def test_a_backup_from_a_newer_herstel_is_refused(app, backups, instance):
    assert make_backup(app, backups / "herstel.tar.gz", None, "--unencrypted").exit_code == 0
    contents = members((backups / "herstel.tar.gz").read_bytes())
    manifest = json.loads(contents["manifest.json"])
    manifest["schema"].append("9999_from_the_future")
    contents["manifest.json"] = json.dumps(manifest).encode()
    (backups / "newer.tar.gz").write_bytes(repack(contents))
    restored_app, restored = instance
    before = fingerprint(restored)
    result = restore(restored_app, backups / "newer.tar.gz")
    assert result.exit_code != 0 and "nieuwere versie van Herstel" in result.output and "9999" in result.output
    assert fingerprint(restored) == before


def test_restore_refuses_while_the_server_runs(app, live_server, backups, key):
    """The real server (gunicorn, as `make run` starts it) holds the lock; a restore into its data waits."""
    assert make_backup(app, backups / "herstel.age", key).exit_code == 0
    server_app = create_app(live_server.database.config())
    before = fingerprint(live_server.database)
    result = restore(server_app, backups / "herstel.age", key)
    assert result.exit_code != 0
    assert "Herstel draait nog" in result.output and "Stop de server" in result.output
    assert fingerprint(live_server.database) == before
    close_all_connections()


def test_no_server_starts_while_a_restore_holds_the_data(instance):
    restored_app, restored = instance
    with restored_app.extensions["herstel.running"].alone():
        with pytest.raises(InUse, match="teruggezet"):
            create_app(restored.config())


def test_a_restore_keeps_the_data_aside_applies_newer_migrations_and_can_be_undone(tmp_path, backups, key):
    """A backup made before the latest migration comes back with it applied; what was in place before is
    kept under names with the time, and moving it back gives the old instance back."""
    older = new_database(tmp_path / "older")
    older_app = create_app(older.config(MIGRATE_ON_START=False))
    with older_app.app_context():
        from playhouse.migrations import Runner
        from db import MIGRATIONS
        Runner(models.db.obj, MIGRATIONS).up(target=migration_names()[-2])
    assert make_backup(older_app, backups / "older.age", key).exit_code == 0
    close_all_connections()

    current_app, current = empty_instance(tmp_path / "current")
    with current_app.app_context():
        with models.db.atomic():
            models.SchoolSettings.current()
            models.SchoolClass.create(name="Before", year_level=1)
        stored = evidence.store(evidence.CleanFile(b"\x89PNG before", "image/png"))
    close_all_connections()
    assert make_backup(current_app, backups / "current.age", key).exit_code == 0
    recorded = backup.last_backup(current_app.config["BACKUP_RECORD"])
    before = fingerprint(current)
    result = restore(current_app, backups / "older.age", key)
    assert result.exit_code == 0, result.output
    assert migration_names()[-1] in result.output and "opzij" in result.output
    with Connection(current) as connection:
        assert [name for (name,) in connection.execute("SELECT name FROM schema_migration ORDER BY name")] \
            == migration_names()
        assert connection.execute("SELECT count(*) FROM school_class")[0][0] == 0
    # The record of this server's backups is about this server: the restore leaves it as it was.
    assert backup.last_backup(current_app.config["BACKUP_RECORD"]) == recorded
    aside = [line.strip() for line in result.output.splitlines() if ".before-restore-" in line]
    assert len(aside) == 2 and all(re.search(r"\.before-restore-\d{8}-\d{6}(\.dump)?$", path) for path in aside)
    evidence_aside = next(path for path in aside if "evidence.before-restore-" in path and not path.endswith(".dump"))
    assert (pathlib.Path(evidence_aside) / stored).read_bytes() == b"\x89PNG before"
    if not POSTGRES:  # undo by hand, as the README says: the old database and evidence back in place
        database_aside = next(path for path in aside if "herstel.db.before-restore-" in path)
        close_all_connections()
        for suffix in ("-wal", "-shm"):
            if os.path.exists(current + suffix):
                os.unlink(current + suffix)
        os.replace(database_aside, current)
        os.rename(str(current.evidence), str(current.evidence) + ".restored")
        os.replace(evidence_aside, current.evidence)
        after = fingerprint(current)
        assert {k: v for k, v in after.items() if k != "beside the data"} == \
            {k: v for k, v in before.items() if k != "beside the data"}
    drop_database(older)
    drop_database(current)


def test_a_key_file_protected_by_a_passphrase_asks_for_it(app, backups, tmp_path, instance):
    key = KeyPair(tmp_path / "backups", passphrase="een lange wachtwoordzin")
    assert make_backup(app, backups / "herstel.age", key).exit_code == 0
    restored_app, restored = instance
    before = fingerprint(restored)
    wrong = restore(restored_app, backups / "herstel.age", key, input="niet deze\n")
    assert wrong.exit_code != 0 and "wachtwoordzin" in wrong.output and "Er is niets veranderd" in wrong.output
    assert fingerprint(restored) == before
    right = restore(restored_app, backups / "herstel.age", key, input="een lange wachtwoordzin\n")
    assert right.exit_code == 0, right.output
