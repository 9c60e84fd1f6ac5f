"""The database: its engines and write queue, the time helpers its rows are stored in, prepared
statements for hot paths, and its life in the app (migrations at start, a connection per request).

Everything above it (models, the domain, the views) reaches the database through `db`.
"""
import contextlib
import datetime
import fcntl
import os
import threading
import zoneinfo

from peewee import DatabaseProxy, SqliteDatabase, fn
from playhouse.migrations import Runner
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

db = DatabaseProxy()

MIGRATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")

# What keeps data in SQLite (DESIGN.md): WAL, foreign keys, synchronous=FULL so an
# acknowledged save survives a power cut, a busy timeout, and BEGIN IMMEDIATE for every
# transaction so concurrent writers queue instead of failing with "database is locked".
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "full",
    "busy_timeout": 10_000,
}


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



# The largest whole number the database holds (SQLite's integer, PostgreSQL's bigint): an id
# beyond it cannot be any row's, and SQLite cannot even compare it in a query.
MAX_ID = 2 ** 63 - 1

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


def school_time_to_utc(moment):
    """A moment typed in the school's time zone, as stored (naive UTC)."""
    return moment.replace(tzinfo=SCHOOL_TIMEZONE).astimezone(datetime.timezone.utc).replace(tzinfo=None)


def today():
    """Today in the school's time zone: the day deadlines are counted against."""
    return datetime.datetime.now(SCHOOL_TIMEZONE).date()


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



def init_app(app):
    """Open the app's database, bring its schema up to date, and give each request a connection."""
    db.initialize(open_database(app.config["DATABASE"]))
    if app.config.get("MIGRATE_ON_START", True):
        migrate_database()
    close_all_connections()  # workers forked from a preloading server must open their own
    app.before_request(_open_connection)
    app.teardown_request(_close_connection)


def migrate_database():
    """Apply pending migrations and refresh the query planner's statistics; return the names applied.

    Without statistics SQLite can pick an index that reads every open step of the school
    instead of the few of one page of cases; ANALYZE takes about 0.15 s on 200,000 items.
    PostgreSQL's ANALYZE refreshes its planner's statistics the same way.
    """
    applied = Runner(db.obj, MIGRATIONS).up()
    db.execute_sql("ANALYZE")
    return applied


def migration_status():
    """Each migration's name and whether it has been applied, in order."""
    return [(migration.name, migration.applied) for migration in Runner(db.obj, MIGRATIONS).status()]


def close_all_connections():
    """Really close every connection (a pool keeps them open otherwise)."""
    close_all = getattr(db.obj, "close_all", None)
    if close_all:
        close_all()
    elif not db.is_closed():
        db.close()


def _open_connection():
    db.connect(reuse_if_open=True)


def _close_connection(exc):
    if not db.is_closed():
        db.close()
