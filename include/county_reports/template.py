"""The Excel template a unit without an HTTP endpoint fills in and drops into the inbox.

One workbook per unit and period, generated from the catalogue:

- ``填报说明``  who reports which month by when, the rules, and the contact cells;
- ``指标``      one row per indicator the unit's kind must report; only 本月数值 is editable;
- ``工作动态``  narrative items, category and line of work chosen from dropdown lists;
- ``meta``      hidden: protocol, unit, period, template version, catalogue fingerprint, and the
               dropdown lists themselves.

:mod:`county_reports.inbox` reads a filled copy back into a protocol-v1 payload, so the layout
constants below are shared with it. Sheets and workbook structure are protected without a
password: the point is to stop accidental edits of codes and headers, not to keep anyone out.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from county_reports import periods
from county_reports.catalog import Catalog, Indicator, Unit
from county_reports.config import ConfigError, config_path, read_config_file

PROTOCOL_VERSION = 1
# Bump when the layout changes in a way the reader must know about (sheets, headers, cells).
TEMPLATE_VERSION = 1

SHEET_GUIDE, SHEET_VALUES, SHEET_NARRATIVES, SHEET_META = "填报说明", "指标", "工作动态", "meta"
SHEETS = (SHEET_GUIDE, SHEET_VALUES, SHEET_NARRATIVES, SHEET_META)

VALUE_HEADERS = ("指标代码", "指标名称", "计量单位", "所属工作", "本月数值", "填报要求")
CODE_HEADER, VALUE_HEADER = VALUE_HEADERS[0], VALUE_HEADERS[4]
NARRATIVE_HEADERS = ("类别", "所属工作", "内容")
NARRATIVE_ROWS = 15
# Protocol narrative kinds and the words a clerk picks from the dropdown.
NARRATIVE_KINDS = {"highlight": "工作亮点", "problem": "存在问题", "plan": "下步计划"}

CONTACT_NAME_LABEL, CONTACT_PHONE_LABEL = "联系人", "联系电话"
META_KEYS = ("protocol", "unit", "unit_name", "period", "template_version", "catalog_fingerprint")

_WIDTHS = {
    SHEET_GUIDE: (14, 90),
    SHEET_VALUES: (22, 30, 11, 24, 14, 40),
    SHEET_NARRATIVES: (14, 26, 90),
    SHEET_META: (22, 68, 4, 12, 28),
}
_FONT = Font(name="宋体", size=11)
_BOLD = Font(name="宋体", size=11, bold=True)
_TITLE = Font(name="宋体", size=16, bold=True)
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")     # light yellow: "type here"
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_THIN = Side(style="thin", color="808080")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_UNLOCKED = Protection(locked=False)
_WRAP = Alignment(wrap_text=True, vertical="center")
_CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)


def write_template(catalog: Catalog, unit_code: str, period: str, path: str | Path) -> Path:
    """Write the template ``unit_code`` fills in for ``period`` to ``path``; returns the path.

    Raises ValueError for an unknown unit, a malformed period, or a unit not reporting that month.
    """
    unit = _reporting_unit(catalog, unit_code, period)
    indicators = catalog.required_indicators(unit.kind)
    wording = render_wording(load_wording(), {
        "bureau": catalog.bureau.name, "unit_name": unit.name, "unit_code": unit.code,
        "period_label": period_label(period), "due": date_label(unit.due_date(period)),
        "file_name": f"{unit.code}.xlsx"})

    wb = Workbook()
    guide = wb.active
    guide.title = SHEET_GUIDE
    _write_guide(guide, catalog, unit, period, wording)
    _write_values(wb.create_sheet(SHEET_VALUES), catalog, indicators)
    meta = wb.create_sheet(SHEET_META)
    kinds_ref, sections_ref = _write_meta(meta, catalog, unit, period, indicators)
    _write_narratives(wb.create_sheet(SHEET_NARRATIVES, index=2), kinds_ref, sections_ref)
    for ws in wb.worksheets:
        _protect(ws)
    meta.sheet_state = "hidden"
    # Structure lock: no adding, deleting, renaming or un-hiding sheets.
    wb.security = WorkbookProtection(lockStructure=True)
    wb.active = 0
    wb.properties.creator = catalog.bureau.name
    wb.properties.title = f"{unit.name}{period_label(period)}报表"
    return _save_atomically(wb, Path(path))


def fingerprint(codes: list[str] | tuple[str, ...]) -> str:
    """SHA-256 of the indicator codes a template lists, in order: tells templates apart when
    the catalogue changes between the download and the upload."""
    return hashlib.sha256("\n".join(codes).encode("utf-8")).hexdigest()


def requirement(indicator: Indicator) -> str:
    """The 填报要求 text of one indicator, e.g. ``必报；整数；取值0～5000；本月发生数``."""
    kind = "整数" if indicator.integer else "可填小数"
    when = "本月发生数" if indicator.nature == "flow" else "月末数"
    return f"必报；{kind}；取值{_number(indicator.min)}～{_number(indicator.max)}；{when}"


def period_label(period: str) -> str:
    year, month = periods.parse(period)
    return f"{year}年{month}月"


def date_label(day) -> str:
    # Official style: Arabic numerals without zero padding (2025年7月5日).
    return f"{day.year}年{day.month}月{day.day}日"


# --------------------------------------------------------------------------- wording


_BUNDLED_WORDING = Path(__file__).resolve().parents[1] / "config" / "template.yaml"


def load_wording(config_dir: str | Path | None = None) -> dict[str, Any]:
    """The template wording from ``template.yaml``: {title: str, rules: [str, …]}.

    A config directory without its own template.yaml (e.g. a test catalogue) uses the wording
    shipped with the package, so admins only copy the file when they want to change it.
    """
    if not config_path("template.yaml", config_dir).is_file():
        config_dir = _BUNDLED_WORDING.parent
    data = read_config_file("template.yaml", config_dir)
    if not isinstance(data, dict):
        raise ConfigError("template.yaml", "(file)", "expected a mapping with title and rules")
    if not isinstance(data.get("title"), str) or not data["title"].strip():
        raise ConfigError("template.yaml", "title", "missing or not text")
    rules = data.get("rules")
    if not isinstance(rules, list) or not rules or not all(isinstance(r, str) for r in rules):
        raise ConfigError("template.yaml", "rules", "missing or not a list of text lines")
    return {"title": data["title"], "rules": list(rules)}


def render_wording(wording: dict[str, Any], fields: dict[str, str]) -> dict[str, Any]:
    def fill(key: str, text: str) -> str:
        try:
            return text.format(**fields)
        except KeyError as exc:
            raise ConfigError("template.yaml", key, f"unknown placeholder {{{exc.args[0]}}}; "
                              f"known: {', '.join(sorted(fields))}") from None
        except (ValueError, IndexError):
            raise ConfigError("template.yaml", key, "unbalanced { } (write {{ for a brace)") from None

    return {"title": fill("title", wording["title"]),
            "rules": [fill(f"rules[{i}]", r) for i, r in enumerate(wording["rules"])]}


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
                 wording: dict[str, Any]) -> None:
    ws.merge_cells("A1:B1")
    _put(ws, "A1", wording["title"], _TITLE, _CENTRE)
    ws.row_dimensions[1].height = 30
    facts = (
        ("填报单位", f"{unit.name}（{unit.code}）"),
        ("单位类别", unit.kind_name),
        ("报送月份", period_label(period)),
        ("截止日期", date_label(unit.due_date(period))),
        ("主管部门", catalog.bureau.name),
        (CONTACT_NAME_LABEL, None),
        (CONTACT_PHONE_LABEL, None),
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
    _put(ws, f"A{row}", "填报规则", _BOLD, Alignment(vertical="center"))
    for number, text in enumerate(wording["rules"], start=1):
        row += 1
        _put(ws, f"A{row}", f"{number}.", _FONT, Alignment(horizontal="right", vertical="top"))
        _put(ws, f"B{row}", text, _FONT, Alignment(wrap_text=True, vertical="top"))
        # openpyxl does not auto-fit: give long rules a second line (about 45 characters fit).
        ws.row_dimensions[row].height = 15 * (1 + len(text) // 45)
    _set_widths(ws)


def _write_values(ws: Worksheet, catalog: Catalog, indicators: tuple[Indicator, ...]) -> None:
    _header(ws, VALUE_HEADERS)
    rules: dict[tuple, list[str]] = {}
    for row, ind in enumerate(indicators, start=2):
        section = catalog.section_by_code[ind.section].name
        texts = (ind.code, ind.name, ind.uom, section, None, requirement(ind))
        for col, value in enumerate(texts, start=1):
            cell = ws.cell(row=row, column=col, value=value)
            cell.font, cell.border, cell.alignment = _FONT, _BOX, _WRAP
        _make_input(ws.cell(row=row, column=5))
        rules.setdefault((ind.integer, ind.min, ind.max), []).append(f"E{row}")
    # Excel warns about an out-of-range figure as it is typed, but lets it through: the unit may
    # have a real reason, and validation rejects it later with a message anyway.
    for (integer, low, high), cells in rules.items():
        dv = DataValidation(
            type="whole" if integer else "decimal", operator="between",
            formula1=_number(low), formula2=_number(high), allow_blank=True,
            errorStyle="warning", showErrorMessage=True, errorTitle="数值超出范围",
            error=f"请填{'整数' if integer else '数字'}，合理范围{_number(low)}～{_number(high)}。"
                  "确认无误请点“是”继续。")
        for ref in cells:
            dv.add(ref)
        ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    _fit_to_page_width(ws)
    _set_widths(ws)


def _write_narratives(ws: Worksheet, kinds_ref: str, sections_ref: str) -> None:
    _header(ws, NARRATIVE_HEADERS)
    last = NARRATIVE_ROWS + 1
    for row in range(2, last + 1):
        for col in range(1, 4):
            cell = ws.cell(row=row, column=col)
            cell.font, cell.border = _FONT, _BOX
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            _make_input(cell)
        ws.row_dimensions[row].height = 45
    for column, ref, title in (("A", kinds_ref, "类别"), ("B", sections_ref, "所属工作")):
        dv = DataValidation(type="list", formula1=ref, allow_blank=True, showErrorMessage=True,
                            errorTitle=f"请选择{title}", error=f"请从下拉列表中选择{title}。")
        dv.add(f"{column}2:{column}{last}")
        ws.add_data_validation(dv)
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    _fit_to_page_width(ws)
    _set_widths(ws)


def _write_meta(ws: Worksheet, catalog: Catalog, unit: Unit, period: str,
                indicators: tuple[Indicator, ...]) -> tuple[str, str]:
    """Key/value pairs in A:B; the dropdown lists in D and E (a range, not an inline list:
    inline lists are capped at 255 characters and break on commas in section names)."""
    values = {"protocol": PROTOCOL_VERSION, "unit": unit.code, "unit_name": unit.name,
              "period": period, "template_version": TEMPLATE_VERSION,
              "catalog_fingerprint": fingerprint([i.code for i in indicators])}
    for row, key in enumerate(META_KEYS, start=1):
        ws.cell(row=row, column=1, value=key)
        ws.cell(row=row, column=2, value=values[key])
    kinds = list(NARRATIVE_KINDS.values())
    sections = [s.name for s in catalog.sections]
    ws["D1"], ws["E1"] = NARRATIVE_HEADERS[0], NARRATIVE_HEADERS[1]
    for row, label in enumerate(kinds, start=2):
        ws.cell(row=row, column=4, value=label)
    for row, name in enumerate(sections, start=2):
        ws.cell(row=row, column=5, value=name)
    _set_widths(ws)
    return (f"{SHEET_META}!$D$2:$D${len(kinds) + 1}", f"{SHEET_META}!$E$2:$E${len(sections) + 1}")


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
    cell.font = _FONT          # what the clerk types shows in 宋体, not the default Calibri


def _protect(ws: Worksheet) -> None:
    ws.protection.sheet = True
    # False means "allowed": clerks may widen columns and rows to read long text.
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def _set_widths(ws: Worksheet) -> None:
    for col, width in enumerate(_WIDTHS[ws.title], start=1):
        ws.column_dimensions[chr(ord("A") + col - 1)].width = width


def _fit_to_page_width(ws: Worksheet) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _save_atomically(wb: Workbook, path: Path) -> Path:
    # A half-written template must never be served or picked up: write aside, then rename.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
