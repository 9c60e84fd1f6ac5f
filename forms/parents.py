"""Recording a contact with a pupil's parents."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from db import today
from forms.common import PickField, TrimmedTextAreaField, select_choices
from models import PARENT_CHANNELS


class ParentContactForm(FlaskForm):
    field_prefix = "parent"  # the case page shows several forms; their field names must not collide
    pupil = PickField(_l("Ouders van"), validators=[InputRequired(_l("Kies de leerling om wiens ouders het gaat."))])
    channel = SelectField(_l("Hoe"), choices=select_choices(PARENT_CHANNELS))
    contacted_on = DateField(_l("Wanneer"), default=today, validators=[InputRequired(_l("Vul een datum in."))])
    by_user = PickField(_l("Door wie"), validators=[InputRequired(_l("Kies wie het contact had."))])
    summary = TrimmedTextAreaField(_l("Wat is besproken"), validators=[
        DataRequired(_l("Schrijf kort op wat er besproken is.")),
        Length(max=5000, message=_l("Hoogstens 5000 tekens."))])
    agreed = TrimmedTextAreaField(_l("Wat is met de ouders afgesproken"), validators=[
        Length(max=5000, message=_l("Hoogstens 5000 tekens."))])
    complete_step = SelectField(_l("Stap van het protocol"), default="")

    def __init__(self, *args, pupils=(), staff=(), steps=(), **kwargs):
        super().__init__(*args, prefix=self.field_prefix, **kwargs)
        self.pupil.choices = [SelectChoice("", _l("Kies een leerling"))] + [
            SelectChoice(pupil.id, pupil.display_name) for pupil in pupils]
        self.by_user.choices = [SelectChoice("", _l("Kies wie"))] + [SelectChoice(user.id, user.full_name) for user in staff]
        self.complete_step.choices = [SelectChoice("", _l("Geen stap afronden"))] + [
            SelectChoice(row.step_key, _l("Afronden: %(step)s", step=step.title)) for row, step in steps]

    def validate_contacted_on(self, field):
        if field.data and field.data > today():
            raise ValidationError(_("Een oudercontact in de toekomst kan nog niet worden vastgelegd."))
