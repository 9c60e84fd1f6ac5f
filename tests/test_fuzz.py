"""Property-based attack on every form and htmx endpoint, from the route's own valid form (Hypothesis).

Per POST route: the page that renders its form is opened as a role allowed to use it, the form is
filled in as a person would (tests/html_forms.py reads it as a browser does), and the valid form is
sent once; then Hypothesis breaks one field at a time (the probe markup, wrong types, huge numbers,
the field left out or sent twice, another of its own choices), each example on the school as it was
before. Each route must store one example in eight, two at the least; a probe the route accepted must be
in the database before every page that shows it is checked for escaping it; never a 5xx. The valid
form, sent by every role the access matrix refuses, changes nothing. The pages with a query-string
form or an htmx search (filters, the pupil picker) get the same: their own parameters, one broken at
a time, never a 5xx, never the probe unescaped.

The runs are derandomized so CI is repeatable: 8 examples per route (besides the probe once in each
text field); HERSTEL_FUZZ_EXAMPLES=100 explores more (the README's longer run).
"""
import datetime
import importlib
import inspect
import os
import pkgutil
import re
import urllib.parse

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, example, given, settings, strategies as st
from werkzeug.datastructures import MultiDict

import forms
import models
from conftest import PASSWORD, csrf_token, demo_case, fingerprints, logged_in_client
from databases import restore_database, snapshot_database
from db import close_all_connections, today as school_today
from html_forms import TEXT_TYPES, Control, forms_of
from access_routes import ROLES, ROUTES, inbox_report_path
from test_class_agreements import signature_data_url
from test_csrf_table import allowed_role

EXAMPLES = int(os.environ.get("HERSTEL_FUZZ_EXAMPLES", "8"))
MIN_ACCEPTED = max(2, EXAMPLES // 8)  # accepted and stored, of the examples that break a field
PROBE = '<b data-probe="herstel">'
SHOWN_ESCAPED = re.compile(r'&lt;b data-probe=(&#34;|&quot;|&#x22;)herstel')
# Past what SQLite (2**63 - 1) and PostgreSQL (integer, bigint) hold, and just inside.
HUGE = ["9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
        "2147483648", "99999999999999999999"]
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["<script>alert(1)</script>", "\"'><svg onload=alert(1)>", "", " ", "0", "-1", "1",
                     "2026-02-30", "2026-11-22T25:61", "NaN", "☃🙂 שלום", "\x00", "on", "x" * 100_000] + HUGE),
    st.integers().map(str),
)
# How one field is broken: the probe, another value, left out, sent twice or more, another of its own choices.
# (The valid ones twice, so a route stores a fair share of its examples.)
BREAKS = st.one_of(
    st.just(("probe",)),
    st.integers(min_value=0, max_value=40).map(lambda index: ("choice", index)),
    VALUES.map(lambda value: ("value", value)),
    st.just(("drop",)),
    st.lists(VALUES, min_size=2, max_size=3).map(lambda values: ("values", values)),
    st.integers(min_value=0, max_value=40).map(lambda index: ("choice", index)),
)

# POST routes whose form cannot be reached from a page here, and where they are tested instead.
NOT_FUZZED = {
    "auth.login": "ends the fuzzer's session: test_auth, test_attack",
    "auth.logout": "ends the fuzzer's session: test_auth",
    "account.change_password": "ends the fuzzer's password: test_auth",
    "account.end_sessions": "ends the fuzzer's session: test_auth",
    "auth.second_step": "only half logged in, with a code from the phone: test_second_factor",
    "auth.enrol": "only half logged in, with a code from the phone: test_second_factor",
    "account.second_factor_setup": "a code from the phone's app: test_second_factor",
    "account.disable_second_factor": "shown to someone with a second factor only: test_second_factor",
    "settings.failed_mail": "shown when a mail failed only: test_notify",
    "cases.switch_approach": "shown when a follow-up found the support group not working only: test_approach_switch",
    "pupil_import.confirm": "after an uploaded file only: test_pupil_import",
    "pupil_import.cancel": "after an uploaded file only: test_pupil_import",
    "public.reply": "after a reporter's code and phrase only: test_public_reports",
    "public.leave": "after a reporter's code and phrase only: test_public_reports",
    "corrections.undo_set_aside": "after a step set aside by hand only: test_corrections",
    "admin.reset_second_factor": "shown for a user with a second factor only: test_second_factor",
    "admin.unlink_school_account": "shown for a user with a linked school account only: test_school_login",
    "pupil_import.upload": "a file of pupils: test_pupil_import",
    "public.status": "a reporter's code and phrase: test_public_reports",
    "prevention.lock_agreement": "shown once a class's agreements are signed: test_class_agreements",
    "corrections.stop_second_protocol": "shown for a case with a second protocol only: test_second_protocol",
    "merges.undo": "shown on the day of a merge only: test_merges",
    "settings.test_sign_in": "asks the provider's discovery address: test_school_login, test_browser_school_login",
}


