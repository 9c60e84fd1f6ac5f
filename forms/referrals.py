"""Referring a pupil or a case on, and closing a referral."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from db import today
from forms.common import PickField, TrimmedStringField, TrimmedTextAreaField, select_choices
from models import REFERRAL_TARGETS, REFERRAL_TRAININGS
from terminology import offers_clb


class ReferralForm(FlaskForm):
    field_prefix = "referral"  # the case page shows several forms; their field names must not collide
    target = SelectField(_l("Doorverwijzen naar"), choices=select_choices(REFERRAL_TARGETS))
    pupil = PickField(_l("Leerling"))
    training = SelectField(_l("Welke training"), default="",
                           choices=[SelectChoice("", _l("Geen training"))] + select_choices(REFERRAL_TRAININGS))
    detail = TrimmedStringField(_l("Instantie, hulpverlener of contactpersoon"), validators=[
        Length(max=200, message=_l("Hoogstens 200 tekens."))],
        description=_l("Bij de politie: de naam van de wijkagent of contactpersoon."))
    referred_on = DateField(_l("Datum"), default=today, validators=[InputRequired(_l("Vul een datum in."))])
    note = TrimmedTextAreaField(_l("Waarom, en wat is gevraagd"), validators=[
        Length(max=5000, message=_l("Hoogstens 5000 tekens."))])
    complete_step = SelectField(_l("Stap van het protocol"), default="")

    def __init__(self, *args, pupils=(), steps=(), **kwargs):
        super().__init__(*args, prefix=self.field_prefix, **kwargs)
        self.target.choices = [choice for choice in self.target.choices if choice.value != "clb" or offers_clb()]
        self.pupil.choices = [SelectChoice("", _l("Geen leerling: het hele dossier"))] + [
            SelectChoice(pupil.id, pupil.display_name) for pupil in pupils]
        self.complete_step.choices = [SelectChoice("", _l("Geen stap afronden"))] + [
            SelectChoice(row.step_key, _l("Afronden: %(step)s", step=step.title)) for row, step in steps]

    def validate_pupil(self, field):
        if field.data is None and self.target.data != "police":
            raise ValidationError(_("Kies de leerling die wordt doorverwezen."))

    def validate_training(self, field):
        if self.target.data == "training" and not field.data:
            raise ValidationError(_("Kies welke training."))
        if self.target.data != "training" and field.data:
            raise ValidationError(_("Een training kies je alleen bij een doorverwijzing naar een training."))

    def validate_detail(self, field):
        if self.target.data == "police" and not field.data:
            raise ValidationError(_("Vul de naam in van de contactpersoon bij de politie."))
        if self.target.data == "external" and not field.data:
            raise ValidationError(_("Vul in naar welke hulpverlener of instantie."))

    def validate_referred_on(self, field):
        if field.data and field.data > today():
            raise ValidationError(_("Een datum in de toekomst kan niet."))

    def validate_complete_step(self, field):
        if field.data and self.target.data != "police":
            raise ValidationError(_("Deze stap rond je af met een doorverwijzing naar de politie."))


class CloseReferralForm(FlaskForm):
    field_prefix = "close"
    closed_on = DateField(_l("Afgesloten op"), default=today, validators=[InputRequired(_l("Vul een datum in."))])
    close_note = TrimmedTextAreaField(_l("Hoe is het afgelopen"), validators=[
        Length(max=2000, message=_l("Hoogstens 2000 tekens."))])

    def __init__(self, *args, referral=None, **kwargs):
        super().__init__(*args, prefix=self.field_prefix, **kwargs)
        self.referral = referral

    def validate_closed_on(self, field):
        if not field.data:
            return
        if field.data > today():
            raise ValidationError(_("Een datum in de toekomst kan niet."))
        if self.referral is not None and field.data < self.referral.referred_on:
            raise ValidationError(_("Een doorverwijzing sluit niet af voordat ze begon."))
