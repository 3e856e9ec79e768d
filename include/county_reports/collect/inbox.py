"""The inbox: filled Excel templates at ``{data}/inbox/{unit}/{period}/{unit}.xlsx``.

Each unit has its own folder, which only that unit, the bureau's mail step and the admins can
write (docs/production.md sets up the share), and the unit's feedback sits beside its workbook
there. A workbook is that unit's submission only in that unit's folder: the folder, not the file
name, says whose it is (a ``TS04.xlsx`` in TS03's folder is nobody's, and is reported as a
stray), the meta sheet must name the same unit, and a symbolic link or a folder anyone may write
is not the unit's own. When the workbook was submitted is stamped by the mail step in a folder of
the bureau's (``{data}/inbox/.submitted/``), never beside the workbook where the unit could.

:func:`read_template` turns one file into the same protocol-v1 payload dict an HTTP endpoint
serves, so everything after collection treats both sources alike. Values are taken as found
(a number if the cell holds a number, else the cell's text untouched): judging them is
validation's job, which can then tell the unit exactly what is wrong. Only a file that cannot be
read as one of our templates at all raises :class:`InboxError`, whose ``reason`` (Chinese,
naming the sheet or cell) is what the unit is told.
"""
from __future__ import annotations

import io
import logging
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from county_reports.core import atomic, messages, paths, periods
from county_reports.collect import inbox_folders, template_projects, workbook_bounds
from county_reports.core.catalog import Catalog
from county_reports.collect.inbox_folders import (  # noqa: F401 (the inbox's layout, asked for here)
    feedback_path, inbox_path, scan_inbox, strays)
from county_reports.collect.template import PROTOCOL_VERSION, TEMPLATE_VERSION
from county_reports.collect.template_wording import Layout, load_layout

log = logging.getLogger(__name__)

_STAMPS = inbox_folders.STAMPS
# The full 8-byte OLE2 compound-file signature: .xls, .et, and password-encrypted .xlsx.
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURE = b"PK\x03\x04"
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".et"}


class InboxError(ValueError):
    """An inbox file cannot be read as a template: ``reason`` says why, for the unit."""

    def __init__(self, unit: str, reason: str, *, damaged: bool = False):
        # damaged: the bytes are not a readable workbook at all (as opposed to a workbook
        # that is not one of our templates).
        self.unit, self.reason, self.damaged = unit, reason, damaged
        super().__init__(f"{unit}: {reason}")


def _stamp_path(path: paths.DataPath) -> paths.DataPath:
    # {inbox}/{unit}/{period}/{unit}.xlsx → {inbox}/.submitted/{unit}/{period}/{unit}.xlsx
    period_folder = path.parent
    unit_folder = period_folder.parent
    return unit_folder.parent / _STAMPS / unit_folder.name / period_folder.name / path.name


def stamp_submitted(path: paths.DataPath, when: datetime) -> None:
    """Record when a workbook was submitted (an e-mail's date) beside it, hidden from the scan:
    an object store cannot set a file's time, and a local copy may lose it."""
    atomic.write_text(_stamp_path(path), when.isoformat())


def submitted_time(path: paths.DataPath) -> float:
    """When a workbook was submitted: its stamp (``stamp_submitted``), else the file's time
    (a clerk's copy dropped in by hand)."""
    stamp = _stamp_path(path)
    if stamp.is_file():
        try:
            return datetime.fromisoformat(stamp.read_text(encoding="utf-8").strip()).timestamp()
        except ValueError:
            log.warning("%s: not a time; the file's own time is used", stamp)
    return path.stat().st_mtime


