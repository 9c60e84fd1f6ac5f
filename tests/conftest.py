"""Fixtures: an app on a real database (migrated, with the demo school), clients, factories.

The database is a SQLite file, or one on the PostgreSQL server HERSTEL_TEST_DATABASE_URL names
(see databases.py).
"""
import dataclasses
import datetime
import hashlib
import itertools
import os
import pathlib
import re
import threading

import flask
import jinja2
import pytest
from _pytest.nodeid import NodeId
from argon2 import PasswordHasher
from werkzeug.routing import Rule

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")


class CompiledTemplates(jinja2.BytecodeCache):
    """Jinja's compiled templates, kept in memory for every app one test process builds.

    A fresh app compiles each template it renders anew, which cost a fresh app's first pages
    more than building the app itself; a server compiles them once. Jinja finds a template's
    code by its name and checks it against the template's source, so an edited template
    compiles again.
    """

    def __init__(self):
        self._code = {}

    def load_bytecode(self, bucket):
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket):
        self._code[bucket.key] = bucket.bytecode_to_string()


# Every app the tests build is configured alike, so the compiled code of one fits all.
flask.Flask.jinja_options = dict(flask.Flask.jinja_options, bytecode_cache=CompiledTemplates())


def _url_builders_kept(compile_builder):
    """Werkzeug's compiling of a route's URL builders, kept for every app one test process builds.

    Werkzeug writes and compiles two small Python functions per route when a route is added to an
    app: three quarters of what building an app cost (about 30 of 45 ms, a few thousand apps a
    run). A builder's code follows from the route's parts and its defaults alone, and it reads the
    route's converters through the route it is bound to, so one route's builder fits the same route
    of every app; a server builds its app once and never notices.
    """
    builders = {}

    def kept(rule, append_unknown=True):
        defaults = tuple(sorted((name, rule._converters[name].to_url(value) if name in rule._converters
                                 else repr(value)) for name, value in (rule.defaults or {}).items()))
        key = (append_unknown, tuple(rule._trace), defaults)
        if key not in builders:
            builders[key] = compile_builder(rule, append_unknown)
        return builders[key]
    return kept


Rule._compile_builder = _url_builders_kept(Rule._compile_builder)

from app import create_app  # noqa: E402
import db  # noqa: E402
from db import close_all_connections, migrate_database  # noqa: E402
import demo  # noqa: E402
import models  # noqa: E402
from databases import copy_database, drop_database, new_database  # noqa: E402

# argon2id at its cheapest for every password and phrase the tests hash and check, the demo school's
# included (a check costs what the stored hash says, so the live servers' logins are cheap too). At
# the library's recommended 64 MiB a hash or a check took a tenth to a third of a second, and a run
# makes about 500 of them in its own processes alone. What the tests ask of passwords (argon2id, one
# check per login whoever is named, how many checks a throttle lets through) counts checks and reads
# the hash's kind, never its cost; test_auth checks that the app's own hasher is the recommended one.
APP_PASSWORD_HASHER = models.base.password_hasher
models.base.password_hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
models.base.DUMMY_HASH = models.base.password_hasher.hash("a password nobody has")

ROOT = pathlib.Path(__file__).resolve().parent.parent
PASSWORD = demo.DEMO_PASSWORD
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """Compile the catalogs as `make` does, so a plain `pytest` sees the current texts."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    for po_path in pathlib.Path(ROOT, "translations").glob("*/LC_MESSAGES/messages.po"):
        with open(po_path, "rb") as po_file:
            catalog = read_po(po_file)
        # Parallel test workers compile at the same time: each writes its own file and puts it
        # in place whole, so no worker's app reads a catalog another worker is still writing.
        partial = po_path.with_suffix(".mo.%d" % os.getpid())
        with open(partial, "wb") as mo_file:
            write_mo(mo_file, catalog)
        os.replace(partial, po_path.with_suffix(".mo"))


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory):
    """A database, migrated and filled with the demo school once per test session."""
    database = new_database(tmp_path_factory.mktemp("template"))
    app = create_app(database.config())
    with app.app_context():
        demo.load()
        # The planner's statistics of the demo school, which each app on a copy used to gather
        # again at its start; the copies inherit them with the rows.
        migrate_database()
    close_all_connections()
    database.migrated = True
    yield database
    drop_database(database)


@pytest.fixture
def app(tmp_path, demo_database):
    """A fresh app on its own copy of the demo database, with an instance folder of its own."""
    database = copy_database(demo_database, tmp_path)
    app = create_app(database.config())
    # Uploaded pupil lists wait for their confirmation in the instance folder; tests count
    # them there, and tests running beside them (in parallel, or the live server) add theirs.
    app.instance_path = str(tmp_path / "instance")
    os.makedirs(app.instance_path, exist_ok=True)
    yield app
    close_all_connections()
    drop_database(database)


@pytest.fixture(autouse=True)
def prepared_afresh_under_mutation():
    """Under `make mutation` each test builds the prepared statements itself: a mutant's test process
    is forked from one that had built them, and would never run a bug planted in their SQL."""
    if os.environ.get("MUTANT_UNDER_TEST"):
        db.Prepared.forget_all()


@pytest.fixture
def app_context(app):
    """For tests that call the workflow directly. Not for tests that make requests: requests
    would share this context and its `g`, and with it the logged-in user."""
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client, path="/login"):
    """The CSRF token of the client's session, read from a rendered page like a browser would."""
    response = client.get(path)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, "no CSRF token on %s" % path
    return match.group(1)