def _up_to(marker):
    return lambda url: url[:url.index(marker)]


def _parent(url):
    return url.rsplit("/", 1)[0]


def _thread_page(thread):
    """The report's or the complaint's page, where its answer form is."""
    return "/meldingen/%d" % thread.report_id if thread.report_id else "/klachten/%d" % thread.complaint_id


# The page that renders a route's form, from the route's path (by default the path itself).
FORM_PAGES = {
    "auth.language": lambda url: "/",
    "account.calendar_link": lambda url: "/account/",
    "account.own_notes": lambda url: "/account/",
    "account.confirm_identity": lambda url: "/account/tweede-factor",
    "cases.complete_step": _up_to("/stappen"),
    "cases.set_severity": _parent, "cases.set_approach": _parent, "cases.close": _parent, "cases.reopen": _parent,
    "conversations.tick": _up_to("/punten"), "conversations.note": _up_to("/punten"),
    "conversations.add_line": _parent,
    "conversations.remove_line": lambda url: "/gesprekken/%d" % models.Conversation.get(
        models.Conversation.ended_at.is_null()).id,
    "conversations.appointment": _parent, "conversations.finish": _parent,
    "agreements.new": lambda url: "/dossiers/%s" % url.rsplit("/", 1)[1],
    "agreements.add_parent": _parent,
    "agreements.sign": lambda url: _up_to("/partijen")(url) + "/tekenen",
    "followups.record": lambda url: "/dossiers/%d" % models.FollowUp.get_by_id(int(url.split("/")[2])).case_id,
    "followups.measure": _parent,
    "followups.agree": lambda url: "/dossiers/%d" % models.Measure.get_by_id(int(url.split("/")[2])).case_id,
    "followups.refuse_measure": lambda url: "/dossiers/%d" % models.Measure.get_by_id(int(url.split("/")[2])).case_id,
    "support.close_referral": lambda url: "/ondersteuning/",
    "complaints.change_status": _parent, "complaints.advice": _parent, "complaints.committee": _parent,
    "complaints.add_note": _parent,
    "evidence.delete": lambda url: "/dossiers/%d" % models.Evidence.get_by_id(int(url.split("/")[2])).case_id,
    "notes.new": _up_to("/werkaantekeningen"), "notes.delete": _parent,
    "reports.close": _parent, "reports.attach": _parent,
    "corrections.add_pupils": lambda url: _up_to("/leerlingen")(url) + "/corrigeren",
    "corrections.change_role": lambda url: _up_to("/leerlingen")(url) + "/corrigeren",
    "corrections.remove_pupil": lambda url: _up_to("/leerlingen")(url) + "/corrigeren",
    "corrections.hand_over": lambda url: _parent(url) + "/corrigeren",
    "corrections.set_flags": lambda url: _parent(url) + "/corrigeren",
    "corrections.set_aside": lambda url: _parent(url) + "/corrigeren",
    "corrections.add_second_protocol": lambda url: _up_to("/tweede-protocol")(url) + "/corrigeren",
    "public_thread.answer": lambda url: _thread_page(models.PublicThread.get_by_id(int(url.split("/")[2]))),
    "admin.toggle_active": lambda url: "/beheer/gebruikers",
    "settings.export_all": lambda url: "/instellingen/",
    "prevention.delete_activity": _parent, "prevention.delete_plan_item": _parent,
    "prevention.contract_signatures": _parent, "prevention.lock_agreement": _parent,
}


