"""The login form."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from forms.common import TrimmedStringField


class LoginForm(FlaskForm):
    username = TrimmedStringField(_l("Gebruikersnaam"), validators=[
        DataRequired(_l("Vul je gebruikersnaam in.")), Length(max=64, message=_l("Te lang."))],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
    password = PasswordField(_l("Wachtwoord"), validators=[
        DataRequired(_l("Vul je wachtwoord in.")), Length(max=256, message=_l("Te lang."))],
        render_kw={"autocomplete": "current-password"})
