"""The Excel template a unit without an HTTP endpoint fills in and drops into the inbox.

One workbook per unit and period, generated from the catalogue:

- ``填报说明``  who reports which month by when, the rules, and the contact cells;
- ``指标``      one row per indicator the unit's kind must report; only 本月数值 is editable;
- ``工作动态``  narrative items, category and line of work chosen from dropdown lists;
- ``meta``      hidden: protocol, unit, period, template version, catalogue fingerprint, and the
               dropdown lists themselves.

:mod:`county_reports.collect.inbox` reads a filled copy back into a protocol-v1 payload, so the layout
constants below are shared with it. Sheets and workbook structure are protected without a
password: the point is to stop accidental edits of codes and headers, not to keep anyone out.
"""
from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from county_reports.core import atomic, messages, paths, periods
from county_reports.collect import template_projects
from county_reports.core.catalog import Catalog, Indicator, Unit
from county_reports.collect.template_wording import Layout, load_layout, load_wording, render_wording

PROTOCOL_VERSION = 1
# Bump when the layout changes in a way the reader must know about (sheets, headers, cells).
TEMPLATE_VERSION = 1

NARRATIVE_ROWS = 15
META_KEYS = ("protocol", "unit", "unit_name", "period", "template_version", "catalog_fingerprint")
SIGNATURE_KEY = "signature"      # the meta row with :func:`signature` (templates made with a key)

# Column widths per sheet, by its role (the names are template.yaml layout.sheets).
_WIDTHS = {
    "guide": (14, 90),
    "values": (22, 30, 11, 24, 14, 40, 36),
    "narratives": (14, 26, 90),
    "meta": (22, 68, 4, 12, 28),
}
_FONT_NAME = "宋体"           # Excel matches a font by this exact name
_FONT = Font(name=_FONT_NAME, size=11)
_BOLD = Font(name=_FONT_NAME, size=11, bold=True)
_TITLE = Font(name=_FONT_NAME, size=16, bold=True)
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")     # light yellow: "type here"
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_THIN = Side(style="thin", color="808080")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_UNLOCKED = Protection(locked=False)
_WRAP = Alignment(wrap_text=True, vertical="center")
_CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)