# What a route's form needs before a page shows it (run once, before the school is saved for the examples).
SETUPS = {
    "cases.reopen": lambda: models.Case.update(status="closed", closed_at=datetime.datetime(2026, 1, 5)).where(
        models.Case.id.in_(models.Case.select(models.Case.id).where(models.Case.reference.endswith("0001")))).execute(),
    "followups.record": lambda: models.FollowUp.update(due_on=datetime.date(2026, 1, 5)).where(
        models.FollowUp.done_at.is_null()).execute(),
    "conversations.remove_line": lambda: models.ConversationLine.create(
        conversation=models.Conversation.get(models.Conversation.ended_at.is_null()), kind="agreement",
        text="Een regel om door te halen", client_key="fuzz-1", created_by=models.User.by_username("mentor2")),
}


def _noor_as(role):
    return lambda: [("role_%d" % models.Pupil.get(models.Pupil.first_name == "Noor").id, role)]


# Values a valid form needs that no page fills in and a plain "filled in" text is not (by field name);
# a callable gives pairs the page's script would add (a pupil the picker found, a drawn signature).
VALID_VALUES = {
    "admin.new_user": {"username": "nieuwe.collega", "email": "nieuw@example.org"},
    "admin.edit_user": {"email": "collega@example.org"},
    "settings.edit": {"app_url": "https://herstel.example.org", "mail_sender": "herstel@example.org"},
    "settings.sign_in": {"issuer": "https://login.example.org/school", "allowed_domains": "hetbaken.example"},
    "merges.confirm": {"confirm": "y"},
    "account.confirm_identity": {"secret": PASSWORD},
    "cases.new": {"q": "", "pupils": _noor_as("victim")},
    "corrections.add_pupils": {"q": "", "pupils": lambda: [("role_%d" % models.Pupil.select().where(
        models.Pupil.id.not_in(models.Involvement.select(models.Involvement.pupil).where(
            models.Involvement.case == demo_case("0001")))).first().id, "bystander")]},
    "cases.set_severity": {"severity": "serious"},
    "complaints.change_status": {"status-status": "closed"},
    "corrections.change_role": {"role": "bystander"},
    "corrections.set_flags": {"online": "y"},
    "corrections.hand_over": {"mentor": lambda form: str(models.User.by_username("mentor2").id)},
    "prevention.contract_signatures": {"pupils": lambda form: [  # who has not signed yet signs now
        (control.name, control.value) for control in form.controls if (control.name or "").endswith("pupils") and not control.checked]},
    "complaints.new": {"q": "", "pupil": "", "case_reference": ""},
    "reports.new": {"q": "", "pupils": lambda: [("pupils", str(models.Pupil.get(models.Pupil.first_name == "Noor").id))]},
    "prevention.new_activity": {"plan_item": ""},
    "referrals.new": {"training": ""},
    "public.report": {"website": ""},
    "evidence.new": {"evidence-url": "https://example.org/bericht"},
    "/logboek/": {"case": ""},  # (the query forms by their page)
    "prevention.sign_agreement": {"signature": signature_data_url()},
    "agreements.sign": {"signature": signature_data_url()},
}
# Routes that answer a valid form without storing anything a user can change (fingerprints leaves out the
# audit log, sessions and login counters): their examples count as accepted when answered below 400.
STORE_NOTHING = {
    "auth.language": "the language goes into the session",
    "account.confirm_identity": "the confirmation goes into the session",
    "access_requests.pupil": "the export is a download (its audit line aside)",
    "settings.export_all": "the export is a download (its audit line aside)",
    "account.own_notes": "the export is a download (its audit line aside)",
}
# Who else reads what a route stored, and where (besides the pages the one who sent it sees).
SHOWN_TO = {
    "public.report": [("coordinator", lambda: "/meldingen/%d" % models.Report.select().order_by(
        models.Report.id.desc()).first().id)],
}
# Routes whose text fields go somewhere else than the database (the probe is checked there by another test).
PROBE_NOT_STORED = {
    "access_requests.pupil": "the requester's name and note go into the file handed over: test_access_requests",
}
# Routes whose form is one field most of whose values are refused: the valid form is their accepted example.
FEW_VALID = {
    "agreements.sign": "the drawn signature alone",
    "cases.set_severity": "one of two answers, the other the demo's own (no change)",
    "cases.set_approach": "two choices that depend on each other",
    "complaints.change_status": "the status, whose next steps the rules limit",
    "complaints.committee": "one date, on or after the complaint came in",
    "corrections.hand_over": "another mentor, of one list",
    "reports.attach": "one open case, of one list",
    "account.confirm_identity": "the password alone",
    "corrections.change_role": "one role of a list, the pupil's own no change",
    "corrections.add_second_protocol": "one protocol of a short list; once added, another is refused",
}


