"""Opening a case and steering it: protocol, mentor, roles, approach, closing."""
from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from forms.common import TrimmedStringField, TrimmedTextAreaField, row_id, select_choices
from domain.cases import class_mentor
from models import APPROACH_LEVELS, APPROACHES, INVOLVEMENT_ROLES, SEVERITIES, Pupil, SchoolClass
from terminology import lazy_term, term

ROLE_FIELD_PREFIX = "role_"
CLASS_MENTOR = 0  # the mentor field's "the mentor of the chosen pupils' class"
CLASS_MENTOR_LABEL = _l("De mentor van de klas van de gekozen leerlingen")
NOT_CHOSEN = SelectChoice("", _l("Nog niet gekozen"))
SEVERITY_HELP = _l("Bij ernstig pesten horen de ouders het binnen een week na de melding, anders binnen een week na "
                   "het gesprek met de pester (het protocol zegt welke stap).")


NO_SECOND_PROTOCOL = SelectChoice("", _l("Geen"))
SECOND_PROTOCOL_HELP = _l(
    "Gaat het (ook) om online pesten, kies dan Online pesten naast het protocol van de school. Het gewone protocol "
    "blijft de basis; het online protocol voegt toe wat online nodig is: bewijs bewaren, blokkeren en melden, en de "
    "politie bij strafbare feiten. Wat de twee delen, zoals de ouders informeren en de vervolggesprekken, doe je één "
    "keer. Later erbij zetten of weghalen kan ook, onder Corrigeren.")


def severity_field():
    return RadioField(_l("Hoe ernstig is het pesten?"), choices=select_choices(SEVERITIES), default="normal",
                      description=SEVERITY_HELP)  # a form sent without it keeps the default; another value is refused


class OpenCaseForm(FlaskForm):
    """The case form; each pupil's role comes from a role_<pupil id> select of the picker."""

    title = TrimmedStringField(_l("Korte titel"), validators=[Length(max=200, message=_l("Hoogstens 200 tekens."))],
                        description=_l("Bijvoorbeeld: buitensluiten in de pauze. Geen namen."))
    protocol = SelectField(_l("Protocol"))
    second_protocol = SelectField(_l("Tweede protocol ernaast (niet verplicht)"), default="",
                                  description=SECOND_PROTOCOL_HELP)
    mentor = SelectField(lazy_term("mentor", capital=True), coerce=int)
    severity = severity_field()

    def __init__(self, *args, protocols=(), mentors=(), restrict_to_mentor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.protocol.choices = [SelectChoice(p.key, p.name) for p in protocols]
        self.second_protocol.choices = [NO_SECOND_PROTOCOL] + [SelectChoice(p.key, p.name) for p in protocols]
        self.mentor.choices = [SelectChoice(m.id, m.full_name) for m in mentors]
        if restrict_to_mentor is None:  # the coordinator: the class's mentor unless another is chosen
            self.mentor.choices.insert(0, SelectChoice(CLASS_MENTOR, CLASS_MENTOR_LABEL))
        self.restrict_to_mentor = restrict_to_mentor
        self.roles = {}
        self.roles_errors = []

    def read_roles(self):
        """Read role_<id> fields into {pupil id: role}; a pupil with two roles is an error."""
        roles = {}
        for name in request.form:
            if not name.startswith(ROLE_FIELD_PREFIX):
                continue
            values = {value for value in request.form.getlist(name) if value}
            suffix = name[len(ROLE_FIELD_PREFIX):]
            if not suffix.isdigit():
                continue
            pupil_id = row_id(suffix)  # 0 when no pupil can have it: the check below says it does not exist
            if len(values) > 1:
                self.roles_errors.append(_("Een leerling kan maar één rol hebben in een dossier."))
            elif values:
                roles[pupil_id] = values.pop()
        return roles

    def validate_second_protocol(self, field):
        if field.data and field.data == self.protocol.data:
            raise ValidationError(_("Kies als tweede protocol een ander dan het eerste, of kies Geen."))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        self.roles = self.read_roles()
        known = dict(INVOLVEMENT_ROLES)
        if any(role not in known for role in self.roles.values()):
            self.roles_errors.append(_("Onbekende rol."))
        if "victim" not in self.roles.values():
            self.roles_errors.append(_("Geef minstens één leerling de rol gepeste leerling."))
        pupils = {p.id: p for p in Pupil.select().where(Pupil.id.in_(list(self.roles)))}
        if len(pupils) != len(self.roles):
            self.roles_errors.append(_("Een gekozen leerling bestaat niet (meer)."))
        if self.restrict_to_mentor is not None:
            own = {c.id for c in SchoolClass.select().where(SchoolClass.mentor == self.restrict_to_mentor)}
            for pupil in pupils.values():
                if pupil.school_class_id not in own:
                    self.roles_errors.append(_("%(name)s zit niet in een klas waarvan jij %(mentor)s bent.",
                                               name=pupil.display_name, mentor=term("mentor")))
        self.pupils_by_id = pupils
        if valid and self.mentor.data == CLASS_MENTOR and not self.roles_errors:
            mentor = class_mentor({pupils[pupil_id]: role for pupil_id, role in self.roles.items()})
            if mentor is None:
                self.mentor.errors = [_("Geen van de gekozen leerlingen zit in een klas met een %(mentor)s: "
                                        "kies er een.", mentor=term("mentor"))]
                valid = False
            else:
                self.mentor.data = mentor
        return valid and not self.roles_errors


class ApproachForm(FlaskForm):
    approach = SelectField(_l("Aanpak"), choices=[NOT_CHOSEN] + select_choices(APPROACHES))
    approach_level = SelectField(_l("Niveau"), choices=[NOT_CHOSEN] + select_choices(APPROACH_LEVELS))

    def validate_approach_level(self, field):
        if field.data and not self.approach.data:
            raise ValidationError(_("Kies eerst de aanpak."))


class SeverityForm(FlaskForm):
    """How serious the bullying is: it can change as more becomes known."""
    severity = severity_field()


class ReasonForm(FlaskForm):
    reason = TrimmedTextAreaField(_l("Reden"), validators=[  # DataRequired: only spaces is no reason either
        DataRequired(_l("Geef een reden.")), Length(max=2000, message=_l("Hoogstens 2000 tekens."))])


class CompleteStepForm(FlaskForm):
    note = TrimmedStringField(_l("Notitie (optioneel)"), validators=[
        Length(max=500, message=_l("Hoogstens 500 tekens."))])


class ApproachSwitchForm(FlaskForm):
    """The proposal to switch approach (followups.approach_switch): switch, or keep the approach; one tap each."""
    decision = RadioField(choices=[SelectChoice("switch", _l("Overschakelen")),
                                   SelectChoice("keep", _l("Aanpak voortzetten"))],
                          validators=[InputRequired(_l("Kies: overschakelen of de aanpak voortzetten."))])
