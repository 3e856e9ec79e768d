"""The .xlsx beside each summary, built from a real warehouse and opened with openpyxl: numbers
with number formats, rounded as printed, title rows, frozen panes, 合计 rows that are the sum of
the units and equal the county sheet, a note on roster changes, byte-identical re-render."""
from __future__ import annotations

import re
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from county_reports.render import summaries
from county_reports.render import compose, workbook

@pytest.fixture(scope="module")
def books(built):
    _, out, _ = built
    return {kind: load_workbook(files["xlsx"]) for kind, (_, files) in out.items()}


@pytest.fixture(scope="module")
def wording():
    return compose.load_wording()


def data_rows(sheet):
    """Rows under the header down to the first empty row (the notes follow it)."""
    rows = []
    for row in sheet.iter_rows(min_row=workbook.FIRST_DATA_ROW):
        if all(c.value is None for c in row):
            break
        rows.append(row)
    return rows


def notes(sheet) -> list[str]:
    return [row[0].value for row in sheet.iter_rows(min_row=workbook.FIRST_DATA_ROW + len(data_rows(sheet)) + 1)
            if row[0].value]


def headers(sheet) -> list[str]:
    return [c.value for c in sheet[workbook.HEADER_ROW]]


def decimals_of(catalog):
    return {i.name: i.decimals for i in (*catalog.indicators, *catalog.derived)}


@pytest.mark.parametrize("kind", ["half_year", "annual"])
def test_sheets_have_title_rows_a_header_and_frozen_panes(books, catalog, kind):
    book = books[kind]
    assert book.sheetnames[:2] == ["主要指标", "全县指标"]
    units = [s for s in book.sheetnames if s.startswith("分单位-")]
    assert len(units) >= 8 and all(len(s) <= 31 for s in book.sheetnames)
    span_title = "2025年1—6月" if kind == "half_year" else "2024年"
    for sheet in book.worksheets:
        title = sheet.cell(workbook.TITLE_ROW, 1).value
        assert title.startswith(span_title) and (kind == "half_year" or "1—12月" not in title), title
        assert f"A{workbook.TITLE_ROW}:" in " ".join(str(r) for r in sheet.merged_cells.ranges)
        assert catalog.bureau.name in sheet.cell(workbook.SUBTITLE_ROW, 1).value
        assert headers(sheet)[0] == "序号"
        assert sheet.cell(workbook.HEADER_ROW, 1).font.bold
        assert sheet.print_title_rows == f"${workbook.HEADER_ROW}:${workbook.HEADER_ROW}"
    assert book["主要指标"].freeze_panes == "D4" and book["全县指标"].freeze_panes == "D4"
    assert all(book[s].freeze_panes == "C4" for s in units)


@pytest.mark.parametrize("kind", ["half_year", "annual"])
def test_figures_are_numbers_with_formats_rounded_as_printed(books, catalog, kind):
    decimals = decimals_of(catalog)
    uoms = {i.name: i.uom for i in (*catalog.indicators, *catalog.derived)}
    seen = set()
    for name in ("主要指标", "全县指标"):
        sheet = books[kind][name]
        head = [h.replace("\n", "") for h in headers(sheet)]
        for row in data_rows(sheet):
            if isinstance(row[0].value, str):            # a line of work
                assert all(c.value is None for c in row[2:])
                continue
            assert isinstance(row[0].value, int)
            indicator = re.sub("^其中：", "", row[1].value)
            for cell, header in zip(row[3:], head[3:], strict=False):
                value, fmt = cell.value, cell.number_format
                if header == "备注" or value is None:
                    assert not isinstance(value, (int, float)) or header != "备注"
                    continue
                assert isinstance(value, (int, float)) and not isinstance(value, bool), (indicator, header, value)
                places = len(repr(value).split(".")[1]) if isinstance(value, float) and "." in repr(value) else 0
                if header in ("完成进度", "完成率") or (header == "比上年同期增减" and "%" in fmt):
                    assert fmt.startswith("0.0%") and places <= 3, (indicator, header, value)   # 0.086 = 8.6%
                    seen.add("pct")
                elif header == "比上年同期增减":
                    suffix = "个百分点" if "个百分点" in fmt else uoms[indicator]
                    assert f'"{suffix}"' in fmt and places <= decimals[indicator], (indicator, fmt)
                    seen.add("points" if suffix == "个百分点" else "diff")
                elif header == "年度目标":
                    assert fmt in ("0", "0." + "0" * decimals[indicator]) and places <= decimals[indicator]
                else:
                    want = "0" if decimals[indicator] == 0 else "0." + "0" * decimals[indicator]
                    assert fmt == want and places <= decimals[indicator], (indicator, header, value, fmt)
                    if decimals[indicator] == 0:
                        assert isinstance(value, int), (indicator, value)
                    seen.add(uoms[indicator])
    assert {"万元", "个"} <= seen
    if kind == "half_year":
        assert {"pct", "points", "diff"} <= seen


