"""Forms around a conversation: starting it, its next appointment, finishing it."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from forms.admin import CheckboxListField
from forms.common import TrimmedStringField
from models import INVOLVEMENT_ROLES, roles_for
from terminology import label


class StartConversationForm(FlaskForm):
    template = RadioField(_l("Welk gesprek?"), validators=[InputRequired(_l("Kies een gesprek."))])
    pupils = CheckboxListField(_l("Leerlingen die meedoen"), coerce=int, description=_l(
        "Bij een gesprek met de ouders: de leerling met wiens ouders je spreekt."))
    others = TrimmedStringField(_l("Andere deelnemers"), validators=[
        Length(max=500, message=_l("Hoogstens 500 tekens."))],
        description=_l("Bijvoorbeeld een steunende klasgenoot, een ouder of een collega; scheid namen met ;"))

    def __init__(self, *args, templates=(), involvements=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.templates = list(templates)
        self.involvements = list(involvements)
        self.template.choices = [SelectChoice(t.key, t.title) for t in self.templates]
        words = roles_for(self.involvements[0].case.approach) if self.involvements else INVOLVEMENT_ROLES
        self.pupils.choices = [
            SelectChoice(i.pupil_id, "%s (%s)" % (i.pupil.sort_name, str(label(words, i.role)).lower()))
            for i in self.involvements]

    def fitting_pupils(self, template):
        """The pupils of the case whose role the guide is written for, or whose parents its talk is with."""
        return [i.pupil_id for i in self.involvements if i.role in set(template.participants) | set(template.parents_of)]

    def parents_of(self, template):
        """The pupils whose parents a talk with the parents is with, as the guide names them (protocol data)."""
        return [i.pupil for i in self.involvements if i.role in template.parents_of]

    def chosen_template(self):
        return next((t for t in self.templates if t.key == self.template.data), None)

    def preselect(self, template_key=None):
        """Pick the asked-for (or only) guide and the pupils whose role it is written for; with no guide
        picked yet, the pupils any of the step's guides is written for (choosing one narrows it, in the page)."""
        keys = [t.key for t in self.templates]
        self.template.data = template_key if template_key in keys else (keys[0] if len(keys) == 1 else None)
        chosen = [t for t in self.templates if t.key == self.template.data] or self.templates
        fitting = {pupil_id for template in chosen for pupil_id in self.fitting_pupils(template)}
        self.pupils.data = [i.pupil_id for i in self.involvements if i.pupil_id in fitting]

    def validate_pupils(self, field):
        template = self.chosen_template()
        if template is not None and template.parents_of and not field.data:
            # A talk with the parents is with the parents of a pupil: the contact it leads to names them.
            raise ValidationError(_("Kies de leerling met wiens ouders je spreekt."))
        if not field.data and not self.others.data:
            raise ValidationError(_("Kies wie er meedoet aan het gesprek."))

    def other_names(self):
        return [name.strip()[:200] for name in self.others.data.split(";") if name.strip()]


class AppointmentForm(FlaskForm):
    moment = DateTimeLocalField(_l("Datum en tijd"), format="%Y-%m-%dT%H:%M", validators=[
        InputRequired(_l("Kies een datum en tijd."))])


class FinishForm(FlaskForm):
    complete_step = BooleanField(_l("Deze stap van het protocol is hiermee gedaan"))