def read_template(path: str | Path, catalog: Catalog, *, expect_unit: str | None = None,
                  expect_period: str | None = None) -> dict[str, Any]:
    """Read a filled template into a protocol-v1 payload dict.

    ``expect_unit`` / ``expect_period``, when given, must match the template's meta sheet: a
    clerk re-using last month's file or a neighbour's template is told so instead of having
    figures filed under the wrong month or unit.
    """
    path = paths.location(path)
    unit = expect_unit or path.stem
    size, _ = check_file(path, unit)
    problem = (inbox_folders.place_problem(path) if expect_unit else None) \
        or workbook_bounds.size_problem(size, unit)       # before the file is read
    if problem:
        raise InboxError(unit, problem)
    try:
        raw = path.read_bytes()
        modified = submitted_time(path)
    except OSError as exc:
        raise _unopenable(path, unit, exc) from None
    _sniff(unit, raw, path.name)
    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl fails on bad input with anything from KeyError to lxml
        raise InboxError(unit, _says("damaged", detail=type(exc).__name__)) from exc
    try:
        # Read-only sheets are parsed lazily, so damaged sheet XML only fails here, mid-read.
        return _read(wb, raw, unit, catalog, modified, expect_unit, expect_period)
    except InboxError:
        raise
    except Exception as exc:
        raise InboxError(unit, _says("damaged_content", detail=type(exc).__name__)) from exc
    finally:
        wb.close()


def read_identity(raw: bytes, label: str = "") -> tuple[str, str, str]:
    """(unit code, period, signature or '') from a workbook's meta sheet, without reading the
    figures: which unit and month an e-mailed template speaks for. InboxError when it is no
    template of ours (``damaged`` when it is not a readable workbook at all)."""
    try:
        _sniff(label, raw)
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except InboxError as exc:
        raise InboxError(label, exc.reason, damaged=True) from None
    except Exception as exc:
        raise InboxError(label, _says("damaged", detail=type(exc).__name__), damaged=True) from exc
    try:
        meta_sheet = load_layout().sheets["meta"]
        if meta_sheet not in wb.sheetnames:
            raise InboxError(label, _says("missing_sheet", sheet=meta_sheet))
        meta = _read_meta(wb[meta_sheet], label)
        return meta["unit"], meta["period"], meta["signature"]
    except InboxError:
        raise
    except Exception as exc:
        raise InboxError(label, _says("damaged_content", detail=type(exc).__name__), damaged=True) from exc
    finally:
        wb.close()


# --------------------------------------------------------------------------- reading


def check_file(path: Path, unit: str = "") -> tuple[int, bytes]:
    """(size, first bytes) of a file a unit gave us, or InboxError telling the unit why it
    cannot be read (missing, not a regular file, cannot be opened). The inbox and the offline
    check (validate/offline.py) both ask here."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise InboxError(unit, _says("not_a_file", file=path.name))
        # A link would let a unit hand in any file the bureau can read, or another unit's.
        if getattr(path, "is_symlink", None) and path.is_symlink():
            raise InboxError(unit, _says("symlink", file=path.name))
        with path.open("rb") as fh:
            return size, fh.read(len(OLE_SIGNATURE))
    except OSError as exc:
        raise _unopenable(path, unit, exc) from None


def is_workbook(path: Path, head: bytes) -> bool:
    """A workbook by its name or its first bytes (zip: .xlsx; OLE2: .xls, .et, encrypted .xlsx)."""
    return path.suffix.lower() in WORKBOOK_SUFFIXES or head.startswith((ZIP_SIGNATURE, OLE_SIGNATURE))


def _unopenable(path: Path, unit: str, exc: OSError) -> InboxError:
    if isinstance(exc, FileNotFoundError):
        return InboxError(unit, _says("not_found", file=path.name))
    return InboxError(unit, _says("cannot_open", file=path.name, detail=exc.strerror or exc))


def _says(message: str, **values: Any) -> str:
    return messages.text("inbox", message, **values)


def _sniff(unit: str, raw: bytes, name: str | None = None) -> None:
    """Refuse what is not an .xlsx, or one outside the bounds (``workbook_bounds``), before any
    parser reads it. ``name``: the file's name (the mail step's label is the attachment's)."""
    if not raw:
        raise InboxError(unit, _says("empty"))
    if raw.startswith(OLE_SIGNATURE):
        raise InboxError(unit, _says("old_format"))
    if not raw.startswith(ZIP_SIGNATURE):
        raise InboxError(unit, _says("not_xlsx"))
    try:
        workbook_bounds.check(raw, unit, unit if name is None else name)
    except workbook_bounds.TooBig as exc:
        raise InboxError(unit, exc.reason) from None


