"""render/tables.py: which cells are figures, and column widths that keep figures on one line."""
from __future__ import annotations

import pytest

from county_reports.render import tables
from county_reports.render.model import Attachment


@pytest.mark.parametrize("text", ["1,234.56", "-3", "12.5%", " 7 ", "—", "…", "－", "+0.5", "−2.0 %"])
def test_figures(text):
    assert tables.is_numeric_cell(text)


@pytest.mark.parametrize("text", ["12万元", "1,23", "农村公路", "", "3.", "1.2.3", "2025年"])
def test_not_figures(text):
    assert not tables.is_numeric_cell(text)


def _attachment(rows, columns=("序号", "指标", "数值"), **kw):
    return Attachment(label="附件", title="表", columns=columns, rows=rows, **kw)


def test_alignment_by_content_or_by_the_column():
    plain = _attachment([("1", "公路", "3.5")])
    assert tables.cell_alignment(plain, "3.5", 2) == "right"
    assert tables.cell_alignment(plain, "公路", 1) == "left"
    fixed = _attachment([("1", "公路", "3.5")], column_align=("center", "", "left"))
    assert tables.cell_alignment(fixed, "3.5", 2) == "left"
    assert tables.cell_alignment(fixed, "1", 0) == "center"


def test_widths_sum_to_the_text_width_and_follow_the_widest_cell():
    att = _attachment([("1", "公路", "1,234,567.89"), ("2", "水运", "3")])
    widths = tables.column_widths(att, 8845)
    assert sum(widths) == 8845 and len(widths) == 3
    assert widths[2] > widths[1] > 0          # the long figure needs more than two characters


def test_text_columns_give_way_first_and_figures_keep_their_width():
    long_name = "县道乡道村道养护工程完成情况统计" * 2
    figures = ["123,456,789.01"] * 6
    att = _attachment([(long_name, *figures)], columns=("指标", *[f"列{i}" for i in range(6)]))
    total = 12000
    widths = tables.column_widths(att, total)
    assert sum(widths) == total
    need = tables.cell_width_pt(figures[0]) + tables.CELL_MARGINS_PT
    # every figure column still fits its figure; the text column took the squeeze
    assert all(w / 20 >= need - 0.5 for w in widths[1:])
    assert widths[0] / 20 < min(8 * tables.TABLE_PT, tables.cell_width_pt(long_name)) + tables.CELL_MARGINS_PT


def test_group_rows_take_no_part_in_widths():
    spanning = "这是一个很长的分组标题横跨整行不参与列宽计算"
    att = _attachment([("一", spanning, ""), ("1", "公路", "3")], group_rows=(0,))
    plain = _attachment([("1", "公路", "3")])
    assert tables.column_widths(att, 8000)[1:] == tables.column_widths(plain, 8000)[1:]


def test_cell_width():
    assert tables.cell_width_pt("公路") == 2 * tables.TABLE_PT
    assert tables.cell_width_pt("10") == 2 * 0.64 * tables.TABLE_PT