class AuthActions:
    """Log in and out through the real forms."""

    def __init__(self, client):
        self._client = client

    def login(self, username="mentor", password=PASSWORD, address=None):
        token = csrf_token(self._client)
        environ = {"REMOTE_ADDR": address} if address else {}
        return self._client.post("/login", data={"username": username, "password": password,
                                                 "csrf_token": token}, environ_base=environ)

    def logout(self):
        token = csrf_token(self._client, "/account/")
        return self._client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    return AuthActions(client)


def logged_in_client(app, username):
    """A test client of app with a live server-side session for a username (None: anonymous).

    It opens the session directly instead of through the login form, which has tests of
    its own, so that tests walking many routes do not pay for a password hash each time.
    """
    client = app.test_client()
    if username:
        user = models.User.by_username(username)
        token = models.UserSession.start(user)
        with client.session_transaction() as session:
            session["_user_id"] = token
            session["_fresh"] = True
    return client


@pytest.fixture
def login_as(app):
    """logged_in_client on the test's app: login_as("mentor")."""
    return lambda username: logged_in_client(app, username)


class Factory:
    """Make records in one line: factory.case(mentor=..., victim=pupil, bully=other)."""

    _numbers = itertools.count(1)

    def user(self, username=None, roles=("staff",), is_admin=False, password=PASSWORD, active=True):
        username = username or "user%06d" % next(self._numbers)
        with models.db.atomic():
            user = models.User(username=username, full_name=username.title(), is_admin=is_admin,
                               is_active=active)
            user.set_password(password)
            user.save()
            user.set_roles(roles)
        return user

    def school_class(self, name=None, mentor=None, year_level=1):
        return models.SchoolClass.create(name=name or "T%06d" % next(self._numbers), mentor=mentor,
                                         year_level=year_level)

    def pupil(self, school_class=None, first_name="Pien", last_name=None, infix=""):
        """A pupil; their last names sort in the order they were made, however many a test process made before
        ("Test000010" after "Test000009": pupil lists are in name order)."""
        number = next(self._numbers)
        return models.Pupil.create(student_number="T%06d" % number, first_name=first_name, infix=infix,
                                   last_name=last_name or "Test%06d" % number, school_class=school_class)

    def case(self, mentor=None, status="open", protocol="vo-nl", opened=None, **roles):
        """A case with pupils by role: factory.case(victim=p1, bully=p2); opened now, or at `opened` (UTC) with
        its pupils in it since then."""
        opened = opened or db.utcnow()
        with models.db.atomic():
            case = models.Case.create(reference="T-%05d" % next(self._numbers), protocol_key=protocol,
                                      mentor=mentor, status=status, opened_at=opened)
            for role, pupil in roles.items():
                models.Involvement.create(case=case, pupil=pupil, role=role, added_at=opened)
        return case


@pytest.fixture
def factory(app):
    return Factory()


@pytest.fixture
def server_in_another_time_zone(monkeypatch):
    """The server's own clock set to New York's time, as a server may be set to anything."""
    import time
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


class HeldChecks:
    """A gate for the expensive check (a password, a code, a phrase) of requests sent in parallel:
    each check waits until every request has either reached its check or been answered, and the
    checks are counted.

    Without it a check could finish, and its failure be counted, before a slower thread read the
    counters, and a race in the throttle would pass the test by luck. With it, every request the
    throttle let through is held at its check at once, and `calls` is how many it let through.
    """

    def __init__(self, requests):
        self.requests = requests
        self.calls = self.answered = 0
        self._condition = threading.Condition()

    def wrap(self, check):
        def held(*args, **kwargs):
            with self._condition:
                self.calls += 1
                self._condition.notify_all()
                if not self._condition.wait_for(lambda: self.calls + self.answered >= self.requests, timeout=60):
                    raise AssertionError("the parallel requests never all arrived")
            return check(*args, **kwargs)
        return held

    def answer(self, send):
        """Send one request; count it as answered when it comes back."""
        try:
            return send()
        finally:
            with self._condition:
                self.answered += 1
                self._condition.notify_all()


