"""Herstel's data model: one database, the models of DESIGN.md's vocabulary, their queries."""
import contextlib
import datetime
import fcntl
import hashlib
import os
import secrets
import threading
import zoneinfo

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import g, has_app_context
from flask_babel import lazy_gettext as _l
from peewee import (
    BlobField, BooleanField, CharField, Check, DatabaseProxy, DateField, DateTimeField,
    JOIN, ForeignKeyField, IntegerField, Model, SqliteDatabase, TextField, Value, fn,
)
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

from terminology import lazy_term

db = DatabaseProxy()

# What keeps data in SQLite (DESIGN.md): WAL, foreign keys, synchronous=FULL so an
# acknowledged save survives a power cut, a busy timeout, and BEGIN IMMEDIATE for every
# transaction so concurrent writers queue instead of failing with "database is locked".
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "full",
    "busy_timeout": 10_000,
}

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


class QueuedWritesSqliteDatabase(PooledSqliteDatabase):
    """Pooled SQLite whose write transactions wait in line instead of sleeping on SQLITE_BUSY.

    SQLite lets one writer in at a time; the others get SQLITE_BUSY and its busy handler
    sleeps 1, 2, 5, 10, 25, 50 ms before trying again, even when the lock frees within a
    millisecond. Taking a thread lock (within a worker) and an flock on a lock file (across
    workers) before BEGIN IMMEDIATE lets the kernel wake the next writer at once. The busy
    timeout stays as the safety net for anything else that writes to the file.
    """

    def init(self, database, *args, **kwargs):
        super().init(database, *args, **kwargs)
        self._writer_lock = threading.Lock()
        self._lock_file = None
        self._lock_pid = None
        self._holding = threading.local()

    def _lock_fd(self):
        # A file opened before a fork shares its lock with the children, so each process
        # opens its own.
        if self._lock_pid != os.getpid():
            self._lock_file = open(self.database + ".lock", "a")
            self._lock_pid = os.getpid()
        return self._lock_file.fileno()

    def begin(self, lock_type=None):
        self._writer_lock.acquire()
        try:
            fcntl.flock(self._lock_fd(), fcntl.LOCK_EX)
            try:
                super().begin(lock_type)
            except BaseException:
                fcntl.flock(self._lock_fd(), fcntl.LOCK_UN)
                raise
        except BaseException:
            self._writer_lock.release()
            raise
        self._holding.value = True

    def _release(self):
        if getattr(self._holding, "value", False):
            self._holding.value = False
            fcntl.flock(self._lock_fd(), fcntl.LOCK_UN)
            self._writer_lock.release()

    @contextlib.contextmanager
    def lone_write(self):
        """For one statement that commits by itself (SQLite's autocommit): the same queue, but
        no BEGIN and COMMIT around it.

        Inside the queue a thread needs the GIL back after every SQLite call, and with a
        sibling thread rendering a page that can take a while; one call instead of three keeps
        the queue moving when every page view logs who saw it. Inside a transaction the
        statement is simply part of it.
        """
        if self.in_transaction():
            yield
            return
        with self._writer_lock:
            fcntl.flock(self._lock_fd(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._lock_fd(), fcntl.LOCK_UN)

    def commit(self):
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self):
        try:
            super().rollback()
        finally:
            self._release()


class SerialWritesPostgresqlDatabase(PooledPostgresqlDatabase):
    """Pooled PostgreSQL whose write transactions take turns, as they do on SQLite.

    The code counts on BEGIN IMMEDIATE: a transaction that reads (the highest case number,
    whether a step is still open) and then writes sees no other writer in between. A
    transaction-scoped advisory lock taken at BEGIN gives PostgreSQL's READ COMMITTED the
    same order; every statement after it sees all that earlier writers committed. One
    school's database has few writers at a time, so taking turns costs little.
    """

    WRITER_LOCK = 0x4865727374656C  # any number, the same in every worker

    def begin(self, isolation_level=None):
        super().begin(isolation_level)
        self.cursor().execute("SELECT pg_advisory_xact_lock(%s)", (self.WRITER_LOCK,))

    @contextlib.contextmanager
    def lone_write(self):
        """One statement that commits by itself: PostgreSQL needs no turn for an append."""
        yield


def is_sqlite(database=None):
    """True when the (given or current) database is SQLite; its file-level extras apply only then."""
    return isinstance(database if database is not None else db.obj, SqliteDatabase)


def joined_text(field, separator=","):
    """A group's values of a text column joined into one: GROUP_CONCAT on SQLite, string_agg on PostgreSQL."""
    return fn.GROUP_CONCAT(field, separator) if is_sqlite() else fn.STRING_AGG(field, separator)


def open_database(url_or_path):
    """Return a database for a SQLite file path or a DATABASE_URL (postgresql://user:pass@host:port/name).

    Connections are pooled per worker: opening a SQLite one costs four PRAGMAs and closing
    it most of a millisecond, more than a checklist tap's own queries; a PostgreSQL one
    costs a round trip and a login.
    """
    if "://" in url_or_path:
        scheme, rest = url_or_path.split("://", 1)
        if scheme not in ("postgres", "postgresql"):
            raise ValueError("DATABASE_URL must start with postgresql:// (or be a SQLite file path), not %s://"
                             % scheme)
        return SerialWritesPostgresqlDatabase("postgresql://" + rest, max_connections=32, stale_timeout=300)
    # The pool hands a connection to one thread at a time, but not always to the one that
    # opened it; sqlite3 must be told that this is allowed.
    return QueuedWritesSqliteDatabase(url_or_path, pragmas=SQLITE_PRAGMAS, max_connections=32, stale_timeout=300,
                                      lock_type="IMMEDIATE", check_same_thread=False)


SCHOOL_TIMEZONE = zoneinfo.ZoneInfo("Europe/Amsterdam")  # also right for Flanders


def utcnow():
    """The current time in UTC, naive, as stored in the database."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def day_of(value):
    """The day of a date or a (UTC) moment, also as SQLite returns either from an aggregate: text."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def local_date(moment):
    """The school's calendar day of a stored (UTC) moment."""
    return moment.replace(tzinfo=datetime.timezone.utc).astimezone(SCHOOL_TIMEZONE).date()


def today():
    """Today in the school's time zone: the day deadlines are counted against."""
    return datetime.datetime.now(SCHOOL_TIMEZONE).date()


def choices(*pairs):
    """Turn ("value", "label") pairs into a tuple usable for peewee choices and CHECKs."""
    return tuple(pairs)


def check_in(column, options):
    """A CHECK constraint that keeps a column to the values of a choices tuple."""
    values = ", ".join("'%s'" % value for value, _ in options)
    return Check("%s IN (%s)" % (column, values))


