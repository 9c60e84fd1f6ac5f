"""The home page, the overview and the case page are drawn faster, not differently (issue 23, 4 December).

Their texts no longer go through Jinja's own gettext (which copies the template's context for each text
after a `{% set %}`), a moment's day is formatted by the kept formatter that days already use, and the
overview asks for its rows' words once a page: each is compared here with what it replaced, in Dutch and
in English.
"""
import datetime
import re

import flask_babel
import jinja2.ext
import pytest

import i18n
import models
import terminology
from conftest import demo_case, logged_in_client

TOKEN = re.compile(r"[\w-]{20,}\.[\w-]{6}\.[\w-]{20,}")  # the CSRF token, new in every response


def drawn(client, path):
    response = client.get(path)
    assert response.status_code == 200
    return TOKEN.sub("(token)", response.get_data(as_text=True))


def with_jinjas_own_gettext(app):
    """The app's templates with Jinja's newstyle gettext over Flask-Babel's catalogue, as they were drawn."""
    translations = flask_babel.get_translations
    app.jinja_env.install_gettext_callables(
        lambda string: translations().ugettext(string),
        lambda singular, plural, num: translations().ungettext(singular, plural, num),
        pgettext=lambda context, string: translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, num: translations().unpgettext(context, singular, plural, num),
        newstyle=True)
    app.jinja_env.globals["_"] = jinja2.ext._gettext_alias


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_pages_read_as_with_jinjas_own_gettext(app, language):
    with app.app_context():
        models.User.update(language=language).where(models.User.username == "coordinator").execute()
        # Names the texts take as variables, which must come out escaped as Jinja escaped them.
        for involvement in demo_case("0001").involvements:
            models.Pupil.update(first_name=involvement.pupil.first_name + ' <b>"&').where(
                models.Pupil.id == involvement.pupil_id).execute()
        paths = ["/", "/dossiers/", "/dossiers/?status=all&volgorde=termijn",
                 "/dossiers/%d" % demo_case("0001").id, "/dossiers/%d" % demo_case("0002").id]
    client = logged_in_client(app, "coordinator")
    ours = [drawn(client, path) for path in paths]
    with_jinjas_own_gettext(app)
    assert [drawn(client, path) for path in paths] == ours
    assert ('lang="%s"' % language) in ours[0]


# Moments around midnight in the school's zone (Amsterdam), in winter and summer time and across both changes.
MOMENTS = [datetime.datetime(2026, 3, 28, 22, 59), datetime.datetime(2026, 3, 28, 23, 0),
           datetime.datetime(2026, 3, 29, 21, 59), datetime.datetime(2026, 3, 29, 22, 0),
           datetime.datetime(2026, 10, 24, 21, 59), datetime.datetime(2026, 10, 24, 22, 0),
           datetime.datetime(2026, 10, 25, 22, 59), datetime.datetime(2026, 10, 25, 23, 0),
           datetime.datetime(2026, 12, 31, 23, 30), datetime.datetime(2027, 1, 1, 0, 0)]


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_moment_is_dated_as_flask_babel_dates_it(app, language):
    with app.test_request_context(), flask_babel.force_locale(language):
        assert [i18n.long_date(moment) for moment in MOMENTS] == [
            flask_babel.format_date(moment, "d MMMM yyyy") for moment in MOMENTS]
        # The school's day, not the day in UTC: 23:00 UTC on 28 March is already the 29th in Amsterdam.
        assert i18n.long_date(MOMENTS[1]).startswith("29 ")
        assert i18n.long_date(datetime.date(2026, 3, 28)) == flask_babel.format_date(
            datetime.date(2026, 3, 28), "d MMMM yyyy")


def overview_rows(html):
    """Each row of the overview: its cells' labels, its links, and its texts without the tags."""
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return [(re.findall(r'data-label="([^"]*)"', row), re.findall(r'href="([^"]*)"', row),
             " ".join(re.sub(r"<[^>]+>", " ", row).split()))
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


# A word as the overview says it: "geen" alone in its cell, "uiterlijk" and "te laat sinds" before a date.
SAID = {"none": r"(?<!\S)%s(?!\S)", "overdue": r"(?<!\S)%s \d", "due": r"(?<!\S)%s \d"}


def test_the_overviews_rows_name_their_columns_and_link_alike_in_dutch_and_english(app):
    rows, words = {}, {}
    for language in ("nl", "en"):
        with app.app_context():
            models.User.update(language=language).where(models.User.username == "coordinator").execute()
        rows[language] = overview_rows(drawn(logged_in_client(app, "coordinator"), "/dossiers/?status=all"))
        with app.test_request_context(), flask_babel.force_locale(language):
            words[language] = {
                "labels": [flask_babel.gettext("Dossier"), terminology.term("mentor", capital=True),
                           flask_babel.gettext("Geopend"), flask_babel.gettext("Volgende stap"),
                           flask_babel.gettext("Vervolggesprekken"), flask_babel.gettext("Voorstel tot escalatie"),
                           flask_babel.gettext("Status")],
                "none": flask_babel.gettext("geen"), "overdue": flask_babel.gettext("te laat sinds"),
                "due": flask_babel.gettext("uiterlijk")}
    assert words["nl"]["labels"] != words["en"]["labels"]
    assert len(rows["nl"]) == len(rows["en"]) >= 5
    for (labels, links, text), (labels_en, links_en, text_en) in zip(rows["nl"], rows["en"]):
        assert labels == words["nl"]["labels"] and labels_en == words["en"]["labels"]
        assert links == links_en
        assert links[0].startswith("/dossiers/")
        assert all(link.startswith(links[0] + "#step-") for link in links[1:] if "#step-" in link)
        for key in ("none", "overdue", "due"):
            pattern = SAID[key] % re.escape(words["nl"][key]), SAID[key] % re.escape(words["en"][key])
            assert len(re.findall(pattern[0], text)) == len(re.findall(pattern[1], text_en)), (text, text_en)
    # The rows the demo school gives show each kind of cell: a next step, and a case without one.
    assert any("#step-" in link for _labels, links, _text in rows["nl"] for link in links)
    assert any(" %s " % words["nl"]["none"] in text for _labels, _links, text in rows["nl"])
