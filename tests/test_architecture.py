"""The tree is the architecture: checks over the import statements of ``contest/`` (read with :mod:`ast`, so
nothing is imported).

* no import cycle between modules of ``contest`` — imports inside functions count too (a lazy import hides a
  cycle, it does not remove it); only ``if TYPE_CHECKING:`` blocks are left out;
* no private name (``_name``) imported from another module;
* infrastructure (``contest.infra``) imports nothing of the domain (services, models' users, blueprints);
* domain services (``contest.services``) import no blueprint and never touch the request, the session, flash
  messages or templates.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "contest"
BLUEPRINTS = ("audit", "auth", "judging", "main", "organizer", "results", "stats", "submissions", "uploads", "watch")
REQUEST_BOUND = {"request", "session", "flash", "render_template", "redirect", "url_for", "g"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(path: Path):
    """Yield ``(target module, imported names, line)`` for every import of the file outside TYPE_CHECKING."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and is_type_checking(child):
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, [], child.lineno
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                yield base, [a.name for a in child.names], child.lineno
            yield from visit(child)

    yield from visit(ast.parse(path.read_text(), filename=str(path)))


def edges():
    """``{module: {imported module: line}}`` within ``contest`` (``from pkg import sub`` counts as ``pkg.sub``)."""
    graph = {name: {} for name in MODULES}
    for name, path in MODULES.items():
        for target, names, line in imports(path):
            if not target.startswith("contest"):
                continue
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            for dep in submodules or [target]:
                if dep in MODULES and dep != name:
                    graph[name].setdefault(dep, line)
    return graph


def strongly_connected(graph):
    """Tarjan's algorithm: the strongly connected components with more than one module."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def connect(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for dep in graph[node]:
            if dep not in index:
                connect(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_the_checker_finds_a_cycle_and_a_private_import(tmp_path):
    graph = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}
    assert strongly_connected(graph) == [["a", "b", "c"]]
    sample = tmp_path / "contest" / "x.py"
    sample.parent.mkdir()
    sample.write_text("import os\nif TYPE_CHECKING:\n    from contest.y import Z\ndef f():\n    from contest.q import _p\n")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert list(imports(sample)) == [("os", [], 1), ("contest.q", ["_p"], 5)]
    finally:
        ROOT = saved


def test_no_import_cycle_inside_contest():
    cycles = strongly_connected(edges())
    assert cycles == [], f"import cycles: {cycles}"


def test_no_private_name_is_imported_across_modules():
    offenders = [f"{name}:{line} imports {target}.{n}"
                 for name, path in MODULES.items()
                 for target, names, line in imports(path) if target.startswith("contest")
                 for n in names if n.startswith("_") and not n.startswith("__")]
    assert offenders == []


@pytest.mark.parametrize("layer, forbidden", [
    ("contest.infra", ("contest.services",) + tuple(f"contest.{bp}" for bp in BLUEPRINTS)),
    ("contest.services", tuple(f"contest.{bp}" for bp in BLUEPRINTS) + ("contest.cli",)),
    ("contest.models", ("contest.services", "contest.infra", "contest.cli") + tuple(f"contest.{bp}" for bp in BLUEPRINTS)),
])
def test_layers_import_only_downwards(layer, forbidden):
    graph = edges()
    offenders = [f"{name}:{line} imports {dep}" for name, deps in graph.items() if name.startswith(layer)
                 for dep, line in deps.items() if dep.startswith(forbidden)]
    assert offenders == []


def test_services_never_touch_the_request():
    offenders = [f"{name}:{line} imports flask.{n}"
                 for name, path in MODULES.items() if name.startswith("contest.services")
                 for target, names, line in imports(path) if target == "flask"
                 for n in names if n in REQUEST_BOUND]
    assert offenders == []
