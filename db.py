"""The database: its engines and write queue, the time helpers its rows are stored in, prepared
statements for hot paths, and its life in the app (migrations at start, a connection per request).

Everything above it (models, the domain, the views) reaches the database through `db`.
"""
import contextlib
import datetime
import fcntl
import json
import os
import threading
import weakref
import zoneinfo

from peewee import Case, Cast, DatabaseProxy, Select, SqliteDatabase, fn
from playhouse.migrations import Migration, Runner
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
        self._refused = set()  # id() of pooled connections that could not write (sqlite3's are not weak-referable)

    def connection_refused(self, connection):
        """This connection could not write (a disk gone read-only or full). SQLite opens a file it may not write
        read-only and keeps it so, so reused it would refuse every save until the pool retires it (minutes).
        It is closed at a later checkout, once the file takes writes again: closed while the files were still
        immutable, the worker crashed with SIGBUS."""
        self._refused.add(id(connection))

    def _takes_writes(self):
        folder = os.path.dirname(os.path.abspath(self.database))
        paths = [self.database, folder] + [path for path in (self.database + "-wal", self.database + "-shm")
                                           if os.path.exists(path)]
        return all(os.access(path, os.W_OK) for path in paths)

    def _is_closed(self, conn):
        # On checkout: a connection that could not write is let go (closed, not reused) once the disk takes
        # writes again; the pool then opens a fresh one that can.
        if id(conn) in self._refused and self._takes_writes():
            self._close_raw(conn)
            return True
        return super()._is_closed(conn)

    def _close_raw(self, conn):
        self._refused.discard(id(conn))
        super()._close_raw(conn)

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
            # After some errors (a disk that went read-only or full, an I/O error) SQLite has
            # already rolled the transaction back itself; a second ROLLBACK would fail with "no
            # transaction is active" and hide the real error from the log.
            if self.is_closed() or self.connection().in_transaction:
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


@contextlib.contextmanager
def read_snapshot():
    """One consistent view of the whole database for a long read (an export), without taking the writers'
    turn: a plain read transaction (SQLite's WAL keeps it apart from the writers; on PostgreSQL a
    repeatable-read one), begun and ended by hand because the engines' begin() joins the writers' queue."""
    db.execute_sql("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" if not is_sqlite() else "BEGIN DEFERRED")
    try:
        yield
    finally:
        db.execute_sql("ROLLBACK")


def is_sqlite(database=None):
    """True when the (given or current) database is SQLite; its file-level extras apply only then."""
    return isinstance(database if database is not None else db.obj, SqliteDatabase)


def joined_text(field, separator=","):
    """A group's values of a text column joined into one: GROUP_CONCAT on SQLite, string_agg on PostgreSQL."""
    return fn.GROUP_CONCAT(field, separator) if is_sqlite() else fn.STRING_AGG(field, separator)


def days_between(earlier, later):
    """Whole days from the day of `earlier` to the day of `later` (dates or UTC moments), as day_of counts them."""
    if is_sqlite():
        return Cast(fn.JULIANDAY(fn.DATE(later)) - fn.JULIANDAY(fn.DATE(earlier)), "INTEGER")
    return Cast(later, "DATE") - Cast(earlier, "DATE")


def school_year_of(field):
    """The school year (its first calendar year; it starts on 1 August) of a stored date or moment, in SQL: the
    year, less one before August. SQLite reads it from the ISO text it stores, PostgreSQL from the value."""
    if is_sqlite():
        return Cast(fn.SUBSTR(field, 1, 4), "INTEGER") - (fn.SUBSTR(field, 6, 2) < "08")
    return (Cast(fn.DATE_PART("year", field), "INTEGER")
            - Case(None, [(fn.DATE_PART("month", field) < 8, 1)], 0))


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
        Prepared._made.add(self)

    _made = weakref.WeakSet()  # every statement, for forget_all

    @classmethod
    def forget_all(cls):
        """Build every statement afresh when it next runs. For `make mutation`: a test process forked
        from one that had built them would otherwise never run a planted bug in a `build`."""
        for prepared in list(cls._made):
            prepared._compiled.clear()

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
        return self._read(query, cursor, reading.setdefault(None, {}))

    @classmethod
    def _read(cls, query, cursor, reading):
        """The query's own reader over a cursor; what it sets up is kept in `reading` for the next time."""
        wrapper = query._get_cursor_wrapper(cursor)
        if not reading:
            wrapper.initialize()
            reading.update((name, value) for name, value in vars(wrapper).items() if name not in cls._PER_RESULT)
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

    def query(self, *args):
        """The query itself, not yet run: to make it part of a larger statement (see `together`)."""
        return self._build(*args)

    def lists(self, *args):
        """For a statement made by `together`: each of its queries' rows, by name, as a list of
        what the query itself returns (model objects with their joins, tuples, ...)."""
        statement, sql, slots, reading = self._compile(args)
        row = db.execute_sql(sql, self._params(slots, args)).fetchone()
        return {name: list(self._read(query, _JsonRows(query, value), reading.setdefault(name, {})))
                for (name, query), value in zip(statement.queries.items(), row)}


