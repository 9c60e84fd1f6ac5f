"""Logging online evidence, with an uploaded screenshot, photo or saved chat checked by its content.

An upload is judged by what it is, never by its name or the type the browser claims. An
image is decoded and encoded again with Pillow, so only its pixels are kept: whatever was
hidden after or inside it (a script, an archive, camera metadata) is gone. A PDF is read and
written again with pypdf, page by page, leaving out scripts, forms, attachments and actions.
"""
import datetime
import io
import urllib.parse

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from PIL import Image, ImageOps
from pypdf import PdfReader, PdfWriter
from wtforms import DateTimeLocalField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from evidence_files import CleanFile
from forms.common import TrimmedStringField, TrimmedTextAreaField
from models import SCHOOL_TIMEZONE

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
PDF_MAGIC = b"%PDF-"
MAX_SIDE = 20_000          # a long scrolled screenshot of a chat is tall, but not this tall
MAX_PIXELS = 60_000_000
MAX_PDF_PAGES = 200


def clean_upload(data, max_bytes):
    """The upload as a CleanFile, or a ValidationError in Dutch saying why it cannot be kept."""
    if not data:
        raise ValidationError(_("Het bestand is leeg."))
    if len(data) > max_bytes:
        raise ValidationError(_("Het bestand is te groot: hoogstens %(mb)d MB.", mb=max_bytes // (1024 * 1024)))
    if data.startswith(PNG_MAGIC) or data.startswith(JPEG_MAGIC):
        return _clean_image(data)
    if data.startswith(PDF_MAGIC):
        return _clean_pdf(data)
    raise ValidationError(_("Dit bestand is geen PNG, JPEG of PDF. Alleen schermafdrukken, foto's en "
                            "PDF's kunnen bij het bewijs."))


def _clean_image(data):
    unreadable = _("Dit bestand lijkt een afbeelding, maar is beschadigd of geen echte PNG of JPEG.")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ("PNG", "JPEG"):
                raise ValidationError(unreadable)
            width, height = probe.size
            if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
                raise ValidationError(_("Deze afbeelding is te groot (te veel beeldpunten)."))
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.load()
            upright = ImageOps.exif_transpose(image)
        transparent = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
        pixels = upright.convert("RGBA" if transparent and kind == "PNG" else "RGB")
        pixels.info = {}  # no text chunks, colour profiles or camera data: only the pixels go on
        clean = io.BytesIO()
        if kind == "PNG":
            pixels.save(clean, "PNG")
        else:
            pixels.save(clean, "JPEG", quality=92)
    except ValidationError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ValidationError(unreadable) from error
    return CleanFile(clean.getvalue(), "image/png" if kind == "PNG" else "image/jpeg")


def _clean_pdf(data):
    unreadable = _("Deze PDF kan niet worden gelezen. Sla het gesprek opnieuw op als PDF, of maak een "
                   "schermafdruk.")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ValidationError(_("Deze PDF is met een wachtwoord beveiligd en kan niet worden opgeslagen."))
        pages = list(reader.pages)
        if not pages:
            raise ValidationError(unreadable)
        if len(pages) > MAX_PDF_PAGES:
            raise ValidationError(_("Deze PDF heeft te veel pagina's (hoogstens %(pages)d).", pages=MAX_PDF_PAGES))
        writer = PdfWriter()
        for page in pages:
            copied = writer.add_page(page)
            if "/AA" in copied:
                del copied["/AA"]  # actions that run when a page opens or closes
        writer.remove_annotations(subtypes=None)  # links, form fields, attachments, media
        clean = io.BytesIO()
        writer.write(clean)
        if len(PdfReader(io.BytesIO(clean.getvalue())).pages) != len(pages):
            raise ValidationError(unreadable)
    except ValidationError:
        raise
    except Exception as error:  # noqa: BLE001 - pypdf raises many kinds of error on malformed files
        raise ValidationError(unreadable) from error
    return CleanFile(clean.getvalue(), "application/pdf")


def school_time_to_utc(moment):
    """A moment typed in the school's time zone, as stored (naive UTC)."""
    return (moment.replace(tzinfo=SCHOOL_TIMEZONE).astimezone(datetime.timezone.utc).replace(tzinfo=None))


class EvidenceForm(FlaskForm):
    field_prefix = "evidence"  # the case page shows several forms; their field names must not collide
    captured_at = DateTimeLocalField(_l("Datum en precieze tijd"), format=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"],
                                     validators=[InputRequired(_l("Vul de datum en de tijd in."))],
                                     description=_l("Wanneer het bericht of de post verscheen, zo precies mogelijk."),
                                     render_kw={"step": "1"})
    platform = TrimmedStringField(_l("Platform of app"), validators=[
        DataRequired(_l("Vul het platform of de app in, bijvoorbeeld WhatsApp of Instagram.")),
        Length(max=100, message=_l("Hoogstens 100 tekens."))])
    url = TrimmedStringField(_l("Webadres (URL) of e-mailadres"), validators=[
        Length(max=2000, message=_l("Hoogstens 2000 tekens."))])
    usernames = TrimmedStringField(_l("Gebruikersnamen of bijnamen van betrokkenen"), validators=[
        Length(max=500, message=_l("Hoogstens 500 tekens."))])
    description = TrimmedTextAreaField(_l("Wat is er te zien"), validators=[
        DataRequired(_l("Beschrijf wat het bewijs laat zien.")),
        Length(max=5000, message=_l("Hoogstens 5000 tekens."))])
    file = FileField(_l("Schermafdruk, foto of opgeslagen chat (optioneel)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix=self.field_prefix, **kwargs)
        self.clean_file = None
        self.original_name = ""
        max_bytes = current_app.config["EVIDENCE_MAX_BYTES"]
        self.max_mb = max_bytes // (1024 * 1024)
        # The browser checks the size before sending (herstel.js); the server checks it again.
        self.file.render_kw = {"accept": "image/png,image/jpeg,application/pdf,.png,.jpg,.jpeg,.pdf",
                               "data-max-bytes": max_bytes,
                               "data-too-big": _("Het bestand is te groot: hoogstens %(mb)d MB.", mb=self.max_mb)}

    def validate_captured_at(self, field):
        if field.data and school_time_to_utc(field.data) > datetime.datetime.now(datetime.timezone.utc).replace(
                tzinfo=None) + datetime.timedelta(minutes=5):
            raise ValidationError(_("Dit tijdstip ligt in de toekomst."))

    def validate_url(self, field):
        value = field.data
        if not value:
            return
        if any(character.isspace() for character in value):
            raise ValidationError(_("Een webadres of e-mailadres bevat geen spaties."))
        parts = urllib.parse.urlsplit(value)
        if parts.scheme in ("http", "https") and parts.netloc:
            return
        if not parts.scheme and "@" in value and "." in value.rsplit("@", 1)[-1]:
            return
        raise ValidationError(_("Vul een volledig webadres in (beginnend met https://) of een e-mailadres."))

    def validate_file(self, field):
        storage = field.data
        if not storage or not getattr(storage, "filename", None):
            return
        max_bytes = current_app.config["EVIDENCE_MAX_BYTES"]
        self.clean_file = clean_upload(storage.read(max_bytes + 1), max_bytes)
        self.original_name = storage.filename.replace("\\", "/").rsplit("/", 1)[-1][:255]
