"""A personal work note: its author's alone."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import DataRequired, Length

from forms.common import TrimmedTextAreaField


class PersonalNoteForm(FlaskForm):
    field_prefix = "note"  # the case page shows several forms; their field names must not collide
    body = TrimmedTextAreaField(_l("Werkaantekening"), validators=[
        DataRequired(_l("Een lege aantekening wordt niet bewaard.")),
        Length(max=10_000, message=_l("Hoogstens 10.000 tekens."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix=self.field_prefix, **kwargs)
