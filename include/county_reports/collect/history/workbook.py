"""An old workbook's sheets as tables, and which of the three old layouts each one is.

A workbook from outside is hostile: its size, its uncompressed size (a zip bomb), its sheets,
rows and columns are bounded by ``history.yaml`` before anything is parsed, and openpyxl reads it
read-only. A sheet is a title (anything above the header), a header row (the first row with two
or more filled cells), a label column (the first column whose cells below the header are mostly
text) and the figures. Its layout follows from what the header and the labels name:

- (a) the sheet names a month; rows are units and columns indicators (or the other way round);
- (b) the sheet names an indicator; rows are units and columns months;
- (c) rows are indicators and columns months, or one year-total column: county totals only.

``classify(label)`` — the mapping's view of a label: "unit", "indicator" or None — decides which
axis holds units. A sheet that fits no layout (a note, a chart's data) is skipped with a note.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable, Iterable

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from county_reports.core import messages, periods
from county_reports.collect.history.settings import Settings

HEADER_SEARCH_ROWS = 12
EMPTY_MARKS = frozenset({"", "-", "--", "\u2014", "\u2014\u2014", "/"})   # "no figure" in old tables


class WorkbookError(ValueError):
    """The workbook cannot be read at all; ``reason`` is the admin's message."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Cell:
    """One figure of an old table, where it was and what it is said to be."""

    file: str               # the file's name, for messages only
    sheet: str
    address: str            # e.g. "C5"
    unit: str | None        # the unit's label as written; None: a county total
    indicator: str          # the indicator's label as written
    period: str             # YYYY-MM (a year total: the year's December)
    raw: Any                # as found in the cell
    year_total: bool = False


@dataclass
class Table:
    sheet: str
    header: dict[int, Any]                  # column → header label (value columns only)
    rows: dict[int, Any]                    # row number → row label
    values: dict[tuple[int, int], Any]      # (row, column) → cell value
    year: int | None = None                 # found in the sheet's name or title
    label_column: int = 0


@dataclass
class Read:
    """What ``read_cells`` found: the cells, and notes about sheets it skipped."""

    cells: list[Cell] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _says(key: str, **values: Any) -> str:
    return messages.text("history_import", key, **values)


def open_workbook(raw: bytes, name: str, settings: Settings):
    """The workbook, read-only, once its size, its parts' uncompressed size and its number of
    sheets are within bounds."""
    if len(raw) > settings.max_bytes:
        raise WorkbookError(_says("too_large", file=name, size=len(raw), limit=settings.max_bytes))
    if not raw.startswith(b"PK\x03\x04"):
        raise WorkbookError(_says("not_workbook", file=name))
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > settings.max_bytes * 10:
            raise WorkbookError(_says("too_large", file=name, size=unpacked, limit=settings.max_bytes * 10))
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except WorkbookError:
        raise
    except Exception as exc:       # openpyxl fails on bad input with anything from KeyError to lxml
        raise WorkbookError(_says("damaged", file=name, detail=type(exc).__name__)) from None
    if len(wb.sheetnames) > settings.max_sheets:
        wb.close()
        raise WorkbookError(_says("too_many_sheets", file=name, count=len(wb.sheetnames),
                                  limit=settings.max_sheets))
    return wb


def sheet_rows(ws, name: str, settings: Settings) -> list[tuple[int, tuple]]:
    """(row number, cells) of the filled rows, at most ``max_rows`` rows and ``max_columns`` columns."""
    out = []
    for number, cells in enumerate(ws.iter_rows(values_only=True), start=1):
        if number > settings.max_rows:
            raise WorkbookError(_says("too_many_rows", file=name, sheet=ws.title, limit=settings.max_rows))
        cells = tuple(cells[:settings.max_columns])
        if any(_filled(c) for c in cells):
            out.append((number, cells))
    return out


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and value.strip() in EMPTY_MARKS)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    try:
        float(str(value).replace(",", "").strip())
        return True
    except ValueError:
        return False


def table_of(sheet: str, rows: list[tuple[int, tuple]], settings: Settings) -> Table | None:
    """The sheet as a table (header, label column, figures), or None when it has none."""
    header_at = next((i for i, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS])
                      if sum(_filled(c) for c in cells) >= 2), None)
    if header_at is None:
        return None
    header_row, header_cells = rows[header_at]
    body = rows[header_at + 1:]
    label_column = _label_column(body, len(header_cells))
    if label_column is None:
        return None
    year = settings.find_year(sheet)
    for _, cells in rows[:header_at]:
        year = year or next((settings.find_year(c) for c in cells if settings.find_year(c)), None)
    header = {}
    for col, label in enumerate(header_cells):
        if col == label_column or not _filled(label) or settings.clean(label) in settings.ignored_headers:
            continue
        header[col] = label
    table = Table(sheet, header, {}, {}, year, label_column)
    for number, cells in body:
        label = cells[label_column] if label_column < len(cells) else None
        if not _filled(label) or settings.clean(label) in settings.total_rows:
            continue
        table.rows[number] = label
        for col in header:
            if col < len(cells) and _filled(cells[col]):
                table.values[(number, col)] = cells[col]
    return table if table.header and table.rows else None


