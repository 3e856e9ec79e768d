"""The package's import graph: no cycles, and data flows one way (a module never imports a later stage).

The graph is read from the source with :mod:`ast`, never by importing anything, so it holds every
import a module can run: module level, inside functions and inside ``if`` blocks alike. A
function-local ("lazy") import counts: it only delays the coupling to the first call, the module
still cannot run without the other one, and a lazy import against the flow is exactly how a stage
ends up reaching into a later one. Imports of the package itself are the only edges; the standard
library and third-party packages are ignored.

The stages are those of the flow: collect → validate → store → aggregate → render → deliver, and
after them ``runs`` (one module per DAG, its task bodies: they call every stage). A module's stage
is its first folder (``FOLDERS``): ``core/`` holds what every stage may use and imports no stage;
``warehouse/`` is the store. A module may import its own stage, an earlier stage and the core;
``TOOLS`` (the command line, the cross-file config check, the simulator) stand outside the flow
and may import anything, and no module outside ``TOOLS`` may import the simulator. A module at the
top level outside ``TOOLS`` (or in a folder not in ``FOLDERS``) fails the test: the top level
reads as the flow.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = "county_reports"
ROOT = Path(__file__).resolve().parents[1] / "include" / PACKAGE
FLOW = ("collect", "validate", "store", "aggregate", "render", "deliver", "runs")

# The package's first folders and the stage each one is; its own __init__ is a docstring.
FOLDERS: dict[str, str] = {
    "core": "shared",          # config reader and admins' config, paths, periods, atomic writes, archive
    "collect": "collect",      # HTTP pulls, the Excel inbox, mail, old workbooks; the ledger
    "validate": "validate",    # judging what arrived (GX, outliers, key projects), worded for the unit
    "warehouse": "store",      # every SQL statement
    "aggregate": "aggregate",  # pandas over stored figures
    "render": "render",        # the GB/T 9704 engine, the summaries' composer, circular, status pages
    "deliver": "deliver",      # what leaves the bureau: approval, the office, feedback and reminders to units
    "runs": "runs",            # one module per DAG: its task bodies under the DAG's own name
}
STAGES: dict[str, str] = {"": "shared", **{f"{folder}.*": stage for folder, stage in FOLDERS.items()}}
# Outside the flow: entry points and tools that may use every stage. The simulator plays the units
# (the far side of the protocol) for the demo and the tests: it is a test tool, not a stage, so it
# may use the package (the catalogue, the template, the verdict model to seed a warehouse) while no
# stage may depend on it; the CLI's demo commands (simulate, dev-secrets) are the only place the
# package reaches it.
TOOLS = ("__main__", "cli", "config_check", "simulator.*")


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(tree: ast.AST, name: str, is_package: bool, modules: set[str]) -> set[str]:
    """The package modules (dotted, relative to the package) this tree imports.

    ``import pkg.a.b`` and ``from pkg.a import b`` name ``a.b`` when it is a module, else the
    nearest module above it (``from pkg.a.b import function`` names ``a.b``).
    """
    def nearest(dotted: str) -> str | None:
        if dotted != PACKAGE and not dotted.startswith(PACKAGE + "."):
            return None
        rel = dotted[len(PACKAGE) + 1:]
        while rel not in modules and rel:
            rel = rel.rpartition(".")[0]
        return rel

    found = set()
    for node in ast.walk(tree):            # walks into functions, classes and if-blocks too
        if isinstance(node, ast.Import):
            found |= {nearest(a.name) for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:                 # relative: from . import x, from ..y import z
                base = f"{PACKAGE}.{name}".strip(".").split(".")
                base = base if is_package else base[:-1]
                base = base[:len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found |= {nearest(f"{module}.{a.name}") for a in node.names}
    return {m for m in found if m is not None} - {name}


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """module → the package modules it imports. The package's own ``__init__`` is ``""``.

    Importing ``pkg.a.b`` also runs ``pkg/a/__init__.py``; that implicit edge is not drawn (a
    package importing its own submodules would otherwise be a cycle every time).
    """
    sources = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    return {name: _imported(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)),
                            name, path.name == "__init__.py", set(sources))
            for name, path in sources.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module, each as one cycle through it
    (Tarjan's algorithm, iterative), sorted so the report is stable."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(_cycle_through(graph, set(component)))
    return sorted(found)


def _cycle_through(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """One concrete cycle a → b → … → a inside a strongly connected component (breadth-first)."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & component):
            if child == start:
                return paths[node] + [start]
            if child not in paths:
                paths[child] = paths[node] + [child]
                queue.append(child)
    raise AssertionError(f"{sorted(component)} is not strongly connected")


def stage_of(module: str, stages: dict[str, str] = STAGES, tools=TOOLS) -> str | None:
    for pattern in tools:
        if module == pattern or (pattern.endswith(".*") and (module + ".").startswith(pattern[:-1])):
            return "tool"
    if module in stages:
        return stages[module]
    for pattern, stage in stages.items():
        if pattern.endswith(".*") and (module == pattern[:-2] or module.startswith(pattern[:-1])):
            return stage
    return None


