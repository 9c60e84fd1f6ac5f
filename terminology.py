"""The school's words for its roles: a Dutch school says mentor, a Flemish school klascoach.

The words follow the country chosen in the settings. That choice already picks the help
lines of the report page and fits the protocols (a Flemish school works with the Flemish
stappenplan), and a school that picks Vlaanderen expects Flemish words with it; a separate
switch would only allow mixes nobody asked for (Flemish help lines with Dutch role names).

Each word is a msgid of its own, so the English catalog gives English words, and a sentence
takes the word as a placeholder of its own msgid:

    _("De %(mentor)s belt terug.", mentor=term("mentor"))

Dutch and Flemish use the same article for each pair (de mentor / de klascoach, het
ondersteuningsteam / het zorgteam), so a sentence reads right with either word.
The app tells this module how to read the school's country (`init_app`): the settings live in
the database, which sits above the words in the layers (models take their labels from here).
"""
from flask import current_app, has_app_context
from flask_babel import LazyString

import i18n

REGIONS = ("nl", "vl")


def N_(word):
    """Marks a word for the catalogue; term() translates it when it is shown."""
    return word


# concept: {region: (singular, plural)}; the concepts are the role keys of models.ROLES
# ("support" is the support team). The CLB, the guidance centre a Flemish school refers to,
# is a referral target of its own that only Flemish schools are offered: a Dutch school has
# none and refers to external help ("Externe hulp") instead.
WORDS = {
    "mentor": {"nl": (N_("mentor"), N_("mentoren")), "vl": (N_("klascoach"), N_("klascoaches"))},
    "coordinator": {"nl": (N_("anti-pestcoördinator"), N_("anti-pestcoördinatoren")),
                    "vl": (N_("zorgcoördinator"), N_("zorgcoördinatoren"))},
    "support": {"nl": (N_("ondersteuningsteam"), N_("ondersteuningsteams")),
                "vl": (N_("zorgteam"), N_("zorgteams"))},
    # The team leader of a department (seed 001: teamleider or afdelingsleider), who decides suspension
    # with management; a Flemish school's graadcoördinator leads a grade's team.
    "teamleader": {"nl": (N_("teamleider"), N_("teamleiders")),
                   "vl": (N_("graadcoördinator"), N_("graadcoördinatoren"))},
    "management": {"nl": (N_("directie"), N_("directies")), "vl": (N_("directie"), N_("directies"))},
}


def init_app(app, school_region):
    """`school_region()` gives the school's country; the app reads it from its settings, at most
    once per request."""
    app.extensions["school_region"] = school_region


def region():
    """The school's country ("nl" or "vl"); Dutch outside an app (no settings to read)."""
    if not has_app_context():
        return "nl"
    return current_app.extensions["school_region"]()


def term(concept, plural=False, capital=False, in_region=None):
    """The school's word for a concept, in the user's language: term("mentor") is
    "mentor" for a Dutch school, "klascoach" for a Flemish one, "class coach" in English."""
    word = WORDS[concept][in_region or region()][1 if plural else 0]
    if has_app_context():
        word = i18n.gettext(word)
    return word[:1].upper() + word[1:] if capital else word


def dutch_term(concept, plural=False, capital=False):
    """The school's word in Dutch whatever the user's language: for PDFs and e-mails, which
    are written in Dutch."""
    word = WORDS[concept][region()][1 if plural else 0]  # the msgids are the Dutch words
    return word[:1].upper() + word[1:] if capital else word


def lazy_term(concept, plural=False, capital=False):
    """The word, looked up when shown: for labels defined once at import (models.ROLES)."""
    return LazyString(term, concept, plural=plural, capital=capital)


def words_of(in_region):
    """The words a region uses, for the settings page: "mentor, ondersteuningsteam, ..."."""
    words = [term(concept, in_region=in_region) for concept in ("mentor", "support", "coordinator")]
    return ", ".join(words + (["CLB"] if in_region == "vl" else []))


def offers_clb():
    """Only Flemish schools refer to a CLB."""
    return region() == "vl"


def labels(options):
    """A choices tuple as {value: display text} in the user's language, for templates (a list
    resolves it once, before its loop).

    A lazy text looks up its catalogue anew every time it is shown, escaped or lowered, and a
    timeline shows dozens. So each tuple is resolved to plain strings once per process, for
    each catalogue (language) and school region (whose words some texts carry, see term()).
    """
    catalogue = i18n.catalogue()
    key = (id(options), id(catalogue), region())
    resolved = _RESOLVED.get(key)
    # The entry keeps the tuple and the catalogue alive, so their ids cannot be reused.
    if resolved is None or resolved[0] is not options or resolved[1] is not catalogue:
        resolved = _RESOLVED[key] = (options, catalogue, {value: str(text) for value, text in options})
    return resolved[2]


_RESOLVED = {}


def label(options, value):
    """The display text of a value in a choices tuple (the value itself when unknown), for templates."""
    return labels(options).get(value, value)


def template_globals():
    return {"term": term, "terminology_words": words_of, "label": label, "labels": labels}
