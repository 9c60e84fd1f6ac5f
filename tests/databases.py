"""Where the tests keep their databases: SQLite files (the default) or a PostgreSQL server.

With HERSTEL_TEST_DATABASE_URL=postgresql://user:pass@host:port/any (as `make test-postgres`
sets it) every database a test uses is a database on that server, made from a migrated
template in one CREATE DATABASE; otherwise it is a SQLite file in the test's temporary folder.
"""
import itertools
import os
import pathlib
import shutil
import sqlite3
import urllib.parse

import pytest

SERVER_URL = os.environ.get("HERSTEL_TEST_DATABASE_URL", "")
POSTGRES = SERVER_URL.startswith(("postgres://", "postgresql://"))


def sqlite_only(reason):
    """Mark a test that is about SQLite itself; it is skipped on PostgreSQL, saying why."""
    return pytest.mark.skipif(POSTGRES, reason="SQLite only: " + reason)


postgres_only = pytest.mark.skipif(not POSTGRES, reason="PostgreSQL only (make test-postgres)")


class TestDatabase(str):
    """The DATABASE setting of an app under test (a file path or a URL), with its evidence folder."""

    evidence = None
    # A copy of a database whose migrations (and ANALYZE) have run needs neither again: an app
    # on it starts without them, as a thousand apps on copies of the demo school would otherwise
    # each pay for them.
    migrated = False

    def config(self, **settings):
        """The settings for create_app on this database."""
        return dict({"TESTING": True, "DATABASE": str(self), "EVIDENCE_DIR": str(self.evidence),
                     "MIGRATE_ON_START": not self.migrated}, **settings)


def _named(value, directory):
    database = TestDatabase(value)
    database.evidence = pathlib.Path(directory) / "evidence"
    return database


class _Server:
    """The PostgreSQL server the tests were pointed at; databases are made and dropped by name."""

    _numbers = itertools.count(1)

    def __init__(self, url):
        self._url = urllib.parse.urlsplit(url)
        self._admin = None

    def _execute(self, statement):
        import psycopg2
        if self._admin is None or self._admin.closed:
            self._admin = psycopg2.connect(self._url.geturl())
            self._admin.autocommit = True
        with self._admin.cursor() as cursor:
            cursor.execute(statement)

    def url(self, name):
        return self._url._replace(path="/" + name).geturl()

    @staticmethod
    def name(url):
        return urllib.parse.urlsplit(url).path.lstrip("/")

    def create(self, template=None):
        name = "herstel_%d_%d" % (os.getpid(), next(self._numbers))
        statement = 'CREATE DATABASE "%s"' % name
        if template:
            # FILE_COPY takes about 0.06 s for the demo school, six times less than PostgreSQL 15's
            # default (WAL_LOG); emptying every table and loading the demo school again takes 5 s.
            statement += ' TEMPLATE "%s" STRATEGY FILE_COPY' % self.name(template)
        self._execute(statement)
        return self.url(name)

    def drop(self, url):
        # FORCE ends the connections a pool or a killed server's workers may still hold.
        self._execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % self.name(url))


SERVER = _Server(SERVER_URL) if POSTGRES else None


def new_database(directory):
    """A new, empty database whose evidence files go into directory."""
    if POSTGRES:
        return _named(SERVER.create(), directory)
    return _named(pathlib.Path(directory) / "herstel.db", directory)


def copy_database(source, directory):
    """A copy of a test database (its evidence files included) for a new app in directory."""
    directory = pathlib.Path(directory)
    if POSTGRES:
        copy = _named(SERVER.create(template=source), directory)
    else:
        copy = _named(directory / "herstel.db", directory)
        shutil.copy(source, copy)
    copy.migrated = source.migrated
    if source.evidence.is_dir():
        shutil.copytree(source.evidence, copy.evidence)
    return copy


def snapshot_database(database, directory):
    """A copy of a database as it is now, to put back later with restore_database.

    On PostgreSQL nobody may be connected to the database while it is copied: close the app's
    connections first (db.close_all_connections).
    """
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if POSTGRES:
        return _named(SERVER.create(template=database), directory)
    copy = _named(directory / "snapshot.db", directory)
    _sqlite_backup(database, copy)
    return copy


def restore_database(database, snapshot):
    """Put a snapshot's rows back into the database an app keeps using.

    SQLite copies the pages over in one write (the pool's connections stay open and see the
    result); PostgreSQL drops the database and makes it again from the snapshot, so the app's
    connections must be closed first.
    """
    if POSTGRES:
        SERVER.drop(database)
        SERVER._execute('CREATE DATABASE "%s" TEMPLATE "%s" STRATEGY FILE_COPY' % (
            SERVER.name(database), SERVER.name(snapshot)))
    else:
        _sqlite_backup(snapshot, database)


def _sqlite_backup(source_path, target_path):
    source = sqlite3.connect(str(source_path), timeout=30)
    target = sqlite3.connect(str(target_path), timeout=30)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def drop_database(database):
    """Remove a test database from the server (a SQLite file goes with its temporary folder)."""
    if POSTGRES:
        SERVER.drop(database)


class Connection:
    """A plain connection beside the app's, for tests that look at or change rows behind its back.

    Statements use ? for parameters on both databases.
    """

    def __init__(self, database):
        if POSTGRES:
            import psycopg2
            self._connection = psycopg2.connect(str(database))
            self._marker = "%s"
        else:
            self._connection = sqlite3.connect(str(database), timeout=30)
            self._marker = "?"

    def execute(self, statement, params=()):
        """Run one statement in its own transaction; return all rows it produced."""
        cursor = self._connection.cursor()
        try:
            cursor.execute(statement.replace("?", self._marker), params)
            rows = cursor.fetchall() if cursor.description else []
            self._connection.commit()
            return rows
        except BaseException:
            self._connection.rollback()
            raise
        finally:
            cursor.close()

    def close(self):
        self._connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def check_migration_comes_and_goes(directory, name, after, applied):
    """Migration `name` comes after `after`, and going up and down again leaves the database as it was before it:
    applied(database) says whether its change is there. On a new database of the test's engine."""
    import db  # the app's; this module is also read before the app is
    from playhouse.migrations import Runner
    location = new_database(directory)
    database = db.open_database(location)
    runner = Runner(database, db.MIGRATIONS)
    names = [migration.name for migration in runner.status()]
    assert names.index(name) > names.index(after)
    runner.up(names[names.index(name) - 1])
    assert not applied(database)
    runner.up(name)
    assert applied(database)
    runner.down(name)
    assert not applied(database) and not {m.name: m.applied for m in runner.status()}[name]
    runner.up()
    assert applied(database) and all(migration.applied for migration in runner.status())
    database.close_all()
    drop_database(location)
