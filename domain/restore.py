"""`flask restore ARCHIVE`: check a backup completely, then put it in place of the current data, which is
kept aside under a name with the time, and bring its schema up to date.

Nothing is touched before the archive has been decrypted, every file's SHA-256 and size match the
manifest, the database passed its own check (SQLite's integrity_check; for PostgreSQL, pg_restore read
every part of the dump) and every evidence file the database names is there. All that happens in a
folder beside the data, which is removed afterwards, whatever the outcome.
"""
import dataclasses
import datetime
import gzip
import json
import os
import pathlib
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib

from db import SCHOOL_TIMEZONE, close_all_connections, db, migrate_database, migration_names
from domain import archive
from domain.archive import ArchiveError
from models import AuditEvent

NOTHING_CHANGED = "Er is niets veranderd."


@dataclasses.dataclass(frozen=True)
class Restored:
    made_at: str  # when the backup was made, as its manifest says
    evidence_files: int
    migrations_applied: list
    aside: list  # where the data that was in place now is


def open_archive(path, staging, key_file=None, ask_passphrase=str):
    """Decrypt (when encrypted) and unpack the archive into staging, checking everything; the manifest.

    key_file names the secret key; ask_passphrase() is called for the passphrase of a key file that is
    protected by one.
    """
    try:
        with open(path, "rb") as handle:
            start = handle.read(len(archive.AGE_MAGIC))
    except OSError as error:
        raise ArchiveError("Het archief %s kan niet worden gelezen: %s. %s" % (path, error.strerror,
                                                                            NOTHING_CHANGED)) from None
    if start.startswith(archive.AGE_MAGIC):
        if not key_file:
            raise ArchiveError("Dit archief is versleuteld. Geef het bestand met de geheime sleutel: --key-file PAD "
                               "(of HERSTEL_BACKUP_IDENTITY=PAD in de omgeving). " + NOTHING_CHANGED)
        plain = os.path.join(staging, "archive.tar.gz")
        passphrase = ask_passphrase() if archive.key_needs_passphrase(key_file) else ""
        archive.decrypt_file(path, plain, archive.identities(key_file, passphrase))
    elif start.startswith(archive.GZIP_MAGIC):
        plain = path
    else:
        raise ArchiveError("%s is geen reservekopie van Herstel (geen versleuteld archief van age, en ook geen "
                           "onversleuteld). Kies het bestand dat flask backup maakte. %s" % (path, NOTHING_CHANGED))
    files = os.path.join(staging, "files")
    os.mkdir(files, 0o700)
    found = _unpack(plain, files)
    if plain != path:
        os.unlink(plain)
    return _checked(found, files)


DAMAGED = ("Het archief is beschadigd of afgebroken (%s). Neem een andere reservekopie. " + NOTHING_CHANGED)


def _unpack(plain, files):
    """Unpack every member into files, refusing anything that is not a plain file with an expected name;
    {name: (sha256, size)} of what was unpacked."""
    found = {}
    try:
        with tarfile.open(plain, "r:gz") as tar:
            for member in tar:
                if not member.isreg() or not archive.member_allowed(member.name) or member.name in found:
                    raise ArchiveError("Het archief bevat %r, en dat hoort niet in een reservekopie van Herstel. "
                                       "%s" % (member.name[:100], NOTHING_CHANGED))
                found[member.name] = _unpack_member(tar, member, os.path.join(files, member.name))
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise ArchiveError(DAMAGED % error) from None
    return found


