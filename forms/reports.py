"""Filing a report, and what the coordinator does with it."""
from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, SelectMultipleField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from db import today
from forms.admin import CheckboxListField
from forms.common import IdField, TrimmedStringField, TrimmedTextAreaField, row_id, select_choices
from models import BULLYING_KINDS, REPORT_CHANNELS, REPORTED_ROLES, REPORTER_KINDS, Pupil
from terminology import lazy_term


class PupilsField(SelectMultipleField):
    """Pupil ids chosen in the searchable picker; checked against the database, not a list."""

    def pre_validate(self, form):
        pass


REPORTED_ROLE_PREFIX = "reported_role_"
CONFIDENTIAL_HELP = _l("Zonder dit vinkje zien de %(mentors)s van de klassen van deze leerlingen de melding en haar "
                       "status. Vink het aan als de melder dat vroeg, of als de %(mentor)s zelf bij het pesten "
                       "betrokken is.", mentors=lazy_term("mentor", plural=True), mentor=lazy_term("mentor"))


class ReportForm(FlaskForm):
    # The pupils are chosen in the picker, a role with each (an error of those: the form's own).
    summary_ids = {"pupils": "pupil-search-report", "form": "pupil-search-report"}
    # In the order the page asks them (the error summary lists them so).
    pupils = PupilsField(_l("Leerlingen"), coerce=row_id)
    description = TrimmedTextAreaField(_l("Wat is er gebeurd?"), validators=[
        InputRequired(_l("Beschrijf wat er gebeurd is.")),
        Length(max=10_000, message=_l("Hoogstens 10.000 tekens."))])
    kinds = CheckboxListField(_l("Soort pesten"), choices=select_choices(BULLYING_KINDS))
    is_signal = BooleanField(_l("Dit is een signaal: nog niet duidelijk of het pesten is"))
    place = TrimmedStringField(_l("Waar gebeurde het?"), validators=[
        Length(max=200, message=_l("Hoogstens 200 tekens."))])
    platform = TrimmedStringField(_l("Online platform"), validators=[
        Length(max=100, message=_l("Hoogstens 100 tekens."))])
    possibly_criminal = BooleanField(_l("Er kunnen strafbare feiten in het spel zijn (bijvoorbeeld bedreiging, "
                                        "afpersing, een naaktfoto)"))
    # A report filed here is filed by staff: they saw it or heard it themselves, unless they say otherwise.
    reporter_kind = SelectField(_l("Wie meldt het?"), choices=select_choices(REPORTER_KINDS), default="staff")
    channel = SelectField(_l("Hoe kwam de melding binnen?"), choices=select_choices(REPORT_CHANNELS),
                          default="conversation")
    reporter_name = TrimmedStringField(_l("Naam van de melder"), validators=[
        Optional(), Length(max=200, message=_l("Hoogstens 200 tekens."))])
    reported_on = DateField(_l("Datum van de melding"), default=today, validators=[
        InputRequired(_l("Vul een datum in."))], format="%Y-%m-%d")
    share_reporter_name = BooleanField(_l("De naam van de melder mag gedeeld worden met de leerlingen die pesten"))
    confidential = BooleanField(_l("Alleen voor de %(coordinator)s", coordinator=lazy_term("coordinator")),
                                description=CONFIDENTIAL_HELP)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reported_roles = {}  # {pupil id: "victim" or "bully"}, from the picker's role per pupil
        self.roles_error = None

    def validate_reported_on(self, field):
        if field.data and field.data > today():
            raise ValidationError(_("Een datum in de toekomst kan niet."))

    def validate_pupils(self, field):
        if not field.data:
            raise ValidationError(_("Kies minstens één leerling."))
        found = Pupil.select().where(Pupil.id.in_(field.data), Pupil.is_active == True).count()  # noqa: E712
        if found != len(set(field.data)):
            raise ValidationError(_("Een gekozen leerling bestaat niet (meer)."))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        self.reported_roles = reported_roles(request.form)
        known = dict(REPORTED_ROLES)
        if any(role not in known for role in self.reported_roles.values()):
            self.roles_error = _("Onbekende rol.")
            self.form_errors.append(self.roles_error)
        return valid and self.roles_error is None

    def validate_kinds(self, field):
        if not field.data and not self.is_signal.data:
            raise ValidationError(_("Kies minstens één soort pesten, of vink aan dat het een signaal is."))

    def chosen_pupils(self):
        """The chosen pupils, for showing them again when the form comes back with errors."""
        ids = [pupil_id for pupil_id in (self.pupils.data or []) if isinstance(pupil_id, int)]
        return list(Pupil.select().where(Pupil.id.in_(ids)).order_by(*Pupil.dutch_order())) if ids else []


def reported_roles(values):
    """{pupil id: role} from the picker's reported_role_<id> selects (those left empty are left out)."""
    roles = {}
    for name in values:
        suffix = name[len(REPORTED_ROLE_PREFIX):]
        if name.startswith(REPORTED_ROLE_PREFIX) and suffix.isdigit() and values.get(name):
            pupil_id = row_id(suffix)
            if pupil_id:
                roles[pupil_id] = values.get(name)[:16]
    return roles


class CloseReportForm(FlaskForm):
    reason = TrimmedTextAreaField(_l("Reden"), validators=[
        InputRequired(_l("Geef een reden.")), Length(max=2000, message=_l("Hoogstens 2000 tekens."))])


class AttachReportForm(FlaskForm):
    case_id = IdField(_l("Dossier"), validators=[InputRequired(_l("Kies een dossier."))])