ROLES = choices(
    ("staff", _l("Medewerker")),
    ("mentor", lazy_term("mentor", capital=True)),  # in the school's words: Mentor or Klascoach
    ("coordinator", lazy_term("coordinator", capital=True)),
    ("support", lazy_term("support", capital=True)),
    ("counsellor", _l("Vertrouwenspersoon")),
)
LANGUAGES = choices(("nl", "Nederlands"), ("en", "English"))
INVOLVEMENT_ROLES = choices(
    ("victim", _l("Gepeste leerling")),
    ("bully", _l("Pester")),
    ("follower", _l("Meeloper")),
    ("helper", _l("Helper")),
    ("bystander", _l("Stille getuige")),
)
REPORTER_KINDS = choices(
    ("pupil", _l("Leerling")), ("parent", _l("Ouder")), ("staff", _l("Medewerker")),
    ("external", _l("Extern")), ("anonymous", _l("Anoniem")),
)
REPORT_CHANNELS = choices(
    ("conversation", _l("Gesprek")), ("phone", _l("Telefoon")), ("message", _l("Bericht")),
    ("report_page", _l("Meldpagina")),
)
BULLYING_KINDS = choices(
    ("physical", _l("Lichamelijk")),
    ("belongings", _l("Met spullen")),
    ("verbal", _l("Verbaal")),
    ("behind_back", _l("Achter de rug om")),
    ("exclusion", _l("Uitsluiten")),
    ("online", _l("Online")),
)
REPORT_STATUSES = choices(("new", _l("Nieuw")), ("in_case", _l("In behandeling")), ("closed", _l("Afgesloten")))
CASE_STATUSES = choices(("open", _l("Open")), ("closed", _l("Gesloten")))
APPROACHES = choices(("confrontational", _l("Confronterend")), ("non_confrontational", _l("Niet-confronterend")))
APPROACH_LEVELS = choices(("individual", _l("Individueel")), ("group", _l("Groep")), ("class", _l("Klas")))
STEP_STATUSES = choices(("open", _l("Open")), ("done", _l("Gedaan")), ("not_applicable", _l("Niet van toepassing")))
AGREEMENT_STATUSES = choices(("draft", _l("Concept")), ("locked", _l("Ondertekend")))
FOLLOW_UP_OUTCOMES = choices(("going_well", _l("Gaat goed")), ("not_kept", _l("Afspraken niet nagekomen")))
PARENT_CHANNELS = choices(
    ("school", _l("Gesprek op school")), ("home", _l("Gesprek thuis")), ("phone", _l("Telefoon")),
    ("message", _l("Bericht")),
)
REFERRAL_TARGETS = choices(
    ("support_team", lazy_term("support", capital=True)), ("clb", _l("CLB")), ("training", _l("Training")),
    ("external", _l("Externe hulp")), ("police", _l("Politie")),
)
REFERRAL_TRAININGS = choices(
    ("social_skills", _l("Sociale vaardigheidstraining")), ("resilience", _l("Weerbaarheidstraining")),
    ("aggression_regulation", _l("Agressieregulatietraining")), ("other", _l("Andere training")),
)
COMPLAINT_STATUSES = choices(
    ("received", _l("Ontvangen")), ("investigating", _l("In onderzoek")), ("advised", _l("Advies gegeven")),
    ("closed", _l("Gesloten")),
)
COMPLAINANT_KINDS = choices(("parent", _l("Ouder")), ("pupil", _l("Leerling")), ("other", _l("Anders")))
SUPPORT_SESSION_KINDS = choices(
    ("individual", _l("Individuele begeleiding")), ("training", _l("Training")),
    ("support_group", _l("Steungroep (niet-confronterende aanpak)")),
)
REGIONS = choices(("nl", _l("Nederland")), ("vl", _l("Vlaanderen")))
CONVERSATION_LINE_KINDS = choices(
    ("note", _l("Notities")), ("wish", _l("Wat de leerling wil")), ("agreement", _l("Afspraken")),
)
CASE_EVENT_KINDS = choices(
    ("opened", _l("Dossier geopend")), ("report_attached", _l("Melding toegevoegd")),
    ("step_done", _l("Stap afgerond")), ("approach", _l("Aanpak vastgelegd")),
    ("closed", _l("Dossier gesloten")), ("reopened", _l("Dossier heropend")),
    ("conversation_started", _l("Gesprek begonnen")), ("conversation_finished", _l("Gesprek afgerond")),
    ("appointment", _l("Vervolgafspraak gemaakt")), ("follow_up", _l("Vervolggesprek")),
    ("escalation_proposed", _l("Escalatie voorgesteld")), ("agreement_signed", _l("Herstelovereenkomst ondertekend")), ("measure", _l("Maatregel genomen")),
    ("support_session", _l("Sessie van het %(support)s", support=lazy_term("support"))),
    ("support_report", _l("Terugkoppeling van het %(support)s", support=lazy_term("support"))),
    ("parent_contact", _l("Oudercontact")), ("referral", _l("Doorverwezen")),
    ("referral_closed", _l("Doorverwijzing afgesloten")), ("evidence", _l("Bewijs vastgelegd")),
    ("evidence_deleted", _l("Bewijs verwijderd")),
)


class BytesField(BlobField):
    """A BLOB read back as bytes on every database (PostgreSQL's driver hands out a memoryview)."""

    def python_value(self, value):
        return bytes(value) if isinstance(value, memoryview) else value


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