def _unpack_member(tar, member, target):
    reader = archive.HashingReader(tar.extractfile(member))
    try:
        os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
        with open(target, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            while chunk := reader.read(archive.CHUNK):
                handle.write(chunk)
    except OSError as error:
        if isinstance(error, gzip.BadGzipFile):
            raise
        raise ArchiveError("Het archief kon niet worden uitgepakt in %s: %s (is de schijf vol?). %s" % (
            os.path.dirname(os.path.dirname(target)), error.strerror or error, NOTHING_CHANGED)) from None
    return reader.sha256.hexdigest(), reader.size


def _checked(found, files):
    """The manifest, once every file in it is in the archive with its size and hash, and nothing else."""
    if archive.MANIFEST not in found:
        raise ArchiveError(DAMAGED % "de inhoudsopgave ontbreekt")
    try:
        with open(os.path.join(files, archive.MANIFEST), "rb") as handle:
            manifest = json.load(handle)
        listed = {entry["name"]: (entry["sha256"], entry["size"]) for entry in manifest["files"]}
        engine, schema = manifest["database"], list(manifest["schema"])
    except (ValueError, KeyError, TypeError) as error:
        raise ArchiveError(DAMAGED % ("de inhoudsopgave is onleesbaar: %s" % error)) from None
    if manifest.get("format") != archive.FORMAT or manifest.get("format_version") != archive.FORMAT_VERSION:
        raise ArchiveError("Dit archief heeft een indeling die deze versie van Herstel niet kent (%s %s). Werk "
                           "Herstel bij. %s" % (manifest.get("format"), manifest.get("format_version"),
                                                NOTHING_CHANGED))
    del found[archive.MANIFEST]
    for name in sorted(set(listed) | set(found)):
        if name not in found:
            raise ArchiveError(DAMAGED % ("%s ontbreekt" % name))
        if name not in listed:
            raise ArchiveError(DAMAGED % ("%s staat niet in de inhoudsopgave" % name))
        if found[name] != tuple(listed[name]):
            raise ArchiveError(DAMAGED % ("de SHA-256 van %s klopt niet" % name))
    member = archive.SQLITE_MEMBER if engine == "sqlite" else archive.POSTGRES_MEMBER
    if member not in found:
        raise ArchiveError(DAMAGED % "de database ontbreekt")
    unknown = sorted(set(schema) - set(migration_names()))
    if unknown:
        raise ArchiveError("Deze reservekopie is gemaakt door een nieuwere versie van Herstel (migraties %s). Werk "
                           "Herstel eerst bij naar die versie of later. %s" % (", ".join(unknown), NOTHING_CHANGED))
    return manifest


def check_sqlite(files, manifest):
    """The SQLite snapshot passes integrity_check, has the schema the manifest says, and every evidence
    file it names is in the archive (or listed as missing when the backup was made)."""
    path = os.path.join(files, archive.SQLITE_MEMBER)
    try:
        connection = sqlite3.connect(pathlib.Path(path).as_uri() + "?mode=ro", uri=True)
        try:
            status = connection.execute("PRAGMA integrity_check").fetchone()[0]
            schema = [name for (name,) in connection.execute("SELECT name FROM schema_migration ORDER BY name")]
            named = connection.execute("SELECT id, file_name FROM evidence WHERE file_name IS NOT NULL").fetchall()
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise ArchiveError(DAMAGED % ("de database is onleesbaar: %s" % error)) from None
    if status != "ok":
        raise ArchiveError(DAMAGED % ("de database is niet in orde: integrity_check %s" % status))
    _check_schema_and_files(schema, named, files, manifest)


def _check_schema_and_files(schema, named, files, manifest):
    if schema != sorted(manifest["schema"]):
        raise ArchiveError(DAMAGED % "de database heeft een ander schema dan de inhoudsopgave zegt")
    missing = set(manifest.get("missing_evidence") or ())
    absent = [evidence_id for evidence_id, file_name in named if evidence_id not in missing
              and not os.path.isfile(os.path.join(files, archive.EVIDENCE_FOLDER, file_name))]
    if absent:
        raise ArchiveError(DAMAGED % ("bewijsbestanden van bewijsregel(s) %s ontbreken"
                                      % ", ".join(map(str, sorted(absent)[:10]))))


def check_postgres(files, manifest):
    """pg_restore reads the whole dump (every table's data decompressed); the dump's schema is the one the
    manifest says, and every evidence file its rows name is in the archive."""
    pg_restore = archive.postgres_tool("pg_restore")
    archive.postgres_tool("psql")
    dump = os.path.join(files, archive.POSTGRES_MEMBER)
    try:
        archive.run_tool([pg_restore, "--file=/dev/null", dump], dict(os.environ), "Het lezen van de dump")
        schema = sorted(row["name"] for row in _dump_rows(pg_restore, dump, "schema_migration"))
        named = [(int(row["id"]), row["file_name"]) for row in _dump_rows(pg_restore, dump, "evidence")
                 if row["file_name"] is not None]
    except ArchiveError as error:
        raise ArchiveError(DAMAGED % error) from None
    _check_schema_and_files(schema, named, files, manifest)


def _dump_rows(pg_restore, dump, table):
    """A table's rows in the dump, as {column: text or None}, read from the COPY that pg_restore writes."""
    result = subprocess.run([pg_restore, "--data-only", "--table=" + table, "--file=-", dump],
                            capture_output=True, check=False)
    if result.returncode != 0:
        raise ArchiveError("pg_restore kon de tabel %s niet lezen" % table)
    rows, columns = [], None
    for line in result.stdout.decode("utf-8").split("\n"):
        if columns is None:
            if line.startswith("COPY "):
                columns = [name.strip().strip('"') for name in line[line.index("(") + 1:line.index(")")].split(",")]
            continue
        if line == "\\.":
            break
        rows.append({name: (None if value == "\\N" else value) for name, value in zip(columns, line.split("\t"))})
    return rows


def stamp(now=None):
    """The time in names of what is kept aside: the school's clock, to the second."""
    now = now or datetime.datetime.now(SCHOOL_TIMEZONE)
    return now.strftime("%Y%m%d-%H%M%S")


class _Moves:
    """Renames done so far, undone in reverse when a later step fails."""

    def __init__(self):
        self.done = []

    def move(self, source, target):
        if os.path.lexists(target):
            raise ArchiveError("%s bestaat al; haal het weg of wacht een seconde. %s" % (target, NOTHING_CHANGED))
        shutil.move(source, target)
        self.done.append((source, target))

    def undo(self):
        for source, target in reversed(self.done):
            shutil.move(target, source)
        self.done = []


def restore(settings, archive_path, lock, key_file=None, ask_passphrase=str):
    """Check the archive, then put it in place of the current database and evidence files (kept aside),
    and apply newer migrations. `lock` is this process's RunningLock: the restore needs it alone."""
    database, evidence_dir = settings["DATABASE"], os.path.normpath(settings["EVIDENCE_DIR"])
    postgres = "://" in database
    with lock.alone():
        data_dir = os.path.dirname(evidence_dir)  # the staged evidence folder is renamed into place
        os.makedirs(data_dir, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=".herstel-restore-", dir=data_dir)
        try:
            manifest = open_archive(archive_path, staging, key_file, ask_passphrase)
            files = os.path.join(staging, "files")
            if (manifest["database"] == "postgresql") != postgres:
                raise ArchiveError(
                    "Deze reservekopie is van een %s-database en deze installatie gebruikt %s. Een reservekopie "
                    "gaat terug op dezelfde soort database; verhuizen gaat met flask export en flask import. %s"
                    % (_engine_name(manifest["database"]), _engine_name("postgresql" if postgres else "sqlite"),
                       NOTHING_CHANGED))
            if postgres:
                check_postgres(files, manifest)
            else:
                check_sqlite(files, manifest)
            staged_evidence = os.path.join(files, archive.EVIDENCE_FOLDER)
            os.makedirs(staged_evidence, mode=0o700, exist_ok=True)
            when = stamp()
            close_all_connections()
            if postgres:
                aside = _replace_postgres(database, files, staged_evidence, evidence_dir, when)
            else:
                aside = _replace_sqlite(database, files, staged_evidence, evidence_dir, when)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        applied = migrate_database()
        with db.atomic():
            AuditEvent.append(action="backup.restore", username="cli", detail=(
                "reservekopie van %s teruggezet; %d bewijsbestanden; migraties toegepast: %s" % (
                    manifest["made_at"], len(manifest["files"]) - 1, ", ".join(applied) or "geen")))
        close_all_connections()
    return Restored(manifest["made_at"], len(manifest["files"]) - 1, applied, aside)


def _engine_name(engine):
    return "PostgreSQL" if engine == "postgresql" else "SQLite"


def _replace_sqlite(database, files, staged_evidence, evidence_dir, when):
    """Move the database (with its -wal and -shm: a log of the old database must never be replayed onto
    the restored one) and the evidence folder aside, then the staged ones into place."""
    moves = _Moves()
    aside_database = "%s.before-restore-%s" % (database, when)
    aside_evidence = "%s.before-restore-%s" % (evidence_dir, when)
    try:
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(database + suffix):
                moves.move(database + suffix, aside_database + suffix)
        if os.path.exists(evidence_dir):
            moves.move(evidence_dir, aside_evidence)
        moves.move(os.path.join(files, archive.SQLITE_MEMBER), database)
        moves.move(staged_evidence, evidence_dir)
        for path in {os.path.dirname(os.path.abspath(database)), os.path.dirname(evidence_dir)}:
            archive.fsync_directory(path)
    except BaseException:
        moves.undo()
        raise
    return [path for path in (aside_database, aside_evidence) if os.path.exists(path)]


def _replace_postgres(url, files, staged_evidence, evidence_dir, when):
    """Keep the current database aside as a dump beside the evidence folder, move that folder aside and the
    staged one in, then replace every table in one transaction (psql --single-transaction): a failure
    leaves the database as it was, and the evidence folders are moved back."""
    pg_dump, pg_restore, psql = (archive.postgres_tool(name) for name in ("pg_dump", "pg_restore", "psql"))
    uri, environment = archive.postgres_connection(url)
    aside_database = "%s.before-restore-%s.dump" % (evidence_dir, when)
    aside_evidence = "%s.before-restore-%s" % (evidence_dir, when)
    archive.run_tool([pg_dump, "--format=custom", "--file=" + aside_database, "--dbname=" + uri], environment,
                     "Het opzijzetten van de huidige database (" + NOTHING_CHANGED + ")")
    os.chmod(aside_database, 0o600)
    script = os.path.join(files, "restore.sql")
    archive.run_tool([pg_restore, "--no-owner", "--no-privileges", "--file=" + script,
                      os.path.join(files, archive.POSTGRES_MEMBER)], environment, "Het lezen van de dump")
    moves = _Moves()
    try:
        if os.path.exists(evidence_dir):
            moves.move(evidence_dir, aside_evidence)
        moves.move(staged_evidence, evidence_dir)
        archive.fsync_directory(os.path.dirname(evidence_dir))
        clean = os.path.join(files, "clean.sql")
        with open(clean, "w") as handle:
            handle.write("DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n")
        archive.run_tool([psql, "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction",
                          "--file=" + clean, "--file=" + script, "--dbname=" + uri], environment,
                         "Het terugzetten van de database (de database is ongewijzigd)")
    except BaseException:
        moves.undo()
        raise
    return [path for path in (aside_database, aside_evidence) if os.path.exists(path)]
