"""`flask backup`: the database and every evidence file it refers to in one archive, encrypted for the
school's key, and the record of the last backup made (for the settings page and the home page).

The database is copied as one snapshot while the app keeps running, and the archive holds exactly the
evidence files that snapshot names: a file uploaded after it is in neither, a file deleted after it is
in both (deletions leave their files on disk until the files are copied; see evidence.removals_held).
"""
import dataclasses
import datetime
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile

import config
from domain import archive, evidence
from domain.archive import ArchiveError


@dataclasses.dataclass(frozen=True)
class Made:
    """A backup that was written: where, how large, and what it holds."""

    path: str
    size: int
    evidence_files: int
    missing_evidence: list  # ids of evidence rows whose file was not on disk (lost before this backup)
    encrypted: bool


def make_backup(settings, target_path, keys, force=False):
    """Write the archive to target_path (for the public keys; keys=[] writes it unencrypted) and record it.

    Everything is gathered in a folder beside the data (the same disk that already holds it in the
    clear) and only the finished, encrypted archive goes to the target: first under a temporary name in
    the target's folder, then renamed, so a failed run never leaves half a backup nor destroys the old
    one with --force.
    """
    database = settings["DATABASE"]
    target_path = _checked_target(database, target_path, force)
    work = tempfile.mkdtemp(prefix=".herstel-backup-", dir=os.path.dirname(settings["BACKUP_RECORD"]))
    try:
        with evidence.removals_held():
            if "://" in database:
                engine, member, snapshot, named, schema = ("postgresql", archive.POSTGRES_MEMBER,
                                                           *_postgres_snapshot(database, work))
            else:
                engine, member, snapshot, named, schema = ("sqlite", archive.SQLITE_MEMBER,
                                                           *_sqlite_snapshot(database, work))
            plain = os.path.join(work, "archive.tar.gz")
            files, missing = _write_tar(plain, engine, member, snapshot, named, schema)
        size = _put_in_place(plain, target_path, keys)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    made = Made(target_path, size, files, missing, bool(keys))
    record(settings["BACKUP_RECORD"], made)
    return made


def _checked_target(database, target_path, force):
    target_path = os.path.abspath(target_path)
    directory = os.path.dirname(target_path)
    if os.path.isdir(target_path):
        raise ArchiveError("%s is een map; geef de naam van het bestand voor de reservekopie." % target_path)
    if not os.path.isdir(directory):
        raise ArchiveError("De map %s bestaat niet. Maak haar aan, of kies een andere plek." % directory)
    if os.path.exists(target_path) and not force:
        raise ArchiveError("Het bestand %s bestaat al. Kies een andere naam, of gebruik --force "
                           "om het te overschrijven." % target_path)
    if "://" not in database and os.path.realpath(target_path) == os.path.realpath(database):
        raise ArchiveError("De reservekopie kan niet over de database zelf heen.")
    return target_path


def _sqlite_snapshot(database, work):
    """Copy the database with SQLite's online backup API; return (the copy, its evidence files, its schema).

    The copy is read from a fresh connection in one step: in WAL mode that is one read transaction, a
    snapshot that writers do not wait for. (Copying page by page would start over each time another
    connection writes, and might never finish on a busy server.)
    """
    if not os.path.isfile(database):
        raise ArchiveError("De database %s bestaat niet." % database)
    copy_path = os.path.join(work, "herstel.db")
    try:
        source = sqlite3.connect(database, timeout=30)
        try:
            copy = sqlite3.connect(copy_path)
            try:
                source.backup(copy)
                status = copy.execute("PRAGMA integrity_check").fetchone()[0]
                named = copy.execute("SELECT id, file_name FROM evidence WHERE file_name IS NOT NULL "
                                     "ORDER BY id").fetchall()
                schema = [name for (name,) in copy.execute("SELECT name FROM schema_migration ORDER BY name")]
            finally:
                copy.close()
        finally:
            source.close()
    except sqlite3.Error as error:
        raise ArchiveError("De reservekopie is mislukt: %s. Er is niets opgeslagen." % error) from error
    if status != "ok":
        raise ArchiveError("De kopie is niet in orde (integrity_check: %s); er is niets opgeslagen." % status)
    return copy_path, named, schema


