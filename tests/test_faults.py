"""Faults the production server must survive without losing an acknowledged save: a process
killed mid-stream, a full disk, a database that turned read-only."""
import contextlib
import http.client
import os
import pathlib
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time

import peewee
import pytest

import db
import models
from browser import ARTIFACTS, start_production_server, wait_until_serving
from databases import POSTGRES, Connection, copy_database, drop_database, sqlite_only
from test_concurrency import Tablet, make_run_workers

CRASHES = 20
UNWRITABLE_MESSAGE = "Opslaan lukt op dit moment niet"


@contextlib.contextmanager
def production_server(database, log_name, workers=1, **environment):
    """Gunicorn as `make run` starts it, in its own process group so a kill takes the workers too."""
    env = dict(os.environ, DATABASE_URL=str(database),
               HERSTEL_EVIDENCE_DIR=str(getattr(database, "evidence", None) or ""),
               HERSTEL_WORKERS=str(workers), HERSTEL_THREADS="4", **environment)
    log = open(ARTIFACTS / log_name, "a")
    process, base = start_production_server(env, log, start_new_session=True)
    try:
        wait_until_serving(base + "/health", process, log)
        yield base, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        log.close()


def open_conversation(database):
    """The demo's conversation in progress and its checklist items."""
    with Connection(database) as connection:
        conversation_id = connection.execute(
            "SELECT id FROM conversation WHERE ended_at IS NULL ORDER BY id LIMIT 1")[0][0]
        entries = [row[0] for row in connection.execute(
            "SELECT id FROM checklist_entry WHERE conversation_id = ? ORDER BY position", (conversation_id,))]
    return conversation_id, entries


def signed_in_tablet(base, conversation_id):
    tablet = Tablet(base)
    tablet.log_in("mentor2")
    page = tablet.request("/gesprekken/%d" % conversation_id)[1]
    tablet.headers = {"HX-Request": "true", "X-CSRFToken": re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)}
    return tablet


def add_line(tablet, conversation_id, text, key):
    return tablet.request("/gesprekken/%d/regels" % conversation_id,
                          {"kind": "note", "text": text, "client_key": key}, tablet.headers)


def stored_lines(database, conversation_id):
    with Connection(database) as connection:
        return {row[0] for row in connection.execute(
            "SELECT text FROM conversation_line WHERE conversation_id = ?", (conversation_id,))}


def integrity(database):
    """SQLite's check of its file ("ok"); PostgreSQL has no such check to run, only its connection."""
    with Connection(database) as connection:
        return "ok" if POSTGRES else connection.execute("PRAGMA integrity_check")[0][0]


def worker_of(master, killed=None):
    """The pid of the one worker a gunicorn master (HERSTEL_WORKERS=1) has running, once it has one: not the
    one just killed, which stays its child until the master has noticed."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = [int(pid) for pid in
                    pathlib.Path("/proc/%d/task/%d/children" % (master.pid, master.pid)).read_text().split()]
        running = set(children) - {killed}
        if running:
            return running.pop()
        time.sleep(0.02)
    raise AssertionError("gunicorn started no worker within 30 seconds")


def test_a_server_killed_mid_stream_keeps_every_acknowledged_save(tmp_path, demo_database):
    """SIGKILL while a tablet saves, twenty times over: to the worker doing the saves (as when the machine
    runs out of memory; gunicorn forks another), and every fourth time to the whole server, master and
    worker, which then starts again on what they left behind. Starting the server costs most of a second,
    the killed worker's successor a few milliseconds."""
    database = copy_database(demo_database, tmp_path)
    conversation_id, entries = open_conversation(database)
    acknowledged, ticks, tablet = [], {}, None
    random.seed(20261122)
    with contextlib.ExitStack() as servers:
        process = worker = None
        for crash in range(CRASHES):
            whole_server = crash % 4 == 3
            if process is None:
                base, process = servers.enter_context(production_server(database, "faults-crash.log"))
                if tablet is None:
                    tablet = signed_in_tablet(base, conversation_id)
                tablet.base = base  # a new port each start; the session lives on in the database
            worker = worker_of(process, killed=worker)
            stop = threading.Event()

            def stream(crash=crash):
                count = 0
                while not stop.is_set():
                    count += 1
                    text = "ronde %d regel %d" % (crash, count)
                    entry, done = entries[count % len(entries)], str(count % 2)
                    try:
                        status, _ = add_line(tablet, conversation_id, text, "crash-%d-%d" % (crash, count))
                        if status == 200:
                            acknowledged.append(text)
                        ticks.setdefault(entry, []).append(done)  # sent: it may be stored even if never answered
                        tick_status, _ = tablet.request("/gesprekken/%d/punten/%d" % (conversation_id, entry),
                                                        {"done": done}, tablet.headers)
                        if tick_status == 200:
                            ticks[entry] = [done]  # acknowledged: from here on this or a later value
                    except (OSError, http.client.HTTPException):
                        return  # the worker is gone mid-request: that save was never acknowledged

            writer = threading.Thread(target=stream)
            writer.start()
            time.sleep(random.uniform(0.2, 0.6))
            if whole_server:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
            else:
                os.kill(worker, signal.SIGKILL)
            stop.set()
            writer.join(timeout=30)
            assert not writer.is_alive()
            if whole_server:
                process = None  # started again next round
            else:
                assert process.poll() is None, "gunicorn's master went down with its worker"
    assert len(acknowledged) > CRASHES  # saves went through in most rounds
    assert set(acknowledged) <= stored_lines(database, conversation_id)
    with Connection(database) as connection:
        for entry, possible in ticks.items():
            stored = connection.execute("SELECT done FROM checklist_entry WHERE id = ?", (entry,))[0][0]
            assert str(int(stored)) in possible, "item %d lost its acknowledged state" % entry
    assert integrity(database) == "ok"
    drop_database(database)