class Prepared:
    """A query on a hot path (every request, every tap) whose SQL peewee builds only once.

    Building SQL costs peewee more than SQLite needs to run it. `build` makes the query from
    its arguments; it is called once with placeholder strings, which peewee passes through as
    parameters, and each call afterwards binds the real values in their place. So `build` may
    only hand its arguments to comparisons and assignments, never compute with them.

    An argument may be a list or tuple (for `IN`): its SQL is then built once per length, and
    each element is a parameter of its own.

    Reading rows back as models has a set-up of its own (which column goes to which joined
    model, with which converter) that is the same for every run of one statement: it is done
    once as well, and each later result starts from it.
    """

    # What peewee's cursor wrapper keeps about one result rather than about the statement.
    _PER_RESULT = frozenset(("cursor", "count", "index", "initialized", "populated", "row_cache"))

    def __init__(self, build):
        self._build = build
        self._arity = build.__code__.co_argcount
        self._compiled = {}  # per kind of database (their SQL dialects differ) and list lengths

    def _compile(self, args):
        if len(args) != self._arity:
            raise TypeError("this query takes %d arguments, not %d" % (self._arity, len(args)))
        lengths = tuple(len(arg) if isinstance(arg, (list, tuple)) else None for arg in args)
        key = (type(db.obj), lengths)
        compiled = self._compiled.get(key)
        if compiled is None:
            places = {}  # marker -> (argument, element or None)
            markers = []
            for number, length in enumerate(lengths):
                if length is None:
                    marker = "\x00herstel-parameter-%d\x00" % number
                    places[marker] = (number, None)
                    markers.append(marker)
                else:
                    elements = ["\x00herstel-parameter-%d-%d\x00" % (number, index) for index in range(length)]
                    places.update((marker, (number, index)) for index, marker in enumerate(elements))
                    markers.append(elements)
            query = self._build(*markers)
            sql, params = query.sql()
            slots = [places[value] + (None,) if isinstance(value, str) and value in places else (None, None, value)
                     for value in params]
            if {place[:2] for place in slots if place[0] is not None} != set(places.values()):
                raise ValueError("every argument of a prepared query must reach its SQL as a parameter")
            compiled = self._compiled[key] = (query, sql, slots, {})
        return compiled

    @staticmethod
    def _params(slots, args):
        return [value if number is None else args[number] if element is None else args[number][element]
                for number, element, value in slots]

    def execute(self, *args):
        """Run the statement; returns the cursor (for writes) and the query (to read rows)."""
        query, sql, slots, _ = self._compile(args)
        cursor = db.execute_sql(sql, self._params(slots, args))
        return query, cursor

    def _rows(self, *args):
        """The result as the query would give it, with the reading set up once per statement."""
        query, sql, slots, reading = self._compile(args)
        cursor = db.execute_sql(sql, self._params(slots, args))
        wrapper = query._get_cursor_wrapper(cursor)
        if not reading:
            wrapper.initialize()
            reading.update((name, value) for name, value in vars(wrapper).items() if name not in self._PER_RESULT)
        else:
            vars(wrapper).update(reading)
        wrapper.initialized = True
        return wrapper

    def first(self, *args):
        """The first row as the query would return it (model instances with their joins), or None."""
        return next(iter(self._rows(*args)), None)

    def all(self, *args):
        """Every row as the query would return it, as a list."""
        return list(self._rows(*args))

    def scalar(self, *args):
        """The first column of the first row as a tuple of that row's values, or None."""
        _, cursor = self.execute(*args)
        return cursor.fetchone()


class SchoolSettings(BaseModel):
    """The school's settings: a single row with id 1."""

    school_name = CharField(max_length=200, default="Onze school")
    region = CharField(max_length=2, default="nl", choices=REGIONS,
                       constraints=[check_in("region", REGIONS)])
    default_protocol = CharField(max_length=64, default="vo-nl")
    retention_months = IntegerField(default=24, constraints=[Check("retention_months > 0")])
    public_reports_enabled = BooleanField(default=False)
    mfa_required_roles = CharField(max_length=200, default="")
    logo_png = BytesField(null=True)  # re-encoded on upload; printed on PDFs
    # E-mail notifications (off by default). The SMTP password comes from the environment
    # (HERSTEL_SMTP_PASSWORD), never from the database.
    mail_enabled = BooleanField(default=False)
    smtp_host = CharField(max_length=200, default="")
    smtp_port = IntegerField(default=587, constraints=[Check("smtp_port BETWEEN 1 AND 65535")])
    smtp_username = CharField(max_length=200, default="")
    smtp_starttls = BooleanField(default=True)
    mail_sender = CharField(max_length=254, default="")
    app_url = CharField(max_length=200, default="")  # links in e-mails, e.g. https://herstel.school.nl

    class Meta:
        constraints = [Check("id = 1")]

    @property
    def second_factor_roles(self):
        """The roles (and "admin" for administrators) that must log in with a second factor."""
        return {role for role in self.mfa_required_roles.split(",") if role}

    def requires_second_factor(self, user):
        """True when one of the user's roles, or being an administrator, calls for a second factor."""
        required = self.second_factor_roles
        return bool(user.roles & required) or (user.is_admin and "admin" in required)

    _current = Prepared(lambda: SchoolSettings.select().where(SchoolSettings.id == 1))

    @classmethod
    def current(cls):
        """The settings row, created with defaults on first use."""
        settings = cls._current.first()
        if settings is None:
            with db.atomic():
                settings, _ = cls.get_or_create(id=1)
        return settings

    @classmethod
    def cached(cls):
        """The settings, read at most once per request (or command): kept on flask.g."""
        if not has_app_context():
            return cls.current()
        if "school_settings" not in g:
            g.school_settings = cls.current()
        return g.school_settings


class User(BaseModel):
    """A staff member who logs in. Roles are rows in UserRole; admin is a flag."""

    username = CharField(max_length=64, unique=True)
    full_name = CharField(max_length=200)
    email = CharField(max_length=254, null=True, unique=True)
    password_hash = CharField(max_length=255)
    is_admin = BooleanField(default=False)
    is_active = BooleanField(default=True)
    language = CharField(max_length=2, default="nl", choices=LANGUAGES,
                         constraints=[check_in("language", LANGUAGES)])
    created_at = DateTimeField(default=utcnow)
    password_changed_at = DateTimeField(default=utcnow)
    totp_secret = CharField(max_length=64, null=True)  # set only once a code confirmed it
    totp_pending_secret = CharField(max_length=64, null=True)  # shown during enrolment, not yet confirmed
    totp_last_step = IntegerField(null=True)  # the newest 30-second step a code was accepted for
    totp_enabled_at = DateTimeField(null=True)
    calendar_token_hash = CharField(max_length=64, null=True, unique=True)

    class Meta:
        constraints = [Check("length(username) > 0")]

    def set_password(self, password):
        """Store an argon2id hash of the password."""
        self.password_hash = _hasher.hash(password)
        self.password_changed_at = utcnow()

    def check_password(self, password):
        """True when the password matches the stored hash."""
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    @staticmethod
    def burn_password_check(password):
        """Spend the time of a real check, so unknown usernames do not answer faster."""
        try:
            _hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass

    @property
    def roles(self):
        """The set of role names this user has (cached per instance)."""
        if not hasattr(self, "_roles"):
            self._roles = {r.role for r in UserRole.select(UserRole.role).where(UserRole.user == self)}
        return self._roles

    def remember_roles(self, roles):
        """Roles read along with the user (saves the query of `roles`)."""
        self._roles = {role for role in roles if role}

    def set_roles(self, roles):
        """Replace the user's roles; call inside a transaction."""
        UserRole.delete().where(UserRole.user == self).execute()
        for role in sorted(set(roles)):
            UserRole.create(user=self, role=role)
        self._roles = set(roles)

    def has_role(self, *roles):
        return bool(self.roles.intersection(roles))

    @property
    def has_second_factor(self):
        return self.totp_secret is not None

    # Flask-Login's interface; get_id is the session token, so ending a session on the
    # server (logout, password change) makes the cookie worthless.
    @property
    def is_authenticated(self):
        return True

    @property
    def is_anonymous(self):
        return False

    def get_id(self):
        return getattr(self, "session_token", None)

    @classmethod
    def by_username(cls, username):
        return cls.get_or_none(fn.lower(cls.username) == (username or "").strip().lower())

    @classmethod
    def with_role(cls, role):
        return (cls.select().join(UserRole).where(UserRole.role == role, cls.is_active == True)  # noqa: E712
                .order_by(cls.full_name))


