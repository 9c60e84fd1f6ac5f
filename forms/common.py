"""Forms shared by several areas, and reading ids from a request."""
from flask import abort, request
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import Select

from db import MAX_ID


class ActionForm(FlaskForm):
    """A form with only a CSRF token, for buttons that change something."""


def error_summary(form, section=None, error=None, ids=None):
    """GOV.UK's error summary of a form that came back: (the id to link to, message) for each error, in the
    form's order. A message links to its field: a list of radios or checkboxes by its first choice (as the
    templates' field and radio_list macros lay them out), a field laid out by hand by the form's `summary_ids`
    or by `ids`; the CSRF token, the form's own errors and `error` (a conflict, say) to the form's `section`."""
    ids = {**getattr(form, "summary_ids", {}), **(ids or {})}
    section = section or ids.get("form", "main")

    def target(field):
        if field.short_name in ids:
            return ids[field.short_name]
        if field.type == "CSRFTokenField":
            return section
        if isinstance(field, (RadioField, SelectMultipleField)) and not isinstance(field.widget, Select):
            return field.id + "-0"
        return field.id

    summary = [(target(field), message) for field in form for message in field.errors]
    return summary + [(section, message) for message in [*form.form_errors, error] if message]


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


def row_id(value):
    """A posted or queried id as a number some row could have; anything else (text, 0, a negative
    number, 2**63 and up, which SQLite cannot even compare) becomes 0, which no row has, so the
    form's own check answers that the record does not exist instead of the query failing."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if 0 < number <= MAX_ID else 0


class IdField(IntegerField):
    """A record's id in a form: text is an error of the field, a number no row can have is 0 (see row_id)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None:
            self.data = row_id(self.data)


def query_id(name):
    """An id from the query string: None when it is absent or empty, 400 when no row can have it."""
    value = request.args.get(name, "")
    if value == "":
        return None
    number = row_id(value)
    if not number:
        abort(400)
    return number


def query_ids(name):
    """Every id a query-string parameter names (a picker's chosen pupils; empty values, like the
    picker's "none", are left out); 400 when one is no possible id."""
    ids = [row_id(value) for value in request.args.getlist(name) if value != ""]
    if not all(ids):
        abort(400)
    return ids


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
