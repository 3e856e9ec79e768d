"""The tests mirror the package: every module with logic has a test module at its mirrored path.

``include/county_reports/a/b.py`` ↔ ``tests/a/test_b.py``; a top-level module ``x.py`` ↔
``tests/test_x.py``. A module "has logic" when it defines a function or a method anywhere (read
with :mod:`ast`, never imported); a module of constants or plain data classes, and an
``__init__.py`` that only re-exports, need none. The mirrored module tests that module's own
logic; tests elsewhere (end-to-end runs, hostile inputs, DAGs) come on top of it, not instead.

``NEEDS_NONE`` says, for each module with logic that has no mirrored test on purpose, why; an
entry that names no module, or a module that now has its mirror, fails too, so the list stays
true. ``NOT_YET`` is the debt left when the rule came in (issue 18): modules whose mirrored test
is still to be written, each with the test files that cover it meanwhile. Shrink it; never grow
it: a new module comes with its mirrored test.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "county_reports"
REPO = Path(__file__).resolve().parents[1]
ROOT = REPO / "include" / PACKAGE
TESTS = REPO / "tests"

# module (dotted, relative to the package; "x.*" covers a subpackage) → why no mirrored test
NEEDS_NONE: dict[str, str] = {
    # Alembic's env and revision files are run as a chain, against SQLite and PostgreSQL, by
    # tests/warehouse/test_migrations.py; a revision alone has no behaviour worth its own file
    "warehouse.migrations.*": "Alembic migrations: upgraded and downgraded as a whole in "
                              "tests/warehouse/test_migrations.py",
    # One pydantic model per config file: declarations, tested file by file rather than module by
    # module — every file refuses a typo with file and key, the shipped configs pass, the models'
    # keys equal the loaders' and the committed JSON Schemas equal the models'
    "core.config_models.*": "tests/core/config_models/test_typos.py, test_keys.py, test_schemas.py",
}

# module → where it is tested until its mirrored test module is written (debt; shrink only)
NOT_YET: dict[str, str] = {
    "aggregate.projects": "tests/render/test_genre.py (the projects table equal to the warehouse)",
    "render.projects_section": "tests/render/test_genre.py::test_the_summary_names_key_projects_events_and_milestones",
    "render.projects_table": "tests/render/test_genre.py (附件2 read back and compared with the warehouse)",
    "render.seams": "tests/render/test_genre.py (no unit named twice in a paragraph, three counties)",
    "aggregate.unconfirmed": "tests/warehouse/test_value_flags.py (unconfirmed_for_report), tests/test_confirm_http.py",
    "collect.county_pull": "tests/aggregate/test_federation.py, tests/plugins/test_federation_api_server.py",
    "core.county_targets": "tests/test_city.py (its refusals, the by-county attachment)",
    "render.by_county": "tests/test_city.py (read back from the .docx; the .xlsx sheet)",
    "simulator.city": "tests/test_city.py (CT01 equals the demo county's units summed; a county's own units)",
    "warehouse.flags": "tests/warehouse/test_value_flags.py",
    "deliver.dispatch": "tests/runs/test_summary_reports.py (through runs.summary_reports), tests/dags/test_report_dags_e2e.py",
    "validate.history_check": "tests/runs/test_import_history.py (through runs.import_history)",
    "collect.history.workbook": "tests/runs/test_import_history.py",
    "core.projects.vocabulary": "tests/validate/projects/test_ledger.py, tests/core/projects/test_register.py",
    "render.body": "tests/render/test_compose.py, tests/render/test_genre.py",
    "render.pool": "tests/render/test_genre.py, tests/render/test_merge.py",
    "render.problems_plans": "tests/render/test_compose.py, tests/render/test_genre.py",
    "render.review.edited": "tests/render/test_edited.py",
    "render.review.figures": "tests/render/test_edited.py",
    "render.review.page": "tests/render/test_edited.py",
    "render.review.restore": "tests/render/test_edited.py",
    "simulator.mail": "tests/collect/test_mailbox.py, tests/core/test_mail.py (tests/mail_helpers.py)",
    "render.status_page": "tests/warehouse/test_pages.py, tests/plugins/test_status_plugin.py",
    "validate.batch": "tests/validate/test_gx_engine.py",
    "validate.issues": "tests/validate/test_suite.py, tests/validate/test_gx_engine.py (through run)",
    "validate.run": "tests/validate/test_suite.py, tests/collect/test_example.py",
}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def has_logic(path: Path) -> bool:
    """A function or method defined anywhere in the module (a lambda alone is data)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) for node in ast.walk(tree))


def modules_with_logic(root: Path = ROOT) -> list[str]:
    return sorted(module_name(p, root) for p in root.rglob("*.py") if has_logic(p))


def mirrored_test(name: str) -> Path:
    """``a.b`` → ``a/test_b.py``; a package whose ``__init__`` has logic (``a``) → ``test_a.py``."""
    parts = name.split(".")
    return Path(*parts[:-1], f"test_{parts[-1]}.py")


def _listed(name: str, entries: dict[str, str]) -> str | None:
    for entry in entries:
        if name == entry or (entry.endswith(".*") and
                             (name + ".").startswith(entry[:-1])):
            return entry
    return None


