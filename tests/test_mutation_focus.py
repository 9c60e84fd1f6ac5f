"""The focus of `make mutation` (tests/mutation_focus.py): which tests a module's mutants run."""
import os
import pathlib
import subprocess
import sys
import tomllib

import mutation_focus

ROOT = pathlib.Path(__file__).resolve().parent.parent
SETTINGS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]


def test_every_focused_module_is_mutated_and_its_tests_exist_in_the_selection():
    focus = SETTINGS["herstel"]["mutation-focus"]
    selection = set(SETTINGS["mutmut"]["pytest_add_cli_args_test_selection"])
    assert set(focus) <= set(SETTINGS["mutmut"]["only_mutate"])
    for module, files in focus.items():
        assert files and set(files) <= selection, module  # mutmut passes a mutant only the tests it selected
        assert all((ROOT / name).is_file() for name in files), module


def test_a_mutant_is_focused_by_its_module_only():
    table = {"permissions/rules.py": ["tests/test_access.py"]}
    assert mutation_focus.focus_of("permissions.rules.x_may_case__mutmut_3", table) == ["tests/test_access.py"]
    assert mutation_focus.focus_of("permissions.loaders.x_refuse__mutmut_1", table) is None
    assert mutation_focus.focus_of("permissions.rules.xǁPreviousMentorReadingǁadmits__mutmut_2", table) == [
        "tests/test_access.py"]
    assert mutation_focus.focus_of("stats", table) is None


def collected(environment):
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:randomly",
                          "--collect-only", "tests/test_notes.py", "tests/test_followups.py"],
                         cwd=ROOT, env=environment, capture_output=True, text=True)
    return {line.split("::")[0] for line in run.stdout.splitlines() if "::" in line}


def test_a_focused_mutant_runs_its_modules_tests_and_the_wide_run_all():
    base = {key: value for key, value in os.environ.items() if key not in ("MUTANT_UNDER_TEST", "MUTATION_WIDE")}
    followups = dict(base, MUTANT_UNDER_TEST="domain.followups.x_record__mutmut_1")
    assert collected(followups) == {"tests/test_followups.py"}
    assert collected(dict(followups, MUTATION_WIDE="1")) == {"tests/test_notes.py", "tests/test_followups.py"}
    assert collected(dict(base, MUTANT_UNDER_TEST="audit.x_record__mutmut_1")) == {
        "tests/test_notes.py", "tests/test_followups.py"}
