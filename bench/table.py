"""Bench results side by side: each page's throughput as a ratio to /health of the same run, one column per run
(a size, or a database), so that a page's cost at 20,000 and 200,000 cases reads on one line.

    .venv/bin/python bench/table.py bench/results/bench-A.json bench/results/bench-B.json
    .venv/bin/python bench/table.py            # the latest run of each size in bench/results

bench/run.py prints it after each run when an earlier run of another size is there.
"""
import glob
import json
import os
import sys

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def latest_per_size(directory=RESULTS):
    """The newest complete result file (the most rows) of each database size (number of cases), smallest first."""
    found = {}
    for path in sorted(glob.glob(os.path.join(directory, "bench-*.json"))):  # names sort by time
        with open(path) as handle:
            report = json.load(handle)
        size, rows = (report.get("engine", "sqlite") != "sqlite", report["database"]["cases"]), len(report["results"])
        if any(result["name"].startswith("health") for result in report["results"]) and (
                size not in found or rows >= len(found[size][1]["results"])):
            found[size] = (path, report)
    return [found[size] for size in sorted(found)]


def side_by_side(runs, width=24):
    """Lines of a table: a page per line, per run its ratio to /health (health's own req/s on its line)."""
    header = ["%-*s" % (width, "endpoint")] + ["%17s" % ("%dk cases%s" % (
        report["database"]["cases"] // 1000, " (pg)" if report.get("engine", "sqlite") != "sqlite" else ""))
        for _, report in runs]
    files = ["%-*s" % (width, "")] + ["%17s" % os.path.basename(path)[-20:-5] for path, _ in runs]
    lines = ["".join(header), "".join(files)]
    names = []
    for _, report in runs:
        names += [result["name"] for result in report["results"] if result["name"] not in names]
    for name in names:
        cells = []
        for _, report in runs:
            result = next((r for r in report["results"] if r["name"] == name), None)
            if result is None:
                cells.append("%17s" % "-")
            elif name.startswith("health"):
                cells.append("%17s" % ("%.1f req/s" % result["rps"]))
            else:
                cells.append("%17.3f" % result["vs_baseline"])
        lines.append("%-*s" % (width, name) + "".join(cells))
    sqlite = [report for _, report in runs if report.get("engine", "sqlite") == "sqlite"]
    if len(sqlite) == 2:
        lines += [""] + _ratios(names, sqlite[0], sqlite[1], "ratio at the larger size / ratio at the smaller "
                                "(goal: 0.8 or more):", width)
    for _, report in runs:
        same = [other for other in sqlite if other["database"]["cases"] == report["database"]["cases"]]
        if report.get("engine", "sqlite") != "sqlite" and same:
            lines += [""] + _ratios(names, same[0], report, "%dk cases: PostgreSQL's ratio / SQLite's (goal: 0.67 "
                                    "or more):" % (report["database"]["cases"] // 1000), width)
    return lines


def _ratios(names, small, large, title, width):
    lines = [title]
    for name in names:
        first = next((r for r in small["results"] if r["name"] == name), None)
        second = next((r for r in large["results"] if r["name"] == name), None)
        if first and second and not name.startswith("health") and first["vs_baseline"]:
            lines.append("%-*s%17.2f" % (width, name, second["vs_baseline"] / first["vs_baseline"]))
    return lines


def main(paths):
    runs = []
    for path in paths:
        with open(path) as handle:
            runs.append((path, json.load(handle)))
    for line in side_by_side(runs or latest_per_size()):
        print(line)


if __name__ == "__main__":
    main(sys.argv[1:])