_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class UserRole(BaseModel):
    user = ForeignKeyField(User, backref="role_rows", on_delete="CASCADE")
    role = CharField(max_length=16, choices=ROLES, constraints=[check_in("role", ROLES)])

    class Meta:
        indexes = ((("user", "role"), True),)


class UserSession(BaseModel):
    """A logged-in session on the server; the cookie holds only the token, we keep its hash."""

    token_hash = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)
    address = CharField(max_length=64, default="")
    user_agent = CharField(max_length=255, default="")

    @staticmethod
    def hash_token(token):
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def start(cls, user, address="", user_agent=""):
        """Open a session for the user and return its secret token."""
        token = secrets.token_urlsafe(32)
        cls.create(token_hash=cls.hash_token(token), user=user, address=address[:64],
                   user_agent=(user_agent or "")[:255])
        return token

    @classmethod
    def end_all(cls, user):
        cls.delete().where(cls.user == user).execute()

    _with_user = Prepared(lambda token_hash: (
        UserSession.select(UserSession, User, joined_text(UserRole.role).alias("role_list"))
        .join(User).join(UserRole, JOIN.LEFT_OUTER)
        .where(UserSession.token_hash == token_hash)
        .group_by(UserSession.id, User.id).limit(1)))

    @classmethod
    def find_with_user(cls, token):
        """The session of a cookie's token with its user and `role_list`, or None (every request asks)."""
        return cls._with_user.first(cls.hash_token(token))


class LoginThrottle(BaseModel):
    """Failed-login counters per account and per address, shared by every worker."""

    key = CharField(max_length=200, unique=True)
    failures = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    updated_at = DateTimeField(default=utcnow)


class RecoveryCode(BaseModel):
    """A one-time code that stands in for the second factor; only its SHA-256 is kept."""

    user = ForeignKeyField(User, backref="recovery_codes", on_delete="CASCADE")
    code_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    used_at = DateTimeField(null=True)

    @classmethod
    def unused_of(cls, user):
        return cls.select().where(cls.user == user, cls.used_at.is_null())


SECURITY_NOTICE_KINDS = choices(
    ("mfa_enrolled", _l("Tweede factor ingesteld")),
    ("mfa_reset", _l("Tweede factor uitgezet door een beheerder")),
    ("mfa_disabled", _l("Tweede factor uitgezet")),
    ("recovery_used", _l("Herstelcode gebruikt")),
)


class SecurityNotice(BaseModel):
    """Something that happened to a user's login, told to them at their next login."""

    user = ForeignKeyField(User, backref="security_notices", on_delete="CASCADE")
    kind = CharField(max_length=16, choices=SECURITY_NOTICE_KINDS,
                     constraints=[check_in("kind", SECURITY_NOTICE_KINDS)])
    created_at = DateTimeField(default=utcnow)
    actor = CharField(max_length=200, default="")  # who did it, when it was not the user

    class Meta:
        indexes = ((("user", "created_at"), False),)


class SchoolClass(BaseModel):
    name = CharField(max_length=32, unique=True)
    year_level = IntegerField(constraints=[Check("year_level BETWEEN 1 AND 8")])
    mentor = ForeignKeyField(User, backref="mentored_classes", null=True, on_delete="SET NULL")

    class Meta:
        table_name = "school_class"


class Pupil(BaseModel):
    student_number = CharField(max_length=32, unique=True)
    first_name = CharField(max_length=100)
    infix = CharField(max_length=32, default="")
    last_name = CharField(max_length=100)
    school_class = ForeignKeyField(SchoolClass, backref="pupils", null=True, on_delete="SET NULL")
    date_of_birth = DateField(null=True)
    is_active = BooleanField(default=True)

    @property
    def display_name(self):
        """Name as spoken: 'Daan van der Berg'."""
        return self.display_name_of(self.first_name, self.infix, self.last_name)

    @property
    def sort_name(self):
        """Name as listed in Dutch order: 'Berg, Daan van der'."""
        return self.sort_name_of(self.first_name, self.infix, self.last_name)

    @staticmethod
    def display_name_of(first_name, infix, last_name):
        """display_name from the parts, for lists that read names as plain rows."""
        return " ".join(part for part in (first_name, infix, last_name) if part)

    @staticmethod
    def sort_name_of(first_name, infix, last_name):
        """sort_name from the parts, for lists that read names as plain rows."""
        given = " ".join(part for part in (first_name, infix) if part)
        return "%s, %s" % (last_name, given)

    @classmethod
    def with_class(cls):
        """Pupils with their class in the same query (a pupil may be without one)."""
        return cls.select(cls, SchoolClass).join(SchoolClass, JOIN.LEFT_OUTER)

    @classmethod
    def dutch_order(cls):
        """Order by achternaam, voornaam, tussenvoegsel: the order of every pupil list."""
        return (fn.lower(cls.last_name), fn.lower(cls.first_name), fn.lower(cls.infix))


class Case(BaseModel):
    """One bullying situation handled under one protocol."""

    reference = CharField(max_length=16, unique=True)
    title = CharField(max_length=200, default="")
    protocol_key = CharField(max_length=64)
    approach = CharField(max_length=24, null=True, choices=APPROACHES,
                         constraints=[Check("approach IS NULL OR approach IN "
                                            "('confrontational', 'non_confrontational')")])
    approach_level = CharField(max_length=16, null=True, choices=APPROACH_LEVELS,
                               constraints=[Check("approach_level IS NULL OR approach_level IN "
                                                  "('individual', 'group', 'class')")])
    mentor = ForeignKeyField(User, backref="mentored_cases", null=True, on_delete="SET NULL")
    status = CharField(max_length=8, default="open", choices=CASE_STATUSES,
                       constraints=[check_in("status", CASE_STATUSES)])
    online = BooleanField(default=False)
    possibly_criminal = BooleanField(default=False)
    opened_at = DateTimeField(default=utcnow)
    opened_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    closed_at = DateTimeField(null=True)
    closed_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    close_reason = TextField(default="")
    anonymised_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("status", "opened_at"), False),)

    @classmethod
    def next_reference(cls, year):
        """The next free reference of a year: '2026-0007'."""
        prefix = "%d-" % year
        last = (cls.select(fn.MAX(cls.reference)).where(cls.reference.startswith(prefix)).scalar())
        number = int(last.split("-")[1]) + 1 if last else 1
        return "%s%04d" % (prefix, number)

    _involved_pupils = Prepared(lambda case_id: (
        Involvement.select(Involvement, Pupil, SchoolClass)
        .join(Pupil).join(SchoolClass, JOIN.LEFT_OUTER)
        .where(Involvement.case == case_id)
        .order_by(*Pupil.dutch_order())))

    def involved_pupils(self):
        """The pupils of this case with their roles, in Dutch name order."""
        return self._involved_pupils.all(self.id)