def together(**queries):
    """One statement that reads the rows of several queries: each becomes a column of one SELECT
    holding its rows as a JSON array (SQLite's json_group_array, PostgreSQL's json_agg).

    A page that lists a dozen small things about one record reads them in one round trip instead
    of a dozen. Run it as a Prepared statement and read it with Prepared.lists, which hands each
    query's rows to that query's own reader, so they come back as the query alone would give them.
    Each row carries its place in the query's ORDER BY, because an aggregate keeps no order.
    """
    statement = Select(columns=[_rows_as_json(query).alias(name) for name, query in queries.items()]).bind(db)
    statement.queries = queries
    return statement


def _rows_as_json(query):
    """A subquery giving the query's rows as one JSON array of arrays, each row's place last."""
    rows = query.clone()
    rows._returning = [node.alias("c%d" % number) for number, node in enumerate(query._returning)]
    rows._returning.append(fn.ROW_NUMBER().over(order_by=query._order_by or ()).alias("place"))
    rows._order_by = None
    source = rows.alias("rows")
    values = [getattr(source.c, "c%d" % number) for number in range(len(query._returning))] + [source.c.place]
    if is_sqlite():
        return Select([source], [fn.json_group_array(fn.json_array(*values))])
    return Select([source], [fn.json_agg(fn.json_build_array(*values))])


class _JsonRows:
    """A cursor over one query's rows as `together` read them, for that query's own reader."""

    def __init__(self, query, value):
        rows = json.loads(value) if isinstance(value, str) else value or []  # PostgreSQL's driver decodes JSON
        self._rows = iter(tuple(row[:-1]) for row in sorted(rows, key=lambda row: row[-1]))
        # The names a database would give the columns; the reader needs them for what it selected by alias.
        self.description = [(node._alias if node.is_alias() else "c%d" % number,)
                            for number, node in enumerate(query._returning)]

    def fetchone(self):
        return next(self._rows, None)

    def close(self):
        pass


class Kept:
    """Values a process keeps while the data they were made from is unchanged: kept under the stamps of
    migration 0025's one-row table `monitor_stamp`, whose triggers renew a column whenever a table it
    watches has an insert, update or delete, in the same transaction as the change. A value kept under
    the stamps read now is the value of the data as it is now; a value of data since changed waits under
    stamps that will not come back (random numbers, not counters: a restored backup brings its own).

    `columns` are the stamps the value depends on; `size` how many values are kept (the oldest goes).
    One thread makes a missing value while the others wanting one wait, instead of a change letting
    sixteen requests make the same value at once.
    """

    def __init__(self, columns, size):
        self._stamps = "SELECT %s FROM monitor_stamp WHERE id = 1" % ", ".join(columns)
        self._size = size
        self._values = {}
        self._making = threading.Lock()

    def get(self, key, make):
        """The value kept for `key` under the current stamps, or make() kept as it."""
        key = (db.database, tuple(db.execute_sql(self._stamps).fetchone()), key)
        value = self._values.get(key)
        if value is None:
            with self._making:
                value = self._values.get(key)
                if value is None:
                    value = make()
                    if len(self._values) >= self._size:
                        self._values.pop(next(iter(self._values)), None)
                    self._values[key] = value
        return value

    def clear(self):
        self._values.clear()


class InUse(Exception):
    """Another process has the app open (the server, a command), or a restore is under way; the message
    (Dutch, for the operator) says which and what to do."""


class RunningLock:
    """A shared lock that every process holds while it has the app open: each server worker (forked from
    the master that made the app, so they share its lock), each `flask` command while it runs.

    `flask restore` and `flask import` replace what the others read and write, so they need it alone
    (`alone()`); a second process holding it, however idle, means the server runs. The kernel drops the
    lock when its process ends, also when it is killed, so no stale lock file ever blocks a restore.
    While a restore holds it alone, a server that starts refuses to open the database it is replacing.
    """

    def __init__(self, path):
        self.path = path
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self._file = open(path, "a")  # noqa: SIM115 - held for the life of the app
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            raise InUse("Er wordt een reservekopie teruggezet of een export ingelezen (%s is bezet). Start "
                        "Herstel opnieuw zodra dat klaar is." % path) from None

    @contextlib.contextmanager
    def alone(self):
        """Hold the lock exclusively for the block, or raise InUse while another process holds it."""
        try:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            # A failed conversion drops the shared lock this process had; take it back.
            with contextlib.suppress(BlockingIOError):
                fcntl.flock(self._file.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            raise InUse("Herstel draait nog: de server, of een andere opdracht (zoals backup of notify uit "
                        "cron), heeft de database open. Stop de server (bijvoorbeeld: systemctl stop "
                        "herstel), wacht tot andere opdrachten klaar zijn en probeer het opnieuw.") from None
        try:
            yield
        finally:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)


def init_app(app):
    """Open the app's database, bring its schema up to date, and give each request a connection."""
    # First the lock: no migration may run on a database that a restore is replacing.
    app.extensions["herstel.running"] = RunningLock(app.config["RUNNING_LOCK"])
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


def migration_names():
    """The names of every migration this code has, in order: the schema versions it knows."""
    return [migration.name for migration in Migration.load_directory(MIGRATIONS)]


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


def connection_refused():
    """The database refused this request's work: its connection is let go once the disk takes writes again
    (QueuedWritesSqliteDatabase.connection_refused); a PostgreSQL pool checks its connections itself."""
    refused = getattr(db.obj, "connection_refused", None)
    if refused is not None and not db.is_closed():
        refused(db.connection())


def _close_connection(exc):
    if not db.is_closed():
        db.close()