def unmirrored(root: Path, tests: Path, needs_none: dict[str, str],
               not_yet: dict[str, str]) -> list[str]:
    """Modules with logic that have neither a mirrored test nor an entry saying why."""
    return [name for name in modules_with_logic(root)
            if not (tests / mirrored_test(name)).is_file()
            and _listed(name, needs_none) is None and _listed(name, not_yet) is None]


def stale_entries(root: Path, tests: Path, needs_none: dict[str, str],
                  not_yet: dict[str, str]) -> list[str]:
    """Entries that no longer hold: no such module with logic, or its mirrored test exists."""
    names = modules_with_logic(root)
    problems = []
    for label, entries in (("NEEDS_NONE", needs_none), ("NOT_YET", not_yet)):
        for entry in entries:
            covered = [n for n in names if _listed(n, {entry: ""})]
            if not covered:
                problems.append(f"{label}: {entry}: no module with logic by that name")
            elif not entry.endswith(".*") and (tests / mirrored_test(entry)).is_file():
                problems.append(f"{label}: {entry}: tests/{mirrored_test(entry)} exists, "
                                f"drop the entry")
    overlap = sorted(set(needs_none) & set(not_yet))
    problems += [f"{entry}: in both NEEDS_NONE and NOT_YET" for entry in overlap]
    return problems


def test_every_module_with_logic_has_its_mirrored_test():
    missing = unmirrored(ROOT, TESTS, NEEDS_NONE, NOT_YET)
    assert not missing, "write these test modules (or say in NEEDS_NONE why none is needed):\n" + \
        "\n".join(f"  {name}: tests/{mirrored_test(name)}" for name in missing)


def test_the_lists_are_true():
    assert stale_entries(ROOT, TESTS, NEEDS_NONE, NOT_YET) == []


def test_the_reader_sees_the_package():
    # not vacuous: the real package's modules are found, data-only ones left out
    names = modules_with_logic()
    assert len(names) > 90
    assert {"collect.pulls", "render.compose", "warehouse.store", "cli"} <= set(names)
    assert "__main__" not in names and "warehouse.migrations.versions" not in names


# --------------------------------------------------------------------------- the checker itself


def _fake(tmp_path: Path, package: dict[str, str], tests: list[str]) -> tuple[Path, Path]:
    root, test_root = tmp_path / PACKAGE, tmp_path / "tests"
    for name, text in {"__init__.py": "", **package}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for name in tests:
        path = test_root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("def test_x():\n    assert True\n", encoding="utf-8")
    return root, test_root


PACKAGE_FILES = {
    "logic.py": "def f():\n    return 1\n",
    "constants.py": "LIMIT = 3\nNAMES = ('a', 'b')\nkey = lambda x: x\n",
    "shapes.py": "from dataclasses import dataclass\n@dataclass\nclass Row:\n    a: int\n",
    "methods.py": "class Thing:\n    def run(self):\n        return 2\n",
    "sub/__init__.py": "from .inner import g\n",
    "sub/inner.py": "async def g():\n    return 3\n",
    "sub/other.py": "def h():\n    pass\n",
    "logic_face/__init__.py": "def made_here():\n    return 4\n",
    "mig/__init__.py": "", "mig/rev1.py": "def upgrade():\n    pass\n",
}


def test_checker_finds_modules_without_their_mirror(tmp_path):
    root, tests = _fake(tmp_path, PACKAGE_FILES, ["test_logic.py", "sub/test_inner.py",
                                                    "sub/test_logic.py"])     # a mirror elsewhere
    assert modules_with_logic(root) == ["logic", "logic_face", "methods", "mig.rev1",
                                        "sub.inner", "sub.other"]
    assert unmirrored(root, tests, {}, {}) == ["logic_face", "methods", "mig.rev1", "sub.other"]
    assert unmirrored(root, tests, {"mig.*": "migrations", "methods": "why"},
                      {"sub.other": "tests/test_logic.py"}) == ["logic_face"]
    # a same-named test in another folder is not the mirror
    (tests / "test_other.py").write_text("", encoding="utf-8")
    assert "sub.other" in unmirrored(root, tests, {}, {})


def test_checker_refuses_entries_that_no_longer_hold(tmp_path):
    root, tests = _fake(tmp_path, PACKAGE_FILES, ["test_logic.py", "sub/test_inner.py"])
    assert stale_entries(root, tests, {"mig.*": "m", "methods": "why"}, {"sub.other": "x"}) == []
    assert stale_entries(root, tests, {"constants": "data", "gone.*": "x"},
                         {"logic": "x", "methods": "y", "sub.other": "z"}) + \
        stale_entries(root, tests, {"methods": "a"}, {"methods": "b"}) == [
            "NEEDS_NONE: constants: no module with logic by that name",
            "NEEDS_NONE: gone.*: no module with logic by that name",
            "NOT_YET: logic: tests/test_logic.py exists, drop the entry",
            "methods: in both NEEDS_NONE and NOT_YET"]


def test_mirrored_paths():
    assert mirrored_test("collect") == Path("test_collect.py")
    assert mirrored_test("render.review.diff") == Path("render/review/test_diff.py")
    assert mirrored_test("logic_face") == Path("test_logic_face.py")