class Involvement(BaseModel):
    """A pupil in a case, with their role."""

    case = ForeignKeyField(Case, backref="involvements", on_delete="CASCADE")
    pupil = ForeignKeyField(Pupil, backref="involvements", on_delete="RESTRICT")
    role = CharField(max_length=16, choices=INVOLVEMENT_ROLES,
                     constraints=[check_in("role", INVOLVEMENT_ROLES)])
    added_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("case", "pupil"), True),)


class CaseMember(BaseModel):
    """A staff member added to a case beyond its mentor (a support team member, a teacher)."""

    case = ForeignKeyField(Case, backref="members", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="case_memberships", on_delete="CASCADE")
    added_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("case", "user"), True),)


class CaseStep(BaseModel):
    """Where a case stands on one step of its protocol.

    Owner and position are copied from the protocol so that "what is due, for whom" is one
    query; workflow.sync_steps keeps them and the due date up to date.
    """

    case = ForeignKeyField(Case, backref="steps", on_delete="CASCADE")
    step_key = CharField(max_length=64)
    position = IntegerField(default=0)
    owner = CharField(max_length=16, default="mentor", constraints=[
        Check("owner IN ('mentor', 'coordinator', 'support', 'counsellor')")])
    status = CharField(max_length=16, default="open", choices=STEP_STATUSES,
                       constraints=[check_in("status", STEP_STATUSES)])
    due_on = DateField(null=True)
    done_at = DateTimeField(null=True)
    done_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    note = TextField(default="")

    class Meta:
        indexes = ((("case", "step_key"), True), (("status", "due_on"), False), (("step_key", "status"), False),
                   (("owner", "status", "due_on"), False))

    @classmethod
    def next_open_of(cls, case_ids):
        """For each of these cases, the open step with the earliest deadline (the overview's
        column): objects with case_id, step_key and due_on only."""
        return _NEXT_OPEN_STEPS.all(list(case_ids))


def _next_open_steps(case_ids):
    """The query of CaseStep.next_open_of: each case's open steps ranked by deadline, the first kept."""
    ranked = (CaseStep.select(CaseStep.case, CaseStep.step_key, CaseStep.due_on, fn.ROW_NUMBER().over(
                  partition_by=[CaseStep.case], order_by=[CaseStep.due_on, CaseStep.position]).alias("rank"))
              .where(CaseStep.case.in_(case_ids), CaseStep.status == "open", CaseStep.due_on.is_null(False)))
    return (CaseStep.select(ranked.c.case_id, ranked.c.step_key, ranked.c.due_on).from_(ranked)
            .where(ranked.c.rank == 1).objects())


_NEXT_OPEN_STEPS = Prepared(_next_open_steps)


class CaseEvent(BaseModel):
    """A line on the case's timeline: opened, step done, approach chosen, closed, reopened, ..."""

    case = ForeignKeyField(Case, backref="events", on_delete="CASCADE")
    at = DateTimeField(default=utcnow)
    user = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    kind = CharField(max_length=32)
    text = TextField(default="")

    class Meta:
        indexes = ((("case", "at"), False),)

    @classmethod
    def add(cls, case, kind, text="", user=None, at=None):
        return cls.create(case=case, kind=kind, text=text, user=user, at=at or utcnow())


class Report(BaseModel):
    """Someone tells the school that bullying (maybe) happens: a report or a neutral signal."""

    reported_on = DateField()
    created_at = DateTimeField(default=utcnow)
    created_by = ForeignKeyField(User, backref="reports", null=True, on_delete="SET NULL")
    reporter_kind = CharField(max_length=16, choices=REPORTER_KINDS,
                              constraints=[check_in("reporter_kind", REPORTER_KINDS)])
    reporter_name = CharField(max_length=200, default="")
    channel = CharField(max_length=16, choices=REPORT_CHANNELS,
                        constraints=[check_in("channel", REPORT_CHANNELS)])
    is_signal = BooleanField(default=False)
    place = CharField(max_length=200, default="")
    platform = CharField(max_length=100, default="")
    description = TextField()
    share_reporter_name = BooleanField(default=False)
    possibly_criminal = BooleanField(default=False)
    status = CharField(max_length=8, default="new", choices=REPORT_STATUSES,
                       constraints=[check_in("status", REPORT_STATUSES)])
    case = ForeignKeyField(Case, backref="reports", null=True, on_delete="SET NULL")
    handled_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    handled_at = DateTimeField(null=True)
    close_reason = TextField(default="")
    anonymised_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("status", "created_at"), False),)

    @property
    def kinds(self):
        return [row.kind for row in self.kind_rows]


class ReportKind(BaseModel):
    report = ForeignKeyField(Report, backref="kind_rows", on_delete="CASCADE")
    kind = CharField(max_length=16, choices=BULLYING_KINDS, constraints=[check_in("kind", BULLYING_KINDS)])

    class Meta:
        indexes = ((("report", "kind"), True),)


class ReportPupil(BaseModel):
    """A pupil named in a report."""

    report = ForeignKeyField(Report, backref="pupil_rows", on_delete="CASCADE")
    pupil = ForeignKeyField(Pupil, backref="report_rows", on_delete="RESTRICT")

    class Meta:
        indexes = ((("report", "pupil"), True),)