def fill(control, endpoint):
    """A valid value for a field the page left empty, by its kind."""
    today = school_today()
    # A moment in the past at any hour of the school's day (a time of capture may not lie ahead).
    yesterday = today - datetime.timedelta(days=1)
    return {"date": today.isoformat(), "datetime-local": yesterday.isoformat() + "T10:00", "time": "10:00",
            "number": "1", "email": "iemand@example.org", "url": "https://example.org/bericht",
            "password": "Een-lang-wachtwoord-2026", "month": today.strftime("%Y-%m"),
            }.get(control.kind, "Ingevuld: " + control.name)


def valid_pairs(form, endpoint):
    """What a person sends with the form: the page's own values, every empty field filled in, the first
    of a choice nobody made chosen."""
    own_empty = [name for name, value in VALID_VALUES.get(endpoint, {}).items() if value == ""] or ["\0"]
    pairs = []
    for name, value in form.submission():
        control = next(c for c in form.controls if c.name == name)
        if value == "" and (control.kind == "textarea" or control.kind in TEXT_TYPES - {"hidden"}):
            value = fill(control, endpoint)
        elif control.kind == "textarea":  # an edit form saves a change
            value += " Bijgewerkt."
        if control.kind == "select" and value == "" and not control.name.endswith(tuple(own_empty)):
            value = next((option for option, _ in control.options if option), "")
        pairs.append((name, value))
    sent = {name for name, _ in pairs}
    for control in form.controls:
        if control.name in sent or control.disabled or control.kind not in ("radio", "checkbox"):
            continue
        group = [c for c in form.controls if c.name == control.name]
        if control.kind == "radio" or len(group) > 1:  # a choice of one of several: the first
            pairs.append((control.name, control.value))
            sent.add(control.name)
    for name, value in VALID_VALUES.get(endpoint, {}).items():
        named = [n for n in sent if n == name or n.endswith("-" + name)]  # a prefixed form's field too
        if callable(value):
            value = value(form) if value.__code__.co_argcount else value()
        if isinstance(value, list):
            pairs += value
        elif named:
            pairs = [(n, value if n in named else v) for n, v in pairs]
        else:
            pairs.append((name, value))
    return pairs


def broken(pairs, form, name, change):
    """The pairs with one field changed as `change` says."""
    kept = [(n, v) for n, v in pairs if n != name]
    if change[0] == "probe":
        return kept + [(name, PROBE)]
    if change[0] == "value":
        return kept + [(name, change[1])]
    if change[0] == "values":
        return kept + [(name, value) for value in change[1]]
    if change[0] == "choice":
        choices = [value for control in form.controls if control.name == name
                   for value in ([option for option, _ in control.options] if control.kind == "select"
                                 else [control.value])]
        kinds = {control.kind for control in form.controls if control.name == name}
        if kinds & {"select", "radio", "checkbox"} and choices:
            return kept + [(name, choices[change[1] % len(choices)])]
        return kept + [(name, another_valid(kinds, change[1]))]
    return kept  # dropped


def another_valid(kinds, number):
    """Another value a person could type into a field of these kinds."""
    day = school_today() - datetime.timedelta(days=number)
    if "date" in kinds:
        return day.isoformat()
    if "datetime-local" in kinds:
        return "%sT%02d:%02d" % ((day + datetime.timedelta(days=2 * number)).isoformat(), 8 + number % 10, number)
    if "number" in kinds:
        return str(number + 1)
    return "Nog een tekst %d" % number


