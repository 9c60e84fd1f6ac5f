"""Property-based attack on every form, htmx endpoint and query string, as every role (Hypothesis).

Arbitrary text, huge values, wrong types and missing fields must never give a 5xx, never
change a record for a role the access matrix refuses, and never come back unescaped.
The runs are derandomized so CI is repeatable: 400 examples each; HERSTEL_FUZZ_EXAMPLES=2500 explores more
(the README's longer run). Each search may take minutes on a busy machine: its timeout is its own.
"""
import importlib
import inspect
import os
import pkgutil

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings, strategies as st

import forms
import models
from conftest import csrf_token, demo_case, fingerprints
from test_access import ROLES, ROUTES, inbox_report_path

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
GET_ROUTES = [(endpoint, path, expected) for endpoint, method, path, expected in ROUTES if method == "GET"]
# Past what SQLite (2**63 - 1) and PostgreSQL (integer, bigint) hold, and just inside.
HUGE = ["9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
        "2147483648", "99999999999999999999"]
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from([PROBE, "<script>alert(1)</script>", "\"'><svg onload=alert(1)>", "", " ", "0", "-1", "1",
                     "2026-02-30", "2026-11-22T25:61", "NaN", "☃🙂 שלום", "\x00", "on", "x" * 100_000] + HUGE),
    st.integers().map(str),
    st.integers(min_value=2 ** 31 - 2, max_value=2 ** 70).map(str),
)
FIELDS = st.dictionaries(st.sampled_from(form_field_names()), st.one_of(VALUES, st.lists(VALUES, max_size=3)),
                         max_size=8)
# What the pages read from their query strings (filters, pickers, pages), besides the forms' own fields.
QUERY_NAMES = sorted(set(form_field_names()) | {
    "mentor", "klas", "pagina", "melding", "pupil", "pupils", "role_1", "role_9223372036854775808", "mode", "status",
    "stap", "te_laat", "naar", "sjabloon", "aanvullen", "next", "gesprek"})
QUERIES = st.dictionaries(st.sampled_from(QUERY_NAMES), st.one_of(VALUES, st.lists(VALUES, max_size=3)), max_size=6)


@pytest.mark.timeout(900)
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
        # As bytes: an answer may be a file (the administrator's export is a ZIP), not text.
        assert PROBE.encode() not in response.get_data(), "%s echoes markup unescaped" % endpoint
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


@pytest.mark.timeout(900)
def test_no_page_fails_or_leaks_on_any_query_string(app, login_as):
    clients = {role: login_as(role) for role in ROLES}
    paths = {}
    with app.app_context():
        for endpoint, path, _ in GET_ROUTES:
            paths[endpoint, path] = path() if callable(path) else path

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(route=st.sampled_from(GET_ROUTES), role=st.sampled_from(ROLES), query=QUERIES, htmx=st.booleans())
    def get_anything(route, role, query, htmx):
        endpoint, path, _ = route
        base, _, fixed = paths[endpoint, path].partition("?")
        pairs = [(name, value) for name, values in query.items()
                 for value in (values if isinstance(values, list) else [values])]
        response = clients[role].get(base, query_string=[tuple(pair.split("=", 1)) for pair in fixed.split("&")
                                                         if "=" in pair] + pairs,
                                     headers={"HX-Request": "true"} if htmx else {})
        assert response.status_code < 500, "%s as %s with ?%r" % (endpoint, role, query)
        assert PROBE.encode() not in response.get_data(), "%s echoes its query string unescaped" % endpoint

    get_anything()


TOO_BIG = "9223372036854775808"  # 2**63: SQLite cannot compare it, the query used to fail with a 500


def allowed_role(expected):
    """A role the access matrix lets through to the route (so its parameters are read), or None."""
    return next((role for role in ROLES if role and expected[role] not in (403, 404)), None)


@pytest.mark.parametrize("value", [TOO_BIG, "-9223372036854775809", "2147483648"])
def test_every_parameter_of_every_route_past_the_database_is_no_500(app, login_as, value):
    """Beside the random search above: each route once with every name it might read set to one number."""
    with app.app_context():
        routes = [(endpoint, method, path() if callable(path) else path, allowed_role(expected))
                  for endpoint, method, path, expected in ROUTES if endpoint not in SESSION_ENDING]
    clients = {role: login_as(role) for role in ROLES}
    tokens = {role: csrf_token(client, "/account/" if role else "/login") for role, client in clients.items()}
    failed = []
    for endpoint, method, path, role in routes:
        if method == "GET":
            response = clients[role].get(path + ("&" if "?" in path else "?") + "&".join(
                "%s=%s" % (name, value) for name in QUERY_NAMES))
        else:
            data = {name: value for name in QUERY_NAMES}
            data.update({"csrf_token": tokens[role]}, **{"%s-csrf_token" % prefix: tokens[role]
                                                         for prefix in form_prefixes()})
            response = clients[role].post(path, data=data)
        if response.status_code >= 500:
            failed.append((method, path, role, response.status_code))
    assert failed == []