class Conversation(BaseModel):
    """One conversation held under a template; its checklist is a snapshot in ChecklistEntry."""

    case = ForeignKeyField(Case, backref="conversations", on_delete="CASCADE")
    step_key = CharField(max_length=64)
    template_key = CharField(max_length=64)
    title = CharField(max_length=200)
    held_by = ForeignKeyField(User, backref="conversations", null=True, on_delete="SET NULL")
    started_at = DateTimeField(default=utcnow)
    ended_at = DateTimeField(null=True)
    next_appointment_at = DateTimeField(null=True)

    @property
    def is_finished(self):
        return self.ended_at is not None

    _of_case = Prepared(lambda case_id: (
        Conversation.select(Conversation, User,
                            fn.COALESCE(fn.SUM(ChecklistEntry.done.cast("INTEGER")), 0).alias("done"),
                            fn.COUNT(ChecklistEntry.id).alias("total"))
        .join(User, JOIN.LEFT_OUTER, on=(Conversation.held_by == User.id))
        .switch(Conversation).join(ChecklistEntry, JOIN.LEFT_OUTER)
        .where(Conversation.case == case_id).group_by(Conversation.id, User.id)
        .order_by(Conversation.started_at.desc())))

    @classmethod
    def of_case(cls, case):
        """The case's conversations, newest first, each with `done` and `total` items (one query)."""
        return cls._of_case.all(case.id)

    _progress = Prepared(lambda conversation_id: (
        ChecklistEntry.select(fn.COALESCE(fn.SUM(ChecklistEntry.done.cast("INTEGER")), 0), fn.COUNT(ChecklistEntry.id))
        .where(ChecklistEntry.conversation == conversation_id)))

    def progress(self):
        """(done, total) of the checklist, in one query."""
        done, total = self._progress.scalar(self.id)
        return int(done), total


class ConversationParticipant(BaseModel):
    conversation = ForeignKeyField(Conversation, backref="participants", on_delete="CASCADE")
    pupil = ForeignKeyField(Pupil, null=True, backref="+", on_delete="RESTRICT")
    name = CharField(max_length=200, default="")
    role = CharField(max_length=32)


class ChecklistEntry(BaseModel):
    """One item of a conversation's checklist, copied from the template when it started."""

    conversation = ForeignKeyField(Conversation, backref="entries", on_delete="CASCADE")
    position = IntegerField()
    phase = CharField(max_length=200, default="")
    text = TextField()
    hint = TextField(default="")
    done = BooleanField(default=False)
    done_at = DateTimeField(null=True)
    done_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    note = TextField(default="")
    note_version = IntegerField(default=0)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("conversation", "position"), True),)

    _with_case = Prepared(lambda conversation_id, entry_id: (
        ChecklistEntry.select(ChecklistEntry, Conversation, Case).join(Conversation).join(Case)
        .where(ChecklistEntry.id == entry_id, Conversation.id == conversation_id).limit(1)))
    _store_done = Prepared(lambda entry_id, done, done_at, done_by, updated_at: (
        ChecklistEntry.update({ChecklistEntry.done: Value(done), ChecklistEntry.done_at: done_at,
                               ChecklistEntry.done_by: done_by, ChecklistEntry.updated_at: updated_at})
        .where(ChecklistEntry.id == entry_id)))

    @classmethod
    def with_case(cls, conversation_id, entry_id):
        """The item with its conversation and case in one query (a tap is hot), or None."""
        return cls._with_case.first(conversation_id, entry_id)

    def store_done(self):
        """Write the item's done state (and who, when) alone, as a tap changes nothing else."""
        self._store_done.execute(self.id, self.done, self.done_at, self.done_by_id, self.updated_at)


class ConversationLine(BaseModel):
    """A line the mentor adds during a conversation: a note, what the pupil wishes, an agreement.

    client_key is written into the add form by the server, so a save that is retried after a
    network failure finds its first copy instead of adding the line twice.
    """

    conversation = ForeignKeyField(Conversation, backref="lines", on_delete="CASCADE")
    kind = CharField(max_length=16, choices=CONVERSATION_LINE_KINDS,
                     constraints=[check_in("kind", CONVERSATION_LINE_KINDS)])
    text = TextField()
    client_key = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    created_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    removed_at = DateTimeField(null=True)


class ConversationAmendment(BaseModel):
    """A change to a finished conversation, shown with who made it and when."""

    conversation = ForeignKeyField(Conversation, backref="amendments", on_delete="CASCADE")
    at = DateTimeField(default=utcnow)
    user = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    description = TextField()


class Agreement(BaseModel):
    """A restoration agreement; a change to a locked one is a new version."""

    case = ForeignKeyField(Case, backref="agreements", on_delete="CASCADE")
    conversation = ForeignKeyField(Conversation, backref="agreements", null=True, on_delete="SET NULL")
    version = IntegerField(default=1, constraints=[Check("version >= 1")])
    status = CharField(max_length=8, default="draft", choices=AGREEMENT_STATUSES,
                       constraints=[check_in("status", AGREEMENT_STATUSES)])
    commitments = TextField(default="")  # one commitment per line
    restorative_act = TextField(default="")
    support_figures = TextField(default="")
    coaching = TextField(default="")
    period_start = DateField(null=True)
    period_end = DateField(null=True)
    evaluation_on = DateField(null=True)
    content_sha256 = CharField(max_length=64, default="")
    created_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    locked_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("case", "version"), True),)
        constraints = [Check("period_end IS NULL OR period_start IS NULL OR period_end >= period_start")]


class AgreementParty(BaseModel):
    """Someone who signs an agreement: a pupil, the mentor, a parent; signed on screen or on paper."""

    agreement = ForeignKeyField(Agreement, backref="parties", on_delete="CASCADE")
    pupil = ForeignKeyField(Pupil, null=True, backref="+", on_delete="RESTRICT")
    name = CharField(max_length=200)
    role = CharField(max_length=32)
    signature_png = BytesField(null=True)
    signed_at = DateTimeField(null=True)
    signed_on_paper = BooleanField(default=False)


class FollowUp(BaseModel):
    """A scheduled check that the agreements hold."""

    case = ForeignKeyField(Case, backref="follow_ups", on_delete="CASCADE")
    agreement = ForeignKeyField(Agreement, backref="follow_ups", null=True, on_delete="SET NULL")
    conversation = ForeignKeyField(Conversation, backref="follow_ups", null=True, on_delete="SET NULL")
    due_on = DateField()
    with_whom = CharField(max_length=200, default="")
    done_at = DateTimeField(null=True)
    done_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    outcome = CharField(max_length=16, null=True, choices=FOLLOW_UP_OUTCOMES,
                        constraints=[Check("outcome IS NULL OR outcome IN ('going_well', 'not_kept')")])
    note = TextField(default="")

    class Meta:
        indexes = ((("done_at", "due_on"), False), (("outcome", "case"), False))


class Measure(BaseModel):
    """An escalation measure, phase 1 to 5."""

    case = ForeignKeyField(Case, backref="measures", on_delete="CASCADE")
    pupil = ForeignKeyField(Pupil, backref="measures", on_delete="RESTRICT")
    phase = IntegerField(constraints=[Check("phase BETWEEN 1 AND 5")])
    description = TextField()
    decided_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    decided_on = DateField()
    informed = TextField(default="")


