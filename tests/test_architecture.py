"""The package's import graph: no cycles, and data flows one way (a module never imports a later stage).

The graph is read from the source with :mod:`ast`, never by importing anything, so it holds every
import a module can run: module level, inside functions and inside ``if`` blocks alike. A
function-local ("lazy") import counts: it only delays the coupling to the first call, the module
still cannot run without the other one, and a lazy import against the flow is exactly how a stage
ends up reaching into a later one. Imports of the package itself are the only edges; the standard
library and third-party packages are ignored.

The stages are those of the flow: collect → validate → store → aggregate → render → deliver.
``STAGES`` below places every module; a module the table does not place fails the test, so a new
module is placed on purpose. A module may import its own stage, an earlier stage and the shared
modules; ``TOOLS`` (the command line, the cross-file config check, the simulator) stand outside the
flow and may import anything, and no module outside ``TOOLS`` may import the simulator.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = "county_reports"
ROOT = Path(__file__).resolve().parents[1] / "include" / PACKAGE
FLOW = ("collect", "validate", "store", "aggregate", "render", "deliver")

# Every module's place, by dotted name relative to the package; a name ending in ".*" places a
# subpackage and everything in it. Order matters only for the reader.
STAGES: dict[str, str] = {
    # ---- shared: plain facts and plumbing any stage may use (they import no stage)
    "": "shared",                      # the package's own __init__ (a docstring)
    "atomic": "shared",                # atomic file writes for every step
    "targets": "shared",               # year → indicator → target (targets.yaml, county_targets.yaml)
    "endpoint_policy": "shared",       # plain http only to loopback (units, the office)
    "catalog": "shared",               # the admins' config: units, indicators, rules, targets
    "county_targets": "shared",        # county_targets.yaml: a city's targets per county (issue 22)
    "config": "shared",                # the config reader, ConfigError, ${VAR} filling (issue 11)
    "config_models.*": "shared",       # one pydantic model per config file: keys, types, defaults (issue 18)
    "paths": "shared",                 # where config, data and the warehouse are; the data folder's layout
    "periods": "shared",               # YYYY-MM arithmetic
    "formulas": "shared",              # derived indicators' grammar: checked by the catalogue on load
    "tokens": "shared",                # where a unit's bearer token comes from
    "admins": "shared",                # who is alerted: read by every DAG and step
    "mail": "shared",                  # mail.yaml and the outgoing message builder every mail step uses
    "messages": "shared",              # messages.yaml wording: refusals, reminders, replies, the store's notes
    "timeliness": "shared",            # what "reported" means (on time + late): the store, aggregation and pages count it
    "report_settings": "shared",       # reports.yaml: read when the report DAGs are parsed
    # key projects and events (issue 19): the register and its words are admins' config like the
    # catalogue — the template (collect) pre-fills a unit's projects, the composer (render) names
    # them — so they are shared; checking a month's rows is judging what arrived: validate
    "projects": "shared",              # the subpackage's docstring
    "projects.vocabulary": "shared",   # ledger.yaml: categories, statuses, causes, event kinds, messages
    "projects.register": "shared",     # projects.yaml: the key projects by year
    "projects.fields": "validate",     # one field of a row read defensively, the issue worded
    "projects.ledger": "validate",     # a month's ledger rows: owner, cumulative, cause, milestones, investment
    "projects.events": "validate",     # a month's events: 文号/title, counts, 办结率, dates
    # ---- collect: getting the units' bytes in, and reminding units that have sent nothing
    "collect": "collect",
    "pull_settings": "collect",        # collection.yaml's limits (the offline check reads the body cap)
    "fetch": "collect",                # one bounded HTTP GET
    "county_pull": "collect",          # a city pulls a county: its Airflow's address, a token from /auth/token
    "protocol": "collect",             # protocol-v1 envelope (bytes → payload)
    "archive": "collect",              # raw bytes archived before parsing (read back by later stages)
    "inbox": "collect",                # Excel templates dropped in the inbox
    "inbox_folders": "collect",        # the inbox's layout: one folder per unit, its feedback beside
    "workbook_bounds": "collect",      # a workbook's size, parts, macros and sheets, before parsing
    "template": "collect",             # the Excel template units fill in
    "example": "collect",              # the example submission for integrators, from the catalogue
    "template_projects": "collect",    # the template's 重点项目 / 重要事项 sheets, written and read back
    "template_wording": "collect",     # template.yaml: the template's names (read back by the inbox) and words
    "mailbox": "collect",              # templates by e-mail → inbox or quarantine
    "mail_auth": "collect",            # whether our own mail server vouches for a sender (Authentication-Results)
    "mail_message": "collect",         # one message read defensively: IMAP calls, bounded headers, hashed names
    "mail_notices": "collect",         # the admins (and a proven sender) told what was not accepted
    "ledger": "collect",               # the collection ledger
    "reminders": "collect",            # before the deadline, to units with nothing accepted
    "reminder_run": "store",
    # import-history: old workbooks are one more door in (read, mapped), then judged and stored
    "history": "collect",
    "history.settings": "collect",     # history.yaml: how old workbooks are read
    "history.workbook": "collect",     # an old workbook's sheets and their layout (bounded)
    "history.mapping": "collect",      # labels → roster and catalogue codes; the file the admin confirms
    "history.check": "validate",       # the cells through validation's rules, errors by cell
    "history.run": "store",            # the import itself: mapping, check, one transaction           # unit_reminders' task: who has reported (warehouse) → reminders
    # ---- validate: judging what arrived and telling the unit
    "validate.*": "validate",
    "notify": "validate",              # validation feedback back to the unit (HTTP / feedback file)
    # ---- store
    "warehouse.*": "store",
    # ---- aggregate
    "aggregate.*": "aggregate",
    "federation": "aggregate",         # a county's month for its city: county totals as a protocol-1 submission
    # ---- render: documents and pages made from stored and aggregated figures
    "render.*": "render",
    "render.review.*": "render",       # an edited draft checked against the generated one (issue 21)
    "summaries": "render",             # the half-year and annual summaries: warehouse → .docx
    "counties": "render",              # many counties' summaries from one warehouse
    "circular": "render",              # the monthly reporting circular (.docx)
    "status_page": "render",           # the admins' status pages (HTML from the warehouse)
    "circular_run": "render",          # reporting_circular's tasks: write the circular, mail it
    # ---- deliver: the approval gate, sending, and what happens after sending
    "approval": "deliver",             # the gate before a summary leaves
    "edited_drafts": "deliver",        # the office's edited draft: uploaded, reviewed, stored (issue 21)
    "required_actions": "deliver",     # answering that gate through Airflow's REST API
    "deliver": "deliver",
    "delivery_channels": "deliver",    # HTTP, SMTP, folder: one attempt each
    "delivery_config": "deliver",
    "dispatch": "deliver",             # the report DAGs' last step
    "corrections": "deliver",          # late figures vs. what was delivered
    "report_run": "deliver",           # the report DAGs' tasks: coverage, render, approval, delivery
    # collect_monthly's tasks, collection to the late-correction check: it reaches every stage,
    # so it sits at the end of the flow (no stage imports it)
    "collection_run": "deliver",
}
# Outside the flow: entry points and tools that may use every stage. The simulator plays the units
# (the far side of the protocol) for the demo and the tests: it is a test tool, not a stage, so it
# may use the package (the catalogue, the template, the verdict model to seed a warehouse) while no
# stage may depend on it; the CLI's demo commands (simulate, dev-secrets) are the only place the
# package reaches it (the example submission for integrators is built from the catalogue: example).
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
    assert {"archive", "fetch", "protocol"} <= graph["collect"]      # module-level ones
    assert "aggregate.span" in graph["aggregate.indicator"]               # from pkg.mod import name


def test_no_import_cycle(graph):
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(" → ".join(c) for c in found)


def test_every_module_has_a_place_in_the_flow(graph):
    unplaced = sorted(m for m in graph if stage_of(m) is None)
    assert not unplaced, f"place these modules in STAGES or TOOLS: {unplaced}"
    assert set(STAGES.values()) <= set(FLOW) | {"shared"}


def test_no_module_imports_a_later_stage(graph):
    problems = flow_violations(graph)
    assert not problems, "imports against the flow:\n" + "\n".join(problems)


def test_work_stays_in_its_room(graph):
    # allowed by the flow, but coupling for one fact: the offline check reads collection's body
    # cap from pull_settings, not from the collector; only the tools reach the simulator
    assert "collect" not in graph["validate.offline"] and "pull_settings" in graph["validate.offline"]
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
