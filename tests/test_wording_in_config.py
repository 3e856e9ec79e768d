"""Chinese wording lives in include/config/ (YAML) or in templates, never in the package's code.

Every ``.py`` under ``include/county_reports/`` (the simulator excepted: it plays the units, whose
data is Chinese by nature) is parsed with ``ast``; a str constant containing a CJK character
fails the test unless the allow-list below names it. Docstrings are exempt (they document the
domain, e.g. 报送情况, and are never shown to anyone); comments are not constants.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "include" / "county_reports"
SKIPPED = ("simulator",)
# CJK symbols and punctuation (、。「」), ideographs (extension A and the unified block), and the
# full-width forms (（），：；～): a full-width bracket is wording as much as a character is.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
# A literal made only of Chinese numerals (一、二、三 …) is counting, not wording.
CHINESE_NUMERAL = re.compile(r"^[〇零一二三四五六七八九十百]+$")

# file (relative to the package) → the literal values it may keep, each with its reason.
ALLOWED: dict[str, dict[str, str]] = {
    "render/layout.py": {
        # GB/T 9704 names its fonts in Chinese; Word matches w:eastAsia by this exact name.
        "仿宋_GB2312": "font name", "楷体_GB2312": "font name", "黑体": "font name", "宋体": "font name",
        "方正小标宋简体": "font name", "仿宋": "font family fallback", "楷体": "font family fallback",
        # Word style names shown in the document's style list; the .docx is matched by them.
        "公文标题": "style name", "公文正文": "style name", "一级标题": "style name",
        "二级标题": "style name", "三级标题": "style name", "附件说明": "style name",
        "发文机关署名": "style name", "成文日期": "style name", "附件标识": "style name",
        "附件标题": "style name", "表格表头": "style name", "表格文字": "style name",
        "表格注释": "style name", "页码": "style name",
    },
    "collect/template.py": {
        # The Excel template's cells are set in 宋体; Excel matches fonts by this exact name.
        "宋体": "font name",
    },
}

def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and \
                node.body and isinstance(node.body[0], ast.Expr) and \
                isinstance(node.body[0].value, ast.Constant):
            ids.add(id(node.body[0].value))
    return ids


def chinese_literals(source: str, allowed: dict[str, str] | None = None) -> list[str]:
    """``line: 'text'`` for each str constant of ``source`` with a CJK character not allowed."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    allowed = allowed or {}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs \
                and CJK.search(node.value) and node.value not in allowed \
                and not CHINESE_NUMERAL.match(node.value):
            found.append(f"{node.lineno}: {node.value[:60]!r}")
    return sorted(found, key=lambda s: int(s.split(":")[0]))


def _package_files() -> list[tuple[str, Path]]:
    files = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.split("/")[0] not in SKIPPED:
            files.append((relative, path))
    return files


def test_no_chinese_literal_in_package_code():
    offenders = {}
    for relative, path in _package_files():
        found = chinese_literals(path.read_text(encoding="utf-8"), ALLOWED.get(relative))
        if found:
            offenders[relative] = found
    assert not offenders, "Chinese wording in code; move it to include/config/ or a template:\n" + \
        "\n".join(f"{f}:{line}" for f, lines in offenders.items() for line in lines)


def test_allow_list_names_real_files_and_literals():
    """An allow-list entry for a literal that is gone is a hole waiting to be used: remove it."""
    for relative, values in ALLOWED.items():
        path = PACKAGE / relative
        assert path.is_file(), relative
        constants = {n.value for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                     if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        assert set(values) <= constants, (relative, set(values) - constants)


def test_checker_finds_a_chinese_literal():
    source = ('"""模块说明：文档字符串不算。"""\n'
              'def f():\n    """函数说明。"""\n    return "报送内容无法读取" + "ok"\n'
              'SEP = "、"\nNUMERAL = "三"\nFONT = "黑体"\nLABEL = f"{1}个单位"\n')
    found = chinese_literals(source, {"黑体": "font name"})
    assert found == ["4: '报送内容无法读取'", "5: '、'", "8: '个单位'"]
    assert chinese_literals(source) == found[:2] + ["7: '黑体'", found[2]]


