"""The .xlsx beside each summary, for the office's own use: the appendix table, every county
figure, and each line of work unit by unit, adding up to the county.

Figures are numbers with number formats (0.00 for amounts in ten-thousands of yuan, 0.0% for
percentages stored as fractions, whole numbers for counts), rounded as printed; every sheet has a
title, a header row frozen in place and notes; the per-unit sheets end in a total row that is the
sum of the rows above and equals the county sheet. Units that started or stopped reporting within
the span or the same span last year are named in the notes (units.yaml
``active_from``/``active_to``).

Identical inputs give byte-identical files: the document properties carry the report's date and
the zip entries a fixed timestamp derived from it. The file is written atomically.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from dataclasses import dataclass

from county_reports.core import atomic
from county_reports.aggregate import Span
from county_reports.core.catalog import Catalog
from county_reports.render import appendix, number_style, phrases, xlsx_package
from county_reports.render.layout import SONGTI

TITLE_ROW, SUBTITLE_ROW, HEADER_ROW = 1, 2, 3
FIRST_DATA_ROW = HEADER_ROW + 1
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_WIDTHS = {"number": 6, "name": 28, "uom": 8, "remark": 18}
_FIGURE_WIDTH = 14


def number_format(kind: str, decimals: int, uom: str = "", points_word: str | None = None,
                  flat: str | None = None, change: bool = True) -> str:
    """The Excel number format of a figure kind (see appendix.Figure); a change of zero reads
    as ``flat``, as in the document (both words default to wording.yaml ``numbers``)."""
    if kind != appendix.NUMBER and (points_word is None or flat is None):   # (read only when needed)
        words = phrases.section("numbers")
        points_word = words["points"] if points_word is None else points_word
        flat = words["flat_word"] if flat is None else flat
    digits = "0" if decimals <= 0 else "0." + "0" * decimals
    if kind == appendix.PCT:
        return f'0.0%;-0.0%;"{flat}"' if change else "0.0%"
    if kind == appendix.POINTS:
        return f'{digits}"{points_word}";-{digits}"{points_word}";"{flat}"'
    if kind == appendix.DIFF:
        return f'{digits}"{uom}";-{digits}"{uom}";"{flat}"'
    return digits


def cell_value(figure: appendix.Figure) -> float | int | None:
    """The number a cell stores: rounded as printed; a percentage as a fraction (8.6% → 0.086)."""
    if figure.value is None:
        return None
    rounded = number_style.round_half_up(figure.value, figure.decimals)   # figure.value is as printed
    if figure.kind == appendix.PCT:
        return float(rounded / Decimal(100))
    if figure.decimals <= 0:
        return int(rounded)
    return float(rounded)


@dataclass(frozen=True)
class SpanTables:
    """The span's tables a workbook is written from, by name (three DataFrames are easy to swap).

    ``figures``: aggregate.county_figures; ``per_unit``: aggregate.unit_values_table;
    ``reporting``: aggregate.completeness_summary; ``values``: the span's current values, for a
    city's by-county sheet (None: no such sheet)."""
    figures: pd.DataFrame
    per_unit: pd.DataFrame
    reporting: pd.DataFrame
    values: pd.DataFrame | None = None


def write_workbook(path: Path, catalog: Catalog, wording: dict, kind: str, span: Span, tables: SpanTables,
                   report_date: date) -> Path:
    """Render the workbook to ``path`` (atomically) and return the path."""
    return atomic.write_bytes(path, workbook_bytes(catalog, wording, kind, span, tables, report_date))


def workbook_bytes(catalog: Catalog, wording: dict, kind: str, span: Span, tables: SpanTables,
                   report_date: date) -> bytes:
    """The workbook's bytes (see :func:`write_workbook`)."""
    from openpyxl import Workbook

    figures, per_unit, reporting = tables.figures, tables.per_unit, tables.reporting

    cfg = wording["attachments"]["workbook"]
    table_cfg = wording["attachments"]["indicators"]
    fields = appendix.span_fields(catalog, span, report_date)
    roster = appendix.roster_notes(catalog, table_cfg["roster"], span)

    book = Workbook()
    book.remove(book.active)
    styles = _Styler(_styles())     # one for the workbook: its style lists are the workbook's
    for name, title, every in ((cfg["main_sheet"], table_cfg["title"], False),
                               (cfg["county_sheet"], cfg["county_title"], True)):
        rows = appendix.indicator_rows(catalog, wording, figures, span, kind, every=every)
        notes = appendix.table_notes(catalog, wording, span, fields, appendix.visible_columns(rows))
        _county_sheet(book, wording, name, appendix.fill(title, **fields), rows, kind, fields, notes, styles)
    if tables.values is not None:
        _by_county_sheet(book, catalog, wording, kind, span, tables, report_date, styles)
    units = _UnitFigures.of(per_unit, reporting)     # once for every section's sheet
    for section in catalog.sections:
        _unit_sheet(book, catalog, wording, section, span, units, fields, roster, styles)

    stamp = datetime(report_date.year, report_date.month, report_date.day)
    props = book.properties
    props.creator = props.lastModifiedBy = catalog.bureau.name
    props.title = appendix.fill(table_cfg["title"], **fields)
    props.created = props.modified = stamp
    return xlsx_package.package(book, (stamp.year, stamp.month, stamp.day, 0, 0, 0))


