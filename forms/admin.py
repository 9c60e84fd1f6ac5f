"""Forms of the user administration."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, SelectMultipleField
from wtforms.validators import Email, InputRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from forms.common import TrimmedStringField, select_choices
from models import LANGUAGES, ROLES, User

MIN_PASSWORD_LENGTH = 12


def password_problem(password):
    """A Dutch sentence saying what is wrong with a new password, or None."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return _("Een wachtwoord heeft minstens %(n)d tekens.", n=MIN_PASSWORD_LENGTH)
    if len(password) > 256:
        return _("Een wachtwoord heeft hoogstens 256 tekens.")
    return None


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    """Create or edit a user; the password is required only for a new user."""

    username = TrimmedStringField(_l("Gebruikersnaam"), validators=[
        InputRequired(_l("Vul een gebruikersnaam in.")), Length(max=64, message=_l("Hoogstens 64 tekens.")),
        Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Alleen letters, cijfers, punt, streepje en liggend streepje."))],
        render_kw={"autocapitalize": "none", "spellcheck": "false"})
    full_name = TrimmedStringField(_l("Volledige naam"), validators=[
        InputRequired(_l("Vul de naam in.")), Length(max=200, message=_l("Hoogstens 200 tekens."))])
    email = EmailField(_l("E-mailadres"), validators=[
        Optional(), Email(_l("Dit is geen geldig e-mailadres.")), Length(max=254)])
    roles = CheckboxListField(_l("Rollen"), choices=select_choices(ROLES))
    is_admin = BooleanField(_l("Beheerder (mag gebruikers beheren)"))
    language = SelectField(_l("Taal"), choices=select_choices(LANGUAGES))
    password = PasswordField(_l("Wachtwoord"), render_kw={"autocomplete": "new-password"})

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def validate_username(self, field):
        existing = User.by_username(field.data)
        if existing and (self.user is None or existing.id != self.user.id):
            raise ValidationError(_("Deze gebruikersnaam is al in gebruik."))

    def validate_email(self, field):
        if not field.data:
            return
        existing = User.get_or_none(User.email == field.data.strip().lower())
        if existing and (self.user is None or existing.id != self.user.id):
            raise ValidationError(_("Dit e-mailadres is al in gebruik."))

    def validate_password(self, field):
        if self.user is None or field.data:
            problem = password_problem(field.data)
            if problem:
                raise ValidationError(problem)
