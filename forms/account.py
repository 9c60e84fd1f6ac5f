"""Forms of a user's own account."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField
from wtforms.validators import DataRequired, EqualTo, ValidationError

from forms.admin import password_problem
from forms.common import select_choices
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
