"""Property-based attack on every form and htmx endpoint, as every role (Hypothesis).

Arbitrary text, huge values, wrong types and missing fields must never give a 5xx, never
change a record for a role the access matrix refuses, and never come back unescaped.
The runs are derandomized so CI is repeatable; HERSTEL_FUZZ_EXAMPLES=2000 explores more.
"""
import importlib
import inspect
import os
import pkgutil

from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings, strategies as st

import forms
import models
from conftest import csrf_token, demo_case, fingerprints
from test_access import ROLES, ROUTES

EXAMPLES = int(os.environ.get("HERSTEL_FUZZ_EXAMPLES", "400"))
PROBE = '<b data-probe="herstel">'
# Routes that end the fuzzer's own session or password; their refusals are tested elsewhere.
SESSION_ENDING = {"auth.logout", "auth.login", "account.change_password", "account.end_sessions"}


def form_prefixes():
    """The prefixes of forms whose posted names carry one (their CSRF field is '<prefix>-csrf_token')."""
    prefixes = set()
    for module_info in pkgutil.iter_modules(forms.__path__):
        module = importlib.import_module("forms." + module_info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, FlaskForm) and getattr(cls, "field_prefix", ""):
                prefixes.add(cls.field_prefix)
    return sorted(prefixes)


def form_field_names():
    """Every field name of every form in forms/, so posts hit real validation."""
    names = {"done", "note", "base_version", "merge", "text", "kind", "client_key", "q", "role"}
    for module_info in pkgutil.iter_modules(forms.__path__):
        module = importlib.import_module("forms." + module_info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, FlaskForm) and cls is not FlaskForm:
                fields = [name for name in dir(cls) if not name.startswith("_")
                          and getattr(getattr(cls, name), "field_class", None) is not None]
                names.update(fields)
                prefix = getattr(cls, "field_prefix", "")  # forms whose posted names carry a prefix
                if prefix:
                    names.update("%s-%s" % (prefix, name) for name in fields)
    names.discard("csrf_token")
    return sorted(names)


POST_ROUTES = [(endpoint, path, expected) for endpoint, method, path, expected in ROUTES
               if method == "POST" and endpoint not in SESSION_ENDING]
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from([PROBE, "<script>alert(1)</script>", "\"'><svg onload=alert(1)>", "", " ", "0", "-1", "1",
                     "99999999999999999999", "2026-02-30", "2026-11-22T25:61", "NaN", "☃🙂 שלום", "\x00", "on",
                     "x" * 100_000]),
    st.integers().map(str),
)
FIELDS = st.dictionaries(st.sampled_from(form_field_names()), st.one_of(VALUES, st.lists(VALUES, max_size=3)),
                         max_size=8)


def test_no_form_or_htmx_endpoint_fails_leaks_or_obeys_a_refused_role(app, login_as):
    clients = {role: login_as(role) for role in ROLES}
    tokens = {role: csrf_token(client, "/account/" if role else "/login") for role, client in clients.items()}
    paths = {}
    with app.app_context():
        for endpoint, path, _ in POST_ROUTES:
            paths[endpoint, path] = path() if callable(path) else path

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(route=st.sampled_from(POST_ROUTES), role=st.sampled_from(ROLES), fields=FIELDS,
           htmx=st.booleans(), with_token=st.booleans())
    def post_anything(route, role, fields, htmx, with_token):
        endpoint, path, expected = route
        data = dict(fields)
        if with_token:
            data["csrf_token"] = tokens[role]
            data.update({"%s-csrf_token" % prefix: tokens[role] for prefix in form_prefixes()})
        refused = role is None or expected[role] in (403, 404)
        with app.app_context():
            before = fingerprints() if refused else None
        response = clients[role].post(paths[endpoint, path], data=data,
                                      headers={"HX-Request": "true"} if htmx else {})
        assert response.status_code < 500, "%s as %s with %r" % (endpoint, role, data)
        assert PROBE not in response.get_data(as_text=True), "%s echoes markup unescaped" % endpoint
        if refused:
            with app.app_context():
                assert fingerprints() == before, "%s changed a record for %s" % (endpoint, role)

    post_anything()

    # Whatever was stored along the way is shown escaped on every page that shows it.
    with app.app_context():
        pages = ["/", "/dossiers/", "/meldingen/", "/beheer/gebruikers"]
        pages += ["/dossiers/%d" % demo_case(suffix).id for suffix in ("0001", "0002", "0003")]
        pages += ["/gesprekken/%d" % talk.id for talk in models.Conversation.select()]
        pages += ["/herstelovereenkomsten/%d" % agreement.id for agreement in models.Agreement.select()]
    for role in ("coordinator", "mentor2", "admin"):
        for page in pages:
            response = clients[role].get(page)
            assert response.status_code < 500, page
            assert PROBE not in response.get_data(as_text=True), "%s shows stored markup unescaped" % page
