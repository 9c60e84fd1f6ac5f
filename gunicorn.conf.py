"""Production server settings for `make run` (gunicorn, threads, on the school's own server)."""
import multiprocessing
import os

bind = os.environ.get("HERSTEL_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("HERSTEL_WORKERS", min(4, multiprocessing.cpu_count() + 1)))
worker_class = "gthread"
threads = int(os.environ.get("HERSTEL_THREADS", "4"))
preload_app = True  # migrations run once, in the master, before workers fork
timeout = 30
graceful_timeout = 10
# Access logs would carry URLs with record ids and query strings; keep them off by default.
accesslog = os.environ.get("HERSTEL_ACCESS_LOG") or None
errorlog = "-"
loglevel = "info"
