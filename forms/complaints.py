"""The confidential counsellor's forms: intake, status, advice, the committee, a private note."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from db import today
from domain import complaints
from forms.common import IdField, TrimmedStringField, TrimmedTextAreaField, select_choices
from models import COMPLAINANT_KINDS, COMPLAINT_STATUSES, Pupil
from terminology import label

LONG = Length(max=10_000, message=_l("Hoogstens 10.000 tekens."))


class ComplaintForm(FlaskForm):
    """Intake and later changes: who complains, about which pupil and case, and what about."""

    summary_ids = {"pupil": "pupil-search-one"}  # the pupil is chosen in the picker

    received_on = DateField(_l("Ontvangen op"), default=today, validators=[InputRequired(_l("Vul een datum in."))])
    complainant_kind = SelectField(_l("Wie klaagt?"), choices=select_choices(COMPLAINANT_KINDS))
    complainant_name = TrimmedStringField(_l("Naam van de klager"), validators=[
        Length(max=200, message=_l("Hoogstens 200 tekens."))],
        description=_l("Leeg laten als de klager anoniem wil blijven."))
    complainant_contact = TrimmedStringField(_l("Hoe bereikbaar"), validators=[
        Length(max=200, message=_l("Hoogstens 200 tekens."))],
        description=_l("Telefoonnummer of e-mailadres."))
    pupil = IdField(_l("Over welke leerling"), validators=[Optional()])
    case_reference = TrimmedStringField(_l("Dossiernummer (optioneel)"), validators=[
        Length(max=16, message=_l("Een dossiernummer heeft hoogstens 16 tekens."))],
        description=_l("Bijvoorbeeld 2026-0001: een dossier waarin de gekozen leerling betrokken is. Je leest daarvan "
                       "wat over die leerling gaat, zonder iets te kunnen wijzigen."))
    description = TrimmedTextAreaField(_l("Waar gaat de klacht over?"), validators=[
        InputRequired(_l("Beschrijf waar de klacht over gaat.")), LONG])

    def __init__(self, *args, complaint=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.complaint = complaint
        self.chosen_pupil = None
        self.linked_case = None

    def validate_received_on(self, field):
        if field.data is None:
            return  # not a date: the field already says so
        try:
            complaints.check_received_on(field.data)
        except complaints.ComplaintError as problem:
            raise ValidationError(str(problem)) from None
        referred_on = self.complaint.committee_referred_on if self.complaint else None
        if referred_on and field.data > referred_on:
            raise ValidationError(_("De klacht kan niet na de doorverwijzing naar de klachtencommissie zijn "
                                    "ontvangen."))

    def validate_pupil(self, field):
        if field.data is not None:
            self.chosen_pupil = Pupil.get_or_none(Pupil.id == field.data)
            if self.chosen_pupil is None:
                raise ValidationError(_("Deze leerling bestaat niet (meer)."))

    def validate_case_reference(self, field):
        if field.data and not field.errors and not self.pupil.errors:  # an unknown pupil has its own message
            try:
                self.linked_case = complaints.find_case(field.data, self.chosen_pupil)
            except complaints.ComplaintError as problem:
                raise ValidationError(str(problem)) from None

    def picked_pupils(self):
        """The chosen pupil with their class, to show in the picker again (a list of none or one)."""
        if not isinstance(self.pupil.data, int):
            return []
        return list(Pupil.with_class().where(Pupil.id == self.pupil.data))

    def values(self):
        """The fields as the model names them."""
        return {"received_on": self.received_on.data, "complainant_kind": self.complainant_kind.data,
                "complainant_name": self.complainant_name.data, "complainant_contact": self.complainant_contact.data,
                "pupil": self.chosen_pupil, "case": self.linked_case, "description": self.description.data}


class StatusForm(FlaskForm):
    status = SelectField(_l("Nieuwe status"), validate_choice=False,
                         validators=[InputRequired(_l("Kies een status."))])

    def __init__(self, *args, complaint=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.complaint = complaint
        self.status.choices = [SelectChoice("", _("Kies de nieuwe status"))] + [
            SelectChoice(status, label(COMPLAINT_STATUSES, status)) for status in complaints.next_statuses(complaint)]

    def validate_status(self, field):
        # The choices are only the allowed moves; the domain says why another move is refused.
        if field.data not in dict(COMPLAINT_STATUSES):
            raise ValidationError(_("Kies een status uit de lijst."))


class AdviceForm(FlaskForm):
    experts_consulted = TrimmedTextAreaField(_l("Geraadpleegde deskundigen"), validators=[LONG],
                                             description=_l("Wie je om raad vroeg, en wanneer."))
    advice = TrimmedTextAreaField(_l("Advies aan het schoolbestuur"), validators=[LONG])


class CommitteeForm(FlaskForm):
    referred_on = DateField(_l("Doorverwezen naar de klachtencommissie op"),
                            validators=[InputRequired(_l("Vul een datum in."))])

    def __init__(self, *args, complaint=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.complaint = complaint

    def validate_referred_on(self, field):
        if field.data is not None and field.data > today():
            raise ValidationError(_("Een datum in de toekomst kan niet."))
        if field.data is not None and field.data < self.complaint.received_on:
            raise ValidationError(_("De doorverwijzing kan niet vóór de ontvangst van de klacht liggen."))


class NoteForm(FlaskForm):
    body = TrimmedTextAreaField(_l("Nieuwe notitie"), validators=[
        InputRequired(_l("Schrijf eerst een notitie.")), LONG],
        description=_l("Alleen jij leest deze notitie."))