class ParentContact(BaseModel):
    """The school spoke with or informed a pupil's parents: how, when, by whom, what was agreed."""

    case = ForeignKeyField(Case, backref="parent_contacts", on_delete="CASCADE")
    pupil = ForeignKeyField(Pupil, backref="+", on_delete="RESTRICT")
    channel = CharField(max_length=16, choices=PARENT_CHANNELS, constraints=[check_in("channel", PARENT_CHANNELS)])
    contacted_on = DateField()
    by_user = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    summary = TextField(default="")
    agreed = TextField(default="")

    _of_case = Prepared(lambda case_id: (
        ParentContact.select(ParentContact, Pupil, User).join(Pupil).switch(ParentContact)
        .join(User, JOIN.LEFT_OUTER, on=(ParentContact.by_user == User.id))
        .where(ParentContact.case == case_id).order_by(ParentContact.contacted_on.desc(), ParentContact.id.desc())))

    @classmethod
    def of_case(cls, case):
        """The case's parent contacts, newest first, with the pupil and who made contact."""
        return cls._of_case.all(case.id)


class Referral(BaseModel):
    """A pupil (or the case) sent on to the support team, the CLB, a training, external help or the police.

    A referral to the support team is what puts a pupil on that team's list.
    """

    case = ForeignKeyField(Case, backref="referrals", on_delete="CASCADE")
    pupil = ForeignKeyField(Pupil, backref="referrals", null=True, on_delete="RESTRICT")
    target = CharField(max_length=16, choices=REFERRAL_TARGETS, constraints=[check_in("target", REFERRAL_TARGETS)])
    detail = CharField(max_length=200, default="")  # the training, the service, the police contact
    referred_on = DateField()
    by_user = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    note = TextField(default="")
    training = CharField(max_length=24, null=True, choices=REFERRAL_TRAININGS, constraints=[
        Check("training IS NULL OR training IN ('social_skills', 'resilience', 'aggression_regulation', 'other')")])
    closed_on = DateField(null=True)
    closed_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    close_note = TextField(default="")

    @property
    def is_open(self):
        return self.closed_on is None

    _of_case = Prepared(lambda case_id: (
        Referral.select(Referral, Pupil).join(Pupil, JOIN.LEFT_OUTER).where(Referral.case == case_id)
        .order_by(Referral.closed_on.is_null(False), Referral.referred_on.desc(), Referral.id.desc())))

    @classmethod
    def of_case(cls, case):
        """The case's referrals, open ones first, then newest first, with the pupil."""
        return cls._of_case.all(case.id)


class SupportSession(BaseModel):
    """A support team session: individual guidance, a training, a support group meeting.

    The notes are the support team's own; the mentor reads the report back on the case.
    """

    case = ForeignKeyField(Case, backref="support_sessions", on_delete="CASCADE")
    referral = ForeignKeyField(Referral, backref="sessions", null=True, on_delete="SET NULL")
    kind = CharField(max_length=32, choices=SUPPORT_SESSION_KINDS,
                     constraints=[check_in("kind", SUPPORT_SESSION_KINDS)])
    held_on = DateField()
    participants = TextField(default="")
    notes = TextField(default="")
    report_back = TextField(default="")
    recorded_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    _of_case = Prepared(lambda case_id: (
        SupportSession.select(SupportSession, User)
        .join(User, JOIN.LEFT_OUTER, on=(SupportSession.recorded_by == User.id))
        .where(SupportSession.case == case_id).order_by(SupportSession.held_on.desc(), SupportSession.id.desc())))

    @classmethod
    def of_case(cls, case):
        """The case's sessions, newest first, with who recorded them."""
        return cls._of_case.all(case.id)


class Evidence(BaseModel):
    """Online evidence: when, where, who, what it shows, and an optional stored file."""

    case = ForeignKeyField(Case, backref="evidence", on_delete="CASCADE")
    captured_at = DateTimeField()
    platform = CharField(max_length=100, default="")
    url = CharField(max_length=2000, default="")
    usernames = CharField(max_length=500, default="")
    description = TextField(default="")
    collected_by = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    file_name = CharField(max_length=64, null=True, unique=True)  # random name outside static/
    original_name = CharField(max_length=255, default="")
    content_type = CharField(max_length=64, default="")
    size = IntegerField(default=0)
    sha256 = CharField(max_length=64, default="")
    created_at = DateTimeField(default=utcnow)

    @property
    def is_image(self):
        return self.content_type in ("image/png", "image/jpeg")

    _of_case = Prepared(lambda case_id: (
        Evidence.select(Evidence, User).join(User, JOIN.LEFT_OUTER, on=(Evidence.collected_by == User.id))
        .where(Evidence.case == case_id).order_by(Evidence.captured_at, Evidence.id)))

    @classmethod
    def of_case(cls, case):
        """The case's evidence log in the order it happened, with who collected each item."""
        return cls._of_case.all(case.id)


