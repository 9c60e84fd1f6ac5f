"""Recording a follow-up and deciding a measure."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from db import today
from domain.escalation import deciders_text
from domain.followups import held_on_problem
from forms.admin import CheckboxListField
from forms.common import TrimmedStringField, TrimmedTextAreaField, select_choices
from models import FOLLOW_UP_OUTCOMES, PARENT_CHANNELS
from permissions import may_decide_phase


class FollowUpForm(FlaskForm):
    """One follow-up talk with one pupil: how it went, on which day, and (when it was not held) why not."""

    outcome = RadioField(_l("Hoe gaat het?"), choices=select_choices(FOLLOW_UP_OUTCOMES),
                         validators=[InputRequired(_l("Kies of het goed gaat of niet."))])
    held_on = DateField(_l("Datum van het gesprek"), default=today,
                        validators=[InputRequired(_l("Vul de datum van het gesprek in."))])
    with_whom = TrimmedStringField(_l("Ook bij het gesprek"), validators=[Length(max=200)])
    note = TrimmedTextAreaField(_l("Notitie"), validators=[Length(max=5000, message=_l("Hoogstens 5000 tekens."))])

    def __init__(self, *args, due_on=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.due_on = due_on

    def validate_held_on(self, field):
        problem = held_on_problem(field.data, self.due_on) if self.due_on else None
        if problem:
            raise ValidationError(problem)

    def validate_note(self, field):
        if self.outcome.data == "not_held" and not field.data:
            raise ValidationError(_("Schrijf op waarom het gesprek niet is gehouden."))


class PhaseField(SelectField):
    """The phase select: a phase the user may not decide is refused by MeasureForm.validate_phase, which
    says who decides it, instead of WTForms' general 'not a valid choice'."""

    def pre_validate(self, form):
        pass


class MeasureForm(FlaskForm):
    pupil = SelectField(_l("Leerling"), coerce=int)
    phase = PhaseField(_l("Fase"), coerce=int)
    description = TrimmedTextAreaField(_l("Maatregel"), validators=[  # DataRequired: only spaces describes nothing
        DataRequired(_l("Beschrijf de maatregel.")), Length(max=5000, message=_l("Hoogstens 5000 tekens."))])
    decided_on = DateField(_l("Besloten op"), default=today, validators=[InputRequired(_l("Vul een datum in."))])
    # The parents the protocol says hear of a measure (parents_after_measure): ticked, a parent contact is recorded
    # with the measure, and their to-do clears.
    parents_informed = CheckboxListField(
        _l("Ouders die al zijn ingelicht over deze maatregel"), coerce=int,
        description=_l("Het protocol vraagt dat zij het horen. Aangevinkt wordt het oudercontact vastgelegd, op de "
                       "dag van het besluit en door jou."))
    parents_channel = SelectField(_l("Hoe zijn de ouders ingelicht"), choices=select_choices(PARENT_CHANNELS),
                                  default="phone")
    informed = TrimmedStringField(_l("Wie is verder ingelicht"), validators=[Length(max=500)],
                                  description=_l("Bijvoorbeeld: teamleider, afdelingsleider."))

    def __init__(self, *args, case=None, pupils=(), phases=(), protocol_phases=(), parents=(), **kwargs):
        """`phases` are the protocol's phases this user may decide on the case (domain.escalation.phases_for),
        `protocol_phases` all of them (to say who decides another); `parents` the pupils whose parents hear of a
        measure, each with why ("pupil": when the measure is theirs; "victim": the bullied pupil's, always)."""
        super().__init__(*args, **kwargs)
        self.case = case
        self.phases = {phase.phase: phase for phase in phases}
        self.protocol_phases = {phase.phase: phase for phase in protocol_phases}
        self.pupil.choices = [SelectChoice(p.id, p.display_name) for p in pupils]
        self.phase.choices = [SelectChoice(p.phase, "%d. %s" % (p.phase, p.title)) for p in phases]
        self.parents = {pupil.id: (pupil, why) for pupil, why in parents}
        self.parents_informed.choices = [
            SelectChoice(pupil.id, _l("Ouders van %(name)s zijn ingelicht", name=pupil.display_name))
            for pupil, _why in parents]

    def validate_parents_informed(self, field):
        for pupil_id in field.data or ():
            pupil, why = self.parents.get(pupil_id, (None, None))  # not offered: the choices' own check says so
            if why == "pupil" and pupil_id != self.pupil.data:
                raise ValidationError(_("Deze maatregel is niet voor %(name)s: haal het vinkje bij de ouders van "
                                        "%(name)s weg, of kies %(name)s als leerling.", name=pupil.display_name))

    def validate_decided_on(self, field):
        if field.data and field.data > today():
            raise ValidationError(_("Een datum in de toekomst kan niet."))

    def validate_phase(self, field):
        phase = self.phases.get(field.data) or self.protocol_phases.get(field.data)
        if phase is None:
            raise ValidationError(_("Kies een fase uit het protocol van dit dossier."))
        if not may_decide_phase(current_user, self.case, phase.decided_by):
            raise ValidationError(_("Over fase %(phase)d (%(title)s) beslist: %(deciders)s.", phase=phase.phase,
                                    title=phase.title, deciders=deciders_text(phase.decided_by)))


class RefuseMeasureForm(FlaskForm):
    """A role a measure waits for refuses it, or sends it back, and says why (those who proposed it read it)."""

    reason = TrimmedTextAreaField(_l("Waarom weiger je deze maatregel?"), validators=[
        DataRequired(_l("Schrijf op waarom je de maatregel weigert.")),
        Length(max=5000, message=_l("Hoogstens 5000 tekens."))],
        description=_l("Wie de maatregel voorstelde leest dit, en beslist opnieuw."))
