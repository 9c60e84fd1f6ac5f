"""Helpers for the backup and restore tests: a key pair, the commands, an empty instance, and a
fingerprint of everything an instance holds (to show that a refused restore changed nothing)."""
import hashlib
import io
import os
import pathlib
import shutil
import tarfile

import pyrage
import pytest

import models
from app import create_app
from cli import backup_command, restore_command
import databases
from databases import POSTGRES, Connection, new_database
from db import close_all_connections
from domain import archive

needs_pg_dump = pytest.mark.skipif(
    POSTGRES and not (shutil.which("pg_dump") and shutil.which("pg_restore") and shutil.which("psql")),
    reason="PostgreSQL's pg_dump, pg_restore and psql are not on this machine (Debian: postgresql-client; "
           "`make test-postgres` installs the server package, which brings them)")


class KeyPair:
    """A secret key file as `flask backup-key` writes it, and its public key."""

    def __init__(self, directory, passphrase=""):
        self.file = str(pathlib.Path(directory) / "herstel-backup-key.txt")
        self.public = archive.new_key(self.file, passphrase)
        self.passphrase = passphrase

    def decrypt(self, path):
        """The plain archive (gzipped tar) inside an encrypted one."""
        with open(path, "rb") as handle:
            return pyrage.decrypt(handle.read(), archive.identities(self.file, self.passphrase))


def make_backup(app, target, key=None, *extra):
    """Run `flask backup TARGET` for the key's public key (or as configured); the click result."""
    if key is not None:
        app.config["BACKUP_RECIPIENTS"] = key.public
    return app.test_cli_runner().invoke(backup_command, [str(target), *extra])


def restore(app, target, key=None, input=None):
    """Run `flask restore ARCHIVE --key-file ...`; the click result."""
    arguments = [str(target)] + (["--key-file", key.file] if key is not None else [])
    return app.test_cli_runner().invoke(restore_command, arguments, input=input)


def empty_instance(directory):
    """A new, migrated, empty installation (its own database and evidence folder)."""
    close_all_connections()
    os.makedirs(directory, exist_ok=True)
    database = new_database(directory)
    return create_app(database.config()), database


def app_database(app):
    """The database of an app under test, as databases.py names one (with its evidence folder)."""
    database = databases.TestDatabase(app.config["DATABASE"])
    database.evidence = pathlib.Path(app.config["EVIDENCE_DIR"])
    return database


def members(plain):
    """{name: bytes} of a plain archive."""
    with tarfile.open(fileobj=io.BytesIO(plain), mode="r:gz") as tar:
        return {member.name: tar.extractfile(member).read() for member in tar}


def table_rows(database, table):
    """A table's rows in id order, with PostgreSQL's bytea as bytes (a memoryview compares by identity)."""
    with Connection(database) as connection:
        return [tuple(bytes(value) if isinstance(value, memoryview) else value for value in row)
                for row in connection.execute('SELECT * FROM "%s" ORDER BY id' % table)]


def fingerprint(database):
    """Every row of every table, every file in the evidence folder, and what lies beside the data: values
    that change when anything an instance holds changes (one per table, so a failure names it)."""
    found = {}
    for model in models.MODELS:
        table = model._meta.table_name
        found[table] = hashlib.sha256(repr(table_rows(database, table)).encode()).hexdigest()[:16]
    evidence = pathlib.Path(database.evidence)
    for path in sorted(evidence.rglob("*")) if evidence.is_dir() else ():
        found["evidence/" + str(path.relative_to(evidence))] = (
            hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else "folder")
    found["beside the data"] = sorted(name for name in os.listdir(evidence.parent)
                                      if not name.startswith("herstel.db-"))
    return found


# The archive tests' own fixtures (test_backup, test_restore import them).
@pytest.fixture
def key(tmp_path):
    """A backup key pair in the test's folder."""
    return KeyPair(tmp_path)


@pytest.fixture
def backups(tmp_path):
    """An empty folder to write backups into."""
    folder = tmp_path / "backups"
    folder.mkdir()
    return folder
