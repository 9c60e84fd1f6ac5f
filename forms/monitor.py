"""The monitor's period: a school year, or any period from one day to another."""
import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from db import today
from domain import monitor

LONGEST_PERIOD = datetime.timedelta(days=366 * 10)


class PeriodForm(FlaskForm):
    """Read from the query string (a GET form), so a period can be bookmarked and printed."""

    class Meta:
        csrf = False

    jaar = SelectField(_l("Schooljaar"), coerce=int)
    van = DateField(_l("Of van"), validators=[Optional()])
    tot = DateField(_l("tot en met"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = monitor.school_year_of(today())
        self.jaar.choices = [(year, "%d-%d" % (year, year + 1)) for year in range(current, current - 10, -1)]
        if self.jaar.data not in {year for year, _ in self.jaar.choices}:
            self.jaar.data = current

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if bool(self.van.data) != bool(self.tot.data):
            (self.tot if self.van.data else self.van).errors.append(_l("Vul voor een eigen periode beide datums in."))
            return False
        if self.van.data and self.tot.data:
            if self.tot.data < self.van.data:
                self.tot.errors.append(_l("Deze datum ligt voor de begindatum."))
                return False
            if self.tot.data - self.van.data > LONGEST_PERIOD:
                self.tot.errors.append(_l("Kies een periode van hoogstens tien jaar."))
                return False
        return valid

    def period(self):
        """[start, end) of what was asked; the school year when the own period is not valid."""
        if self.van.data and self.tot.data and not (self.van.errors or self.tot.errors):
            return self.van.data, self.tot.data + datetime.timedelta(days=1)
        return monitor.school_year(self.jaar.data)
