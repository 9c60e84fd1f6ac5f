"""What a backup archive is: its layout and manifest, the age encryption around it, the school's key,
and the PostgreSQL tools that dump and load a database server's copy.

An archive is a gzipped tar file holding

    database/herstel.db      the SQLite snapshot (or database/herstel.dump: pg_dump's custom format)
    evidence/<name>          every evidence file that snapshot refers to, under its stored name
    manifest.json            each file's SHA-256 and size, the schema version (the migrations applied
                             in the snapshot), the Herstel version and the time; written last

encrypted with age (https://age-encryption.org, through pyrage) for one or more public keys. The
server holds only the public key; the secret key that opens the archive stays with the school, so
a copy of the server's disk, or of the backup disk, reads nothing. The archive is age's own format:
`age --decrypt -i key.txt archive | tar -xz` opens it without Herstel.
"""
import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import urllib.parse

import pyrage
from pyrage import passphrase as age_passphrase
from pyrage import x25519

from domain import evidence

FORMAT = "herstel-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/herstel.db"
POSTGRES_MEMBER = "database/herstel.dump"
EVIDENCE_FOLDER = "evidence/"
AGE_MAGIC = b"age-encryption.org/v1\n"
GZIP_MAGIC = b"\x1f\x8b"
CHUNK = 1024 * 1024

INSTALL_POSTGRES_CLIENT = ("installeer het Debian-pakket postgresql-client (apt-get install postgresql-client), "
                           "van dezelfde versie als de databaseserver of nieuwer")


class ArchiveError(Exception):
    """A backup or restore that cannot go on; the message (Dutch, for the operator at the command line)
    says why and what to do."""


def member_allowed(name):
    """True for the only names an archive may hold: no folders, no paths of our own making."""
    if name in (MANIFEST, SQLITE_MEMBER, POSTGRES_MEMBER):
        return True
    return name.startswith(EVIDENCE_FOLDER) and bool(evidence.STORED_NAME.match(name[len(EVIDENCE_FOLDER):]))


