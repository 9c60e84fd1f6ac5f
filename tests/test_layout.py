"""The floor plan of DESIGN.md holds: a short top level, no file over 800 lines, and imports that
run one way (views -> forms -> domain -> permissions/audit -> models -> db), lazy ones included."""
import ast

from conftest import ROOT

MAX_TOP_LEVEL = 14
MAX_LINES = 800

# Each top-level module or package and its floor: a module imports only from floors below its own.
FLOORS = {
    "app": 9, "cli": 8, "demo": 7, "views": 6, "forms": 5, "domain": 4,
    "permissions": 3, "security": 3, "audit": 2, "models": 1, "terminology": 0.5, "i18n": 0.2, "db": 0, "config": 0,
}
NOT_CODE = {"tests", "bench", "migrations", "static", "templates", "translations", "protocols", "instance",
            "mutants",  # make mutation's working copy, with every planted bug in it
            "node_modules"}  # the test tools npm installs (axe-core)


def project_files():
    """The app's own Python files (not tests, the bench or migrations), by module name."""
    files = {}
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in NOT_CODE or relative.parts[0].startswith(".") or not relative.stem.isidentifier():
            continue
        parts = list(relative.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        files[".".join(parts)] = path
    return files


def imports_of(path, modules):
    """The project modules a file imports, anywhere in it (inside functions too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in modules:
            for alias in node.names:
                submodule = "%s.%s" % (node.module, alias.name)
                found.add(submodule if submodule in modules else node.module)
    return found


def import_graph():
    files = project_files()
    return {module: imports_of(path, files) - {module} for module, path in files.items()}


def test_the_top_level_holds_at_most_fourteen_modules_and_packages():
    top = sorted({module.split(".")[0] for module in project_files()})
    assert len(top) <= MAX_TOP_LEVEL, top
    assert set(top) == set(FLOORS), "a new top-level module needs a floor in FLOORS (and a reason)"


def test_no_source_file_is_over_800_lines():
    too_long = []
    for pattern in ("*.py", "*.html", "*.js", "*.css", "*.yaml"):
        for path in ROOT.rglob(pattern):
            relative = path.relative_to(ROOT)
            if (relative.parts[0].startswith(".") or "vendor" in relative.parts or "node_modules" in relative.parts
                    or relative.parts[0] in ("instance", "mutants")):
                continue
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES:
                too_long.append("%s: %d lines" % (relative, lines))
    assert not too_long


def test_the_import_graph_has_no_cycle():
    graph = import_graph()
    state, path = {}, []

    def visit(module):
        state[module] = "open"
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(target):] + [target]))
            if target not in state:
                visit(target)
        path.pop()
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_imports_run_one_way_down_the_floors():
    upward = []
    for module, targets in import_graph().items():
        floor = FLOORS[module.split(".")[0]]
        for target in targets:
            if target.split(".")[0] != module.split(".")[0] and FLOORS[target.split(".")[0]] >= floor:
                upward.append("%s imports %s" % (module, target))
    assert not upward
