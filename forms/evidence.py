"""Logging online evidence, with an uploaded screenshot, photo or saved chat checked by its
content (domain.evidence.clean_upload)."""
import datetime
import urllib.parse

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateTimeLocalField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from db import school_time_to_utc
from domain.evidence import UploadRefused, clean_upload
from forms.common import TrimmedStringField, TrimmedTextAreaField

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
        try:
            self.clean_file = clean_upload(storage.read(max_bytes + 1), max_bytes)
        except UploadRefused as refusal:
            raise ValidationError(str(refusal)) from refusal
        self.original_name = storage.filename.replace("\\", "/").rsplit("/", 1)[-1][:255]
