"""In-process timings of the pages the bench drives, on the bench database: where a request's time goes.

    .venv/bin/python bench/pages.py [PAGE ...]            median, lowest and highest ms of 30 requests per page
    .venv/bin/python bench/pages.py --profile overview    and cProfile's 30 heaviest functions
    .venv/bin/python bench/pages.py --save DIR            also write each page's HTML (Dutch and English) to DIR

Pages: home, overview, case, and overview-afresh: the overview drawn anew for every request, as after each change
to what it shows (the coordinator's overview is otherwise kept, views/cases.py). One request at a time through
Flask's test client, as the coordinator (staff000) of a copy of the bench database (`make bench` seeds it);
BENCH_REQUESTS sets how many (default 30).
"""
import cProfile
import os
import pstats
import re
import shutil
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench import run  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "30"))
PAGES = ("home", "overview", "overview-afresh", "case")
TOKEN = re.compile(r"[\w-]{20,}\.[\w-]{6}\.[\w-]{20,}")  # a CSRF token (itsdangerous)


def main(arguments):
    profile = "--profile" in arguments
    save = arguments[arguments.index("--save") + 1] if "--save" in arguments else None
    names = [a for a in arguments if a in PAGES] or list(PAGES)
    template = max((os.path.join(run.DATA, name) for name in os.listdir(run.DATA)
                    if name.startswith("template-%d-" % run.SIZE) and name.endswith(".db")), key=os.path.getmtime)
    scratch = tempfile.mkdtemp(prefix="herstel-pages-")
    database = os.path.join(scratch, "bench.db")
    shutil.copy(template, database)
    os.environ.setdefault("SECRET_KEY", "bench-secret")
    from app import create_app
    import flask.templating
    import models
    drawing = []
    render = flask.templating._render

    def timed_render(*args):  # the processor's time spent drawing templates
        started = time.thread_time()
        try:
            return render(*args)
        finally:
            drawing.append(time.thread_time() - started)
    flask.templating._render = timed_render
    app = create_app({"DATABASE": database})
    with app.app_context():
        case = models.Conversation.select().order_by(models.Conversation.id.desc()).first().case
        user = models.User.by_username("staff000")
        token = models.UserSession.start(user)
    paths = {"home": "/", "overview": "/dossiers/", "overview-afresh": "/dossiers/", "case": "/dossiers/%d" % case.id}
    from views import cases as case_views
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    try:
        for name in names:
            path = paths[name]
            for _ in range(3):  # warm: the first request of a process reads protocols, catalogues, templates
                assert client.get(path).status_code == 200
            times, processor, drawn = [], [], []
            profiler = cProfile.Profile() if profile else None
            for _ in range(REQUESTS):
                del drawing[:]
                if name == "overview-afresh":
                    case_views.KEPT.clear()
                started, started_cpu = time.perf_counter(), time.thread_time()
                if profiler:
                    profiler.enable()
                response = client.get(path)
                if profiler:
                    profiler.disable()
                times.append((time.perf_counter() - started) * 1000)
                processor.append((time.thread_time() - started_cpu) * 1000)
                drawn.append(sum(drawing) * 1000)
                assert response.status_code == 200
            # The processor's time of the request's thread moves less than the clock on a busy machine.
            print("%-15s median %5.1f ms  lowest %5.1f  highest %6.1f  processor median %5.1f ms, drawing %5.1f ms  "
                  "(%d requests, load %.1f)" % (
                      name, statistics.median(times), min(times), max(times), statistics.median(processor),
                      statistics.median(drawn), REQUESTS, os.getloadavg()[0]), flush=True)
            if profiler:
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
                pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
                if os.environ.get("BENCH_CALLEES"):  # what one function's time went to: BENCH_CALLEES=views/home.py
                    pstats.Stats(profiler).sort_stats("cumulative").print_callees(os.environ["BENCH_CALLEES"])
                if os.environ.get("BENCH_CALLERS"):  # and who called one
                    pstats.Stats(profiler).sort_stats("cumulative").print_callers(os.environ["BENCH_CALLERS"])
            if save:
                os.makedirs(save, exist_ok=True)
                for language in ("nl", "en"):
                    with app.app_context():
                        models.User.update(language=language).where(models.User.id == user.id).execute()
                    html = client.get(path).get_data(as_text=True)
                    html = TOKEN.sub("(csrf token)", html)  # the one thing that differs between two runs
                    with open(os.path.join(save, "%s-%s.html" % (name, language)), "w") as handle:
                        handle.write(html)
                with app.app_context():
                    models.User.update(language=user.language).where(models.User.id == user.id).execute()
    finally:
        shutil.rmtree(scratch)


if __name__ == "__main__":
    main(sys.argv[1:])