def test_main_sheet_is_the_documents_appendix(built, books):
    from docx import Document

    _, out, _ = built
    table = Document(out["half_year"][1]["docx"]).tables[0]
    doc_rows = [[c.text for c in r.cells] for r in table.rows]
    sheet = books["half_year"]["主要指标"]
    assert headers(sheet) == doc_rows[0]
    assert [r[1].value for r in data_rows(sheet)] == [r[1] for r in doc_rows[1:]]
    value_column = headers(sheet).index("1—6月")
    for row, doc_row in zip(data_rows(sheet), doc_rows[1:], strict=False):
        if isinstance(row[0].value, int) and row[value_column].value is not None:
            fmt = row[value_column].number_format
            places = len(fmt.split(".")[1]) if "." in fmt else 0
            assert f"{row[value_column].value:.{places}f}" == doc_row[value_column]


def _county_values(book, catalog) -> dict[str, float]:
    sheet = book["全县指标"]
    column = next(i for i, h in enumerate(headers(sheet)) if h in ("1—6月", "全年"))
    return {re.sub("^其中：", "", r[1].value): r[column].value for r in data_rows(sheet)
            if isinstance(r[0].value, int)}


@pytest.mark.parametrize("kind", ["half_year", "annual"])
def test_unit_sheets_add_up_to_the_county(books, catalog, kind):
    book = books[kind]
    county = _county_values(book, catalog)
    decimals = decimals_of(catalog)
    checked = 0
    for name in book.sheetnames[2:]:
        sheet = book[name]
        rows = data_rows(sheet)
        total, units = rows[-1], rows[:-1]
        assert total[1].value == "合计" and total[1].font.bold
        assert [r[0].value for r in units] == list(range(1, len(units) + 1))
        for index, header in enumerate(headers(sheet)[2:-1], start=2):
            indicator = header.rsplit("（", 1)[0]
            column = [r[index].value for r in units if r[index].value is not None]
            assert all(isinstance(v, (int, float)) for v in column)
            summed = sum((Decimal(repr(v)) for v in column), Decimal(0))
            assert Decimal(repr(total[index].value)) == summed, (name, header)
            assert total[index].value == pytest.approx(county[indicator], abs=10 ** -decimals[indicator] / 2), \
                (name, header)
            checked += 1
    assert checked >= 35


def test_a_merged_township_is_left_out_of_the_stock_and_the_note_says_why(books, catalog, wording):
    book = books["annual"]
    ts09, ts11 = catalog.unit_by_code["TS09"].name, catalog.unit_by_code["TS11"].name
    sheet = book["分单位-公路养护管理"]
    column = next(i for i, h in enumerate(headers(sheet)) if h.startswith("日常养护里程"))
    row = next(r for r in data_rows(sheet) if r[1].value == ts09)
    assert row[column].value is None                              # a stock: not the county's at year end
    assert row[-1].value == wording["attachments"]["workbook"]["unit_inactive"]
    flows = book["分单位-交通项目建设与投资"]
    row = next(r for r in data_rows(flows) if r[1].value == ts09)
    assert isinstance(row[2].value, float) and row[-1].value is None     # its Jan—Sep investment counts
    for name in ("主要指标", "分单位-公路养护管理"):
        text = " ".join(notes(book[name]))
        assert ts09 in text and "2024年9月" in text and "不计入2024年底合计" in text
        assert ts11 in text and "2024年7月起" in text
    half = " ".join(notes(books["half_year"]["主要指标"]))
    assert "上年同期数据含该单位" in half and "上年同期数据不含该单位" in half


