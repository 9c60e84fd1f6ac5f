"""Importing pupils from a CSV file."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField
from wtforms.validators import ValidationError

from domain import pupil_import
class UploadForm(FlaskForm):
    file = FileField(_l("CSV-bestand uit het leerlingvolgsysteem"))

    def validate_file(self, field):
        """Read the upload (at most 5 MB) and plan the import; the plan is kept on the form."""
        if not field.data or not field.data.filename:
            raise ValidationError(_("Kies een bestand."))
        data = field.data.read(pupil_import.MAX_BYTES + 1)
        try:
            self.plan = pupil_import.plan(data)
        except pupil_import.ImportFileError as error:
            raise ValidationError(str(error)) from error
        self.data_bytes = data


class ConfirmForm(FlaskForm):
    """Carry out the import shown in the preview."""

    token = HiddenField()
