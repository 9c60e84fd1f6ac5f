"""Correcting a case: its pupils and roles, its mentor, its flags, a step set aside by hand."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from forms.common import PickField, TrimmedTextAreaField, select_choices
from models import INVOLVEMENT_ROLES
from terminology import lazy_term

REASON_LENGTH = Length(max=2000, message=_l("Hoogstens 2000 tekens."))


class RoleForm(FlaskForm):
    """A pupil's new role (prefix: the pupil's id, so each pupil's form has its own fields)."""
    role = SelectField(_l("Rol"), choices=select_choices(INVOLVEMENT_ROLES))


class RemovePupilForm(FlaskForm):
    reason = TrimmedTextAreaField(_l("Waarom hoort deze leerling niet bij het dossier?"), validators=[
        DataRequired(_l("Geef een reden.")), REASON_LENGTH])


class HandOverForm(FlaskForm):
    mentor = PickField(lazy_term("mentor", capital=True), validators=[
        InputRequired(_l("Kies aan wie het dossier gaat."))])

    def __init__(self, *args, mentors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.mentor.choices = [SelectChoice("", _l("Kies aan wie"))] + [
            SelectChoice(mentor.id, mentor.full_name) for mentor in mentors]


class FlagsForm(FlaskForm):
    online = BooleanField(_l("Online pesten"))
    possibly_criminal = BooleanField(_l("Mogelijk strafbare feiten"))


class SetAsideForm(FlaskForm):
    step = SelectField(_l("Stap"))
    reason = TrimmedTextAreaField(_l("Waarom is deze stap niet van toepassing?"), validators=[
        DataRequired(_l("Geef een reden.")), REASON_LENGTH])

    def __init__(self, *args, steps=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.step.choices = [SelectChoice(key, title) for key, title in steps]


class SecondProtocolForm(FlaskForm):
    protocol = SelectField(_l("Protocol"), validators=[DataRequired(_l("Kies een protocol."))])

    def __init__(self, *args, protocols=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.protocol.choices = [SelectChoice("", _l("Kies een protocol"))] + [
            SelectChoice(protocol.key, protocol.name) for protocol in protocols]


class StopSecondProtocolForm(FlaskForm):
    reason = TrimmedTextAreaField(_l("Waarom volgt het dossier dit protocol niet meer?"), validators=[
        DataRequired(_l("Geef een reden.")), REASON_LENGTH])