def flow_violations(graph: dict[str, set[str]], stages: dict[str, str] = STAGES,
                    tools=TOOLS) -> list[str]:
    """``a (render) imports b (deliver)`` for every import against the flow or into a tool."""
    rank = {stage: n for n, stage in enumerate(FLOW)}
    problems = []
    for module in sorted(graph):
        mine = stage_of(module, stages, tools)
        if mine in (None, "tool"):
            continue
        for target in sorted(graph[module]):
            theirs = stage_of(target, stages, tools)
            if theirs == "tool":
                problems.append(f"{module} ({mine}) imports {target}, a tool outside the flow")
            elif theirs in rank and (mine == "shared" or rank[theirs] > rank[mine]):
                problems.append(f"{module} ({mine}) imports {target} ({theirs}), a later stage")
    return problems


# --------------------------------------------------------------------------- the package


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_the_graph_sees_the_package(graph):
    # not vacuous: the reader finds the modules and their imports, the lazy ones included
    assert len(graph) > 60
    assert "validate.gx_engine" in graph["validate.run"]            # a function-local import
    assert {"core.archive", "collect.fetch", "collect.protocol"} <= graph["collect.pulls"]   # module-level ones
    assert "aggregate.span" in graph["aggregate.indicator"]               # from pkg.mod import name


def test_no_import_cycle(graph):
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(" → ".join(c) for c in found)


def test_every_module_has_a_place_in_the_flow(graph):
    unplaced = sorted(m for m in graph if stage_of(m) is None)
    assert not unplaced, f"put these modules in a stage's folder (FOLDERS) or TOOLS: {unplaced}"
    assert set(STAGES.values()) <= set(FLOW) | {"shared"}


def test_the_top_level_reads_as_the_flow():
    """Every folder is a stage (or the simulator); only the tools are loose modules."""
    entries = {p.stem if p.is_file() else p.name for p in ROOT.iterdir()
               if p.name != "__pycache__" and (p.suffix == ".py" or p.is_dir())}
    folders = set(FOLDERS) | {"simulator", "templates"}           # templates: the status pages' HTML
    assert entries - {"__init__"} == folders | {"__main__", "cli", "config_check"}


def test_no_module_imports_a_later_stage(graph):
    problems = flow_violations(graph)
    assert not problems, "imports against the flow:\n" + "\n".join(problems)


def test_work_stays_in_its_room(graph):
    # allowed by the flow, but coupling for one fact: the offline check reads collection's body
    # cap from pull_settings, not from the collector; only the tools reach the simulator
    assert "collect.pulls" not in graph["validate.offline"] and "collect.pull_settings" in graph["validate.offline"]
    users = {m for m, targets in graph.items() if not m.startswith("simulator")
             and any(t.startswith("simulator") for t in targets)}
    assert users == {"cli"}, users            # simulate, dev-secrets


# --------------------------------------------------------------------------- the checker itself


def _fake_package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / PACKAGE
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_checker_reports_a_cycle_made_of_a_lazy_import(tmp_path):
    root = _fake_package(tmp_path, {
        "a.py": "from county_reports import b\n",
        "b.py": "def f():\n    from county_reports.c import thing\n",
        "c.py": "import county_reports.a\nthing = 1\n",
        "d.py": "from county_reports import a\n",
        "sub/__init__.py": "from . import x\n",
        "sub/x.py": "from .y import z\n",
        "sub/y.py": "def g():\n    from ..sub import x\n",
    })
    graph = import_graph(root)
    assert graph["b"] == {"c"} and graph["sub.x"] == {"sub.y"} and graph["sub.y"] == {"sub.x"}
    assert cycles(graph) == [["a", "b", "c", "a"], ["sub.x", "sub.y", "sub.x"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_checker_reports_an_import_of_a_later_stage(tmp_path):
    root = _fake_package(tmp_path, {
        "early.py": "def f():\n    from county_reports.late import x\n",     # lazy, still counted
        "late.py": "from county_reports import early, common\nx = 1\n",
        "common.py": "",
        "tool.py": "from county_reports import late\n",
        "sneaky.py": "import county_reports.tool\n",
    })
    stages = {"early": "collect", "late": "render", "common": "shared", "sneaky": "aggregate"}
    problems = flow_violations(import_graph(root), stages, ("tool",))
    assert problems == ["early (collect) imports late (render), a later stage",
                        "sneaky (aggregate) imports tool, a tool outside the flow"]
    assert flow_violations({"common": {"early"}}, stages, ()) == \
        ["common (shared) imports early (collect), a later stage"]


def sql_outside_the_warehouse(root: Path = ROOT) -> list[str]:
    """Modules outside warehouse/ that import SQLAlchemy or Alembic: SQL belongs to the store."""
    found = []
    for path in sorted(root.rglob("*.py")):
        name = module_name(path, root)
        if name.split(".")[0] == "warehouse":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            if any(n.split(".")[0] in ("sqlalchemy", "alembic") for n in names):
                found.append(name)
                break
    return found


def test_sql_stays_in_the_warehouse():
    assert sql_outside_the_warehouse() == []


def test_checker_finds_sql_outside_the_warehouse(tmp_path):
    root = _fake_package(tmp_path, {
        "approval.py": "def f():\n    from sqlalchemy import select\n",
        "warehouse/__init__.py": "", "warehouse/store.py": "import sqlalchemy\n",
        "render.py": "import json\n",
    })
    assert sql_outside_the_warehouse(root) == ["approval"]