class Complaint(BaseModel):
    """A complaint to the confidential counsellor that bullying is not handled well."""

    received_on = DateField()
    complainant_kind = CharField(max_length=8, choices=COMPLAINANT_KINDS,
                                 constraints=[check_in("complainant_kind", COMPLAINANT_KINDS)])
    complainant_name = CharField(max_length=200, default="")
    complainant_contact = CharField(max_length=200, default="")
    pupil = ForeignKeyField(Pupil, backref="complaints", null=True, on_delete="RESTRICT")
    case = ForeignKeyField(Case, backref="complaints", null=True, on_delete="SET NULL")
    description = TextField()
    status = CharField(max_length=16, default="received", choices=COMPLAINT_STATUSES,
                       constraints=[check_in("status", COMPLAINT_STATUSES)])
    experts_consulted = TextField(default="")
    advice = TextField(default="")
    committee_referred_on = DateField(null=True)
    counsellor = ForeignKeyField(User, backref="complaints", null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    closed_at = DateTimeField(null=True)  # set when the status becomes closed; retention counts from it
    anonymised_at = DateTimeField(null=True)

    @classmethod
    def open_first(cls):
        """Every complaint with its pupil and case: those still running first, newest first."""
        return (cls.select(cls, Pupil, Case)
                .join(Pupil, JOIN.LEFT_OUTER, on=(cls.pupil == Pupil.id))
                .switch(cls).join(Case, JOIN.LEFT_OUTER, on=(cls.case == Case.id))
                .order_by((cls.status == "closed").asc(), cls.received_on.desc(), cls.id.desc()))


class ComplaintNote(BaseModel):
    """The counsellor's private note on a complaint: no other role ever reads it."""

    complaint = ForeignKeyField(Complaint, backref="notes", on_delete="CASCADE")
    author = ForeignKeyField(User, backref="+", on_delete="RESTRICT")
    body = TextField()
    created_at = DateTimeField(default=utcnow)


class PersonalNote(BaseModel):
    """A staff member's own work note on a case, readable by them alone.

    Kept in a table of their own and never part of a case export or a parent's access request.
    """

    case = ForeignKeyField(Case, backref="personal_notes", on_delete="CASCADE")
    author = ForeignKeyField(User, backref="personal_notes", on_delete="CASCADE")
    body = TextField()
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    _of = Prepared(lambda case_id, author_id: (
        PersonalNote.select().where(PersonalNote.case == case_id, PersonalNote.author == author_id)
        .order_by(PersonalNote.created_at.desc(), PersonalNote.id.desc())))

    @classmethod
    def of(cls, case, author):
        """The author's own notes on a case, newest first: the only way notes are ever listed."""
        return cls._of.all(case.id, author.id)


class AuditEvent(BaseModel):
    """Who did or saw what, when, from where. Append-only: triggers refuse changes.

    No foreign key to User: the log must outlive deleted users, so it keeps a copy of the name.
    """

    at = DateTimeField(default=utcnow, index=True)
    user_id = IntegerField(null=True, index=True)
    username = CharField(max_length=64, default="")
    action = CharField(max_length=64, index=True)
    object_type = CharField(max_length=32, default="")
    object_id = IntegerField(null=True)
    address = CharField(max_length=64, default="")
    detail = CharField(max_length=500, default="")

    class Meta:
        indexes = ((("object_type", "object_id"), False),)

    _append = Prepared(lambda at, user_id, username, action, object_type, object_id, address, detail: (
        AuditEvent.insert(at=at, user_id=user_id, username=username, action=action, object_type=object_type,
                          object_id=object_id, address=address, detail=detail)))

    @classmethod
    def append(cls, action, user_id=None, username="", object_type="", object_id=None, address="", detail=""):
        """Add one event (every request that reads pupil data writes one, so its SQL is built once)."""
        cls._append.execute(utcnow(), user_id, username, action, object_type, object_id, address, detail)


THREAD_AUTHORS = choices(("reporter", _l("Melder")), ("staff", _l("School")))


class PublicThread(BaseModel):
    """The conversation between the school and whoever used the public report page.

    It belongs to one report (the coordinator answers) or one complaint (the counsellor
    answers). The reporter comes back with the receipt code and a secret phrase; only an
    argon2 hash of the phrase is kept, like a password.
    """

    receipt_code = CharField(max_length=19, unique=True)
    phrase_hash = CharField(max_length=255)
    report = ForeignKeyField(Report, backref="threads", null=True, unique=True, on_delete="CASCADE")
    complaint = ForeignKeyField(Complaint, backref="threads", null=True, unique=True, on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    reporter_seen_at = DateTimeField(null=True)  # when the reporter last read the answers

    class Meta:
        constraints = [Check("(report_id IS NULL) <> (complaint_id IS NULL)")]

    def set_phrase(self, phrase):
        self.phrase_hash = _hasher.hash(normalise_phrase(phrase))

    def check_phrase(self, phrase):
        try:
            return _hasher.verify(self.phrase_hash, normalise_phrase(phrase))
        except (VerificationError, InvalidHashError):
            return False

    @property
    def answering_role(self):
        """The role that answers this thread: the coordinator for reports, the counsellor for complaints."""
        return "coordinator" if self.report_id else "counsellor"

    def messages_in_order(self):
        return (ThreadMessage.select(ThreadMessage, User).join(User, JOIN.LEFT_OUTER)
                .where(ThreadMessage.thread == self).order_by(ThreadMessage.created_at, ThreadMessage.id))


def normalise_phrase(phrase):
    """A secret phrase as typed, with case and spacing that do not matter."""
    return " ".join((phrase or "").lower().replace("-", " ").split())


def normalise_code(code):
    """A receipt code as typed: upper case, groups of four, without spaces; '' when it cannot be one."""
    letters = "".join(ch for ch in (code or "").upper() if ch.isalnum())[:32]
    if len(letters) != 16:
        return ""
    return "-".join(letters[i:i + 4] for i in range(0, 16, 4))


class ThreadMessage(BaseModel):
    """One message in a public thread: from the reporter, or from staff (shown by role)."""

    thread = ForeignKeyField(PublicThread, backref="messages", on_delete="CASCADE")
    author_kind = CharField(max_length=8, choices=THREAD_AUTHORS, constraints=[check_in("author_kind", THREAD_AUTHORS)])
    author = ForeignKeyField(User, backref="+", null=True, on_delete="SET NULL")
    author_role = CharField(max_length=16, default="")
    show_name = BooleanField(default=False)
    body = TextField()
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("thread", "created_at"), False),)


class PublicThrottle(BaseModel):
    """A counter of the public page (per hashed address, per code, overall) that expires."""

    key = CharField(max_length=100, unique=True)
    count = IntegerField(default=0)
    expires_at = DateTimeField(index=True)


class OutboxMail(BaseModel):
    """A notice to e-mail, written in the transaction of what it announces and sent after the response
    (notify.deliver), so a slow mail server keeps no one waiting and a crash loses nothing.

    It holds addresses, a subject and a link, never pupil data; a row goes once its mail is sent.
    """

    recipients = TextField()  # one address a line
    subject = CharField(max_length=200)
    body = TextField()
    created_at = DateTimeField(default=utcnow)
    attempts = IntegerField(default=0)
    next_attempt_at = DateTimeField(default=utcnow, index=True)  # claimed by moving it on
    last_error = CharField(max_length=200, default="")

    @classmethod
    def due(cls, now=None, max_attempts=5):
        """The notices waiting to be sent now (not claimed by a delivery, not given up on)."""
        return (cls.select().where(cls.next_attempt_at <= (now or utcnow()), cls.attempts < max_attempts)
                .order_by(cls.id))

    @classmethod
    def failed_every_try(cls, max_attempts):
        """The condition of a notice that failed every try: it waits for an administrator."""
        return cls.attempts >= max_attempts

    @classmethod
    def given_up(cls, max_attempts):
        """The notices that failed every try, oldest first."""
        return cls.select().where(cls.failed_every_try(max_attempts)).order_by(cls.id)


MODELS = [
    SchoolSettings, User, UserRole, UserSession, LoginThrottle, RecoveryCode, SecurityNotice, SchoolClass, Pupil, Case,
    Involvement, CaseMember, CaseStep, CaseEvent, Report, ReportKind, ReportPupil, Conversation,
    ConversationParticipant, ChecklistEntry, ConversationLine, ConversationAmendment, Agreement,
    AgreementParty, FollowUp, Measure, ParentContact, Referral, SupportSession, Evidence, Complaint, ComplaintNote,
    PersonalNote,
    AuditEvent, PublicThread, ThreadMessage, PublicThrottle, OutboxMail,
]


def label(options, value):
    """The display label of a value in a choices tuple (the value itself when unknown)."""
    return dict(options).get(value, value)