def signature(key: str, unit_code: str, period: str, version: int = TEMPLATE_VERSION) -> str:
    """The template's proof that the bureau made it for this unit and month: an HMAC-SHA256 of
    unit, month and template version with the bureau's key (an Airflow Connection's password,
    never in the repository). A template for another unit or month carries another signature."""
    import hashlib
    import hmac

    if not key:
        raise ValueError("no template key")
    text = f"county-reports-template|{unit_code}|{period}|{version}"
    return hmac.new(key.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def signature_fits(key: str, unit_code: str, period: str, found: str | None) -> bool:
    """Whether a workbook's signature is the one the bureau's key makes for unit and month."""
    import hmac

    return bool(key and found) and hmac.compare_digest(signature(key, unit_code, period).encode(),
                                                       str(found).strip().encode("utf-8"))


def write_template(catalog: Catalog, unit_code: str, period: str, path: str | Path, *,
                   key: str | None = None) -> Path:
    """Write the template ``unit_code`` fills in for ``period`` to ``path``; returns the path.
    With the bureau's template ``key`` the meta sheet carries the template's signature (needed
    for the template to be accepted by e-mail).

    Raises ValueError for an unknown unit, a malformed period, or a unit not reporting that month.
    """
    unit = _reporting_unit(catalog, unit_code, period)
    indicators = catalog.required_indicators(unit.kind)
    wording = render_wording(load_wording(), {
        "bureau": catalog.bureau.name, "unit_name": unit.name, "unit_code": unit.code,
        "period_label": period_label(period), "due": date_label(unit.due_date(period)),
        "file_name": f"{unit.code}.xlsx"})
    names = load_layout()

    wb = Workbook()
    guide = wb.active
    guide.title = names.sheets["guide"]
    _write_guide(guide, catalog, unit, period, wording, names)
    _write_values(wb.create_sheet(names.sheets["values"]), catalog, indicators, names)
    meta = wb.create_sheet(names.sheets["meta"])
    kinds_ref, sections_ref = _write_meta(meta, catalog, unit, period, indicators, names, key)
    _write_narratives(wb.create_sheet(names.sheets["narratives"], index=2), kinds_ref, sections_ref, names)
    template_projects.write_sheets(wb, catalog, unit.code, period, meta, _Style(names))
    for ws in wb.worksheets:
        _protect(ws)
    meta.sheet_state = "hidden"
    # Structure lock: no adding, deleting, renaming or un-hiding sheets.
    wb.security = WorkbookProtection(lockStructure=True)
    wb.active = 0
    wb.properties.creator = catalog.bureau.name
    wb.properties.title = names.say("properties_title", unit_name=unit.name, period_label=period_label(period))
    return _save_atomically(wb, paths.location(path))


def fingerprint(codes: list[str] | tuple[str, ...]) -> str:
    """SHA-256 of the indicator codes a template lists, in order: tells templates apart when
    the catalogue changes between the download and the upload."""
    return hashlib.sha256("\n".join(codes).encode("utf-8")).hexdigest()


def requirement(indicator: Indicator, names: Layout | None = None) -> str:
    """The 填报要求 text of one indicator, e.g. ``必报；整数；取值0～5000；本月发生数``."""
    names = names or load_layout()
    return names.say("requirement", kind=names.say("integer" if indicator.integer else "decimal"),
                     min=_number(indicator.min), max=_number(indicator.max),
                     when=names.say("flow" if indicator.nature == "flow" else "stock"))


def period_label(period: str) -> str:
    return messages.month_label(*periods.parse(period))


def date_label(day) -> str:
    # Official style: Arabic numerals without zero padding (2025年7月5日), messages.yaml dates.day.
    return messages.day_label(day)


# --------------------------------------------------------------------------- sheets


def _reporting_unit(catalog: Catalog, unit_code: str, period: str) -> Unit:
    periods.parse(period)
    unit = catalog.unit_by_code.get(unit_code)
    if unit is None:
        raise ValueError(f"unknown unit code {unit_code!r}")
    if not unit.active_in(period):
        raise ValueError(f"unit {unit_code} does not report for {period} "
                         f"(active {unit.active_from} to {unit.active_to or 'now'})")
    return unit


def _write_guide(ws: Worksheet, catalog: Catalog, unit: Unit, period: str,
                 wording: dict[str, Any], names: Layout) -> None:
    ws.merge_cells("A1:B1")
    _put(ws, "A1", wording["title"], _TITLE, _CENTRE)
    ws.row_dimensions[1].height = 30
    label = names.words["facts"]
    facts = (
        (label["unit"], names.say("unit", unit_name=unit.name, unit_code=unit.code)),
        (label["kind"], unit.kind_name),
        (label["period"], period_label(period)),
        (label["due"], date_label(unit.due_date(period))),
        (label["bureau"], catalog.bureau.name),
        (names.contact["name"], None),
        (names.contact["phone"], None),
    )
    row = 3
    for label, value in facts:
        _put(ws, f"A{row}", label, _BOLD, _WRAP, border=True)
        cell = _put(ws, f"B{row}", value, _FONT, _WRAP, border=True)
        if value is None:
            # Text format keeps a phone's leading zero and stops 13800000000 turning into 1.38E+10.
            cell.number_format = "@"
            _make_input(cell)
        row += 1
    row += 1
    _put(ws, f"A{row}", names.say("rules_heading"), _BOLD, Alignment(vertical="center"))
    for number, text in enumerate(wording["rules"], start=1):
        row += 1
        _put(ws, f"A{row}", f"{number}.", _FONT, Alignment(horizontal="right", vertical="top"))
        _put(ws, f"B{row}", text, _FONT, Alignment(wrap_text=True, vertical="top"))
        # openpyxl does not auto-fit: give long rules a second line (about 45 characters fit).
        ws.row_dimensions[row].height = 15 * (1 + len(text) // 45)
    _set_widths(ws, "guide")


def _write_values(ws: Worksheet, catalog: Catalog, indicators: tuple[Indicator, ...], names: Layout) -> None:
    # The last column answers a warning: "核实无误" and why (read back as ``confirmations``).
    _header(ws, names.value_headers + (names.say("confirmation_header"),))
    rules: dict[tuple, list[str]] = {}
    for row, ind in enumerate(indicators, start=2):
        section = catalog.section_by_code[ind.section].name
        texts = (ind.code, ind.name, ind.uom, section, None, requirement(ind, names))
        for col, value in enumerate(texts, start=1):
            cell = ws.cell(row=row, column=col, value=value)
            cell.font, cell.border, cell.alignment = _FONT, _BOX, _WRAP
        _make_input(ws.cell(row=row, column=5))
        answer = ws.cell(row=row, column=7)
        answer.border, answer.alignment = _BOX, _WRAP
        _make_input(answer)
        rules.setdefault((ind.integer, ind.min, ind.max), []).append(f"E{row}")
    # Excel warns about an out-of-range figure as it is typed, but lets it through: the unit may
    # have a real reason, and validation rejects it later with a message anyway.
    for (integer, low, high), cells in rules.items():
        dv = DataValidation(
            type="whole" if integer else "decimal", operator="between",
            formula1=_number(low), formula2=_number(high), allow_blank=True,
            errorStyle="warning", showErrorMessage=True, errorTitle=names.say("range_title"),
            error=names.say("range_error", kind=names.say("range_integer" if integer else "range_decimal"),
                            min=_number(low), max=_number(high)))
        for ref in cells:
            dv.add(ref)
        ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    _fit_to_page_width(ws)
    _set_widths(ws, "values")


def _write_narratives(ws: Worksheet, kinds_ref: str, sections_ref: str, names: Layout) -> None:
    _header(ws, names.narrative_headers)
    last = NARRATIVE_ROWS + 1
    for row in range(2, last + 1):
        for col in range(1, 4):
            cell = ws.cell(row=row, column=col)
            cell.font, cell.border = _FONT, _BOX
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            _make_input(cell)
        ws.row_dimensions[row].height = 45
    kind_title, section_title = names.narrative_headers[0], names.narrative_headers[1]
    for column, ref, title in (("A", kinds_ref, kind_title), ("B", sections_ref, section_title)):
        dv = DataValidation(type="list", formula1=ref, allow_blank=True, showErrorMessage=True,
                            errorTitle=names.say("choose_title", title=title),
                            error=names.say("choose_error", title=title))
        dv.add(f"{column}2:{column}{last}")
        ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    _fit_to_page_width(ws)
    _set_widths(ws, "narratives")


def _write_meta(ws: Worksheet, catalog: Catalog, unit: Unit, period: str,
                indicators: tuple[Indicator, ...], names: Layout, key: str | None) -> tuple[str, str]:
    """Key/value pairs in A:B; the dropdown lists in D and E (a range, not an inline list:
    inline lists are capped at 255 characters and break on commas in section names)."""
    values = {"protocol": PROTOCOL_VERSION, "unit": unit.code, "unit_name": unit.name,
              "period": period, "template_version": TEMPLATE_VERSION,
              "catalog_fingerprint": fingerprint([i.code for i in indicators])}
    if key:
        values[SIGNATURE_KEY] = signature(key, unit.code, period)
    for row, name in enumerate((*META_KEYS, SIGNATURE_KEY) if key else META_KEYS, start=1):
        ws.cell(row=row, column=1, value=name)
        ws.cell(row=row, column=2, value=values[name])
    kinds = list(names.narrative_kinds.values())
    sections = [s.name for s in catalog.sections]
    ws["D1"], ws["E1"] = names.narrative_headers[0], names.narrative_headers[1]
    for row, label in enumerate(kinds, start=2):
        ws.cell(row=row, column=4, value=label)
    for row, name in enumerate(sections, start=2):
        ws.cell(row=row, column=5, value=name)
    _set_widths(ws, "meta")
    meta = names.sheets["meta"]
    return (f"{meta}!$D$2:$D${len(kinds) + 1}", f"{meta}!$E$2:$E${len(sections) + 1}")


# --------------------------------------------------------------------------- helpers


def _put(ws: Worksheet, ref: str, value: Any, font: Font, alignment: Alignment,
         border: bool = False):
    cell = ws[ref]
    cell.value, cell.font, cell.alignment = value, font, alignment
    if border:
        cell.border = _BOX
    return cell


def _header(ws: Worksheet, headers: tuple[str, ...]) -> None:
    for col, text in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=col, value=text)
        cell.font, cell.fill, cell.border, cell.alignment = _BOLD, _HEADER_FILL, _BOX, _CENTRE
    ws.row_dimensions[1].height = 22


def _make_input(cell) -> None:
    cell.protection = _UNLOCKED
    cell.fill = _INPUT_FILL
    cell.font = _FONT          # what the clerk types shows in the template's font, not Calibri


class _Style:
    """The cell helpers the key-projects sheets are written with (template_projects)."""

    font, header, make_input = _FONT, staticmethod(_header), staticmethod(_make_input)

    def __init__(self, names: Layout):
        self.names = names

    def dropdown(self, ws: Worksheet, ref: str, cells: str) -> None:
        dv = DataValidation(type="list", formula1=ref, allow_blank=True, showErrorMessage=True,
                            errorTitle=self.names.say("choose_title", title=""),
                            error=self.names.say("choose_error", title=""))
        dv.add(cells)
        ws.add_data_validation(dv)


def _protect(ws: Worksheet) -> None:
    ws.protection.sheet = True
    # False means "allowed": clerks may widen columns and rows to read long text.
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def _set_widths(ws: Worksheet, role: str) -> None:
    for col, width in enumerate(_WIDTHS[role], start=1):
        ws.column_dimensions[chr(ord("A") + col - 1)].width = width


def _fit_to_page_width(ws: Worksheet) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _save_atomically(wb: Workbook, path: paths.DataPath) -> paths.DataPath:
    # A half-written template must never be served or picked up.
    buffer = io.BytesIO()
    wb.save(buffer)
    return atomic.write_bytes(path, buffer.getvalue())


# The simulator (tests' and the demo's unit) reads these as module constants: they are
# template.yaml's layout, read when asked for.
_CONSTANTS = {"SHEET_GUIDE": lambda n: n.sheets["guide"], "SHEET_VALUES": lambda n: n.sheets["values"],
              "SHEET_NARRATIVES": lambda n: n.sheets["narratives"], "SHEET_META": lambda n: n.sheets["meta"],
              "CONTACT_NAME_LABEL": lambda n: n.contact["name"], "CONTACT_PHONE_LABEL": lambda n: n.contact["phone"]}


def __getattr__(name: str) -> Any:
    if name in _CONSTANTS:
        return _CONSTANTS[name](load_layout())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
