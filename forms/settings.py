"""The school's settings."""
import io
import re
import urllib.parse

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from PIL import Image
from wtforms import BooleanField, IntegerField, PasswordField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from domain import protocols
from forms.admin import CheckboxListField
from forms.common import TrimmedStringField, select_choices
from models import REGIONS, ROLES
from terminology import lazy_term


MAX_LOGO_BYTES = 2 * 1024 * 1024


def logo_png(storage):
    """A logo upload checked by its content and re-encoded as PNG, or a ValidationError in Dutch."""
    data = storage.read(MAX_LOGO_BYTES + 1)
    if len(data) > MAX_LOGO_BYTES:
        raise ValidationError(_("Het logo is te groot (hoogstens 2 MB)."))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("PNG", "JPEG"):
                raise ValidationError(_("Het logo moet een PNG- of JPEG-afbeelding zijn."))
            if not (16 <= image.width <= 4000 and 16 <= image.height <= 4000):
                raise ValidationError(_("Het logo heeft een onmogelijke maat."))
            image.thumbnail((800, 800))
            clean = io.BytesIO()
            image.convert("RGBA").save(clean, "PNG", optimize=True)
    except (OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise ValidationError(_("Dit is geen afbeelding.")) from error
    return clean.getvalue()


class SettingsForm(FlaskForm):
    school_name = TrimmedStringField(_l("Naam van de school"), validators=[
        InputRequired(_l("Vul de naam van de school in.")), Length(max=200, message=_l("Hoogstens 200 tekens."))])
    region = SelectField(_l("Land en termen"), choices=select_choices(REGIONS))
    default_protocol = SelectField(_l("Standaardprotocol voor nieuwe dossiers"))
    # Left empty, the period stays as it is (like the SMTP port, a post without it keeps working).
    retention_months = IntegerField(_l("Bewaartermijn van gesloten dossiers (maanden)"), validators=[
        Optional(), NumberRange(min=1, max=120, message=_l("Kies een bewaartermijn van 1 tot 120 maanden."))])
    logo = FileField(_l("Logo van de school (PNG of JPEG, hoogstens 2 MB)"))
    public_reports_enabled = BooleanField(_l("Meldknop aan: leerlingen en ouders melden via /melden, zonder account"))
    previous_mentor_reads = BooleanField(_l("Vorige %(mentor)s houdt leesrecht na overdracht", mentor=lazy_term("mentor")))
    app_url = TrimmedStringField(_l("Adres van Herstel voor links in e-mails"), validators=[
        Optional(), Length(max=200, message=_l("Hoogstens 200 tekens.")),
        Regexp(r"^https?://[^\s/]+", message=_l("Begin met https:// (bijvoorbeeld https://herstel.school.nl)."))])
    mail_enabled = BooleanField(_l("E-mailberichten versturen"))
    smtp_host = TrimmedStringField(_l("Mailserver (SMTP)"), validators=[Length(max=200, message=_l("Hoogstens 200 tekens."))])
    smtp_port = IntegerField(_l("Poort"), default=587, validators=[
        Optional(),
        NumberRange(min=1, max=65535, message=_l("Een poort ligt tussen 1 en 65535."))])
    smtp_starttls = BooleanField(_l("Versleutelen met STARTTLS"))
    smtp_username = TrimmedStringField(_l("Gebruikersnaam bij de mailserver"), validators=[
        Length(max=200, message=_l("Hoogstens 200 tekens."))])
    mail_sender = TrimmedStringField(_l("Afzender"), validators=[
        Optional(), Length(max=254, message=_l("Hoogstens 254 tekens.")),
        Email(message=_l("Vul een geldig e-mailadres in."), check_deliverability=False)])
    second_factor_roles = CheckboxListField(_l("Tweede factor verplicht voor"),
                                            choices=select_choices(ROLES + (("admin", _l("Beheerders")),)))

    def validate_smtp_host(self, field):
        if self.mail_enabled.data and not field.data:
            raise ValidationError(_("Vul de mailserver in, of zet e-mailberichten uit."))

    def validate_default_protocol(self, field):
        fits = self.protocol_regions.get(field.data) in (self.region.data, protocols.EVERY_REGION)
        if self.region.data in dict(REGIONS) and not fits:
            raise ValidationError(_("Dit protocol is niet voor scholen in %(country)s; kies er een dat daarbij past.",
                                    country=dict(REGIONS)[self.region.data]))

    def validate_logo(self, field):
        self.logo_png = logo_png(field.data) if field.data else None

    def __init__(self, *args, protocols=(), **kwargs):
        """`protocols`: every loaded protocol; the chosen default must fit the chosen country."""
        super().__init__(*args, **kwargs)
        self.default_protocol.choices = [SelectChoice(p.key, p.name) for p in protocols]
        self.protocol_regions = {p.key: p.region for p in protocols}


DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def domain_list(text):
    """The e-mail domains as typed (commas, spaces or lines between them), lower case, or a ValidationError."""
    domains = []
    for part in re.split(r"[\s,;]+", (text or "").strip().lower()):
        part = part.lstrip("@")
        if not part:
            continue
        if not DOMAIN_RE.match(part):
            raise ValidationError(_("%(domain)s is geen domeinnaam. Schrijf domeinen zoals school.nl, gescheiden door "
                                    "komma's.", domain=part[:60]))
        if part not in domains:
            domains.append(part)
    return domains


class SignInProviderForm(FlaskForm):
    """Signing in with the school's accounts (OpenID Connect): the provider and the rules around it."""

    issuer = TrimmedStringField(_l("Uitgever (issuer-URL) van de aanbieder"), validators=[
        Optional(), Length(max=300, message=_l("Hoogstens 300 tekens."))],
        render_kw={"autocapitalize": "none", "spellcheck": "false", "inputmode": "url"})
    client_id = TrimmedStringField(_l("Client-id"), validators=[Length(max=300, message=_l("Hoogstens 300 tekens."))],
                                   render_kw={"autocapitalize": "none", "spellcheck": "false"})
    client_secret = PasswordField(_l("Clientgeheim"), validators=[Length(max=500, message=_l("Hoogstens 500 tekens."))],
                                  render_kw={"autocomplete": "new-password"})
    allowed_domains = TrimmedStringField(_l("Toegestane e-maildomeinen"), validators=[
        Length(max=500, message=_l("Hoogstens 500 tekens."))], render_kw={"autocapitalize": "none", "spellcheck": "false"})
    local_passwords = RadioField(_l("Wie mag inloggen met een wachtwoord van Herstel?"), default="everyone",
                                 choices=select_choices((("everyone", _l("Iedereen")),
                                                         ("admins", _l("Alleen beheerders")))))
    trust_provider_mfa = BooleanField(_l("Een tweede factor bij de aanbieder telt als tweede factor in Herstel"))
    create_accounts = BooleanField(_l("Inloggen met een onbekende schoolaccount maakt een account aan (zonder rol)"))

    def __init__(self, *args, secret_set=False, **kwargs):
        """`secret_set`: a secret is stored, so the field may stay empty (and then keeps it)."""
        super().__init__(*args, **kwargs)
        self.secret_set = secret_set

    def validate_issuer(self, field):
        if not field.data:
            if self.client_id.data or self.client_secret.data:
                raise ValidationError(_("Vul de uitgever in, of maak ook de client-id en het clientgeheim leeg."))
            return
        parts = urllib.parse.urlsplit(field.data)
        local = parts.hostname in ("localhost", "127.0.0.1", "::1")
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
            raise ValidationError(_("Vul een adres in zoals https://login.microsoftonline.com/<tenant-id>/v2.0."))
        if parts.scheme != "https" and not local:
            raise ValidationError(_("De uitgever moet met https:// beginnen."))

    def validate_client_id(self, field):
        if self.issuer.data and not field.data:
            raise ValidationError(_("Vul de client-id in die de aanbieder aan Herstel gaf."))

    def validate_client_secret(self, field):
        if self.issuer.data and not field.data and not self.secret_set:
            raise ValidationError(_("Vul het clientgeheim in dat de aanbieder aan Herstel gaf."))

    def validate_allowed_domains(self, field):
        self.domains = domain_list(field.data)
        if self.issuer.data and not self.domains:
            raise ValidationError(_("Vul minstens één domein in, zoals school.nl: alleen adressen daarvan worden de "
                                    "eerste keer aan een medewerker gekoppeld."))

    def validate_local_passwords(self, field):
        if field.data == "admins" and not self.issuer.data:
            raise ValidationError(_("Zonder schoolaccount moet iedereen met een wachtwoord kunnen inloggen."))
