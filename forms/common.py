"""Forms shared by several areas."""
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice


class ActionForm(FlaskForm):
    """A form with only a CSRF token, for buttons that change something."""


def select_choices(options):
    """WTForms choices from a models choices tuple of (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in options]
