"""Editing a restoration agreement."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import Length, Optional, ValidationError

from forms.common import TrimmedTextAreaField

LONG = Length(max=5000, message=_l("Hoogstens 5000 tekens."))


class AgreementForm(FlaskForm):
    commitments = TrimmedTextAreaField(_l("Wat we afspreken (één afspraak per regel)"), validators=[LONG])
    restorative_act = TrimmedTextAreaField(_l("Hersteldaad"), validators=[LONG],
                                           description=_l("Wat de leerling zelf (met hulp van ouders) doet om het "
                                                          "goed te maken."))
    support_figures = TrimmedTextAreaField(_l("Steunfiguren"), validators=[LONG],
                                           description=_l("Namen van wie helpt: een docent, een klasgenoot, ouders."))
    coaching = TrimmedTextAreaField(_l("Coaching (optioneel)"), validators=[LONG],
                                    description=_l("Welke begeleiding is aangeboden, en door wie."))
    period_start = DateField(_l("De afspraken gelden vanaf"), validators=[Optional()])
    period_end = DateField(_l("tot en met"), validators=[Optional()])
    evaluation_on = DateField(_l("Evaluatiegesprek op"), validators=[Optional()])

    def validate_period_end(self, field):
        if field.data and self.period_start.data and field.data < self.period_start.data:
            raise ValidationError(_("De periode eindigt voordat ze begint."))
