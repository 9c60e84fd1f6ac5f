"""The templates' texts in the user's language, with the catalogue found once per request.

Flask-Babel looks the catalogue up anew for every text (half a dozen context lookups each),
and a page has a hundred texts. These callables keep the request's catalogue on `g`, keyed by
the locale object Flask-Babel chose, so `force_locale` still switches language.
"""
import datetime
import functools

import babel.dates
from flask import g
from flask_babel import format_date, get_locale, get_translations, to_user_timezone
from jinja2 import pass_eval_context
from markupsafe import Markup


def catalogue():
    """The request's catalogue (Flask-Babel's translations for the chosen locale), looked up once."""
    request_globals = g._get_current_object()  # one context lookup; a page asks a hundred times
    locale = getattr(getattr(request_globals, "_flask_babel", None), "babel_locale", None)
    cached = getattr(request_globals, "_herstel_catalogue", None)
    if cached is not None and locale is not None and cached[0] is locale:
        return cached[1]
    translations = get_translations()  # makes Flask-Babel pick the locale when it had not yet
    request_globals._herstel_catalogue = (request_globals._flask_babel.babel_locale, translations)
    return translations


def install(jinja_env):
    """Use these in templates instead of Flask-Babel's (same texts; Jinja formats and escapes).

    Jinja's own newstyle callables take the template's context, and a function that takes the context, called
    after a `{% set %}` in a loop or a block, gets a copy of the context made for it: two copies for each
    `_()` (its alias, then gettext), some 160 on the overview. These take only what they use, whether
    the template escapes, and format and escape exactly as Jinja's do (`Markup(text) % variables`)."""
    jinja_env.newstyle_gettext = True  # `{% trans %}` passes its variables to gettext, as with Jinja's own

    @pass_eval_context
    def gettext(eval_context, string, /, **variables):
        text = catalogue().ugettext(string)
        return (Markup(text) if eval_context.autoescape else text) % variables

    @pass_eval_context
    def ngettext(eval_context, singular, plural, num, /, **variables):
        variables.setdefault("num", num)
        text = catalogue().ungettext(singular, plural, num)
        return (Markup(text) if eval_context.autoescape else text) % variables

    @pass_eval_context
    def pgettext(eval_context, context, string, /, **variables):
        variables.setdefault("context", context)
        text = catalogue().upgettext(context, string)
        return (Markup(text) if eval_context.autoescape else text) % variables

    @pass_eval_context
    def npgettext(eval_context, context, singular, plural, num, /, **variables):
        variables.setdefault("context", context)
        variables.setdefault("num", num)
        text = catalogue().unpgettext(context, singular, plural, num)
        return (Markup(text) if eval_context.autoescape else text) % variables

    # `_` is replaced too: Jinja's alias looks gettext up in the context on every call (a context copy).
    jinja_env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext, pgettext=pgettext, npgettext=npgettext)


def gettext(string):
    """A text in the user's language for Python code on a hot path (the school's terms), from
    the same catalogue the templates use."""
    return catalogue().ugettext(string)


@functools.lru_cache(maxsize=4096)
def _long_date(day, locale):
    return babel.dates.format_date(day, "d MMMM yyyy", locale=locale)


def in_dutch(text):
    """Text kept in Dutch whatever the reader's language (the protocols' steps and guides, the timeline's lines),
    marked so on a page in another language: a screen reader then reads it as Dutch (WCAG 3.1.2)."""
    if not text or str(get_locale()) == "nl":
        return text
    return Markup('<span lang="nl">%s</span>') % text


def long_date(value):
    """A day as "3 november 2026" in the user's language; lists show the same days over and
    over, so each is formatted once per language. A moment goes to the user's time zone first."""
    if not value:
        return ""
    if type(value) is datetime.date:
        return _long_date(value, str(get_locale()))
    if type(value) is datetime.datetime:  # Flask-Babel's format_date of a moment formats its day in the user's zone
        return _long_date(to_user_timezone(value).date(), str(get_locale()))
    return format_date(value, "d MMMM yyyy")
