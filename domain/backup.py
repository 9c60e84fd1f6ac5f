"""A consistent copy of the SQLite database, taken while the app keeps running."""
import os
import sqlite3
import tempfile



class BackupError(Exception):
    """A backup that could not be made; the message is Dutch and meant for the operator."""


def _fsync_directory(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_backup(database_path, target_path, force=False):
    """Copy the database to target_path with SQLite's online backup API; return the copy's size.

    The copy is read from a fresh connection in one step: in WAL mode that is one read
    transaction, a snapshot that writers do not wait for. (Copying page by page would start
    over each time another connection writes, and might never finish on a busy server.)
    It is written to a temporary file beside the target and renamed only when complete and
    checked, so a failed run never leaves half a backup, nor destroys the old one with --force.
    """
    if "://" in database_path:
        raise BackupError("Deze opdracht maakt alleen kopieën van een SQLite-bestand. Deze database staat op "
                          "een PostgreSQL-server: maak de reservekopie met pg_dump, bijvoorbeeld "
                          "pg_dump --format=custom --file=PAD \"$DATABASE_URL\" (terugzetten met pg_restore).")
    if not os.path.isfile(database_path):
        raise BackupError("De database %s bestaat niet." % database_path)
    target_path = os.path.abspath(target_path)
    directory = os.path.dirname(target_path)
    if os.path.isdir(target_path):
        raise BackupError("%s is een map; geef de naam van het bestand voor de reservekopie." % target_path)
    if not os.path.isdir(directory):
        raise BackupError("De map %s bestaat niet." % directory)
    if os.path.exists(target_path) and not force:
        raise BackupError("Het bestand %s bestaat al. Kies een andere naam, of gebruik --force "
                          "om het te overschrijven." % target_path)
    if os.path.realpath(target_path) == os.path.realpath(database_path):
        raise BackupError("De reservekopie kan niet over de database zelf heen.")

    handle, temporary = tempfile.mkstemp(prefix=".herstel-backup-", suffix=".tmp", dir=directory)
    os.close(handle)
    try:
        source = sqlite3.connect(database_path, timeout=30)
        try:
            copy = sqlite3.connect(temporary)
            try:
                source.backup(copy)
                status = copy.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                copy.close()
        finally:
            source.close()
        if status != "ok":
            raise BackupError("De kopie is niet in orde (integrity_check: %s); er is niets opgeslagen." % status)
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        os.chmod(temporary, 0o600)  # it holds pupils' data, like the database itself
        os.replace(temporary, target_path)
        _fsync_directory(directory)
    except sqlite3.Error as error:
        raise BackupError("De reservekopie is mislukt: %s. Er is niets opgeslagen." % error) from error
    except OSError as error:
        raise BackupError("De reservekopie kon niet worden geschreven: %s. Er is niets opgeslagen."
                          % error.strerror) from error
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return os.path.getsize(target_path)
