"""CSRF by table: every POST route of the access matrix, sent without a token by a role allowed to
use it, is refused with 400 and changes nothing (a fingerprint of every table the users can change).

A route that forgot its CSRF check would store what the forged request sent, or at least answer
something else than 400; the table comes from test_access, so a new POST route is covered once it
has its row there.
"""
import pytest

from conftest import fingerprints, logged_in_client
from access_routes import ROLES, ROUTES
from test_access import reading_schools  # noqa: F401 (the fixture)

# The CSRF refusal's own message (views/errors.py), not the 400 of a form that found nothing to save:
# an unprotected route would refuse this empty request too, for its missing fields.
CSRF_REFUSAL = "Het formulier is verlopen of ongeldig."


def allowed_role(expected):
    """The first signed-in role the access matrix lets through to the route; a public route's visitor."""
    return next((role for role in ROLES if role and expected[role] not in (403, 404)), None)


POSTS = [(endpoint, path, allowed_role(expected)) for endpoint, method, path, expected in ROUTES if method == "POST"]


def test_the_table_holds_every_post_route(app):
    posts = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert {endpoint for endpoint, _, _ in POSTS} == posts and len(posts) > 60


@pytest.mark.parametrize("endpoint,path,role", POSTS, ids=[endpoint for endpoint, _, _ in POSTS])
def test_a_post_without_a_token_is_refused_and_changes_nothing(reading_schools, endpoint, path, role):
    app = reading_schools.app_of(role)
    client = logged_in_client(app, role)
    url = path() if callable(path) else path  # some paths set up what they point at
    before = fingerprints()
    form = client.post(url, data={"anything": "1"})
    htmx = client.post(url, data={"anything": "1"}, headers={"HX-Request": "true"})
    changed = sorted(table for table, digest in fingerprints().items() if digest != before[table])
    if reading_schools.changed(role):  # the next rows of the role start from a fresh copy
        reading_schools.close(role)
    refused = [(response.status_code, CSRF_REFUSAL in response.get_data(as_text=True)) for response in (form, htmx)]
    assert (refused, "X-CSRFToken" in htmx.headers, changed) == ([(400, True)] * 2, True, []), "POST %s as %s" % (
        url, role)