def _read(wb, raw: bytes, unit: str, catalog: Catalog, modified: float,
          expect_unit: str | None, expect_period: str | None) -> dict[str, Any]:
    names = load_layout()
    sheets = names.sheets
    missing = [name for name in names.sheet_order if name not in wb.sheetnames]
    if missing:
        raise InboxError(unit, _says("missing_sheets", sheets=_says("sheet_names_join").join(missing)))
    meta = _read_meta(wb[sheets["meta"]], unit)
    if expect_unit and meta["unit"] != expect_unit:
        raise InboxError(unit, _says("other_unit", found=meta["unit"], expected=expect_unit,
                                     cell=f"{sheets['meta']}!B{meta['rows']['unit']}"))
    if expect_period and meta["period"] != expect_period:
        raise InboxError(unit, _says("other_month", found=meta["period"], expected=expect_period,
                                     cell=f"{sheets['meta']}!B{meta['rows']['period']}"))
    zone = ZoneInfo(catalog.bureau.timezone)
    return {
        "protocol": PROTOCOL_VERSION,
        "unit": meta["unit"],
        "period": meta["period"],
        "submitted_at": datetime.fromtimestamp(modified, zone).isoformat(timespec="seconds"),
        "values": _read_values(wb[sheets["values"]], raw, unit, names),
        "narratives": _read_narratives(wb[sheets["narratives"]], unit, catalog, names),
        "contact": _read_contact(wb[sheets["guide"]], names),
        **_read_confirmations(wb[sheets["values"]], names),
        **template_projects.read_sheets(wb, _data_rows, _columns, unit),
    }


def _read_confirmations(ws, names: Layout) -> dict[str, Any]:
    """``{"confirmations": [{indicator, reason}]}`` from the 核实说明 column where a row has one
    (validation bounds and judges them); nothing when no row has, or the template predates it."""
    first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
    found = {_text(v): i for i, v in enumerate(first) if _text(v)}
    header = names.say("confirmation_header")
    if header not in found or names.code_header not in found:
        return {}
    code_col, reason_col = found[names.code_header], found[header]
    items = [{"indicator": _text(_at(cells, code_col)), "reason": _text(_at(cells, reason_col))}
             for _, cells in _data_rows(ws) if _text(_at(cells, code_col)) and _text(_at(cells, reason_col))]
    return {"confirmations": items} if items else {}


