"""Filtering the audit log."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from peewee import fn
from wtforms import DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from db import MAX_ID
from forms.common import TrimmedStringField
from forms.reports import PupilsField
from models import Case, Pupil, User

FIRST_YEAR, LAST_YEAR = 2000, 2100


def _check_year(field):
    if field.data and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(_("Kies een datum tussen %(first)d en %(last)d.", first=FIRST_YEAR, last=LAST_YEAR))


class AuditFilterForm(FlaskForm):
    """The filters of the log viewer, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    user = SelectField(_l("Gebruiker"), coerce=lambda value: int(value) if str(value).isdigit() else None,
                       validate_choice=False)  # an id that is no user gets a message in validate_user
    pupils = PupilsField(_l("Leerlingen"), coerce=int)
    case = TrimmedStringField(_l("Dossier (kenmerk)"), validators=[Length(max=16, message=_l("Hoogstens 16 tekens."))],
                              render_kw={"placeholder": "2026-0001"})
    action = SelectField(_l("Soort gebeurtenis"), validate_choice=False)
    date_from = DateField(_l("Van"), validators=[Optional()], format="%Y-%m-%d")
    date_to = DateField(_l("Tot en met"), validators=[Optional()], format="%Y-%m-%d")

    def __init__(self, *args, actions=(), with_case=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_case:
            del self.case
        self.user.choices = [SelectChoice("", _("Iedereen"))] + [
            SelectChoice(user.id, user.full_name) for user in
            User.select(User.id, User.full_name).order_by(fn.lower(User.full_name))]
        self.action.choices = [SelectChoice("", _("Alle gebeurtenissen"))] + [
            SelectChoice(key, label) for key, label in actions]
        self.found_case = None

    def validate_user(self, field):
        if field.data and field.data > MAX_ID:
            raise ValidationError(_("Deze gebruiker bestaat niet."))
        if field.data and not User.select().where(User.id == field.data).exists():
            raise ValidationError(_("Deze gebruiker bestaat niet."))

    def validate_pupils(self, field):
        ids = set(field.data or [])
        if ids and (max(map(abs, ids)) > MAX_ID or Pupil.select().where(Pupil.id.in_(ids)).count() != len(ids)):
            raise ValidationError(_("Een gekozen leerling bestaat niet (meer)."))

    def validate_case(self, field):
        if field.data:
            self.found_case = Case.get_or_none(Case.reference == field.data)
            if self.found_case is None:
                raise ValidationError(_("Er is geen dossier met dit kenmerk."))

    def validate_date_from(self, field):
        _check_year(field)

    def validate_date_to(self, field):
        _check_year(field)
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_("De einddatum ligt voor de begindatum."))

    def chosen_pupils(self):
        """The chosen pupils, shown as chosen in the picker."""
        ids = [pupil_id for pupil_id in (self.pupils.data or [])
               if isinstance(pupil_id, int) and abs(pupil_id) <= MAX_ID]
        return list(Pupil.with_class().where(Pupil.id.in_(ids)).order_by(*Pupil.dutch_order())) if ids else []

    def as_query(self):
        """The filters as keyword arguments of audit.events."""
        return {"user_id": self.user.data, "pupil_ids": self.pupils.data or [],
                "case_id": self.found_case.id if self.found_case else None, "action": self.action.data or None,
                "date_from": self.date_from.data, "date_to": self.date_to.data}

    def summary(self):
        """The filters in a few words, for the audit log itself (ids, never names)."""
        parts = []
        if self.user.data:
            parts.append("gebruiker %d" % self.user.data)
        if self.pupils.data:
            parts.append("leerling %s" % ",".join(map(str, self.pupils.data)))
        if self.found_case:
            parts.append("dossier %s" % self.found_case.reference)
        if self.action.data:
            parts.append("actie %s" % self.action.data)
        if self.date_from.data or self.date_to.data:
            parts.append("periode %s tot en met %s" % (self.date_from.data or "", self.date_to.data or ""))
        return "; ".join(parts) or "geen filter"
