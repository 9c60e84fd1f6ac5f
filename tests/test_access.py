"""The access matrix: every route, every role, from one table.

A new route that is not in ROUTES fails test_every_route_is_in_the_table, so no page can be
added without deciding who may reach it. Denied records answer 404 where their existence is
a secret (cases) and 403 where it is not (admin pages).

A row that only reads (a GET), and a POST row the role is refused (403, 404, 405, or a visitor
sent to the login page), runs on an app its role shares with the role's other such rows; every
other row gets a fresh app on its own copy of the demo school. Each row on a shared app checks
that it left every record as it found it (its audit line and login session aside): a refused
write must change nothing. The table itself is in access_routes.py.
"""
import collections
import re

import pytest

import models
from app import create_app
from access_routes import ROLES, ROUTES, hand_over_0003
from conftest import ROOT, csrf_token, demo_case, fingerprints, logged_in_client
from databases import copy_database, drop_database

def test_every_route_is_in_the_table(app):
    covered = {(endpoint, method) for endpoint, method, _, _ in ROUTES}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (rule.endpoint, method) not in covered:
                missing.append("%s %s (%s)" % (method, rule.rule, rule.endpoint))
    assert not missing, "routes without a row in the access matrix: %s" % ", ".join(missing)


# A POST's answers that refuse it: nothing may be written. A signed-in role's 302 is left out (it is
# how a saved form answers), and so are 400, 409 and 422: the role may write there, and only this
# empty form is turned down.
REFUSALS = (403, 404, 405)
# A visitor's 302 that is no refusal: choosing a language needs no account, and the login form is the
# login page's own.
VISITORS_MAY = ("auth.language", "auth.login")


def refused(endpoint, method, role, expected):
    """A row whose request the role is refused: 403, 404, 405, or a visitor sent to the login page."""
    status = expected[role]
    return status in REFUSALS or (role is None and status == 302 and endpoint not in VISITORS_MAY)


def only_reads(method, path, endpoint=None, role=None, expected=None):
    """A row whose request and path change nothing another row could see: a GET, or a POST the role
    is refused, whose path does not set the school up first."""
    if getattr(path, "changes_the_school", False):
        return False
    return method == "GET" or (expected is not None and refused(endpoint, method, role, expected))


SharedSchool = collections.namedtuple("SharedSchool", "app engine database fingerprints")


class ReadingSchools:
    """One app per role, each on its own copy of the demo school, for the role's reading rows.

    Building an app and copying the database for each of the table's thousand rows took most
    of the suite's time; the rows that only read can share both.
    """

    def __init__(self, demo_database, new_directory):
        self._demo_database = demo_database
        self._new_directory = new_directory
        self._schools = {}  # by role

    def app_of(self, role):
        """The role's app, its database the one the models use."""
        if role not in self._schools:
            database = copy_database(self._demo_database, self._new_directory())
            app = create_app(database.config())
            self._schools[role] = SharedSchool(app, models.db.obj, database, fingerprints())
        school = self._schools[role]
        # The models reach the database through one proxy, which the last app built (a fresh
        # one for a writing row, perhaps) pointed at its own.
        models.db.initialize(school.engine)
        return school.app

    def changed(self, role):
        """The tables that differ from the role's copy of the demo school as it was made."""
        before = self._schools[role].fingerprints
        return sorted(table for table, digest in fingerprints().items() if digest != before[table])

    def assert_unchanged(self, role, row):
        """Fail a row that changed what the role's next rows would see, and let them start anew."""
        changed = self.changed(role)
        if changed:
            self.close(role)
        assert not changed, "%s changed %s: a read or a refused write must change nothing (a row whose path " \
            "sets the school up is marked changes_the_school)" % (row, ", ".join(changed))

    def close(self, role):
        school = self._schools.pop(role)
        school.engine.close_all()
        drop_database(school.database)

    def close_all(self):
        for role in list(self._schools):
            self.close(role)


@pytest.fixture(scope="module")
def reading_schools(demo_database, tmp_path_factory):
    schools = ReadingSchools(demo_database, lambda: tmp_path_factory.mktemp("reading"))
    yield schools
    schools.close_all()


@pytest.fixture
def row_app(request, reading_schools, role, endpoint, method, path, expected):
    """The app a row of the table runs on: its role's shared app when it only reads or is refused,
    else a fresh one."""
    if only_reads(method, path, endpoint, role, expected):
        return reading_schools.app_of(role)
    return request.getfixturevalue("app")


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role or "anonymous")
@pytest.mark.parametrize("endpoint,method,path,expected", ROUTES,
                         ids=["%s %s %d" % (r[1], r[0], i) for i, r in enumerate(ROUTES)])
def test_access_matrix(row_app, reading_schools, role, endpoint, method, path, expected):
    client = logged_in_client(row_app, role)
    url = path() if callable(path) else path
    if method == "GET":
        response = client.get(url)
    else:
        token = csrf_token(client, "/account/" if role else "/login")
        response = client.post(url, data={"csrf_token": token})
    row = "%s %s as %s" % (method, url, role or "anonymous")
    assert response.status_code == expected[role], row
    if response.status_code == 302 and role is None and endpoint not in VISITORS_MAY:
        assert response.headers["Location"].startswith("/login")
    if only_reads(method, path, endpoint, role, expected):
        reading_schools.assert_unchanged(role, row)