def _read_meta(ws, unit: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    rows: dict[str, int] = {}
    for row, cells in enumerate(ws.iter_rows(min_col=1, max_col=2, values_only=True), 1):
        key, value = _at(cells, 0), _at(cells, 1)
        if isinstance(key, str) and key.strip() and key.strip() not in found:
            found[key.strip()] = value
            rows[key.strip()] = row
    for key in ("protocol", "template_version", "unit", "period"):
        if key not in found or found[key] in (None, ""):
            raise InboxError(unit, _says("meta_missing", sheet=ws.title, key=key))

    def cell(key: str) -> str:
        return f"{ws.title}!B{rows[key]}"

    if _as_int(found["protocol"]) != PROTOCOL_VERSION:
        raise InboxError(unit, _says("wrong_protocol", found=found["protocol"], cell=cell("protocol"),
                                     expected=PROTOCOL_VERSION))
    if _as_int(found["template_version"]) != TEMPLATE_VERSION:
        raise InboxError(unit, _says("wrong_version", found=found["template_version"],
                                     cell=cell("template_version")))
    period = str(found["period"]).strip()
    if not periods.is_period(period):
        raise InboxError(unit, _says("bad_period", found=repr(found["period"]), cell=cell("period")))
    return {"unit": str(found["unit"]).strip(), "period": period, "rows": rows,
            "signature": str(found.get("signature") or "").strip()[:128]}


def _read_values(ws, raw: bytes, unit: str, names: Layout) -> dict[str, Any]:
    code_col, value_col = _columns(ws, unit, (names.code_header, names.value_header))
    found: dict[str, Any] = {}          # code -> value, None while the cell looks empty
    rows: dict[str, int] = {}
    for row, cells in _data_rows(ws):
        code = _text(_at(cells, code_col))
        if not code:
            continue
        if code in rows:
            raise InboxError(unit, _says("duplicate_code", sheet=ws.title, code=code,
                                         first=rows[code], second=row))
        rows[code] = row
        found[code] = _value(_at(cells, value_col))
    if None in found.values():
        # A formula saved without a computed result (some tools do not calculate) reads as empty
        # in data-only mode; pass the formula text on so validation says "not a number" rather
        # than "missing", which would puzzle a clerk who can see something in the cell.
        formulas = _formulas(raw, value_col, ws.title)
        for code, value in found.items():
            if value is None:
                found[code] = formulas.get(rows[code])
    return {code: value for code, value in found.items() if value is not None}


def _read_narratives(ws, unit: str, catalog: Catalog, names: Layout) -> list[dict[str, str]]:
    kind_col, section_col, text_col = _columns(ws, unit, names.narrative_headers)
    kind_by_label = {label: kind for kind, label in names.narrative_kinds.items()}
    section_by_name = {}
    for s in catalog.sections:
        section_by_name.setdefault(s.name, s.code)
    items = []
    for _, cells in _data_rows(ws):
        # Excel writes a character XML cannot hold as _xHHHH_ (Word's line break: _x000B_):
        # read as the character the clerk pasted, so validation can name it.
        text = unescape(_text(_at(cells, text_col)))
        # A category picked without any text says nothing: drop the row rather than reject
        # the whole submission over an accidental click.
        if not text:
            continue
        kind = _text(_at(cells, kind_col))
        section = _text(_at(cells, section_col))
        # Unknown words pass through unchanged: validation rejects them with a message.
        items.append({"kind": kind_by_label.get(kind, kind),
                      "section": section_by_name.get(section, section),
                      "text": text})
    return items


def _read_contact(ws, names: Layout) -> dict[str, str]:
    # Found by label, not a fixed cell, so a later template may move the rows.
    contact = {"name": "", "phone": ""}
    for cells in ws.iter_rows(min_col=1, max_col=2, values_only=True):
        label, value = _text(_at(cells, 0)), _at(cells, 1)
        if label == names.contact["name"]:
            contact["name"] = _text(value)
        elif label == names.contact["phone"]:
            contact["phone"] = _text(value)
    return contact


# --------------------------------------------------------------------------- cells


def _columns(ws, unit: str, headers: tuple[str, ...]) -> tuple[int, ...]:
    first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
    found = {_text(v): i for i, v in enumerate(first) if _text(v)}
    missing = [h for h in headers if h not in found]
    if missing:
        raise InboxError(unit, _says("missing_headers", sheet=ws.title,
                                     headers=_says("sheet_names_join").join(missing)))
    return tuple(found[h] for h in headers)


def _data_rows(ws) -> Iterator[tuple[int, tuple]]:
    for row, cells in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        if any(c is not None for c in cells):
            yield row, cells


def _formulas(raw: bytes, column: int, sheet: str) -> dict[int, str]:
    """Formula text by row in one column of the values sheet (a second, formula-mode read)."""
    wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
    try:
        out = {}
        for row, cells in enumerate(wb[sheet].iter_rows(min_row=2, values_only=True), 2):
            cell = _at(cells, column)
            if isinstance(cell, str) and cell.startswith("="):
                out[row] = cell
        return out
    finally:
        wb.close()


def _at(cells: tuple, index: int) -> Any:
    # Rows of a read-only sheet stop at the last filled cell when the file has no dimension.
    return cells[index] if index < len(cells) else None


def _value(cell: Any) -> Any:
    """A value cell as found: numbers and booleans unchanged, text untouched, None when empty.

    Whitespace-only text counts as empty (it looks empty to the clerk); dates and times, which
    Excel makes of entries like 6-12, become ISO text so the payload stays plain JSON.
    """
    if cell is None:
        return None
    if isinstance(cell, str):
        return cell if cell.strip() else None
    if isinstance(cell, (bool, int, float)):
        return cell
    if isinstance(cell, (datetime, date, time)):
        return cell.isoformat()
    if isinstance(cell, timedelta):
        return str(cell)
    return str(cell)


def _text(cell: Any) -> str:
    """A label or free-text cell as trimmed text; numbers without a spurious ``.0``."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _as_int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except ValueError:
        return None
