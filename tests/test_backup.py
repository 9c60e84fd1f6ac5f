"""`flask backup PATH`: a consistent copy while the app writes, and a restore that works."""
import os
import shutil
import sqlite3
import threading

import models
from app import create_app
from cli import backup_command
from databases import postgres_only, sqlite_only
from db import close_all_connections

# `flask backup` uses SQLite's online backup; on PostgreSQL it points to pg_dump (the last test).
sqlite_backup = sqlite_only("`flask backup` copies a SQLite file")


class Writer(threading.Thread):
    """Appends numbered audit events, one transaction each, until told to stop."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.written = 0
        self.stop = threading.Event()
        self.progress = threading.Condition()
        self.error = None

    def run(self):
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            while not self.stop.is_set():
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("INSERT INTO audit_event (at, username, action, object_type, address, detail) "
                                   "VALUES (datetime('now'), 'writer', 'test.write', '', '', ?)", (str(self.written),))
                connection.execute("COMMIT")
                with self.progress:
                    self.written += 1
                    self.progress.notify_all()
        except Exception as error:  # reported by the test
            self.error = error
        finally:
            connection.close()

    def wait_for(self, count):
        with self.progress:
            assert self.progress.wait_for(lambda: self.written >= count or self.error, timeout=60)


def numbers_in(path):
    connection = sqlite3.connect(path)
    try:
        return sorted(int(detail) for (detail,) in connection.execute(
            "SELECT detail FROM audit_event WHERE action = 'test.write'"))
    finally:
        connection.close()


@sqlite_backup
def test_backup_taken_while_another_thread_writes_restores_whole(app, tmp_path):
    database = app.config["DATABASE"]
    target = tmp_path / "copy.db"
    writer = Writer(database)
    writer.start()
    try:
        writer.wait_for(20)
        result = app.test_cli_runner().invoke(backup_command, [str(target)])
        assert result.exit_code == 0, result.output
        assert "Reservekopie gemaakt" in result.output
        at_backup = writer.written
        writer.wait_for(at_backup + 20)  # the server keeps writing after the copy
    finally:
        writer.stop.set()
        writer.join()
    assert writer.error is None
    copied = numbers_in(target)
    # A snapshot: every write up to some moment, none missing in between, none of the later ones.
    assert len(copied) >= 20 and copied == list(range(len(copied)))
    assert len(copied) < writer.written
    assert oct(os.stat(target).st_mode & 0o777) == "0o600"

    # Restore as the README says: stop, put the copy in place (without the old -wal/-shm), start.
    close_all_connections()
    restored = tmp_path / "restored" / "herstel.db"
    restored.parent.mkdir()
    shutil.copy(target, restored)
    restored_app = create_app({"TESTING": True, "DATABASE": str(restored)})
    try:
        with restored_app.app_context():
            models.db.connect(reuse_if_open=True)
            assert models.db.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert models.User.by_username("coordinator") is not None
            assert models.Case.select().count() >= 4
            assert models.AuditEvent.select().where(models.AuditEvent.action == "test.write").count() == len(copied)
        response = restored_app.test_client().get("/login")
        assert response.status_code == 200
    finally:
        close_all_connections()


@sqlite_backup
def test_backup_refuses_to_overwrite_unless_forced(app, tmp_path):
    target = tmp_path / "existing.db"
    target.write_bytes(b"an older backup")
    runner = app.test_cli_runner()
    refused = runner.invoke(backup_command, [str(target)])
    assert refused.exit_code != 0
    assert "bestaat al" in refused.output and "--force" in refused.output
    assert target.read_bytes() == b"an older backup"
    forced = runner.invoke(backup_command, [str(target), "--force"])
    assert forced.exit_code == 0, forced.output
    connection = sqlite3.connect(target)
    assert connection.execute("SELECT count(*) FROM user WHERE username = 'admin'").fetchone()[0] == 1
    connection.close()


@sqlite_backup
def test_backup_into_a_missing_directory_says_so_and_leaves_nothing(app, tmp_path):
    result = app.test_cli_runner().invoke(backup_command, [str(tmp_path / "nowhere" / "copy.db")])
    assert result.exit_code != 0 and "bestaat niet" in result.output
    assert not (tmp_path / "nowhere").exists()
    assert not list(tmp_path.glob(".herstel-backup-*"))


@sqlite_backup
def test_backup_into_the_database_itself_is_refused(app):
    result = app.test_cli_runner().invoke(backup_command, [app.config["DATABASE"], "--force"])
    assert result.exit_code != 0 and "database zelf" in result.output
    models.db.connect(reuse_if_open=True)
    assert models.db.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"


@postgres_only
def test_backup_of_a_postgresql_database_points_to_pg_dump(app, tmp_path):
    result = app.test_cli_runner().invoke(backup_command, [str(tmp_path / "copy.db")])
    assert result.exit_code != 0 and "pg_dump" in result.output
    assert app.config["DATABASE"].split("@")[0] not in result.output  # no password in the message
    assert not (tmp_path / "copy.db").exists()
