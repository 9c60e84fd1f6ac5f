"""The floor under the checklist toggle: a bare Flask app that does only what a tap must write.

`make bench-floor` serves this with Herstel's own gunicorn settings on a copy of the bench
database. No login, no CSRF, no permissions, no ORM, no template: one indexed read (as a
session check would be), then the tap's two writes, the item and its audit line, in one
transaction taken the way Herstel takes it (thread lock, flock, BEGIN IMMEDIATE) and committed
with the synchronous setting in FLOOR_SYNCHRONOUS (DESIGN.md asks for FULL).

Whatever Herstel's real toggle does on top costs more than this, so the toggle's throughput
can not be higher than this app's /tap.
"""
import datetime
import fcntl
import os
import sqlite3
import threading

from flask import Flask, request

DATABASE = os.environ["DATABASE_URL"]
SYNCHRONOUS = os.environ.get("FLOOR_SYNCHRONOUS", "full")

app = Flask(__name__)
_local = threading.local()
_writer = threading.Lock()
_lock_files = {}


def connection():
    if getattr(_local, "connection", None) is None:
        _local.connection = sqlite3.connect(DATABASE, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=wal", "foreign_keys=1", "synchronous=" + SYNCHRONOUS, "busy_timeout=10000"):
            _local.connection.execute("PRAGMA " + pragma)
    return _local.connection


def lock_file():
    """The cross-worker write lock; opened per process, as models.QueuedWritesSqliteDatabase does."""
    if os.getpid() not in _lock_files:
        _lock_files[os.getpid()] = open(DATABASE + ".lock", "a")
    return _lock_files[os.getpid()].fileno()


@app.get("/health")
def health():
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@app.get("/read")
def read():
    """Only the read a tap starts with."""
    connection().execute("SELECT id, username FROM user WHERE id = ?", (1,)).fetchone()
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@app.post("/tap/<int:entry_id>")
def tap(entry_id):
    database = connection()
    user_id, username = database.execute("SELECT id, username FROM user WHERE id = ?", (1,)).fetchone()
    done = request.form.get("done") == "1"
    now = datetime.datetime.utcnow().isoformat(" ")
    with _writer:
        fcntl.flock(lock_file(), fcntl.LOCK_EX)
        try:
            database.execute("BEGIN IMMEDIATE")
            try:
                database.execute("UPDATE checklist_entry SET done = ?, done_at = ?, done_by_id = ?, updated_at = ? "
                                 "WHERE id = ?", (done, now if done else None, user_id if done else None, now,
                                                  entry_id))
                database.execute("INSERT INTO audit_event (at, user_id, username, action, object_type, object_id, "
                                 "address, detail) VALUES (?, ?, ?, 'conversation.tick', 'conversation', 1, "
                                 "'127.0.0.1', ?)", (now, user_id, username, "punt %d: %s" % (entry_id, done)))
            except BaseException:
                database.execute("ROLLBACK")
                raise
            database.execute("COMMIT")
        finally:
            fcntl.flock(lock_file(), fcntl.LOCK_UN)
    return '<li id="item-%d">%s</li>' % (entry_id, "gedaan" if done else "open")
