"""Forms of a user's own account."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from forms.admin import password_problem
from forms.auth import CODE_FIELD_KW, app_code
from forms.common import TrimmedStringField, select_choices
from models import LANGUAGES


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Huidig wachtwoord"), validators=[
        DataRequired(_l("Vul je huidige wachtwoord in."))],
        render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("Nieuw wachtwoord"), validators=[
        DataRequired(_l("Kies een nieuw wachtwoord."))],
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Herhaal het nieuwe wachtwoord"), validators=[
        DataRequired(_l("Herhaal het nieuwe wachtwoord.")),
        EqualTo("new_password", _l("De twee wachtwoorden zijn niet gelijk."))],
        render_kw={"autocomplete": "new-password"})

    def validate_new_password(self, field):
        problem = password_problem(field.data)
        if problem:
            raise ValidationError(problem)


class LanguageForm(FlaskForm):
    language = SelectField(_l("Taal"), choices=select_choices(LANGUAGES))


class IdentityForm(FlaskForm):
    """Before the second factor is set up or replaced in a logged-in session: show it is you."""

    secret = PasswordField(_l("Je wachtwoord"), validators=[
        DataRequired(_l("Vul je wachtwoord in.")), Length(max=256, message=_l("Te lang."))],
        render_kw={"autocomplete": "current-password"})

    def __init__(self, *args, has_second_factor=False, **kwargs):
        super().__init__(*args, **kwargs)
        if has_second_factor:
            self.secret.label.text = _l("Je wachtwoord, of de code uit je app")
            self.secret.validators = [DataRequired(_l("Vul je wachtwoord of de code uit je app in.")),
                                      Length(max=256, message=_l("Te lang."))]


class AppCodeForm(FlaskForm):
    """One code from the authenticator app: to confirm enrolling, or to turn the second factor off."""

    code = TrimmedStringField(_l("Code uit je app"), validators=[
        DataRequired(_l("Vul de code uit je app in.")), Length(max=64, message=_l("Te lang."))],
        render_kw=dict(CODE_FIELD_KW, inputmode="numeric"))

    def validate_code(self, field):
        self.value = app_code(field.data)