@pytest.fixture
def small_disk(tmp_path):
    """A real 16 MB file system (tmpfs) that the test can fill up or make read-only."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.fail("a small disk could not be mounted (these tests run as root, as `make test` does): "
                    + mounted.stderr.strip())
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(directory):
    """Write a filler file until the disk is full; return it."""
    filler = directory / "filler"
    chunk = b"\0" * 65536
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(chunk)
                handle.flush()
        except OSError:
            pass
    return filler


def truncate_wal(database):
    """Empty the WAL, so the next save must grow a file (as it does once a busy day has filled it)."""
    with contextlib.closing(sqlite3.connect(database)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@sqlite_only("fills the file system under the SQLite file; a PostgreSQL server keeps its files elsewhere")
def test_a_full_disk_gets_a_clear_message_and_loses_nothing_acknowledged(small_disk, demo_database):
    database = small_disk / "herstel.db"
    shutil.copy(demo_database, database)
    conversation_id, _ = open_conversation(database)
    with production_server(database, "faults-disk.log") as (base, _):
        tablet = signed_in_tablet(base, conversation_id)
        assert add_line(tablet, conversation_id, "voor de volle schijf", "disk-1")[0] == 200
        truncate_wal(database)
        filler = fill(small_disk)

        status, body = add_line(tablet, conversation_id, "op een volle schijf", "disk-2")
        assert status == 503 and UNWRITABLE_MESSAGE in body
        assert tablet.request("/health")[0] == 200  # the server keeps running

        filler.unlink()
        assert add_line(tablet, conversation_id, "op een volle schijf", "disk-2")[0] == 200  # the retry succeeds
    assert {"voor de volle schijf", "op een volle schijf"} <= stored_lines(database, conversation_id)
    assert integrity(database) == "ok"


@contextlib.contextmanager
def immutable(*paths):
    """Files nobody may write any more, not even through a descriptor already open for writing (the
    file system's immutable flag, chattr +i): what a disk that went read-only under a running server
    does to it. A remount read-only is refused while the server holds the file open for writing."""
    paths = [path for path in paths if path.exists()]
    subprocess.run(["chattr", "+i"] + [str(path) for path in paths], check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i"] + [str(path) for path in paths], check=True, capture_output=True)


@pytest.fixture
def on_disk():
    """A folder on a disk's file system (/var/tmp), for a test that needs the disk's own behaviour: make test
    keeps the tests' files in memory (/dev/shm), whose tmpfs let writes through a file made immutable."""
    path = pathlib.Path(tempfile.mkdtemp(prefix="herstel-faults-", dir="/var/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@sqlite_only("makes the SQLite file and its write-ahead log unwritable; a PostgreSQL server keeps its files elsewhere")
def test_a_database_that_turns_read_only_under_the_production_server_gets_a_clear_message(on_disk, demo_database):
    """Gunicorn as `make run` starts it (its number of workers), on a database whose file, write-ahead
    log and folder become unwritable while it runs: a save answers 503 with the message, stores nothing
    (not half a line), the server keeps running and answers /health, and the retry lands once the disk
    takes writes again."""
    database = copy_database(demo_database, on_disk)
    conversation_id, _ = open_conversation(database)
    files = [pathlib.Path(str(database) + suffix) for suffix in ("", "-wal", "-shm")] + [pathlib.Path(database).parent]
    log_path = ARTIFACTS / "faults-read-only.log"
    log_start = log_path.stat().st_size if log_path.exists() else 0
    with production_server(database, "faults-read-only.log", workers=make_run_workers()) as (base, process):
        tablet = signed_in_tablet(base, conversation_id)
        assert add_line(tablet, conversation_id, "voor alleen-lezen", "ro-1")[0] == 200
        before = stored_lines(database, conversation_id)
        with immutable(*files):
            for attempt in range(3):  # each worker that gets it refuses it the same way
                status, body = add_line(tablet, conversation_id, "tijdens alleen-lezen", "ro-2")
                assert status == 503 and UNWRITABLE_MESSAGE in body, (attempt, status)
            assert tablet.request("/health")[0] == 200 and process.poll() is None  # the server keeps running
            # A page is shown only once its reading is in the audit log: it says the same, nothing unlogged.
            status, body = tablet.request("/gesprekken/%d" % conversation_id)
            assert status == 503 and UNWRITABLE_MESSAGE in body
            assert stored_lines(database, conversation_id) == before  # nothing, not half a line
        # The retry lands, as the page retries it.
        answers = []
        while len(answers) < 8 and 200 not in answers:
            answers.append(add_line(tablet, conversation_id, "tijdens alleen-lezen", "ro-2")[0])
            time.sleep(0.1 if answers[-1] != 200 else 0)
        assert answers[-1] == 200 and set(answers) <= {200, 503}, answers
    assert "tijdens alleen-lezen" in stored_lines(database, conversation_id)
    assert integrity(database) == "ok"
    # The log gives the real reason for each refusal, not a failed rollback after SQLite's own.
    with open(log_path, encoding="utf-8") as log:
        log.seek(log_start)
        reasons = [line for line in log if "De database kon niet schrijven" in line]
    assert len(reasons) >= 4 and not any("cannot rollback" in line for line in reasons), reasons


@sqlite_only("SQLite's own fallback: a file it may not write is opened read-only")
def test_a_connection_that_could_not_write_is_let_go_once_the_disk_takes_writes_again(tmp_path):
    """A pooled connection opened while the disk would not take writes is read-only for good (SQLite opens such
    a file read-only); handed out again it would refuse every save for minutes after the disk recovers, until the
    pool retires it. One the app saw refuse (views/errors.py says so to the pool) is let go at its next checkout
    once the file takes writes, and the save lands at once."""
    path = tmp_path / "school.db"
    database = db.open_database(str(path))
    database.connect()
    database.execute_sql("CREATE TABLE line (text TEXT)")
    with database.atomic():
        database.execute_sql("INSERT INTO line VALUES ('voor')")
    database.close()
    database.close_all()
    server = sqlite3.connect(path)  # another worker's connection: it keeps the -wal and -shm files there
    server.execute("SELECT count(*) FROM line").fetchall()
    try:
        with immutable(path, pathlib.Path(str(path) + "-wal"), pathlib.Path(str(path) + "-shm"), tmp_path):
            database.connect()
            with pytest.raises(peewee.OperationalError, match="readonly"):
                with database.atomic():
                    database.execute_sql("INSERT INTO line VALUES ('tijdens')")
            database.connection_refused(database.connection())  # what the app's 503 handler does
            database.close()  # back into the pool: closing it now crashed a worker with SIGBUS
            database.connect()
            assert database.execute_sql("SELECT count(*) FROM line").fetchone() == (1,)  # reads go on
            database.close()
        database.connect()
        with database.atomic():
            database.execute_sql("INSERT INTO line VALUES ('na')")
        database.close()
    finally:
        database.close_all()
        server.close()
    assert [row[0] for row in sqlite3.connect(path).execute("SELECT text FROM line")] == ["voor", "na"]


def read_only(on):
    """Make the app's pooled connection refuse writes: SQLite's query_only, or on PostgreSQL
    read-only transactions (as a standby server after a failover has them)."""
    if POSTGRES:
        models.db.execute_sql("SET default_transaction_read_only = %s" % ("on" if on else "off"))
    else:
        models.db.execute_sql("PRAGMA query_only = %s" % ("ON" if on else "OFF"))


def line_adder(app, login_as):
    """mentor2's conversation under way, and a function that adds a note line to it (as the tablet does)."""
    client = login_as("mentor2")
    with app.app_context():
        conversation = models.Conversation.select().where(models.Conversation.ended_at.is_null()).first()
    page = client.get("/gesprekken/%d" % conversation.id).get_data(as_text=True)
    headers = {"HX-Request": "true", "X-CSRFToken": re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)}

    def add(text, key):
        return client.post("/gesprekken/%d/regels" % conversation.id, headers=headers,
                           data={"kind": "note", "text": text, "client_key": key})

    add.client = client
    return conversation, add


def test_a_read_only_database_gets_a_clear_message_and_loses_nothing_acknowledged(app, login_as):
    """The database refusing writes (as SQLite on a file system remounted read-only after an error).
    A real remount is refused while the server holds the file open for writing, so the database's
    own switch stands in for it, on the app's pooled connection."""
    conversation, add = line_adder(app, login_as)
    assert add("voor alleen-lezen", "ro-1").status_code == 200
    read_only(True)
    try:
        refused = add("tijdens alleen-lezen", "ro-2")
        assert refused.status_code == 503 and UNWRITABLE_MESSAGE in refused.get_data(as_text=True)
        if not POSTGRES:  # the pool heard that this connection could not write (it lets it go once it can)
            assert len(models.db.obj._refused) == 1
        assert add.client.get("/health").status_code == 200
    finally:
        read_only(False)
    assert add("tijdens alleen-lezen", "ro-2").status_code == 200  # the retry succeeds
    with app.app_context():
        texts = {line.text for line in conversation.lines}
    assert {"voor alleen-lezen", "tijdens alleen-lezen"} <= texts