# The previous mentor (issue 20): every row of the table that mentor2 reaches through case 0003 (the case, its
# talks, its agreement, its parents' form, mentor2's work note on it), tried by mentor2 once the case went to
# the mentor. The setting off: as if the case did not exist. On: these pages are read (the case, a talk mentor2
# held, the agreement mentor2 drew up, as a page and a PDF), every other row answers 403 (a form to add a
# record, every change), and the work note's page 404 (only its author's to change, on a case that is theirs).
PREVIOUS_MENTOR_READS = {("cases.detail", "GET"), ("conversations.checklist", "GET"), ("agreements.edit", "GET"),
                         ("agreements.download", "GET")}
CASE_0003_ROWS = [row for row in ROUTES if row[3]["mentor2"] != 404 and row[3]["mentor"] == 404
                  and not row[0].startswith(("reports.", "cases.new", "prevention."))]  # 3C's, not the case's


def test_the_rows_of_case_0003_are_the_ones_the_previous_mentor_is_tried_on():
    endpoints = {(endpoint, method) for endpoint, method, _, _ in CASE_0003_ROWS}
    assert PREVIOUS_MENTOR_READS <= endpoints
    assert {("conversations.tick", "POST"), ("agreements.new", "POST"), ("agreements.sign", "POST"),
            ("parents.new", "GET"), ("notes.edit", "GET")} <= endpoints


@pytest.mark.parametrize("reads", [False, True], ids=["setting off", "setting on"])
@pytest.mark.parametrize("endpoint,method,path,expected", CASE_0003_ROWS,
                         ids=["%s %s" % (r[1], r[0]) for r in CASE_0003_ROWS])
def test_the_previous_mentor_reads_a_handed_over_case_only_when_the_school_says_so(
        app, login_as, reads, endpoint, method, path, expected):
    with app.app_context():
        hand_over_0003(reads)
        url = path() if callable(path) else path
        before = fingerprints()
    client = login_as("mentor2")
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": csrf_token(client, "/account/")})
    if not reads:
        wanted = 404
    elif (endpoint, method) in PREVIOUS_MENTOR_READS:
        wanted = 200
    else:
        wanted = 404 if endpoint.startswith("notes.") else 403
    assert response.status_code == wanted, "%s %s as the previous mentor" % (method, url)
    with app.app_context():
        assert fingerprints() == before, "%s %s changed a record for the previous mentor" % (method, url)


def test_refusals_are_in_the_audit_log(login_as):
    client = login_as("mentor2")
    case = demo_case("0001")
    assert client.get("/dossiers/%d" % case.id).status_code == 404
    event = models.AuditEvent.select().where(models.AuditEvent.action == "access.denied").get()
    assert (event.username, event.object_type, event.object_id) == ("mentor2", "case", case.id)


def test_reading_a_case_is_in_the_audit_log(login_as):
    client = login_as("coordinator")
    case = demo_case("0003")
    client.get("/dossiers/%d" % case.id)
    event = models.AuditEvent.select().where(models.AuditEvent.action == "case.view").get()
    assert (event.username, event.object_id) == ("coordinator", case.id)


def test_case_lists_show_only_visible_cases(login_as):
    mentor2_list = login_as("mentor2").get("/dossiers/?status=all").get_data(as_text=True)
    assert demo_case("0003").reference in mentor2_list
    assert demo_case("0001").reference not in mentor2_list
    support_list = login_as("support").get("/dossiers/?status=all").get_data(as_text=True)
    assert demo_case("0001").reference in support_list
    assert demo_case("0002").reference not in support_list


def test_support_members_are_blind_to_cases_not_referred_to_them(login_as):
    client = login_as("support")
    workspace = client.get("/ondersteuning/").get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    for suffix in ("0002", "0003"):
        case = demo_case(suffix)
        assert client.get("/dossiers/%d" % case.id).status_code == 404
        assert client.get("/ondersteuning/dossiers/%d/sessies/nieuw" % case.id).status_code == 404
        assert case.reference not in workspace and case.reference not in home


def test_templates_ask_the_permissions_module_not_the_users_roles():
    """What a page shows is decided by the permissions package (or by a view asking it), never by a role in a template."""
    asking = [str(path.relative_to(ROOT)) for path in (ROOT / "templates").rglob("*.html")
              if re.search(r"has_role\(|['\"]\w+['\"] in \w+\.roles", path.read_text())]
    assert not asking


@pytest.mark.parametrize("role,heading,inbox", [
    ("coordinator", "Open dossiers", True),
    ("mentor", "Mijn open dossiers", False),
    ("support", "Dossiers voor het ondersteuningsteam", False),
    ("teamleader", "Dossiers waarin jij over een maatregel beslist", False),
    ("management", "Dossiers waarin jij over een maatregel beslist", False),
    ("staff", None, False),
])
def test_the_home_page_shows_each_role_its_own_cases_and_the_coordinator_the_inbox(login_as, role, heading, inbox):
    html = login_as(role).get("/").get_data(as_text=True)
    headings = re.findall(r'<h2 id="cases-title">\s*(.*?)\s*</h2>', html)
    assert headings == ([heading] if heading else [])
    assert ("Naar het postvak" in html) == inbox


def test_the_fingerprints_the_shared_rows_are_checked_with_see_a_changed_record(app_context):
    before = fingerprints()
    # Taken twice of an unchanged school, they are equal: binary columns (the demo's drawn
    # signatures) included, which PostgreSQL's driver hands over as a memoryview.
    assert models.AgreementParty.select().where(models.AgreementParty.signature_png.is_null(False)).exists()
    assert fingerprints() == before
    with models.db.atomic():
        models.User.update(full_name="Iemand Anders").where(models.User.username == "mentor").execute()
    assert sorted(table for table, digest in fingerprints().items() if digest != before[table]) == ["user"]

