"""Merging two cases: which case goes into this one, confirmed."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired

from forms.common import PickField


class MergeForm(FlaskForm):
    other = PickField(_l("Welk dossier gaat op in dit dossier?"), validators=[
        InputRequired(_l("Kies het dossier dat in dit dossier opgaat."))])
    confirm = BooleanField(_l("Ja, voeg het gekozen dossier samen met dit dossier en sluit het"), validators=[
        DataRequired(_l("Vink aan dat je de dossiers wilt samenvoegen."))])

    def __init__(self, *args, cases=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.other.choices = [SelectChoice("", _l("Kies een dossier"))] + [
            SelectChoice(case.id, "%s · %s" % (case.reference, case.title) if case.title else case.reference)
            for case in cases]