@pytest.mark.parametrize("role, path", [
    ("coordinator", "/dossiers/?mentor=" + TOO_BIG),
    ("coordinator", "/dossiers/?klas=" + TOO_BIG),
    ("coordinator", "/dossiers/?klas=-" + TOO_BIG),
    ("coordinator", "/dossiers/nieuw?melding=" + TOO_BIG),
    ("mentor", "/meldingen/leerlingen?q=noor&pupils=" + TOO_BIG),
    ("mentor", "/meldingen/leerlingen?q=noor&mode=one&pupil=" + TOO_BIG),
    ("coordinator", "/meldingen/leerlingen?q=noor&mode=role&role_%s=victim" % TOO_BIG),
])
def test_an_id_no_row_can_have_in_a_query_string_answers_400(login_as, role, path):
    assert login_as(role).get(path).status_code == 400


def test_the_pupil_picker_still_reads_its_empty_choice_and_real_ids(app, login_as):
    with app.app_context():
        noor = models.Pupil.get(models.Pupil.first_name == "Noor")
    client = login_as("mentor")
    response = client.get("/meldingen/leerlingen?q=noor&mode=one&pupil=")
    assert response.status_code == 200
    response = client.get("/meldingen/leerlingen?q=xx&pupils=%d" % noor.id)
    assert response.status_code == 200 and "Noor" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/dossiers/" + TOO_BIG, "/meldingen/" + TOO_BIG, "/bewijs/%s/bekijken" % TOO_BIG])
def test_an_id_no_row_can_have_in_the_path_answers_404(login_as, path):
    assert login_as("coordinator").get(path).status_code == 404


def post_form(client, path, data, token_page="/account/"):
    data = dict(data, csrf_token=csrf_token(client, token_page))
    return client.post(path, data=data)


def test_a_report_naming_an_impossible_pupil_id_gets_a_field_error(login_as):
    client = login_as("mentor")
    response = post_form(client, "/meldingen/nieuw", {
        "reporter_kind": "pupil", "channel": "in_person", "reported_on": "2026-01-05", "kinds": "physical",
        "description": "Wat er gebeurde", "pupils": TOO_BIG})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Een gekozen leerling bestaat niet (meer)." in html and "Wat er gebeurde" in html


def test_a_case_giving_an_impossible_pupil_a_role_gets_a_message(app, login_as):
    with app.app_context():
        mentor = models.User.by_username("mentor")
    client = login_as("coordinator")
    response = post_form(client, "/dossiers/nieuw", {
        "title": "Buitensluiten", "protocol": "vo-nl", "mentor": str(mentor.id), "role_" + TOO_BIG: "victim"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Een gekozen leerling bestaat niet (meer)." in html and "Buitensluiten" in html


def test_a_complaint_about_an_impossible_pupil_id_gets_a_field_error(login_as):
    client = login_as("counsellor")
    response = post_form(client, "/klachten/nieuw", {
        "received_on": "2026-01-05", "complainant_kind": "parent", "pupil": TOO_BIG,
        "description": "Er gebeurt niets"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Deze leerling bestaat niet (meer)." in html and "Er gebeurt niets" in html


def test_attaching_a_report_to_an_impossible_case_id_says_choose_a_case(app, login_as):
    with app.app_context():
        path = inbox_report_path("/meldingen/%d/koppelen")()
    client = login_as("coordinator")
    response = client.post(path, data={"attach-case_id": TOO_BIG,
                                       "attach-csrf_token": csrf_token(client, "/account/")})
    assert response.status_code == 302
    assert "Kies een open dossier." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_an_agreement_from_an_impossible_conversation_id_answers_404(app, login_as):
    with app.app_context():
        case_id = demo_case("0003").id
    client = login_as("mentor2")
    response = post_form(client, "/herstelovereenkomsten/nieuw/%d" % case_id, {"gesprek": TOO_BIG})
    assert response.status_code == 404
