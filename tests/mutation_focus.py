"""Under `make mutation`: a mutant of a module with focused tests runs only those.

The functions of `permissions/` and `domain/followups.py` are reached by nearly every request, so
mutmut reran 400 or more tests for each of their mutants: hours on two cores. pyproject.toml's
`[tool.herstel.mutation-focus]` names, per module, the tests written to hold that module's rules.
A mutant of such a module runs those of its tests only; a mutant only the others would catch counts
as a survivor, never the other way round. `MUTATION_WIDE=1` (`make mutation-again`) runs the whole
selection again, for the survivors.
"""
import os
import pathlib
import tomllib


def focus_of(mutant, table):
    """The test files a mutant ('permissions.rules.x_may_case__mutmut_3') is focused on, or None."""
    module = mutant.split(".x")[0].replace(".", "/") + ".py" if ".x" in mutant else None
    return table.get(module)


def focus(config, items):
    """Deselect the items outside the focus of the mutant under test, if it has one."""
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if not mutant or os.environ.get("MUTATION_WIDE"):
        return
    pyproject = pathlib.Path(config.rootpath, "pyproject.toml")
    if not pyproject.exists():
        return
    table = tomllib.loads(pyproject.read_text()).get("tool", {}).get("herstel", {}).get("mutation-focus", {})
    files = focus_of(mutant, table)
    if files is None:
        return
    kept = [item for item in items if item.nodeid.split("::")[0] in files]
    left = [item for item in items if item.nodeid.split("::")[0] not in files]
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept
