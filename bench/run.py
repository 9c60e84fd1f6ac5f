"""`make bench`: load figures for Herstel, measured the same way each time.

Seeds (once) a database the size of a large school after years of use, starts gunicorn
exactly as `make run` does, logs in, and drives each endpoint with wrk (16 connections,
30 seconds each by default). Prints one table and writes it as JSON to bench/results/.

Environment: BENCH_SECONDS (default 30), BENCH_CONNECTIONS (16), BENCH_ONLY (comma list of names),
BENCH_SIZE (cases in the database, default 20000; `make bench SIZE=200000` sets it): each size is
seeded once and kept.
"""
import datetime
import hashlib
import http.cookiejar
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
DATA = os.path.join(ROOT, "bench", "data")
RESULTS = os.path.join(ROOT, "bench", "results")
DATABASE = os.path.join(DATA, "bench.db")
SECONDS = int(os.environ.get("BENCH_SECONDS", "30"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
PASSWORD = "herstel-demo-2026"
SIZE = int(os.environ.get("BENCH_SIZE", "20000"))
# make bench-postgres: a PostgreSQL server (a throwaway one, with its durability on) on which the bench makes its
# database and seeds it each run (the server goes with the run, so nothing is cached).
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "")


def log(message):
    print(message, flush=True)


def ensure_wrk():
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0:
        sys.exit("wrk ontbreekt: installeer het Debian-pakket 'wrk'.")
    log("wrk installeren (Debian) ...")
    subprocess.run("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk",
                   shell=True, check=True, stdout=subprocess.DEVNULL)


def seed_version():
    """What the big database was made from: the seeder and the migrations. A change to either
    seeds it anew instead of measuring yesterday's data."""
    digest = hashlib.sha256()
    with open(os.path.join(ROOT, "bench", "seed.py"), "rb") as handle:
        digest.update(handle.read())
    for name in sorted(os.listdir(os.path.join(ROOT, "migrations"))):
        digest.update(name.encode())
    return digest.hexdigest()[:12]


def ensure_postgres_database():
    """The bench database on the PostgreSQL server, made and seeded; its URL."""
    global DATABASE
    import psycopg2
    parts = urllib.parse.urlsplit(POSTGRES_URL)
    admin = psycopg2.connect(POSTGRES_URL)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("DROP DATABASE IF EXISTS herstel_bench")
        cursor.execute("CREATE DATABASE herstel_bench")
    admin.close()
    DATABASE = urllib.parse.urlunsplit(parts._replace(path="/herstel_bench"))
    log("Grote database vullen op PostgreSQL: %d dossiers ..." % SIZE)
    started = time.monotonic()
    os.environ.setdefault("SECRET_KEY", "bench-secret")
    from app import create_app
    from db import close_all_connections
    from argon2 import PasswordHasher
    import models
    from bench import seed
    app = create_app({"DATABASE": DATABASE})
    with app.app_context():
        seed.seed(PasswordHasher().hash(PASSWORD), cases=SIZE)
        models.db.execute_sql("ANALYZE")
        durable = models.db.execute_sql("SHOW synchronous_commit").fetchone()[0]
    close_all_connections()
    log("  klaar in %.0f s (synchronous_commit = %s)" % (time.monotonic() - started, durable))


def database_mb():
    if not POSTGRES_URL:
        return round(os.path.getsize(DATABASE) / 1e6, 1)
    import models
    return round(models.db.execute_sql("SELECT pg_database_size(current_database())").fetchone()[0] / 1e6, 1)


def ensure_database():
    """Seed the big database once; later runs reuse it (a fresh copy each run keeps runs comparable)."""
    if POSTGRES_URL:
        ensure_postgres_database()
        return
    prefix = "template-%d-" % SIZE
    template = os.path.join(DATA, prefix + "%s.db" % seed_version())
    if not os.path.exists(template):
        os.makedirs(DATA, exist_ok=True)
        for old in os.listdir(DATA):  # an earlier seed of this size (or of no size: older benches), with its lock files
            if old.startswith(prefix) or re.match(r"template-[0-9a-f]{12}\.", old):
                os.remove(os.path.join(DATA, old))
        log("Grote database vullen: %d dossiers (eenmalig) ..." % SIZE)
        started = time.monotonic()
        os.environ.setdefault("SECRET_KEY", "bench-secret")
        from app import create_app
        from db import close_all_connections
        from argon2 import PasswordHasher
        import models
        from bench import seed
        app = create_app({"DATABASE": template + ".tmp"})
        with app.app_context():
            seed.seed(PasswordHasher().hash(PASSWORD), cases=SIZE)
            models.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        close_all_connections()
        os.replace(template + ".tmp", template)
        for suffix in ("-wal", "-shm", ".lock", ".running"):  # the last two: the app's lock files
            if os.path.exists(template + ".tmp" + suffix):
                os.remove(template + ".tmp" + suffix)
        log("  klaar in %.0f s" % (time.monotonic() - started))
    shutil.copy(template, DATABASE)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(DATABASE + suffix):
            os.remove(DATABASE + suffix)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port, application="app:create_app()", **environment):
    """gunicorn with `make run`'s settings (gunicorn.conf.py) on the bench database."""
    env = dict(os.environ, DATABASE_URL=DATABASE, HERSTEL_BIND="127.0.0.1:%d" % port,
               SECRET_KEY=os.environ.get("SECRET_KEY", "bench-secret"), **environment)
    server_log = open(os.path.join(DATA, "server.log"), "w")
    process = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "gunicorn"), "-c", "gunicorn.conf.py",
                                application], cwd=ROOT, env=env, stdout=server_log, stderr=server_log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/health" % port, timeout=1)
            return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    sys.exit("De server startte niet; zie bench/data/server.log")


class Browser:
    """Just enough of a browser to log in and read a CSRF token."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path):
        with self.opener.open(self.base + path) as response:
            return response.read().decode()

    def post(self, path, data):
        body = urllib.parse.urlencode(data).encode()
        with self.opener.open(self.base + path, body) as response:
            return response.read().decode()

    def csrf(self, path):
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.get(path)).group(1)

    def log_in(self, username):
        self.post("/login", {"username": username, "password": PASSWORD, "csrf_token": self.csrf("/login")})

    def cookie(self):
        return "; ".join("%s=%s" % (c.name, c.value) for c in self.jar)


def worker_memory_mb(master_pid):
    """Peak resident memory (VmHWM) of each gunicorn worker, in MB."""
    children = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True, text=True).stdout.split()
    peaks = []
    for pid in children:
        try:
            with open("/proc/%s/status" % pid) as status:
                peaks += [int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM")]
        except OSError:
            pass
    return peaks


def wrk(base, name, path, method="GET", env=None):
    environment = dict(os.environ, BENCH_METHOD=method, BENCH_PATH=path, **(env or {}))
    command = ["wrk", "-t", "2", "-c", str(CONNECTIONS), "-d", "%ds" % SECONDS, "--timeout", "10s",
               "-s", os.path.join(ROOT, "bench", "wrk.lua"), base + path.replace("{entry}", "0")]
    output = subprocess.run(command, capture_output=True, text=True, env=environment).stdout
    if "Non-2xx" in output:
        log("  let op: " + " ".join(line.strip() for line in output.splitlines() if "Non-2xx" in line))
    match = re.search(r"^BENCH (\{.*\})$", output, re.M)
    if not match:
        sys.exit("wrk gaf geen uitkomst voor %s:\n%s" % (name, output))
    result = json.loads(match.group(1))
    result["name"] = name
    result["rps"] = result["requests"] / result["seconds"]
    return result


def pdf_timings(app, models, count=100):
    """Median and p95 of building a signed agreement's PDF with three drawn signatures, in-process (ms).

    The server builds it once per worker and then sends it from memory (pdf.agreement_download)."""
    import statistics
    import db
    from domain import agreements
    from domain import pdf
    from demo import _drawn_signature
    with app.app_context():
        case = models.Case.select().order_by(models.Case.id).first()
        with models.db.atomic():
            agreement = agreements.draft(case, case.mentor)
            agreements.update(agreement, commitments="Van nu af aan laten we elkaar met rust.\nWe groeten elkaar.",
                              restorative_act="Samen het lokaal opruimen.", support_figures="De mentor")
            for number, party in enumerate(agreement.parties):
                party.signature_png = _drawn_signature(number + 2)
                party.signed_at = db.utcnow()
                party.save()
            agreements.lock(agreement)  # signed by all: what a school downloads and prints
        times = []
        for _ in range(count):
            started = time.perf_counter()
            pdf.agreement_pdf(agreement, "Benchmarkschool")
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 1), "p95_ms": round(times[int(0.95 * count) - 1], 1),
            "agreement_id": agreement.id}


def main():
    ensure_wrk()
    ensure_database()
    os.environ.setdefault("SECRET_KEY", "bench-secret")
    from app import create_app
    from db import close_all_connections
    import models
    app = create_app({"DATABASE": DATABASE})
    with app.app_context():
        conversation = models.Conversation.select().order_by(models.Conversation.id.desc()).first()
        entries = [e.id for e in conversation.entries]
        case = conversation.case
        counts = {"cases": models.Case.select().count(), "entries": models.ChecklistEntry.select().count(),
                  "pupils": models.Pupil.select().count(), "staff": models.User.select().count()}
        size_mb = database_mb()
        mentor = case.mentor.username
    pdf_time = pdf_timings(app, models)
    with app.app_context():
        targets = os.path.join(DATA, "targets.txt")
        with open(targets, "w") as handle:
            for entry in (models.ChecklistEntry.select(models.ChecklistEntry.id, models.ChecklistEntry.conversation)
                          .where(models.ChecklistEntry.note == "").order_by(models.ChecklistEntry.id)):
                handle.write("%d/punten/%d\n" % (entry.conversation_id, entry.id))
    close_all_connections()

    port = free_port()
    server = start_server(port)
    base = "http://127.0.0.1:%d" % port
    try:
        coordinator, tablet = Browser(base), Browser(base)
        coordinator.log_in("staff000")
        tablet.log_in(mentor)
        talk = "/gesprekken/%d" % conversation.id
        tablet_env = {"BENCH_COOKIE": tablet.cookie(), "BENCH_CSRF": tablet.csrf(talk), "BENCH_HTMX": "1"}
        coordinator_env = {"BENCH_COOKIE": coordinator.cookie()}
        plan = [
            ("health (baseline)", "/health", "GET", {}),
            ("login page", "/login", "GET", {}),
            ("home page (coordinator)", "/", "GET", coordinator_env),
            ("coordinator overview", "/dossiers/", "GET", coordinator_env),
            ("case page", "/dossiers/%d" % case.id, "GET", coordinator_env),
            ("checklist toggle", talk + "/punten/{entry}", "POST",
             dict(tablet_env, BENCH_ENTRIES=",".join(map(str, entries)))),
            ("note save", "/gesprekken/{target}/notitie", "POST",
             dict(coordinator_env, BENCH_HTMX="1", BENCH_CSRF=coordinator.csrf(talk),
                  BENCH_BODY="note=Genoteerd tijdens de meting&base_version=0", BENCH_TARGETS_FILE=targets)),
            ("PDF download", "/herstelovereenkomsten/%d/pdf" % pdf_time["agreement_id"], "GET", coordinator_env),
            # Last: requests wrk gave up on (after 10 s) are still being served when it stops, and would
            # slow the next row down.
            ("monitor (school year)", "/monitor/", "GET", coordinator_env),
        ]
        only = {name.strip() for name in os.environ.get("BENCH_ONLY", "").split(",") if name.strip()}
        # The monitor's first view of a fresh copy computes and stores the closed school years (migration 0026),
        # as a school's first view after the years last changed: timed alone, before the rows.
        started = time.monotonic()
        coordinator.get("/monitor/")
        first_view = time.monotonic() - started
        log("monitor, eerste keer (gesloten schooljaren berekend en opgeslagen): %.1f s" % first_view)
        results = []
        for name, path, method, env in plan:
            if only and name not in only and name.split(" ")[0] not in only:
                continue
            log("%s: %d s, %d verbindingen ..." % (name, SECONDS, CONNECTIONS))
            results.append(wrk(base, name, path, method, env))
        memory = worker_memory_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=20)

    # A 500 is in wrk's errors, but not what it was: the server's log says.
    with open(os.path.join(DATA, "server.log"), errors="replace") as handle:
        server_errors = handle.read().count("Traceback (most recent call last)")
    baseline = next((r["rps"] for r in results if r["name"].startswith("health")), None)
    for result in results:
        result["vs_baseline"] = result["rps"] / baseline if baseline else None
    report = {
        "when": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": machine(),
        "connections": CONNECTIONS, "seconds": SECONDS, "database": counts,
        "database_mb": size_mb, "engine": "postgresql" if POSTGRES_URL else "sqlite",
        "worker_peak_memory_mb": [round(m, 1) for m in memory], "results": results,
        "agreement_pdf": pdf_time, "monitor_first_view_s": round(first_view, 2), "server_errors": server_errors,
    }
    print_table(report)
    if server_errors:
        log("\nLET OP: de server schreef %d fout(en) met traceback in bench/data/server.log" % server_errors)
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, "bench-%s%s.json" % ("postgres-" if POSTGRES_URL else "",
                                                       datetime.datetime.now().strftime("%Y%m%d-%H%M%S")))
    with open(path, "w") as handle:
        json.dump(report, handle, indent=2)
    log("\nGeschreven: %s" % os.path.relpath(path, ROOT))
    from bench import table
    runs = table.latest_per_size()
    if len(runs) > 1:  # this run next to the latest of each other size
        log("")
        for line in table.side_by_side(runs):
            log(line)


def print_table(report):
    log("\nHerstel bench: %s; %d verbindingen, %d s per meting" % (
        report["machine"], report["connections"], report["seconds"]))
    log("Database: %(cases)d dossiers, %(entries)d checklistpunten, %(pupils)d leerlingen, %(staff)d medewerkers"
        % report["database"] + ", %.1f MB" % report["database_mb"])
    log("")
    print_rows(report["results"])
    log("\nPiekgeheugen per worker (MB): %s" % ", ".join("%.0f" % m for m in report["worker_peak_memory_mb"]))
    log("PDF van een herstelovereenkomst met drie handtekeningen (in-process, 100 keer): mediaan %.1f ms, "
        "p95 %.1f ms" % (report["agreement_pdf"]["median_ms"], report["agreement_pdf"]["p95_ms"]))


def machine():
    return "%s, %d cores, Python %s" % (platform.machine(), os.cpu_count(), platform.python_version())


def print_rows(results, width=22):
    log("%-*s %9s %8s %8s %8s %7s %9s" % (width, "endpoint", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors",
                                          "vs base"))
    for r in results:
        log("%-*s %9.1f %8.2f %8.2f %8.2f %7d %9s" % (
            width, r["name"], r["rps"], r["p50_ms"], r["p95_ms"], r["p99_ms"], r["errors"],
            "%.2f" % r["vs_baseline"] if r["vs_baseline"] else "-"))


if __name__ == "__main__":
    main()
