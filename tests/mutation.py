"""The score of `make mutation`: per module of pyproject.toml's only_mutate, how many of the bugs
mutmut planted the tests caught, and which survived.

A mutant counts as caught when a test failed on it or it ran past its time (an endless loop is a
bug the suite notices). "no tests" means no fast test ran the mutated function: a survivor too.
Prints one line per module and its survivors (`.venv/bin/mutmut show NAME` shows one), and exits
non-zero while a module is under GOAL. Given module paths (`tests/mutation.py domain/escalation.py`),
only those; with --survivors first, only the names of their survivors (for `make mutation-again`).
"""
import collections
import re
import subprocess
import sys

GOAL = 0.90
CAUGHT = {"killed", "timeout", "caught by type check"}
LINE = re.compile(r"^\s*(?P<name>\S+)__mutmut_\d+: (?P<status>.+)$")


def results():
    """(mutant name, status) for every mutant mutmut made."""
    output = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], capture_output=True,
                            text=True, check=True).stdout
    for line in output.splitlines():
        match = LINE.match(line)
        if match:
            yield line.strip().split(":")[0], match["status"].strip()


def module_of(name):
    """'domain.agreements.x_content_hash__mutmut_3' -> 'domain/agreements.py'."""
    return name.split(".x")[0].replace(".", "/") + ".py"


def main(modules=()):
    by_module = collections.defaultdict(lambda: collections.defaultdict(list))
    for name, status in results():
        if not modules or module_of(name) in modules:
            by_module[module_of(name)][status].append(name)
    below = []
    for module in sorted(by_module):
        statuses = by_module[module]
        checked = sum(len(names) for status, names in statuses.items() if status != "not checked")
        caught = sum(len(statuses[status]) for status in CAUGHT)
        score = caught / checked if checked else 0.0
        unchecked = len(statuses.get("not checked", ()))
        print("%-28s %4d of %4d caught  %5.1f %%%s" % (module, caught, checked, 100 * score,
                                                    "  (%d not run yet)" % unchecked if unchecked else ""))
        for status in sorted(set(statuses) - CAUGHT - {"not checked"}):
            for name in statuses[status]:
                print("    %-14s %s" % (status, name))
        if score < GOAL or unchecked:
            below.append(module)
    if below:
        print("Under %d %% (or not finished): %s" % (100 * GOAL, ", ".join(below)))
    return 1 if below or not by_module else 0


def survivors(modules=()):
    """The names of the mutants no test caught, of the given modules (or all), one per line."""
    for name, status in results():
        if status not in CAUGHT | {"not checked"} and (not modules or module_of(name) in modules):
            print(name)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--survivors"]:
        sys.exit(survivors(sys.argv[2:]))
    sys.exit(main(sys.argv[1:]))
