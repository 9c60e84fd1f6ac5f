"""Forms shared by several areas."""
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice


class ActionForm(FlaskForm):
    """A form with only a CSRF token, for buttons that change something."""


def select_choices(options):
    """WTForms choices from a models choices tuple of (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in options]


class TrimmedStringField(StringField):
    """A text field whose data is always a string without surrounding spaces, even when the
    field was left out of the request altogether."""

    def process_formdata(self, valuelist):
        self.data = valuelist[0].strip() if valuelist else ""


class TrimmedTextAreaField(TextAreaField):
    """A multi-line TrimmedStringField."""

    def process_formdata(self, valuelist):
        self.data = valuelist[0].strip() if valuelist else ""


def optional_int(value):
    """Coerce a choice to an int; an empty choice becomes None (for 'nothing chosen')."""
    if value in (None, ""):
        return None
    return int(value)


class PickField(SelectField):
    """A select of ids in which 'nothing chosen' is left to the field's own validators (with their
    message), instead of WTForms' general 'not a valid choice'."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, coerce=optional_int, **kwargs)

    def pre_validate(self, form):
        if self.data is not None:
            super().pre_validate(form)
