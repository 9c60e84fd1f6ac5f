"""Evidence files: judged by their content, stored outside static/ under random names, written
durably, read back by name only.

An upload is judged by what it is, never by its name or the type the browser claims. An
image is decoded and encoded again with Pillow, so only its pixels are kept: whatever was
hidden after or inside it (a script, an archive, camera metadata) is gone. A PDF is read and
written again with pypdf, page by page, leaving out scripts, forms, attachments and actions.
"""
import contextlib
import dataclasses
import fcntl
import hashlib
import io
import os
import re
import secrets
import time

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from PIL import Image, ImageOps
from pypdf import PdfReader, PdfWriter

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


class UploadRefused(Exception):
    """An upload that cannot be kept; the message says why, for the user."""


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
PDF_MAGIC = b"%PDF-"
MAX_SIDE = 20_000          # a long scrolled screenshot of a chat is tall, but not this tall
# Decoding costs memory and time by the pixel, whatever the file's size: a 7 KB PNG can claim
# 60 million pixels. The limit is read from the header, before anything is decoded. 40 million
# holds a phone's photo (12 to 24 million, or 48 in its "high resolution" mode at a reduced
# size) and a scrolled screenshot 1,440 pixels wide and 20,000 tall (29 million); decoding one
# at the limit takes about 160 MB and a second or two.
MAX_PIXELS = 40_000_000
MAX_PDF_PAGES = 200
# What the evidence PDF prints an image in: 174 x 120 mm at 300 dpi. More pixels do not show on paper.
PRINT_BOX = (2055, 1417)


def clean_upload(data, max_bytes):
    """The upload as a CleanFile, or UploadRefused saying (in the user's language) why it cannot be kept."""
    if not data:
        raise UploadRefused(_("Het bestand is leeg."))
    if len(data) > max_bytes:
        raise UploadRefused(_("Het bestand is te groot: hoogstens %(mb)d MB.", mb=max_bytes // (1024 * 1024)))
    if data.startswith(PNG_MAGIC) or data.startswith(JPEG_MAGIC):
        return _clean_image(data)
    if data.startswith(PDF_MAGIC):
        return _clean_pdf(data)
    raise UploadRefused(_("Dit bestand is geen PNG, JPEG of PDF. Alleen schermafdrukken, foto's en "
                            "PDF's kunnen bij het bewijs."))


def _clean_image(data):
    unreadable = _("Dit bestand lijkt een afbeelding, maar is beschadigd of geen echte PNG of JPEG.")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ("PNG", "JPEG"):
                raise UploadRefused(unreadable)
            width, height = probe.size
            if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
                raise UploadRefused(_(
                    "Deze afbeelding is te groot: %(width)d × %(height)d beeldpunten. Het kan tot %(millions)d "
                    "miljoen beeldpunten en %(side)s per zijde. Verklein de foto of maak een schermafdruk.",
                    width=width, height=height, millions=MAX_PIXELS // 1_000_000,
                    side=format_decimal(MAX_SIDE)))
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.load()
            # Turned and converted in place where it can be: at the limit each copy is another 120 MB.
            ImageOps.exif_transpose(image, in_place=True)
            transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            mode = "RGBA" if transparent and kind == "PNG" else "RGB"
            pixels = image if image.mode == mode and "transparency" not in image.info else image.convert(mode)
            pixels.info = {}  # no text chunks, colour profiles or camera data: only the pixels go on
            clean = io.BytesIO()
            if kind == "PNG":
                pixels.save(clean, "PNG")
            else:
                pixels.save(clean, "JPEG", quality=92)
    except UploadRefused:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise UploadRefused(unreadable) from error
    return CleanFile(clean.getvalue(), "image/png" if kind == "PNG" else "image/jpeg")


def _clean_pdf(data):
    unreadable = _("Deze PDF kan niet worden gelezen. Sla het gesprek opnieuw op als PDF, of maak een "
                   "schermafdruk.")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise UploadRefused(_("Deze PDF is met een wachtwoord beveiligd en kan niet worden opgeslagen."))
        pages = list(reader.pages)
        if not pages:
            raise UploadRefused(unreadable)
        if len(pages) > MAX_PDF_PAGES:
            raise UploadRefused(_("Deze PDF heeft te veel pagina's (hoogstens %(pages)d).", pages=MAX_PDF_PAGES))
        writer = PdfWriter()
        for page in pages:
            # Taken off the page before it is copied, so that what they point to is never copied
            # either (removed afterwards, it stayed behind in the file as an unreferenced object):
            # actions that run when a page opens or closes, and links, form fields, attachments, media.
            for key in ("/AA", "/Annots"):
                if key in page:
                    del page[key]
            writer.add_page(page)
        clean = io.BytesIO()
        writer.write(clean)
        if len(PdfReader(io.BytesIO(clean.getvalue())).pages) != len(pages):
            raise UploadRefused(unreadable)
    except UploadRefused:
        raise
    except Exception as error:  # noqa: BLE001 - pypdf raises many kinds of error on malformed files
        raise UploadRefused(unreadable) from error
    return CleanFile(clean.getvalue(), "application/pdf")


def print_copy(data, budget):
    """A stored image as small as the evidence PDF prints it (JPEG bytes within PRINT_BOX), and the
    pixels decoded to make it; (None, 0) when that would take more than `budget` pixels.

    A JPEG is decoded straight at a fraction of its size (1/2, 1/4, 1/8) where that still fills the
    box; a PNG must be decoded whole.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            scale = min(PRINT_BOX[0] / image.width, PRINT_BOX[1] / image.height, 1)
            image.draft("RGB", (max(1, int(image.width * scale)), max(1, int(image.height * scale))))
            decoded = image.width * image.height
            if decoded > budget:
                return None, 0
            image.thumbnail(PRINT_BOX)
            if image.mode != "RGB":  # transparency printed on white paper
                image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image.convert("RGBA"))
            printed = io.BytesIO()
            image.convert("RGB").save(printed, "JPEG", quality=90)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None, 0
    return printed.getvalue(), decoded


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


def _backup_lock():
    """The lock file beside the evidence folder (`evidence.backup-lock`), outside what a backup copies."""
    path = os.path.normpath(directory()) + ".backup-lock"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return open(path, "a")


@contextlib.contextmanager
def removals_held():
    """While a backup takes its snapshot and copies the files that snapshot names, no file leaves the
    folder: a row deleted after the snapshot would otherwise take away a file the snapshot still names.

    Removals that come meanwhile leave their file behind (`remove` returns False); no row names it any
    more, so nobody is served it, and `flask retention` clears it with the other orphans.
    """
    with _backup_lock() as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # waits for removals under way, which take a moment
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def remove(file_name):
    """Delete a stored file (after a failed save, or after its row's deletion committed); a file that is
    already gone is fine. Returns False when a backup is copying files and the file was left for later."""
    path = path_of(file_name)
    with _backup_lock() as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
    return True


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
