"""The access request form: for whom, when asked, which format, and which evidence files go along."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from db import today
from forms.admin import CheckboxListField
from forms.common import TrimmedStringField, TrimmedTextAreaField

FIRST_YEAR = 2000


class AccessRequestForm(FlaskForm):
    """One pupil's file for a parent or a pupil of 16 or older."""

    for_whom = RadioField(_l("Voor wie is het overzicht?"), choices=[
        SelectChoice("parent", _l("Ouder of verzorger")),
        SelectChoice("pupil", _l("De leerling zelf (16 jaar of ouder)"))],
        validators=[InputRequired(_l("Kies voor wie het overzicht is."))],
        validate_choice=False)  # an unknown value gets the message of validate_for_whom
    requester_name = TrimmedStringField(_l("Naam van wie het verzoek deed"), validators=[
        InputRequired(_l("Vul de naam in van wie om inzage vroeg.")),
        Length(max=200, message=_l("Hoogstens 200 tekens."))])
    requested_on = DateField(_l("Verzoek ontvangen op"), default=today,
                             validators=[InputRequired(_l("Vul de datum in waarop het verzoek binnenkwam."))])
    file_format = RadioField(_l("Vorm"), default="pdf", choices=[
        SelectChoice("pdf", _l("Alleen een PDF")), SelectChoice("zip", _l("ZIP met de PDF en de bewijsbestanden"))],
        validators=[InputRequired(_l("Kies een vorm."))], validate_choice=False)
    # A value that is no file of the pupil's gets validate_evidence's message (not WTForms' English one).
    evidence = CheckboxListField(_l("Bewijsbestanden die meegaan in de ZIP"), validate_choice=False,
                                 coerce=lambda value: int(value) if str(value).isdigit() else -1)
    reviewed = BooleanField(
        _l("Ik heb de aangevinkte bestanden bekeken: wat erop staat mag de aanvrager zien."))
    note = TrimmedTextAreaField(_l("Korte opmerking (komt op het voorblad)"), validators=[
        Length(max=1000, message=_l("Hoogstens 1.000 tekens."))])

    def __init__(self, *args, pupil=None, evidence_items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.pupil = pupil
        self.evidence_items = list(evidence_items)
        self.evidence.choices = [SelectChoice(item.id, item.description or item.original_name or str(item.id))
                                 for item in self.evidence_items]

    def validate_for_whom(self, field):
        if field.data not in ("parent", "pupil"):
            raise ValidationError(_("Kies voor wie het overzicht is."))
        birth = self.pupil.date_of_birth if self.pupil else None
        on = self.requested_on.data or today()
        age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day)) if birth else None
        if field.data == "pupil" and age is not None and age < 16:
            raise ValidationError(_("Deze leerling is nog geen 16: een ouder of verzorger vraagt inzage namens de "
                                    "leerling."))

    def validate_requested_on(self, field):
        if field.data is None:
            return
        if field.data > today():
            raise ValidationError(_("Deze datum ligt in de toekomst."))
        if field.data.year < FIRST_YEAR:
            raise ValidationError(_("Kies een datum na %(year)d.", year=FIRST_YEAR))

    def validate_file_format(self, field):
        if field.data not in ("pdf", "zip"):
            raise ValidationError(_("Kies een vorm."))

    def validate_evidence(self, field):
        known = {item.id for item in self.evidence_items}
        if any(value not in known for value in field.data or []):
            raise ValidationError(_("Een gekozen bestand hoort niet bij deze leerling."))

    def validate_reviewed(self, field):
        if self.file_format.data == "zip" and self.evidence.data and not field.data:
            raise ValidationError(_("Bekijk de aangevinkte bestanden en bevestig dat de aanvrager ze mag zien, of "
                                    "vink ze uit."))

    def chosen_evidence(self):
        """The ticked evidence items (none in a PDF-only export)."""
        if self.file_format.data != "zip":
            return []
        chosen = set(self.evidence.data or [])
        return [item for item in self.evidence_items if item.id in chosen]