def errors(response):
    """The messages of a refused form (for the failure's message)."""
    return re.findall(r'class="[^"]*(?:field__error|error-summary)[^"]*"[^>]*>\s*(?:<[^>]+>\s*)*([^<]+)',
                      response.get_data().decode("utf-8", "replace"))


def summary_problems(body):
    """A whole page that came back with a field's message must open with GOV.UK's error summary, each of its
    links leading to an element of the page (the field, or the section that says it): what is wrong, else."""
    shown = re.findall(r'<[^>]+class="[^"]*\bfield__error\b[^"]*"[^>]*>', body)
    if not body.lstrip().lower().startswith("<!doctype") or all(" hidden" in tag for tag in shown):
        return []  # a fragment, or no message but a script's, hidden until it says it
    summary = re.search(r'<div class="[^"]*error-summary[^"]*"[^>]*>(.*?)</div>', body, re.S)
    if summary is None:
        return ["a field's message but no error summary"]
    targets = re.findall(r'href="#([^"]+)"', summary.group(1))
    return (["an empty error summary"] if not targets else []) + [
        "the summary links to #%s, which is not on the page" % target for target in targets
        if not re.search(r'\bid="%s"' % re.escape(target), body)]


def text_fields(form):
    """The fields someone types free text into (the probe goes into each once)."""
    return sorted({control.name for control in form.controls if control.name and not control.disabled and (
        control.kind in ("textarea", "text", "search") and control.name != "q")})


def path_only(url):
    return urllib.parse.urlsplit(url).path


def probe_stored():
    """Whether the probe is in any text column of any table (the audit log's details included)."""
    for model in models.MODELS:
        for row in model.select().tuples():
            if any(isinstance(value, str) and PROBE in value for value in row):
                return True
    return False


POST_ENDPOINTS = sorted({endpoint for endpoint, method, _, _ in ROUTES
                         if method == "POST" and endpoint not in NOT_FUZZED})


def test_every_post_route_is_fuzzed_or_says_where_it_is_tested(app):
    posts = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert set(POST_ENDPOINTS) | set(NOT_FUZZED) == posts and not set(POST_ENDPOINTS) & set(NOT_FUZZED)


class School:
    """A route's form on the demo school, which is put back as it was before each request.

    The school is saved after the form was opened, with every role's session in it: each request
    is sent with that form and those sessions on the school as it was then.
    """

    def __init__(self, app, endpoint, directory=None):
        self.app, self.endpoint = app, endpoint
        self.adapter = app.url_map.bind("localhost")
        SETUPS.get(endpoint, lambda: None)()
        # The route's rows of the access matrix that someone may use (their paths may set the school up).
        rows = [(path, expected) for name, method, path, expected in ROUTES if name == endpoint and method == "POST"
                and not all(expected[role] in (403, 404) for role in ROLES)]
        for path, expected in rows:
            url, role = path() if callable(path) else path, allowed_role(expected)
            self.url, self.role, self.expected = url, role, expected
            self.page = FORM_PAGES.get(endpoint, lambda url: url)(url)
            self.form, self.client, self.token = self.open_form()
            if self.form is not None:
                break
        else:
            pytest.fail("no page shows the form of %s (rows: %r)" % (endpoint, rows))
        self.valid = valid_pairs(self.form, endpoint)
        # Who the access matrix refuses, each with a session and a token of their own.
        self.refused = {}
        for role in ROLES:
            if expected[role] in (403, 404):
                client = logged_in_client(app, role)
                self.refused[role] = (client, csrf_token(client, "/account/" if role else "/login"))
        if directory is None:  # the form is sent once: nothing to put back
            return
        close_all_connections()
        self.database = app.config["DATABASE"]
        self.snapshot = snapshot_database(self.database, directory)
        self.fingerprints = fingerprints()

    def open_form(self):
        """The form as the page renders it for the role, a client with the role's session, the page's CSRF token."""
        client = logged_in_client(self.app, self.role)
        html = client.get(self.page).get_data(as_text=True)
        forms = [form for form in forms_of(html, self.page) if form.method == "post" and self.routes_to(form.path)]
        token = re.search(r'"X-CSRFToken": "([^"]+)"', html)
        return (forms[0] if forms else None), client, token.group(1) if token else None

    def routes_to(self, path):
        """Whether a form's action is this route."""
        try:
            return self.adapter.match(path_only(path), method="POST")[0] == self.endpoint
        except Exception:  # noqa: BLE001 - another route, a redirect, nothing at all
            return False

    def restore(self):
        close_all_connections()
        restore_database(self.database, self.snapshot)

    def send(self, pairs, client=None, token=None):
        """Post the form; a whole page that comes back with a field's message opens with its error summary
        (checked here, not in the examples' function: Hypothesis derives their seed from its source)."""
        headers = {"X-CSRFToken": token or self.token}
        if self.form.htmx:
            headers["HX-Request"] = "true"
        response = (client or self.client).post(self.form.path, data=MultiDict(pairs), headers=headers)
        problems = summary_problems(response.get_data().decode("utf-8", "replace"))
        assert problems == [], "%s with %s: %s" % (self.endpoint, pairs, problems)
        return response

    def changed(self):
        """Whether a record differs from the saved school (the audit log, sessions and login counters aside)."""
        return fingerprints() != self.fingerprints



