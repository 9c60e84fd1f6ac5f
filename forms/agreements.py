"""Editing a restoration agreement."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import Length, Optional, ValidationError

from domain.agreements import problems_before_signing
from forms.common import TrimmedTextAreaField

LONG = Length(max=5000, message=_l("Hoogstens 5000 tekens."))


class AgreementForm(FlaskForm):
    commitments = TrimmedTextAreaField(_l("Wat we afspreken (één afspraak per regel)"), validators=[LONG],
                                       render_kw={"rows": 6})
    restorative_act = TrimmedTextAreaField(_l("Hersteldaad"), validators=[LONG],
                                           description=_l("Wat de leerling zelf (met hulp van ouders) doet om het "
                                                          "goed te maken."))
    support_figures = TrimmedTextAreaField(_l("Steunfiguren"), validators=[LONG],
                                           description=_l("Namen van wie helpt: een docent, een klasgenoot, ouders."))
    coaching = TrimmedTextAreaField(_l("Coaching (optioneel)"), validators=[LONG],
                                    description=_l("Welke begeleiding is aangeboden, en door wie."))
    period_start = DateField(_l("De afspraken gelden vanaf"), validators=[Optional()])
    period_end = DateField(_l("tot en met"), validators=[Optional()])
    evaluation_on = DateField(_l("Evaluatiegesprek op"), validators=[Optional()],
                              description=_l("Kort na het gesprek: hoe staan de afspraken ervoor? Het wordt "
                                             "een vervolggesprek met elke leerling."))

    def validate_period_end(self, field):
        if field.data and self.period_start.data and field.data < self.period_start.data:
            raise ValidationError(_("De periode eindigt voordat ze begint."))

    def ready_to_sign(self):
        """Whether the text as typed can go to signing; what keeps it from that is put beside its field."""
        problems = problems_before_signing(self.commitments.data, self.period_start.data, self.period_end.data,
                                           self.evaluation_on.data)
        for name, message in problems.items():
            field = getattr(self, name)
            if not field.errors:
                field.errors = list(field.errors) + [message]
        return not problems
