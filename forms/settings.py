"""The school's settings."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from forms.common import TrimmedStringField, select_choices
from models import REGIONS


class SettingsForm(FlaskForm):
    school_name = TrimmedStringField(_l("Naam van de school"), validators=[
        InputRequired(_l("Vul de naam van de school in.")), Length(max=200, message=_l("Hoogstens 200 tekens."))])
    region = SelectField(_l("Land"), choices=select_choices(REGIONS))
    default_protocol = SelectField(_l("Standaardprotocol voor nieuwe dossiers"))

    def __init__(self, *args, protocols=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.default_protocol.choices = [SelectChoice(p.key, p.name) for p in protocols]