def _by_county_sheet(book, catalog: Catalog, wording: dict, kind: str, span: Span, tables: SpanTables,
                     report_date: date, styles: _Styler) -> None:
    """A city's 附件2 as a sheet (render/by_county.county_sheet: its figures as numbers); nothing
    for a county."""
    from openpyxl.utils import get_column_letter

    from county_reports.render import by_county

    sheet = by_county.county_sheet(catalog, wording, kind, span, tables.values, tables.figures, report_date)
    if sheet is None:
        return
    ws = book.create_sheet(sheet_name(sheet.name))
    subtitle = appendix.fill(wording["attachments"]["workbook"]["subtitle"],
                             **appendix.span_fields(catalog, span, report_date))
    _heading(ws, sheet.title, subtitle, sheet.headers, styles)
    for offset, row in enumerate(sheet.rows):
        for column, cell in enumerate(row, start=1):
            target = ws.cell(FIRST_DATA_ROW + offset, column, cell.value)
            target.border = styles["border"]
            target.font = styles["bold"] if offset in sheet.groups else styles["body"]
            if cell.number_format:
                target.number_format, target.alignment = cell.number_format, styles["right"]
            else:
                target.alignment = styles["centre"] if column in (1, len(row)) else styles["left"]
    for column, width in enumerate((6, 30, 16, 12, 16, 12, 8), start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = ws.cell(FIRST_DATA_ROW, 3)
    _notes(ws, FIRST_DATA_ROW + len(sheet.rows) + 1, sheet.notes, len(sheet.headers), styles)


def sheet_name(text: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\."""
    return _SHEET_FORBIDDEN.sub("", text)[:31]


# --------------------------------------------------------------------------- styling


class _Styler:
    """A cell's style set once per combination: openpyxl looks each style object up in the
    workbook's lists (hashing and comparing it) on every assignment, ~1 s for the workbook cell by
    cell. The first cell of a combination is styled that way; the others get a copy of its style
    indices (``cell._style``, openpyxl's StyleArray), so styles.xml and every cell are as before."""

    def __init__(self, styles: dict):
        self.styles = styles
        self.done: dict[tuple, Any] = {}

    def __getitem__(self, key: str):
        return self.styles[key]

    def apply(self, cell, font: str, alignment: str, border: bool = False, fill: bool = False,
              number_format: str | None = None) -> None:
        from copy import copy

        key = (font, alignment, border, fill, number_format)
        known = self.done.get(key)
        if known is not None:
            cell._style = copy(known)
            return
        cell.font, cell.alignment = self.styles[font], self.styles[alignment]
        if border:
            cell.border = self.styles["border"]
        if fill:
            cell.fill = self.styles["fill"]
        if number_format is not None:
            cell.number_format = number_format
        self.done[key] = copy(cell._style)


def _styles():
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="000000")
    return {
        "title": Font(name=SONGTI, size=16, bold=True),
        "subtitle": Font(name=SONGTI, size=10),
        "header": Font(name=SONGTI, size=11, bold=True),
        "bold": Font(name=SONGTI, size=11, bold=True),
        "body": Font(name=SONGTI, size=11),
        "note": Font(name=SONGTI, size=10),
        "fill": PatternFill("solid", fgColor="D9D9D9"),
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "centre": Alignment(horizontal="center", vertical="center", wrap_text=True),
        "left": Alignment(horizontal="left", vertical="center", wrap_text=True),
        "right": Alignment(horizontal="right", vertical="center"),
        "note_align": Alignment(horizontal="left", vertical="top", wrap_text=True),
    }


def _heading(sheet, title: str, subtitle: str, headers: list[str], styles) -> None:
    last = len(headers)
    styles.apply(sheet.cell(TITLE_ROW, 1, title), "title", "centre")
    sheet.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=last)
    sheet.row_dimensions[TITLE_ROW].height = 30
    styles.apply(sheet.cell(SUBTITLE_ROW, 1, subtitle), "subtitle", "left")
    sheet.merge_cells(start_row=SUBTITLE_ROW, start_column=1, end_row=SUBTITLE_ROW, end_column=last)
    for column, text in enumerate(headers, start=1):
        styles.apply(sheet.cell(HEADER_ROW, column, text), "header", "centre", border=True, fill=True)
    sheet.row_dimensions[HEADER_ROW].height = 32
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"


def _notes(sheet, row: int, notes: list[str], width: int, styles) -> None:
    for offset, note in enumerate(notes):
        styles.apply(sheet.cell(row + offset, 1, note), "note", "note_align")
        sheet.merge_cells(start_row=row + offset, start_column=1, end_row=row + offset, end_column=width)
        sheet.row_dimensions[row + offset].height = 15 * max(1, -(-len(note) // (width * 9)))


# --------------------------------------------------------------------------- sheets


def _county_sheet(book, wording: dict, name: str, title: str, rows: list[appendix.TableRow], kind: str,
                  fields: dict, notes: list[str], styles: _Styler) -> None:
    from openpyxl.utils import get_column_letter

    change = wording["attachments"]["indicators"]["change"]
    columns = appendix.visible_columns(rows)
    sheet = book.create_sheet(sheet_name(name))
    _heading(sheet, title, appendix.fill(wording["attachments"]["workbook"]["subtitle"], **fields),
             appendix.headers(wording, columns, kind, fields), styles)
    for offset, row in enumerate(rows):
        r = FIRST_DATA_ROW + offset
        font = "bold" if row.is_category else "body"
        for index, column in enumerate(columns, start=1):
            cell = sheet.cell(r, index)
            if column == "number":
                cell.value = row.number if row.is_category else int(row.number)
                styles.apply(cell, font, "centre", border=True)
            elif column in appendix.FIGURE_COLUMNS:
                figure = row.figures.get(column, appendix.NO_FIGURE)
                cell.value = cell_value(figure)
                styles.apply(cell, font, "right", border=True,
                             number_format=number_format(figure.kind, figure.decimals, row.uom,
                                                         change.get("points_word"), change.get("flat"),
                                                         column == "change"))
            else:
                cell.value = row.text(column) or None
                styles.apply(cell, font, "centre" if column == "uom" else "left", border=True)
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _WIDTHS.get(column, _FIGURE_WIDTH)
    sheet.freeze_panes = sheet.cell(FIRST_DATA_ROW, columns.index("uom") + 2 if "uom" in columns else 3)
    _notes(sheet, FIRST_DATA_ROW + len(rows) + 1, notes, len(columns), styles)


def additive(indicator) -> bool:
    """Unit figures add up to the county figure (sums of flows, levels of stocks)."""
    return indicator.over_units == "sum" and indicator.over_time in ("sum", "last")


@dataclass(frozen=True)
class _UnitFigures:
    """The per-unit table as plain dicts (unit → column → value) and each unit's missing months."""
    per_unit: pd.DataFrame
    rows: dict[str, dict]
    missing: dict[str, list[str]]

    @classmethod
    def of(cls, per_unit: pd.DataFrame, reporting: pd.DataFrame) -> _UnitFigures:
        return cls(per_unit, _unit_rows(per_unit),
                   {u: list(m) for u, m in zip(reporting["unit"], reporting["missing_periods"], strict=True)})


def _unit_rows(per_unit: pd.DataFrame) -> dict[str, dict]:
    return per_unit.set_index("unit").to_dict("index")


def _unit_sheet(book, catalog: Catalog, wording: dict, section, span: Span, units: _UnitFigures,
                fields: dict, roster: list[str], styles: _Styler) -> None:
    from openpyxl.utils import get_column_letter

    cfg = wording["attachments"]["workbook"]
    columns = wording["attachments"]["indicators"]["columns"]
    per_unit, missing = units.per_unit, units.missing
    indicators = [i for i in catalog.indicators if i.section == section.code and additive(i)
                  and i.code in per_unit.columns and per_unit[i.code].notna().any()]
    if not indicators:
        return
    table = unit_table(catalog, indicators, span, units.rows)
    sheet = book.create_sheet(sheet_name(appendix.fill(cfg["unit_sheet"], section=section.name)))
    marks = wording["marks"]
    headers = [columns["number"], cfg["unit_column"],
               *[f"{i.name}{marks['open_bracket']}{i.uom}{marks['close_bracket']}" for i in indicators],
               columns["remark"]]
    _heading(sheet, appendix.fill(cfg["unit_title"], section=section.name, **fields),
             appendix.fill(cfg["subtitle"], **fields), headers, styles)
    formats = [number_format(appendix.NUMBER, int(i.decimals)) for i in indicators]
    row_index = FIRST_DATA_ROW
    for number, (unit, name, values, inactive) in enumerate(table, start=1):
        remarks = []
        if missing.get(unit):
            months = marks["enumeration"].join(number_style.fmt_month(int(p[5:]))
                                               for p in missing[unit])
            remarks.append(appendix.fill(cfg["unit_missing"], months=months))
        if inactive:
            remarks.append(cfg["unit_inactive"])
        cells = [number, name, *values, marks["semicolon"].join(remarks) or None]
        _unit_row(sheet, row_index, cells, formats, styles, bold=False)
        row_index += 1
    totals = [_total([values[k] for _u, _n, values, _i in table], int(i.decimals))
              for k, i in enumerate(indicators)]
    _unit_row(sheet, row_index, [None, cfg["total_row"], *totals, None], formats, styles, bold=True)
    sheet.column_dimensions["A"].width = _WIDTHS["number"]
    sheet.column_dimensions["B"].width = 30
    for k in range(len(indicators)):
        sheet.column_dimensions[get_column_letter(3 + k)].width = 16
    sheet.column_dimensions[get_column_letter(3 + len(indicators))].width = 24
    sheet.freeze_panes = sheet.cell(FIRST_DATA_ROW, 3)
    sheet.page_setup.orientation = "landscape"
    lead = wording["attachments"]["indicators"].get("notes_lead", "")
    notes = [cfg["unit_note"], *roster]
    notes = [lead + notes[0]] if len(notes) == 1 else \
        [f"{lead if i == 1 else ''}{i}.{n}" for i, n in enumerate(notes, start=1)]
    _notes(sheet, row_index + 2, notes, len(headers), styles)


def unit_table(catalog: Catalog, indicators: list, span: Span, per_unit: pd.DataFrame | dict) -> list[tuple]:
    """(unit, name, [value per indicator, rounded as printed], inactive at the span's end) for
    every unit expected to report one of ``indicators`` in the span or that reported one, in
    registry order. A stock's value is left out for a unit no longer active at the span's end:
    the county level is held by the units that exist then."""
    expected = {u.code for u in catalog.units
                if any(u.active_in(p) for p in span.periods)
                and any(u.kind in i.reported_by for i in indicators)}
    rows = _unit_rows(per_unit) if isinstance(per_unit, pd.DataFrame) else per_unit
    order = [u.code for u in catalog.units] + sorted(set(rows) - set(catalog.unit_by_code))
    out = []
    for unit in order:
        row = rows.get(unit)
        has = row is not None and any(not number_style.is_missing(row[i.code]) for i in indicators)
        if not (has or unit in expected):
            continue
        known = catalog.unit_by_code.get(unit)
        inactive = known is not None and not known.active_in(span.last)
        values = []
        for indicator in indicators:
            raw = row[indicator.code] if row is not None else None
            if number_style.is_missing(raw) or (inactive and indicator.over_time == "last"):
                values.append(None)
            else:
                values.append(_rounded(raw, int(indicator.decimals)))
        stock_dropped = inactive and any(
            i.over_time == "last" and (row is not None and not number_style.is_missing(row[i.code])
                                       or (known is not None and known.kind in i.reported_by))
            for i in indicators)
        name = known.name if known else str(row["unit_name"])
        out.append((unit, name, values, stock_dropped))
    return out


def _rounded(value: Any, decimals: int) -> float | int:
    rounded = number_style.round_half_up(float(value), decimals)
    return int(rounded) if decimals <= 0 else float(rounded)


def _total(values: list, decimals: int) -> float | int | None:
    present = [Decimal(repr(v)) for v in values if v is not None]
    if not present:
        return None
    total = sum(present, Decimal(0))
    return int(total) if decimals <= 0 else float(total)


def _unit_row(sheet, row: int, cells: list, formats: list[str], styles, *, bold: bool) -> None:
    for column, value in enumerate(cells, start=1):
        cell = sheet.cell(row, column, value)
        font = "bold" if bold else "body"
        if 3 <= column < 3 + len(formats):
            styles.apply(cell, font, "right", border=True, number_format=formats[column - 3])
        else:
            styles.apply(cell, font, "centre" if column == 1 else "left", border=True)
