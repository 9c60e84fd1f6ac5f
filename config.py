"""Settings from environment variables, with safe defaults for a small school's server."""
import datetime
import os
import secrets
import subprocess


def _secret_key(instance_path):
    """SECRET_KEY from the environment, else one generated once and kept in instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    with open(path) as handle:
        return handle.read().strip()


def evidence_dir(database, instance_path):
    """Evidence files live beside the database file they belong to (instance/ for a database server)."""
    if "://" in database:
        return os.path.join(instance_path, "evidence")
    return os.path.join(os.path.dirname(os.path.abspath(database)), "evidence")


DEFAULT_TRUSTED_HOSTS = "localhost,127.0.0.1"


def trusted_hosts(text):
    """The host names Herstel answers to, from a list separated by commas or spaces."""
    return [name.strip().lower() for name in text.replace(",", " ").split() if name.strip()]


def beside_the_data(database, evidence_dir):
    """Files that belong to one school's data but are no part of it: the lock every process that has the
    app open holds (so `flask restore` can tell that the server runs) and the record of the last backup.

    They sit beside the SQLite file, named after it, or beside the evidence folder, named after it, when
    the database is on a PostgreSQL server. Neither is in the database, nor in the folder a restore
    replaces: they describe this server, not the school's records.
    """
    base = evidence_dir.rstrip(os.sep) if "://" in database else os.path.abspath(database)
    return {"RUNNING_LOCK": base + ".running", "BACKUP_RECORD": base + ".last-backup.json"}


def from_environment(instance_path):
    """The app's configuration, read from the environment."""
    https = os.environ.get("HERSTEL_HTTPS", "0") == "1"
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "DATABASE": os.environ.get("DATABASE_URL", os.path.join(instance_path, "herstel.db")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        # Behind HTTPS, browsers are told to come back only over HTTPS (HSTS), for two years.
        "HTTPS": https,
        "HSTS_SECONDS": 2 * 365 * 24 * 3600,
        "SESSION_COOKIE_NAME": "herstel_session",
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "REMEMBER_COOKIE_DURATION": datetime.timedelta(seconds=0),
        "SESSION_IDLE_MINUTES": int(os.environ.get("HERSTEL_SESSION_IDLE_MINUTES", "30")),
        "SESSION_MAX_HOURS": int(os.environ.get("HERSTEL_SESSION_MAX_HOURS", "12")),
        # Requests larger than this are refused with 413 before anything is read.
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 1024 * 1024,
        # Uploaded evidence: stored outside static/, in HERSTEL_EVIDENCE_DIR or beside the database.
        "EVIDENCE_DIR": os.environ.get("HERSTEL_EVIDENCE_DIR", ""),
        "EVIDENCE_MAX_BYTES": 6 * 1024 * 1024,
        "LOGIN_MAX_FAILURES_ACCOUNT": 5,
        # Many staff share one school address behind NAT, so the address allows more.
        "LOGIN_MAX_FAILURES_ADDRESS": 20,
        # After the password: minutes to type the code from the app, or to set the app up.
        # The public report page (Meldknop), per hour: reports sent from one address and from all,
        # replies from one address and in one thread, and wrong tries before the waits begin.
        "PUBLIC_SENDS_PER_ADDRESS": 5,
        "PUBLIC_SENDS_PER_HOUR": 100,
        "PUBLIC_REPLIES_PER_ADDRESS": 30,
        "PUBLIC_REPLIES_PER_THREAD": 30,
        "PUBLIC_FAILURES_PER_CODE_AND_ADDRESS": 5,
        "PUBLIC_FAILURES_PER_CODE": 20,
        "PUBLIC_FAILURES_PER_ADDRESS": 30,
        "LOGIN_SECOND_STEP_MINUTES": 5,
        "LOGIN_ENROLMENT_MINUTES": 15,
        "BABEL_DEFAULT_LOCALE": "nl",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Amsterdam",
        "LANGUAGES": ("nl", "en"),
        "TRUST_PROXY": os.environ.get("HERSTEL_TRUST_PROXY", "0") == "1",
        # Any other Host header (or X-Forwarded-Host behind a trusted proxy) gets 400, so no link
        # the app builds can point elsewhere. The default serves `make run`, the tests and the bench.
        "TRUSTED_HOSTS": trusted_hosts(os.environ.get("HERSTEL_TRUSTED_HOSTS", DEFAULT_TRUSTED_HOSTS)),
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        # Backups are encrypted for these age public keys (age1..., several separated by commas or
        # spaces); the secret key that opens them is kept away from this server.
        "BACKUP_RECIPIENTS": os.environ.get("HERSTEL_BACKUP_RECIPIENT", ""),
        "BACKUP_IDENTITY_FILE": os.environ.get("HERSTEL_BACKUP_IDENTITY", ""),  # for `flask restore` only
        "PROTOCOL_DIR": os.environ.get("HERSTEL_PROTOCOL_DIR", os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "protocols")),
    }


def herstel_version():
    """This code's version for a backup's manifest: the git commit it was installed from, or "onbekend"."""
    try:
        result = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=os.path.dirname(os.path.abspath(
            __file__)), capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "onbekend"
    return result.stdout.strip() if result.returncode == 0 and result.stdout.strip() else "onbekend"
