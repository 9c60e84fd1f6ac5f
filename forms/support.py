"""The support team's session form."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from db import local_date, today
from forms.common import TrimmedTextAreaField, select_choices
from models import SUPPORT_SESSION_KINDS
from terminology import lazy_term


def _referral_id(value):
    """'' (no referral) becomes None; anything else must be a whole number."""
    if value in (None, ""):
        return None
    return int(value)


class SupportSessionForm(FlaskForm):
    kind = SelectField(_l("Soort sessie"), choices=select_choices(SUPPORT_SESSION_KINDS),
                       description=_l("Een steungroep hoort bij de niet-confronterende aanpak: leerlingen zoeken "
                                      "samen naar oplossingen zodat het pesten stopt, zonder straffen."))
    held_on = DateField(_l("Datum"), default=today, validators=[InputRequired(_l("Vul een datum in."))])
    referral = SelectField(_l("Bij doorverwijzing"), coerce=_referral_id)
    participants = TrimmedTextAreaField(_l("Wie waren erbij"), validators=[
        InputRequired(_l("Schrijf op wie erbij waren.")), Length(max=1000, message=_l("Hoogstens 1000 tekens."))],
        description=_l("Bij een steungroep: de leerlingen van de groep en wie hem leidde."))
    notes = TrimmedTextAreaField(_l("Notities van het %(support)s", support=lazy_term("support")), validators=[
        Length(max=10_000, message=_l("Hoogstens 10.000 tekens."))],
        description=_l("Voor het %(support)s en de %(coordinator)s; de %(mentor)s leest ze niet.",
                        support=lazy_term("support"), coordinator=lazy_term("coordinator"), mentor=lazy_term("mentor")))
    report_back = TrimmedTextAreaField(_l("Terugkoppeling aan de %(mentor)s", mentor=lazy_term("mentor")), validators=[
        Length(max=2000, message=_l("Hoogstens 2000 tekens."))],
        description=_l("Kort: wat de %(mentor)s moet weten. Verschijnt op het dossier.", mentor=lazy_term("mentor")))

    def __init__(self, *args, case=None, referrals=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        self.referrals = {referral.id: referral for referral in referrals}
        self.referral.choices = [SelectChoice("", _("Geen (alleen het dossier)"))] + [
            SelectChoice(referral.id, "%s · %s" % (referral.referred_on.strftime("%d-%m-%Y"),
                                                   referral.pupil.display_name if referral.pupil_id else
                                                   _("het hele dossier")))
            for referral in referrals]

    def validate_held_on(self, field):
        if field.data is None:
            return
        if field.data > today():
            raise ValidationError(_("Een datum in de toekomst kan niet."))
        if field.data < local_date(self.case.opened_at):
            raise ValidationError(_("De sessie kan niet vóór de opening van het dossier liggen."))

    def chosen_referral(self):
        return self.referrals.get(self.referral.data)
