"""The public report page (meldknop): the report, the status check, a reply; and the staff answer."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from forms.common import TrimmedStringField, TrimmedTextAreaField, select_choices

MAX_MESSAGE = 5000


def _too_long(limit):
    return Length(max=limit, message=_l("Dit is te lang: hoogstens %(limit)s tekens. Maak het wat korter.",
                                        limit="{:,}".format(limit).replace(",", ".")))


class PublicReportForm(FlaskForm):
    """What a pupil or parent tells the school, in words a twelve-year-old understands."""

    choice = RadioField(_l("Wat wil je doen?"), choices=select_choices((
        ("report", _l("Ik wil pesten melden")),
        ("complaint", _l("Ik wil klagen over hoe de school met pesten omgaat")),
    )), default="report", validators=[InputRequired(_l("Kies wat je wilt doen."))])
    who = RadioField(_l("Wie ben jij?"), choices=select_choices((
        ("pupil", _l("Een leerling")), ("parent", _l("Een ouder")), ("other", _l("Iemand anders")),
    )), default="pupil", validators=[InputRequired(_l("Kies wie je bent."))])
    what = TrimmedTextAreaField(_l("Wat is er gebeurd?"), validators=[
        DataRequired(_l("Vertel wat er gebeurd is. Dit moet je invullen.")), _too_long(MAX_MESSAGE)])
    whom = TrimmedStringField(_l("Bij wie gebeurt het? Wie doet het?"), validators=[_too_long(500)])
    place = TrimmedStringField(_l("Waar gebeurt het? (bijvoorbeeld op het plein of in de bus)"),
                               validators=[_too_long(200)])
    platform = TrimmedStringField(_l("Gebeurt het online? In welke app of op welke site?"),
                                  validators=[_too_long(100)])
    since = TrimmedStringField(_l("Sinds wanneer gebeurt het?"), validators=[_too_long(200)])
    more = TrimmedTextAreaField(_l("Wil je nog iets vertellen?"), validators=[_too_long(MAX_MESSAGE)])
    name = TrimmedStringField(_l("Je naam (mag je leeg laten)"), validators=[Optional(), _too_long(200)])
    school_class = TrimmedStringField(_l("Je klas (mag je leeg laten)"), validators=[Optional(), _too_long(32)])
    # A field people never see; software that fills in every field does.
    website = TrimmedStringField(_l("Laat dit veld leeg"))

    def validate_website(self, field):
        if field.data:
            raise ValidationError(_l("Laat dit veld leeg."))

    def values(self):
        return {name: getattr(self, name).data for name in (
            "choice", "who", "what", "whom", "place", "platform", "since", "more", "name", "school_class")}


class StatusForm(FlaskForm):
    code = TrimmedStringField(_l("Je code"), validators=[DataRequired(_l("Vul je code in.")), _too_long(40)],
                              render_kw={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"})
    phrase = TrimmedStringField(_l("Je geheime zin"), validators=[
        DataRequired(_l("Vul je geheime zin in.")), _too_long(200)],
        render_kw={"autocapitalize": "none", "autocomplete": "off", "spellcheck": "false"})


class ReplyForm(FlaskForm):
    body = TrimmedTextAreaField(_l("Jouw bericht"), validators=[
        DataRequired(_l("Schrijf eerst een bericht.")), _too_long(MAX_MESSAGE)])


class StaffAnswerForm(FlaskForm):
    """The school's answer to the reporter, written on the report or complaint page."""

    body = TrimmedTextAreaField(_l("Antwoord aan de melder"), validators=[
        DataRequired(_l("Schrijf eerst een antwoord.")), _too_long(MAX_MESSAGE)])
    show_name = BooleanField(_l("Toon mijn naam (anders ziet de melder alleen je rol)"))