def test_missing_months_are_noted_per_unit(books, catalog):
    sheet = books["half_year"]["分单位-农村公路建设"]
    row = next(r for r in data_rows(sheet) if r[1].value == catalog.unit_by_code["TS03"].name)
    assert row[-1].value == "3月未报送"


def test_identical_warehouse_gives_a_byte_identical_workbook(built, catalog):
    warehouse, out, root = built
    plan, files = out["half_year"]
    again = summaries.write_summary(warehouse, catalog, plan, root / "again")
    assert Path(again["xlsx"]).read_bytes() == Path(files["xlsx"]).read_bytes()
    with zipfile.ZipFile(files["xlsx"]) as package:
        assert {info.date_time for info in package.infolist()} == {(2025, 7, 10, 0, 0, 0)}
        core = package.read("docProps/core.xml").decode()
    assert "2025-07-10T00:00:00Z" in core and core.count("2025-07-10T00:00:00Z") == 2
    props = load_workbook(files["xlsx"]).properties
    assert props.created == props.modified == datetime(2025, 7, 10)
    assert props.creator == catalog.bureau.name
    assert not [p for p in Path(files["xlsx"]).parent.iterdir() if p.name.startswith(".")]   # no temp files


@pytest.mark.parametrize("kind, decimals, fmt", [
    ("number", 2, "0.00"), ("number", 0, "0"), ("pct", 1, '0.0%;-0.0%;"持平"'),
    ("points", 1, '0.0"个百分点";-0.0"个百分点";"持平"'), ("diff", 0, '0"座";-0"座";"持平"'),
])
def test_number_formats(kind, decimals, fmt):
    assert workbook.number_format(kind, decimals, "座") == fmt


def test_cell_values_are_rounded_as_printed():
    from county_reports.render.appendix import Figure

    assert workbook.cell_value(Figure("6.4", 6.400000000000001, "number", 1)) == 6.4
    assert repr(workbook.cell_value(Figure("8.6%", 8.6, "pct", 1))) == "0.086"
    assert workbook.cell_value(Figure("3", 3.0, "number", 0)) == 3 and \
        isinstance(workbook.cell_value(Figure("3", 3.0, "number", 0)), int)
    assert workbook.sheet_name("分单位-a/b:c*d?[e]" + "字" * 40) == ("分单位-abcde" + "字" * 40)[:31]


@pytest.mark.parametrize("kind", ["half_year", "annual"])
def test_every_cell_is_styled_by_its_role(books, kind):
    """Styles are set once per combination and copied (issue 19, speed): each cell still carries
    the font, border, fill, alignment and number format of its role."""
    from county_reports.render.layout import SONGTI

    for sheet in books[kind].worksheets:
        title, subtitle = sheet.cell(workbook.TITLE_ROW, 1), sheet.cell(workbook.SUBTITLE_ROW, 1)
        assert (title.font.name, title.font.sz, title.font.b, title.alignment.horizontal) == (SONGTI, 16, True,
                                                                                              "center")
        assert (subtitle.font.sz, subtitle.font.b, subtitle.alignment.horizontal) == (10, False, "left")
        for cell in sheet[workbook.HEADER_ROW]:
            assert (cell.font.name, cell.font.sz, cell.font.b) == (SONGTI, 11, True)
            assert cell.fill.fgColor.rgb.endswith("D9D9D9") and cell.alignment.wrap_text
            assert {cell.border.left.style, cell.border.top.style, cell.border.bottom.style} == {"thin"}
        rows = data_rows(sheet)
        for row in rows:
            for cell in row:
                assert cell.border.right.style == "thin" and cell.font.name == SONGTI and cell.font.sz == 11
                if isinstance(cell.value, float):
                    assert cell.alignment.horizontal == "right" and cell.number_format != "General", cell
        total = rows[-1]
        if total[1].value == "合计":
            assert all(c.font.b for c in total)
        for text in notes(sheet):
            assert text
        note = sheet.cell(workbook.FIRST_DATA_ROW + len(rows) + 1, 1)
        assert (note.font.sz, note.alignment.vertical) == (10, "top")