def _label_column(body: list[tuple[int, tuple]], width: int) -> int | None:
    """The first column whose filled cells below the header are mostly text (not numbers)."""
    for col in range(width):
        filled = [cells[col] for _, cells in body if col < len(cells) and _filled(cells[col])]
        if filled and sum(not _is_number(c) for c in filled) * 2 > len(filled):
            return col
    return None


def _majority(labels: Iterable[Any], classify: Callable[[Any], str | None]) -> str | None:
    votes: dict[str, int] = {}
    for label in labels:
        kind = classify(label)
        if kind:
            votes[kind] = votes.get(kind, 0) + 1
    if not votes:
        return None
    ranked = sorted(votes.items(), key=lambda kv: -kv[1])
    return None if len(ranked) > 1 and ranked[0][1] == ranked[1][1] else ranked[0][0]


def cells_of(table: Table, file: str, settings: Settings, classify: Callable[[Any], str | None],
             year: int | None) -> list[Cell]:
    """The table's figures as cells, by its layout; WorkbookError when a year is needed and
    nowhere to be found; [] when the table fits no layout."""
    months = {col: settings.month(label) for col, label in table.header.items()}
    month_cols = {col: m for col, m in months.items() if m}
    totals = [col for col, label in table.header.items() if settings.clean(label) in settings.year_total]
    rows_are = _majority(table.rows.values(), classify)
    sheet_month = settings.month(table.sheet)

    def year_of(found: int | None) -> int:
        chosen = found or table.year or year
        if chosen is None:
            raise WorkbookError(_says("no_year", file=file, sheet=table.sheet))
        return chosen

    def cell(row: int, col: int, unit, indicator, period: str, total: bool = False) -> Cell:
        return Cell(file, table.sheet, f"{get_column_letter(col + 1)}{row}", unit, indicator, period,
                    table.values[(row, col)], total)

    out: list[Cell] = []
    keys = [k for k in table.values]
    if month_cols:
        if rows_are == "indicator":                                        # (c) by month
            for row, col in keys:
                if col in month_cols:
                    y, m = month_cols[col]
                    out.append(cell(row, col, None, table.rows[row], periods.make(year_of(y), m)))
        elif rows_are == "unit" and classify(table.sheet) == "indicator":   # (b)
            for row, col in keys:
                if col in month_cols:
                    y, m = month_cols[col]
                    out.append(cell(row, col, table.rows[row], table.sheet, periods.make(year_of(y), m)))
    elif totals and rows_are == "indicator":                               # (c) year totals
        for row, col in keys:
            if col == totals[0]:
                out.append(cell(row, col, None, table.rows[row], periods.make(year_of(None), 12), True))
    elif sheet_month:                                                      # (a)
        period = periods.make(year_of(sheet_month[0]), sheet_month[1])
        columns_are = _majority(table.header.values(), classify)
        if rows_are == "unit" and columns_are != "unit":
            out = [cell(r, c, table.rows[r], table.header[c], period) for r, c in keys]
        elif rows_are == "indicator" and columns_are != "indicator":
            out = [cell(r, c, table.header[c], table.rows[r], period) for r, c in keys]
    return out


def read_cells(raw: bytes, file: str, settings: Settings, classify: Callable[[Any], str | None],
               year: int | None = None) -> Read:
    """Every figure of the workbook's sheets; sheets that fit no layout are noted and skipped."""
    wb = open_workbook(raw, file, settings)
    found = Read()
    try:
        for ws in wb.worksheets:
            try:
                table = table_of(ws.title, sheet_rows(ws, file, settings), settings)
            except WorkbookError:
                raise
            except Exception as exc:         # damaged sheet XML only fails here, mid-read
                raise WorkbookError(_says("damaged", file=file, detail=type(exc).__name__)) from None
            cells = cells_of(table, file, settings, classify, year) if table else []
            if not cells:
                found.notes.append(_says("no_layout", file=file, sheet=ws.title))
            found.cells.extend(cells)
    finally:
        wb.close()
    return found
