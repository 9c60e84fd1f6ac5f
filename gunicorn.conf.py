"""Production server settings for `make run` (gunicorn, threads, on the school's own server)."""
import multiprocessing
import os
import sys
import time

from gunicorn.workers.gthread import ThreadWorker


class FairThreadWorker(ThreadWorker):
    """gunicorn's gthread worker that leaves new connections to idle siblings.

    All workers wait on one listening socket, and the one that wakes first accepts. When a
    burst of clients connects at once (a class's tablets after a bell, or a load test), one
    worker could accept them all and keep them: browsers hold their connections open. Its
    threads then share one core under Python's GIL while the other workers sit idle, and
    every page takes twice as long (seen as whole 30-second `make bench` rows at half speed,
    with one worker serving every request). A worker that already has a connection per
    thread waits a moment after each accept, so a sibling's accept wins the next one; when
    every worker is that busy, each waits the same and they share alike.
    """

    HESITATION = 0.002  # seconds per connection beyond one per thread; only after an accept

    def accept(self, listener):
        super().accept(listener)
        surplus = self.nr_conns - self.cfg.threads
        if surplus >= 0:
            time.sleep(self.HESITATION * (surplus + 1))


bind = os.environ.get("HERSTEL_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("HERSTEL_WORKERS", min(4, multiprocessing.cpu_count() + 1)))
worker_class = FairThreadWorker
threads = int(os.environ.get("HERSTEL_THREADS", "4"))
preload_app = True  # migrations run once, in the master, before workers fork
timeout = 30
graceful_timeout = 10
# Access logs would carry URLs with record ids and query strings; keep them off by default.
accesslog = os.environ.get("HERSTEL_ACCESS_LOG") or None
errorlog = "-"
# gunicorn 27's control socket (~/.gunicorn/gunicorn.ctl) is a second way to steer the server
# that nobody here uses, and servers started side by side (the tests, the bench) would share it.
control_socket_disable = True
loglevel = "info"


def when_ready(server):
    """Say where Herstel listens, as gunicorn bound it (HERSTEL_BIND may name another address or port)."""
    for listener in server.LISTENERS:
        print("Herstel draait op %s  (stoppen: Ctrl+C)" % listener, flush=True)


def post_fork(server, worker):
    """Hand the GIL over after 0.5 ms instead of Python's 5 ms.

    A request that writes (every page view appends to the audit log) holds the database's
    write lock across a few SQLite calls, and needs the GIL back after each. With the default
    interval a sibling thread rendering a page keeps it for up to 5 ms each time, every other
    writer in every worker queues behind that, and the cores go idle: under 16 clients the
    case page fell from 310 to 150 requests/s. `make bench` shows the effect.
    """
    sys.setswitchinterval(0.0005)