@pytest.mark.timeout(900)
@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_a_form_with_one_field_broken_is_stored_or_refused_never_a_500_never_unescaped(app, tmp_path, endpoint):
    school = School(app, endpoint, tmp_path / "snapshot")
    form = school.form
    tally = {"accepted": 0, "probes stored": 0, "probes shown": 0}
    response = school.send(school.valid)
    assert response.status_code < 400, "the valid form of %s %r: %d %s" % (
        endpoint, school.valid, response.status_code, errors(response))
    assert school.changed() or endpoint in STORE_NOTHING, "the valid form of %s stored nothing" % endpoint
    # The same valid form, sent by every role the access matrix refuses, changes nothing.
    school.restore()
    for role, (client, token) in school.refused.items():
        pairs = [(n, token if n.endswith("csrf_token") else v) for n, v in school.valid]
        response = school.send(pairs, client, token)
        assert response.status_code < 500, "%s as %s" % (endpoint, role)
    assert not school.changed(), "%s changed a record for a role the access matrix refuses" % endpoint

    # A form with nothing but its token gets a field it does not know.
    names = sorted(set(form.names()) - {n for n in form.names() if n.endswith("csrf_token")}) or ["extra"]

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(name=st.sampled_from(names), change=BREAKS)
    def break_one_field(name, change):
        school.restore()
        response = school.send(broken(school.valid, form, name, change))
        body = response.get_data().decode("utf-8", "replace")
        assert response.status_code < 500, "%s with %s=%r" % (endpoint, name, change)
        assert PROBE not in body, "%s echoes markup unescaped" % endpoint
        if os.environ.get("FUZZ_DEBUG"):
            print(endpoint, name, change[:1], response.status_code, school.changed(), errors(response)[:3])
        if response.status_code >= 400 or not (school.changed() or endpoint in STORE_NOTHING):
            return
        tally["accepted"] += 1
        if change[0] != "probe" or not probe_stored():
            return
        tally["probes stored"] += 1
        # Every page that shows what was stored escapes it: the answer, where it led, the form's page,
        # the page of the case it belongs to.
        shown, pages = [body], [school.page]
        if response.status_code in (301, 302, 303) and response.headers.get("Location"):
            pages.insert(0, response.headers["Location"])
        pages += re.findall(r"^/dossiers/\d+", school.url) + re.findall(r"^/dossiers/\d+", school.page)
        readers = [(school.client, page) for page in dict.fromkeys(pages)]
        readers += [(logged_in_client(app, role), page()) for role, page in SHOWN_TO.get(endpoint, ())]
        for client, page in readers:
            shown.append(client.get(page).get_data().decode("utf-8", "replace"))
            if os.environ.get("FUZZ_DEBUG"):
                print(page, SHOWN_ESCAPED.search(shown[-1]), shown[-1][:300])
        assert not any(PROBE in html for html in shown), "%s shows stored markup unescaped" % endpoint
        tally["probes shown"] += any(SHOWN_ESCAPED.search(html) for html in shown)

    for field in text_fields(form):  # the probe once in each text field, besides the random examples
        break_one_field = example(name=field, change=("probe",))(break_one_field)
    break_one_field()
    tally["examples"] = EXAMPLES
    assert tally["accepted"] >= (0 if endpoint in FEW_VALID else MIN_ACCEPTED), tally
    if text_fields(form) and endpoint not in PROBE_NOT_STORED:
        assert tally["probes stored"] >= 1 and tally["probes shown"] >= 1, tally


