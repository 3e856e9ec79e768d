"""render/review/diff.py: paragraphs aligned (a reworded one is "changed"), figures marked whole,
every text escaped for HTML and Markdown, bounded on a document rewritten wholesale."""
from __future__ import annotations

import time

from county_reports.render.review import diff as d
from county_reports.render.review.settings import load_settings

WORDS = load_settings().diff


def test_align_equal_added_removed_changed():
    old = ["标题", "一、工作成效", "完成投资12.5万元，同比增长3.2%。", "二、存在问题"]
    new = ["标题", "一、工作成效", "完成投资13.5万元，同比增长3.2%。", "新增一段。", "二、存在问题"]
    steps = d.align(old, new)
    assert [(s.op, s.old, s.new) for s in steps] == [
        (d.EQUAL, 0, 0), (d.EQUAL, 1, 1), (d.CHANGED, 2, 2), (d.ADDED, None, 3), (d.EQUAL, 3, 4)]
    assert [(s.op, s.old) for s in d.align(old, old[:2])] == [(d.EQUAL, 0), (d.EQUAL, 1), (d.REMOVED, 2), (d.REMOVED, 3)]


def test_a_reworded_paragraph_is_paired_with_the_most_like_one():
    old = ["全年完成农村公路建设120公里。", "开展安全生产检查30次。"]
    new = ["全年完成农村公路建设125公里。"]
    ops = [(s.op, s.old, s.new) for s in d.align(old, new)]
    assert (d.CHANGED, 0, 0) in ops and (d.REMOVED, 1, None) in ops
    unlike = d.align(["甲乙丙丁戊己庚辛", "子丑寅卯"], ["ABCDEFG"])
    assert {s.op for s in unlike} == {d.ADDED, d.REMOVED}


def test_figures_are_marked_whole():
    pieces = d.word_pieces("完成投资12.5万元", "完成投资13.25万元")
    assert ("delete", "12.5") in pieces and ("insert", "13.25") in pieces
    assert "".join(t for tag, t in pieces if tag != "insert") == "完成投资12.5万元"
    assert "".join(t for tag, t in pieces if tag != "delete") == "完成投资13.25万元"


def test_html_escapes_the_clerks_text():
    items = d.diff(["甲"], ["<script>alert(1)</script>&"])
    out = d.to_html(items, WORDS)
    assert "<script>" not in out and "&lt;script&gt;" in out and "&amp;" in out
    assert 'class="diff-changed"' in out or 'class="diff-added"' in out
    assert WORDS["none"] in d.to_html(d.diff(["a"], ["a"]), WORDS)


def test_markdown_escapes_markup_and_numbers_from_one():
    items = d.diff(["甲", "乙"], ["甲", "乙", "*粗* [链接](x) `代码` |表|"])
    out = d.to_markdown(items, WORDS)
    assert out.startswith("- **") and WORDS["paragraph"].format(index=3) in out
    assert r"\*粗\*" in out and r"\[链接\]" in out and r"\`代码\`" in out and r"\|表\|" in out
    assert d.to_markdown([], WORDS) == d.md_escape(WORDS["none"])
    assert d.diff(["a"], ["b"])[0].as_dict()["op"] == d.CHANGED


def test_bounded_on_a_wholesale_rewrite():
    # alike paragraphs, but 200 × 201 pairs to compare: beyond MAX_PAIRINGS, removed and added
    old = [f"第{i}段：全年完成农村公路投资{i}万元。" for i in range(200)]
    new = [f"第{i}段：全年完成农村公路投资{i + 1}万元！" for i in range(201)]
    start = time.monotonic()
    steps = d.align(old, new)
    assert time.monotonic() - start < 5
    assert sum(s.op == d.REMOVED for s in steps) == 200 and sum(s.op == d.ADDED for s in steps) == 201
    assert d.CHANGED in {s.op for s in d.align(old[:20], new[:21])}      # within it: paired
    long_old, long_new = "字" * 3000, "词" * 3000
    assert d.word_pieces(long_old, long_new) == [("delete", long_old), ("insert", long_new)]
