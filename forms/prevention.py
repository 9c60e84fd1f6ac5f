"""Prevention: an activity for the log, an item of the school-year plan, a class's agreements, the
school's policy (contract text, published protocol, contacts) and a first-year class's signatures."""
import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from db import today
from domain import prevention
from forms.admin import CheckboxListField
from forms.common import PickField, TrimmedStringField, TrimmedTextAreaField, select_choices
from models import PREVENTION_KINDS, PreventionPlanItem, SchoolClass

YEAR_LEVELS = range(1, 9)


class ActivityForm(FlaskForm):
    kind = SelectField(_l("Wat is er gedaan"), choices=select_choices(PREVENTION_KINDS))
    held_on = DateField(_l("Datum"), default=today, validators=[InputRequired(_l("Vul een datum in."))])
    school_class = PickField(_l("Klas"))
    audience = TrimmedStringField(_l("Of een andere groep"), validators=[
        Length(max=200, message=_l("Hoogstens 200 tekens."))],
        description=_l("Bijvoorbeeld: ouders van de eerste klassen, het hele team."))
    led_by = TrimmedStringField(_l("Wie leidde het"), validators=[
        InputRequired(_l("Vul in wie het leidde.")), Length(max=200, message=_l("Hoogstens 200 tekens."))],
        render_kw={"list": "leaders", "autocomplete": "off"})
    plan_item = PickField(_l("Hoort bij het jaarplan"))
    note = TrimmedTextAreaField(_l("Korte notitie"), validators=[
        Length(max=2000, message=_l("Hoogstens 2000 tekens."))],
                                description=_l("Wat er besproken is en hoe het ging; geen namen van leerlingen."))

    def __init__(self, *args, classes=(), plan_items=(), whole_school=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.whole_school = whole_school
        self.school_class.choices = ([SelectChoice("", _l("Geen klas: de school of een groep"))] if whole_school
                                     else []) + [SelectChoice(c.id, c.name) for c in classes]
        self.plan_item.choices = [SelectChoice("", _l("Niet gepland"))] + [
            SelectChoice(item.id, "%s (%s)" % (item.title, prevention.school_year_label(item.school_year)))
            for item in plan_items]

    def chosen_class(self):
        return SchoolClass.get_or_none(SchoolClass.id == self.school_class.data) if self.school_class.data else None

    def chosen_item(self):
        return PreventionPlanItem.get_or_none(PreventionPlanItem.id == self.plan_item.data) \
            if self.plan_item.data else None

    def validate_held_on(self, field):
        if field.data and field.data > today() + datetime.timedelta(days=1):
            raise ValidationError(_("Leg vast wat gedaan is; wat nog komt, hoort in het jaarplan."))

    def validate_school_class(self, field):
        if field.data is None and not self.whole_school:
            raise ValidationError(_("Kies de klas."))
        if field.data is None and not self.audience.data:
            raise ValidationError(_("Kies een klas, of vul de groep in."))

    def validate_plan_item(self, field):
        if not field.data or self.held_on.data is None or self.school_class.errors:
            return
        problem = prevention.validate_answer(self.chosen_item(), self.chosen_class(), self.held_on.data)
        messages = {"class": _("Dit punt van het jaarplan is per klas: kies de klas."),
                    "level": _("Dit punt van het jaarplan is niet voor het leerjaar van deze klas."),
                    "year": _("De datum valt niet in het schooljaar van dit punt van het jaarplan.")}
        if problem:
            raise ValidationError(messages[problem])


class PlanItemForm(FlaskForm):
    kind = SelectField(_l("Soort"), choices=select_choices(PREVENTION_KINDS))
    title = TrimmedStringField(_l("Wat"), validators=[
        InputRequired(_l("Vul in wat er gepland is.")), Length(max=200, message=_l("Hoogstens 200 tekens."))],
        description=_l("Bijvoorbeeld: mentorles over online pesten."))
    due_on = DateField(_l("Uiterlijk op"), validators=[InputRequired(_l("Vul een datum in."))])
    year_levels = CheckboxListField(_l("Voor de klassen van leerjaar"), coerce=int,
                                    choices=[SelectChoice(level, str(level)) for level in YEAR_LEVELS])
    note = TrimmedTextAreaField(_l("Toelichting"), validators=[Length(max=2000, message=_l("Hoogstens 2000 tekens."))])

    def validate_due_on(self, field):
        if field.data and not 2000 <= prevention.school_year_of(field.data) <= 2099:
            raise ValidationError(_("Kies een datum in een schooljaar van deze eeuw."))


class ClassAgreementForm(FlaskForm):
    rules = TrimmedTextAreaField(_l("Onze afspraken, één per regel"), validators=[
        InputRequired(_l("Schrijf minstens één afspraak op.")),
        Length(max=3000, message=_l("Hoogstens 3000 tekens."))],
        render_kw={"rows": 10})
    made_on = DateField(_l("Gemaakt op"), default=today, validators=[InputRequired(_l("Vul een datum in."))])
    reviewed_on = DateField(_l("Laatst besproken op"), validators=[Optional()])

    def validate_rules(self, field):
        lines = [line for line in field.data.splitlines() if line.strip()]
        if len(lines) > 15:
            raise ValidationError(_("Hoogstens 15 afspraken: houd het kort, zodat het op één poster past."))
        if any(len(line.strip()) > 120 for line in lines):
            raise ValidationError(_("Houd elke afspraak onder de 120 tekens."))

    def validate_made_on(self, field):
        if field.data and field.data > today():
            raise ValidationError(_("Een datum in de toekomst kan niet."))

    def validate_reviewed_on(self, field):
        if field.data and field.data > today():
            raise ValidationError(_("Een datum in de toekomst kan niet."))
        if field.data and self.made_on.data and field.data < self.made_on.data:
            raise ValidationError(_("Besproken kan niet voordat de afspraken gemaakt zijn."))


class PolicyForm(FlaskForm):
    protocol_public = BooleanField(_l("Het pestprotocol is openbaar: ouders en leerlingen lezen het zonder account"))
    coordinator_reach = TrimmedStringField(_l("Zo bereik je de coördinator"), validators=[
        Length(max=300, message=_l("Hoogstens 300 tekens."))],
        description=_l("Bijvoorbeeld: kamer 1.12, op dinsdag en donderdag; telefoon van de school."))
    counsellor_reach = TrimmedStringField(_l("Zo bereik je de vertrouwenspersoon"), validators=[
        Length(max=300, message=_l("Hoogstens 300 tekens."))])
    contract_text = TrimmedTextAreaField(_l("Tekst van het pestcontract voor de eerste klassen"), validators=[
        Length(max=6000, message=_l("Hoogstens 6000 tekens."))], render_kw={"rows": 14})


class SignaturesForm(FlaskForm):
    """Which pupils of a first-year class signed the contract (the checked boxes) and on which day."""

    pupils = CheckboxListField(_l("Getekend door"), coerce=int)
    signed_on = DateField(_l("Getekend op"), default=today, validators=[InputRequired(_l("Vul een datum in."))])

    def __init__(self, *args, pupils=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.pupils.choices = [SelectChoice(pupil.id, pupil.display_name) for pupil in pupils]

    def validate_signed_on(self, field):
        if field.data and field.data > today():
            raise ValidationError(_("Een datum in de toekomst kan niet."))