def manifest(engine, schema, files, missing_evidence, version):
    """The manifest's content: what is in the archive and what made it."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "made_at": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        "herstel_version": version,
        "database": engine,
        "schema": list(schema),
        "files": files,
        "missing_evidence": sorted(missing_evidence),
    }


def manifest_bytes(content):
    return (json.dumps(content, indent=2, sort_keys=True) + "\n").encode("utf-8")


class HashingReader:
    """A file read through once, counting and hashing what passes (tarfile reads members this way)."""

    def __init__(self, handle):
        self._handle = handle
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, size=-1):
        data = self._handle.read(size)
        self.sha256.update(data)
        self.size += len(data)
        return data


# The school's key -----------------------------------------------------------------------------------

def recipients(configured):
    """The age public keys of HERSTEL_BACKUP_RECIPIENT (separated by commas or spaces), or [] when none."""
    keys = configured.replace(",", " ").split()
    found = []
    for key in keys:
        try:
            found.append(x25519.Recipient.from_str(key))
        except pyrage.RecipientError:
            raise ArchiveError("HERSTEL_BACKUP_RECIPIENT bevat %r, en dat is geen publieke sleutel van age "
                               "(die begint met age1). Maak een sleutelpaar met 'flask --app app backup-key "
                               "PAD' en zet de publieke sleutel die het toont in HERSTEL_BACKUP_RECIPIENT."
                               % key[:80]) from None
    return found


NO_KEY = ("Er is geen sleutel ingesteld voor de reservekopie: zonder sleutel zou hij de gegevens van de "
          "leerlingen leesbaar op de backupschijf zetten. Maak eenmalig een sleutelpaar met 'flask --app app "
          "backup-key /veilige/plek/herstel-backup-sleutel.txt', bewaar dat bestand buiten deze server, en zet "
          "de publieke sleutel die het toont in de omgeving van de dienst: HERSTEL_BACKUP_RECIPIENT=age1... "
          "(zie README, 'Reservekopie en terugzetten'). Wie toch onversleuteld wil, geeft --unencrypted mee.")


def new_key(path, passphrase=""):
    """Write a new secret key to path (mode 0600, never over an existing file), protected by the
    passphrase when one is given; return the public key that goes into HERSTEL_BACKUP_RECIPIENT."""
    identity = x25519.Identity.generate()
    public = str(identity.to_public())
    # ASCII only: age and rage read this file too (comments are lines that start with #).
    text = ("# Herstel: secret key of the backups, made %s\n# public key: %s\n%s\n"
            % (datetime.date.today().isoformat(), public, identity)).encode("ascii")
    if passphrase:
        text = age_passphrase.encrypt(text, passphrase)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ArchiveError("%s bestaat al. Een bestaande sleutel wordt nooit overschreven: zonder die sleutel "
                           "zijn de reservekopieën die ermee gemaakt zijn onleesbaar. Kies een andere naam."
                           % path) from None
    except OSError as error:
        raise ArchiveError("De sleutel kon niet worden geschreven naar %s: %s." % (path, error.strerror)) from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    return public


def key_needs_passphrase(path):
    """True when the secret key file is itself protected with a passphrase."""
    return _read_key_file(path).startswith(AGE_MAGIC)


def _read_key_file(path):
    try:
        with open(path, "rb") as handle:
            return handle.read(64 * 1024)
    except OSError as error:
        raise ArchiveError("Het sleutelbestand %s kan niet worden gelezen: %s. Geef het bestand met de geheime "
                           "sleutel (gemaakt met flask backup-key) met --key-file." % (path, error.strerror)) from None


def identities(path, passphrase=""):
    """The secret keys in the key file (opening it with the passphrase when it is protected by one)."""
    data = _read_key_file(path)
    if data.startswith(AGE_MAGIC):
        try:
            data = age_passphrase.decrypt(data, passphrase)
        except pyrage.DecryptError:
            raise ArchiveError("De wachtwoordzin van het sleutelbestand %s klopt niet. Er is niets veranderd."
                               % path) from None
    found = []
    for line in data.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line.startswith("AGE-SECRET-KEY-"):
            try:
                found.append(x25519.Identity.from_str(line))
            except pyrage.IdentityError:
                raise ArchiveError("Het sleutelbestand %s bevat een beschadigde geheime sleutel." % path) from None
    if not found:
        raise ArchiveError("%s bevat geen geheime sleutel van age (een regel die begint met AGE-SECRET-KEY-). "
                           "Geef het bestand dat flask backup-key maakte." % path)
    return found


def encrypt_file(source, target, keys):
    """Encrypt the file source into target for the public keys."""
    with open(source, "rb") as reader, open(target, "wb") as writer:
        pyrage.encrypt_io(reader, writer, keys)


def decrypt_file(source, target, keys):
    """Decrypt source into target; ArchiveError when the key does not fit or the archive is damaged.

    age checks every 64 KiB chunk and the end of the stream, so a damaged or cut-off archive fails here;
    what was written before the failure is in target, which the caller throws away.
    """
    try:
        with open(source, "rb") as reader, open(target, "wb") as writer:
            pyrage.decrypt_io(reader, writer, keys)
    except pyrage.DecryptError:
        raise ArchiveError("Dit archief gaat met deze sleutel niet open: de sleutel hoort niet bij dit archief, "
                           "of het begin van het archief is beschadigd. Gebruik het sleutelbestand waarvan de "
                           "publieke sleutel in HERSTEL_BACKUP_RECIPIENT stond toen het archief werd gemaakt, "
                           "of een andere reservekopie. Er is niets veranderd.") from None
    except OSError:
        raise ArchiveError("Dit archief is beschadigd of afgebroken (de versleutelde inhoud klopt niet). Neem een "
                           "andere reservekopie. Er is niets veranderd.") from None


# PostgreSQL's own tools ------------------------------------------------------------------------------

def postgres_tool(name):
    """The path of pg_dump, pg_restore or psql, or ArchiveError saying what to install."""
    path = shutil.which(name)
    if not path:
        raise ArchiveError("%s ontbreekt op deze machine, en Herstel heeft het nodig voor een database op een "
                           "PostgreSQL-server: %s. Er is niets veranderd." % (name, INSTALL_POSTGRES_CLIENT))
    return path


def postgres_connection(url):
    """(the database as libpq reads it without the password, the environment with PGPASSWORD): the
    password never appears on a command line, where every user of the machine could read it."""
    parts = urllib.parse.urlsplit(url)
    environment = dict(os.environ)
    if parts.password is not None:
        environment["PGPASSWORD"] = urllib.parse.unquote(parts.password)
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = "[%s]" % netloc
    if parts.username:
        netloc = parts.username + "@" + netloc
    if parts.port:
        netloc += ":%d" % parts.port
    return urllib.parse.urlunsplit(("postgresql", netloc, parts.path, parts.query, "")), environment


def run_tool(command, environment, what):
    """Run a PostgreSQL tool; ArchiveError with its own complaint (a few lines of it) when it fails."""
    result = subprocess.run(command, env=environment, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, check=False)
    if result.returncode != 0:
        raise ArchiveError("%s is mislukt (%s): %s" % (what, os.path.basename(command[0]),
                                                       " / ".join(_complaint(result.stderr))))


def _complaint(stderr):
    """The tool's error lines, without the lines in which PostgreSQL quotes the data it choked on (a row of
    a COPY, a key's value): a pupil's name must not end up in a cron mail."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    kept = [line for line in lines if not re.search(r"\b(DETAIL|CONTEXT|LINE \d+|HINT):", line)]
    return [line[:300] for line in kept[-3:]] or ["(geen melding)"]


def fsync_directory(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