def _postgres_snapshot(url, work):
    """pg_dump (custom format) of one snapshot, and that snapshot's evidence files and schema.

    A read-only REPEATABLE READ transaction exports its snapshot, reads the evidence rows in it, and stays
    open while pg_dump dumps that same snapshot (--snapshot).
    """
    import psycopg2
    pg_dump = archive.postgres_tool("pg_dump")
    dump = os.path.join(work, "herstel.dump")
    try:
        connection = psycopg2.connect(url)
    except psycopg2.Error as error:
        raise ArchiveError("Geen verbinding met de database: %s" % str(error).strip()) from None
    try:
        connection.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            cursor.execute("SELECT id, file_name FROM evidence WHERE file_name IS NOT NULL ORDER BY id")
            named = cursor.fetchall()
            cursor.execute("SELECT name FROM schema_migration ORDER BY name")
            schema = [name for (name,) in cursor.fetchall()]
        uri, environment = archive.postgres_connection(url)
        archive.run_tool([pg_dump, "--format=custom", "--snapshot=" + snapshot, "--file=" + dump, "--dbname=" + uri],
                         environment, "De reservekopie van de database")
    except psycopg2.Error as error:
        raise ArchiveError("De reservekopie is mislukt: %s. Er is niets opgeslagen." % str(error).strip()) from None
    finally:
        connection.rollback()
        connection.close()
    return dump, named, schema


def _add(tar, name, handle, size):
    """Add one file as a member, hashing it on the way in; its manifest entry."""
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(datetime.datetime.now().timestamp())
    reader = archive.HashingReader(handle)
    tar.addfile(info, reader)
    return {"name": name, "sha256": reader.sha256.hexdigest(), "size": reader.size}


def _write_tar(path, engine, member, snapshot, named, schema):
    """The plain archive: the database, the evidence files it names, and the manifest last (its hashes
    are known only once everything is in). Returns (evidence files added, ids whose file is missing)."""
    files, missing = [], []
    with tarfile.open(path, "w:gz", compresslevel=6) as tar:
        with open(snapshot, "rb") as handle:
            files.append(_add(tar, member, handle, os.fstat(handle.fileno()).st_size))
        for evidence_id, file_name in named:
            try:
                handle = open(evidence.path_of(file_name), "rb")  # noqa: SIM115 - closed below
            except (FileNotFoundError, ValueError):
                missing.append(evidence_id)
                continue
            with handle:
                files.append(_add(tar, archive.EVIDENCE_FOLDER + file_name, handle,
                                  os.fstat(handle.fileno()).st_size))
        content = archive.manifest_bytes(archive.manifest(engine, schema, files, missing, config.herstel_version()))
        info = tarfile.TarInfo(archive.MANIFEST)
        info.size, info.mode, info.mtime = len(content), 0o600, int(datetime.datetime.now().timestamp())
        tar.addfile(info, _BytesReader(content))
    return len(files) - 1, missing


class _BytesReader:
    def __init__(self, data):
        self._data, self._at = data, 0

    def read(self, size=-1):
        end = len(self._data) if size < 0 else self._at + size
        chunk, self._at = self._data[self._at:end], min(end, len(self._data))
        return chunk


def _put_in_place(plain, target_path, keys):
    """Encrypt (or copy) the plain archive next to the target, make it durable, rename it; its size."""
    directory = os.path.dirname(target_path)
    handle, temporary = tempfile.mkstemp(prefix=".herstel-backup-", suffix=".tmp", dir=directory)
    os.close(handle)
    try:
        os.chmod(temporary, 0o600)  # it holds pupils' data, encrypted or not
        if keys:
            archive.encrypt_file(plain, temporary, keys)
        else:
            shutil.copyfile(plain, temporary)
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(temporary, target_path)
        archive.fsync_directory(directory)
    except OSError as error:
        raise ArchiveError("De reservekopie kon niet worden geschreven: %s. Er is niets opgeslagen."
                           % (error.strerror or error)) from error
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return os.path.getsize(target_path)


# The record of the last backup ------------------------------------------------------------------------

def record(path, made):
    """Remember the backup just made, in a small file beside the data rather than in the database: a
    restore replaces the database with an older one, and that older database would forget this backup
    (or remember one the restored server never made). The file describes this server's backups."""
    content = json.dumps({"made_at": datetime.datetime.now(datetime.timezone.utc).isoformat(), "size": made.size,
                          "encrypted": made.encrypted, "evidence_files": made.evidence_files})
    temporary = path + ".tmp"
    with open(temporary, "w") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


@dataclasses.dataclass(frozen=True)
class LastBackup:
    made_at: datetime.datetime  # UTC, naive like every stored time
    size: int
    encrypted: bool

    def older_than(self, now, days):
        return now - self.made_at > datetime.timedelta(days=days)


def last_backup(path):
    """The last backup this server made, or None (never, or a record nobody can read)."""
    try:
        with open(path) as handle:
            content = json.load(handle)
        made_at = datetime.datetime.fromisoformat(content["made_at"])
        return LastBackup(made_at.astimezone(datetime.timezone.utc).replace(tzinfo=None), int(content["size"]),
                          bool(content.get("encrypted", True)))
    except (OSError, ValueError, KeyError, TypeError):
        return None
