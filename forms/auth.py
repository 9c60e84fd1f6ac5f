"""The login forms: the password, then the code of the second factor."""
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length, ValidationError

from domain.second_factor import looks_like_recovery_code, normalise_recovery_code
from forms.common import TrimmedStringField

CODE_FIELD_KW = {"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}


class LoginForm(FlaskForm):
    username = TrimmedStringField(_l("Gebruikersnaam"), validators=[
        DataRequired(_l("Vul je gebruikersnaam in.")), Length(max=64, message=_l("Te lang."))],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
    password = PasswordField(_l("Wachtwoord"), validators=[
        DataRequired(_l("Vul je wachtwoord in.")), Length(max=256, message=_l("Te lang."))],
        render_kw={"autocomplete": "current-password"})


def app_code(text):
    """The six digits of a code from the app (spaces between them allowed), or a ValidationError."""
    digits = re.sub(r"\s", "", text or "")
    if re.fullmatch(r"[0-9]+", digits):
        if len(digits) != 6:
            raise ValidationError(_("Een code uit de app heeft 6 cijfers; je typte er %(n)d.", n=len(digits)))
        return digits
    raise ValidationError(_("Een code uit de app bestaat alleen uit 6 cijfers."))


class LoginCodeForm(FlaskForm):
    """The second step of logging in: a code from the app, or one of the recovery codes."""

    code = TrimmedStringField(_l("Code uit je app of een herstelcode"), validators=[
        DataRequired(_l("Vul de code uit je app in.")), Length(max=64, message=_l("Te lang."))],
        render_kw=CODE_FIELD_KW)

    def validate_code(self, field):
        if looks_like_recovery_code(field.data):
            self.kind, self.value = "recovery", normalise_recovery_code(field.data)
            return
        digits = re.sub(r"\s", "", field.data)
        if not re.fullmatch(r"[0-9]+", digits):
            raise ValidationError(_("Een code uit de app bestaat uit 6 cijfers; een herstelcode uit 16 letters "
                                    "en cijfers, zoals abcd-efgh-jkmn-pqrs."))
        self.kind, self.value = "totp", app_code(digits)