def in_parallel(tasks):
    """Run each task in a thread of its own, all started together; their results in order. An
    exception in any thread fails the caller."""
    results, errors = [None] * len(tasks), []
    start = threading.Barrier(len(tasks))

    def run(number, task):
        try:
            start.wait(timeout=60)
            results[number] = task()
        except BaseException as error:  # noqa: BLE001 - handed to the test below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(number, task)) for number, task in enumerate(tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request never came back"
    if errors:
        raise errors[0]
    return results


# What using the app leaves behind without changing a record: the audit log only grows,
# sessions and login counters come and go.
TRACES_OF_USE = {"audit_event", "user_session", "login_throttle"}


_FINGERPRINT_QUERIES = {}  # by kind of database: (table, SQL, parameters) per table, built once


def fingerprints():
    """A hash per table of every record a user can change (the tables of TRACES_OF_USE left out),
    over the rows as the database stores them. The queries are built once per kind of database:
    building them took half the time of a fingerprint, which the access table takes for each row."""
    kind = type(models.db.obj)
    if kind not in _FINGERPRINT_QUERIES:
        _FINGERPRINT_QUERIES[kind] = [
            (model._meta.table_name,) + model.select().order_by(model._meta.primary_key).sql()
            for model in models.MODELS if model._meta.table_name not in TRACES_OF_USE]
    tables = {}
    for table, sql, params in _FINGERPRINT_QUERIES[kind]:
        digest = hashlib.sha256()
        for row in models.db.execute_sql(sql, params).fetchall():
            # PostgreSQL's driver gives binary columns (a drawn signature) as a memoryview, whose
            # repr names its address: hash the bytes.
            digest.update(repr(tuple(bytes(value) if isinstance(value, memoryview) else value
                                     for value in row)).encode())
        tables[table] = digest.hexdigest()
    return tables


def demo_user(username):
    return models.User.by_username(username)


def demo_case(reference_suffix):
    """A demo case by the end of its reference: '0001' is the 2B exclusion case."""
    return models.Case.get(models.Case.reference.endswith(reference_suffix))


def school_protocol(key, **changes):
    """A school's own protocol file (its PROTOCOL_DIR may hold one) in the app of the current context: the Dutch
    protocol with `changes`, registered under `key` for this app only, and returned."""
    from domain import protocols
    registry = protocols.registry()
    registry[key] = dataclasses.replace(registry["vo-nl"], key=key, name="Eigen protocol", **changes)
    return registry[key]


def utc(*args):
    return datetime.datetime(*args)


from browser import browser, live_server, own_live_server, page  # noqa: E402,F401  (fixtures for browser tests)
import mutation_focus  # noqa: E402
from hang_report import pytest_handlecrashitem, pytest_timeout_set_timer  # noqa: E402,F401  (a hung test names itself last)


# The fixtures of the tests on a live server or in Chromium: such tests run on one worker in a parallel run.
LIVE_FIXTURES = {"live_server", "own_live_server", "browser", "page"}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """In a parallel run (--dist loadgroup), the tests on a live server or in Chromium run on one worker:
    one server and one Chromium for the run, and as the largest group they are handed out first, never
    left for the end.

    xdist tells the scheduler a test's group by the end of its id ("...@live_server"), which pytest-xdist
    3.8 writes where pytest 9.2 no longer reads it (pytest-xdist issue 1386): every test was then handed
    out alone, and each worker started its own servers and Chromium. The id is set here, and a run whose
    groups still do not show stops instead of silently running ungrouped.

    Under `make mutation`, a mutant of a module with focused tests runs only those (mutation_focus.py).
    """
    mutation_focus.focus(config, items)
    if not getattr(config.option, "loadgroup", False):  # set in the workers of a --dist loadgroup run
        return
    for item in items:
        if LIVE_FIXTURES & set(getattr(item, "fixturenames", ())) and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group("live_server"))
        groups = sorted({str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                         for mark in item.iter_markers("xdist_group")})
        if not groups:
            continue
        suffix = "@" + "_".join(groups)
        if not item.nodeid.endswith(suffix):
            item._id = NodeId.parse(item.nodeid + suffix)
        if not item.nodeid.endswith(suffix):
            raise pytest.UsageError("xdist cannot see the group of %s: see pytest_collection_modifyitems in "
                                    "tests/conftest.py" % item.nodeid)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and item.get_closest_marker("browser"):
        from browser import record_failure
        record_failure(item, report)