# The pages with a form that reads its query string (filters) or an htmx search, as a role that uses them.
GET_PAGES = [
    ("coordinator", "/dossiers/"), ("coordinator", "/preventie/"), ("coordinator", "/inzageverzoek/"),
    ("coordinator", "/logboek/"), ("coordinator", "/monitor/"),
    ("mentor", "/meldingen/nieuw"),  # the pupil picker: who did what
    ("coordinator", "/dossiers/nieuw"),  # the pupil picker: roles
    ("counsellor", "/klachten/nieuw"),  # the pupil picker: one pupil or none
    ("staff", "/meldingen/nieuw"),
]


# Query forms one parameter of which decides, most of its values answered with 404 (the valid query is answered).
FEW_ANSWERED = {("/preventie/", "/preventie/"): "the school year alone: a year without a plan is not found"}


def query_forms(html, page):
    """The forms of a page that send a query string (a GET form, an htmx search), their action's own
    query counted as their fields."""
    found = []
    for form in forms_of(html, page):
        if form.method != "get":
            continue
        action = urllib.parse.urlsplit(form.action)
        for name, value in urllib.parse.parse_qsl(action.query, keep_blank_values=True):
            form.controls.append(Control("input", {"type": "hidden", "name": name, "value": value}))
        form.action = urllib.parse.urlunsplit(action._replace(query=""))
        if form.names():
            found.append(form)
    return found


@pytest.mark.timeout(900)
@pytest.mark.parametrize("role,page", GET_PAGES)
def test_a_query_with_one_parameter_broken_is_answered_never_a_500_never_unescaped(app, role, page):
    client = logged_in_client(app, role)
    found = query_forms(client.get(page).get_data(as_text=True), page)
    assert found, "no query form on %s" % page
    for form in found:
        fuzz_query_form(client, page, form)


def fuzz_query_form(client, page, form):
    """The valid query answered; then one parameter at a time broken: never a 5xx, never the probe unescaped."""
    tally = {"answered": 0}
    valid = valid_pairs(form, page)
    response = client.get(form.path, query_string=valid)
    assert response.status_code == 200, "%s %r: %d" % (form.path, valid, response.status_code)

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(name=st.sampled_from(form.names()), change=BREAKS)
    def break_one_parameter(name, change):
        response = client.get(form.path, query_string=broken(valid, form, name, change),
                              headers={"HX-Request": "true"} if form.htmx else {})
        body = response.get_data().decode("utf-8", "replace")
        assert response.status_code < 500, "%s with %s=%r" % (form.path, name, change)
        assert PROBE not in body, "%s echoes its query string unescaped" % form.path
        tally["answered"] += response.status_code == 200

    for field in text_fields(form) + [name for name in form.names() if name == "q"]:
        break_one_parameter = example(name=field, change=("probe",))(break_one_parameter)
    break_one_parameter()
    assert tally["answered"] >= (0 if (page, form.path) in FEW_ANSWERED else MIN_ACCEPTED), (form, tally)


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


# What the pages read from their query strings (filters, pickers, pages), besides the forms' own fields.
QUERY_NAMES = sorted(set(form_field_names()) | {
    "mentor", "klas", "mentor_naam", "klas_naam", "pagina", "melding", "pupil", "pupils", "role_1", "role_9223372036854775808", "mode", "status",
    "stap", "te_laat", "naar", "sjabloon", "aanvullen", "next", "gesprek"})


# Routes that end the fuzzer's own session or password; their refusals are tested elsewhere.
SESSION_ENDING = {"auth.logout", "auth.login", "account.change_password", "account.end_sessions"}
TOO_BIG = "9223372036854775808"  # 2**63: SQLite cannot compare it, the query used to fail with a 500


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
