"""Small modules, small functions: no package file over 400 lines, no function over 50.

Measured with :mod:`ast` on the source, never by importing: a file's lines are its physical lines;
a function's are ``end_lineno - lineno + 1`` (decorators not counted), and a nested function counts
inside its parent as well as on its own, so splitting a function into closures does not hide it.
Every ``.py`` file of ``include/county_reports`` is measured, the simulator included.
"""
from __future__ import annotations

import ast
from fnmatch import fnmatch
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "include" / "county_reports"
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 50

# Declared tables: functions long because they list things, not because they do many things.
ALLOWED_LONG_FUNCTIONS: dict[str, set[str]] = {
    # Alembic migrations: upgrade/downgrade declare the tables column by column, as they were
    # when the revision shipped; a revision is never edited afterwards, so it is never split.
    "warehouse/migrations/versions/*.py": {"upgrade", "downgrade"},
}



def size_problems(source: str, name: str) -> list[str]:
    """What is too big in one file's source (``name``: its path relative to the package)."""
    problems = []
    lines = len(source.splitlines())
    if lines > MAX_FILE_LINES:
        problems.append(f"{name}: {lines} lines (at most {MAX_FILE_LINES}: split it by responsibility)")
    allowed = set().union(*(names for pattern, names in ALLOWED_LONG_FUNCTIONS.items() if fnmatch(name, pattern)))
    for node in ast.walk(ast.parse(source, filename=name)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name not in allowed:
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                problems.append(f"{name}:{node.lineno} {node.name}: {length} lines "
                                f"(at most {MAX_FUNCTION_LINES}: split it along its steps)")
    return problems


def package_problems(root: Path = PACKAGE) -> dict[str, list[str]]:
    found = {}
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root).as_posix()
        problems = size_problems(path.read_text(encoding="utf-8"), name)
        if problems:
            found[name] = problems
    return found


def test_no_big_file_and_no_big_function_in_the_package():
    found = package_problems()
    problems = [p for name, ps in found.items() for p in ps]
    assert not problems, "too big:\n" + "\n".join(problems)


def test_the_measure_sees_the_package():
    files = list(PACKAGE.rglob("*.py"))
    assert len(files) > 60 and any("simulator" in p.parts for p in files)


# --------------------------------------------------------------------------- the checker itself


def _function(name: str, body_lines: int, indent: str = "") -> str:
    return f"{indent}def {name}():\n" + "".join(f"{indent}    x = {i}\n" for i in range(body_lines))


def test_checker_fails_a_long_file_and_a_long_function_and_passes_the_limits():
    assert size_problems("x = 1\n" * 400, "a.py") == []
    assert size_problems("x = 1\n" * 401, "a.py") == ["a.py: 401 lines (at most 400: split it by responsibility)"]
    assert size_problems(_function("fits", 49), "b.py") == []                        # 50 lines
    assert size_problems(_function("long", 50), "b.py") == \
        ["b.py:1 long: 51 lines (at most 50: split it along its steps)"]


def test_checker_counts_nested_functions_and_methods():
    nested = "def outer():\n" + _function("inner", 30, "    ") + _function("other", 30, "    ")
    assert [p.split(":")[1] for p in size_problems(nested, "c.py")] == ["1 outer"]
    method = "class K:\n" + _function("method", 60, "    ")
    assert size_problems(method, "d.py") == ["d.py:2 method: 61 lines (at most 50: split it along its steps)"]


def test_only_declared_tables_are_allowed_long():
    migration = _function("upgrade", 100) + _function("downgrade", 60) + _function("helper", 60)
    problems = size_problems(migration, "warehouse/migrations/versions/0009_x.py")
    assert [p.split(" ")[1] for p in problems] == ["helper:"]
    assert len(size_problems(migration, "warehouse/store.py")) == 3      # elsewhere, upgrade is a function
