"""`make bench-floor`: how fast can any Flask tap be on this machine, with the data kept safe?

The toggle's goal in `make bench` is half the throughput of /health. This measures what the
stack allows, the same way `make bench` measures Herstel (its gunicorn settings, its wrk
script, 16 connections, a copy of the same large database):

- Herstel: /health (the goal's baseline) and the real checklist toggle;
- bench/floor_app.py, a bare Flask app: /health, /read (one indexed read) and /tap (that read
  plus the tap's two writes in one transaction, without anything else a real tap needs),
  committed with synchronous=FULL (what DESIGN.md asks) and, for comparison, NORMAL.

Every row's "vs base" is against Herstel's /health. Writes the table to bench/results/floor-*.json.
"""
import datetime
import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (bench/run.py: the same server start, wrk drive and table)


def herstel_rows(entries):
    run.ensure_database()
    port = run.free_port()
    server = run.start_server(port)
    base = "http://127.0.0.1:%d" % port
    try:
        tablet = run.Browser(base)
        tablet.log_in(entries["mentor"])
        talk = "/gesprekken/%d" % entries["conversation"]
        env = {"BENCH_COOKIE": tablet.cookie(), "BENCH_CSRF": tablet.csrf(talk), "BENCH_HTMX": "1",
               "BENCH_ENTRIES": ",".join(map(str, entries["ids"]))}
        return [run.wrk(base, "Herstel: health", "/health"),
                run.wrk(base, "Herstel: checklist toggle", talk + "/punten/{entry}", "POST", env)]
    finally:
        server.terminate()
        server.wait(timeout=20)


def floor_rows(entries, synchronous, with_reads):
    run.ensure_database()
    port = run.free_port()
    server = run.start_server(port, "bench.floor_app:app", FLOOR_SYNCHRONOUS=synchronous)
    base = "http://127.0.0.1:%d" % port
    try:
        rows = []
        if with_reads:
            rows += [run.wrk(base, "floor: health", "/health"), run.wrk(base, "floor: read", "/read")]
        rows.append(run.wrk(base, "floor: tap, synchronous=%s" % synchronous, "/tap/{entry}", "POST",
                            {"BENCH_ENTRIES": ",".join(map(str, entries["ids"]))}))
        return rows
    finally:
        server.terminate()
        server.wait(timeout=20)


def conversation_entries():
    """The items of the newest conversation and its mentor, as `make bench` taps them."""
    run.ensure_database()
    database = sqlite3.connect(run.DATABASE)
    try:
        conversation, mentor = database.execute(
            "SELECT conversation.id, user.username FROM conversation JOIN \"case\" ON \"case\".id = "
            "conversation.case_id JOIN user ON user.id = \"case\".mentor_id ORDER BY conversation.id DESC "
            "LIMIT 1").fetchone()
        ids = [row[0] for row in database.execute(
            "SELECT id FROM checklist_entry WHERE conversation_id = ? ORDER BY position", (conversation,))]
    finally:
        database.close()
    return {"conversation": conversation, "mentor": mentor, "ids": ids}


def main():
    run.ensure_wrk()
    entries = conversation_entries()
    results = herstel_rows(entries)
    results += floor_rows(entries, "full", with_reads=True)
    results += floor_rows(entries, "normal", with_reads=False)
    baseline = results[0]["rps"]
    for result in results:
        result["vs_baseline"] = result["rps"] / baseline
    report = {
        "when": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": run.machine(),
        "connections": run.CONNECTIONS, "seconds": run.SECONDS, "results": results,
    }
    run.log("\nDe ondergrens onder de checklist-tik: %s; %d verbindingen, %d s per meting\n" % (
        report["machine"], report["connections"], report["seconds"]))
    run.print_rows(results, width=32)
    os.makedirs(run.RESULTS, exist_ok=True)
    path = os.path.join(run.RESULTS, "floor-%s.json" % datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    with open(path, "w") as handle:
        json.dump(report, handle, indent=2)
    run.log("\nGeschreven: %s" % os.path.relpath(path, run.ROOT))


if __name__ == "__main__":
    main()
