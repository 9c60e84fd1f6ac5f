"""Evidence files on disk: outside static/, under random names, written durably, read back by name only.

What may be stored is decided by forms/evidence.py (content checked, images and PDFs
written anew); this module only keeps the clean bytes and finds them again.
"""
import dataclasses
import hashlib
import os
import re
import secrets
import time

from flask import current_app

ORPHAN_AGE = 3600  # seconds: a file this old with no row is left over from a crash, not an upload under way
EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "application/pdf": ".pdf"}
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(png|jpg|pdf)$")


@dataclasses.dataclass(frozen=True)
class CleanFile:
    """File content that passed the checks, ready to store."""

    data: bytes
    content_type: str

    @property
    def sha256(self):
        return hashlib.sha256(self.data).hexdigest()

    @property
    def extension(self):
        return EXTENSIONS[self.content_type]


def directory():
    return current_app.config["EVIDENCE_DIR"]


def path_of(file_name):
    """The path of a stored file; a name that we did not make is refused (no ../ games)."""
    if not file_name or not STORED_NAME.match(file_name):
        raise ValueError("not a stored evidence file name: %r" % file_name)
    return os.path.join(directory(), file_name)


def store(clean):
    """Write the file under a new random name, flushed to disk, and return the name."""
    os.makedirs(directory(), mode=0o700, exist_ok=True)
    file_name = secrets.token_hex(16) + clean.extension
    path = path_of(file_name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(clean.data)
            handle.flush()
            os.fsync(handle.fileno())
        _sync_directory()
    except BaseException:
        remove(file_name)
        raise
    return file_name


def remove(file_name):
    """Delete a stored file (after a failed save, or after its row's deletion committed); a file that is
    already gone is fine."""
    try:
        os.unlink(path_of(file_name))
    except FileNotFoundError:
        pass


def read(file_name):
    with open(path_of(file_name), "rb") as handle:
        return handle.read()


def _sync_directory():
    """Make the new directory entry itself survive a power cut, like the database's synchronous=FULL."""
    fd = os.open(directory(), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_all():
    """Delete every stored evidence file (when the demo database is wiped and built anew)."""
    if not os.path.isdir(directory()):
        return
    for name in os.listdir(directory()):
        if STORED_NAME.match(name):
            remove(name)


def orphans(known_names, older_than=ORPHAN_AGE, now=None):
    """Stored files that no evidence row names and that are older than `older_than` seconds.

    Young files are left alone: an upload writes its file just before its row commits.
    """
    if not os.path.isdir(directory()):
        return []
    now = time.time() if now is None else now
    found = []
    for name in sorted(os.listdir(directory())):
        if not STORED_NAME.match(name) or name in known_names:
            continue
        try:
            age = now - os.stat(path_of(name)).st_mtime
        except FileNotFoundError:
            continue
        if age > older_than:
            found.append(name)
    return found
