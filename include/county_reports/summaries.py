"""The half-year and annual summaries: from the warehouse to a .docx, its figure sidecar and a workbook.

``plan`` says which span and date a report covers; ``coverage`` measures how complete the
span's reporting is and what the configured policy says to do about a gap (reports.yaml:
refuse, or render and state the gap); ``build`` writes the files. Identical warehouse contents
give byte-identical documents and sidecars.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any


from county_reports.aggregate import (Span, completeness_summary, completeness_totals,
                                      county_figures, unit_values_table)
from county_reports.catalog import Catalog, ConfigError, read_config_file

HALF_YEAR, ANNUAL = "half_year", "annual"
KINDS = (HALF_YEAR, ANNUAL)
POLICIES = ("refuse", "state_gap")


@dataclass(frozen=True)
class ReportSettings:
    threshold: float
    below_threshold: str
    report_days: dict[str, tuple[int, int]]


def load_settings(config_dir: Path | None = None) -> ReportSettings:
    file = "reports.yaml"
    data = read_config_file(file, config_dir) or {}
    threshold = data.get("completeness_threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
        raise ConfigError(file, "completeness_threshold", f"{threshold!r} must be a number from 0 to 1")
    policy = data.get("below_threshold")
    if policy not in POLICIES:
        raise ConfigError(file, "below_threshold", f"{policy!r} is not one of {', '.join(POLICIES)}")
    days = {}
    for kind in KINDS:
        text = str((data.get(kind) or {}).get("report_day", ""))
        try:
            month, day = (int(x) for x in text.split("-"))
            date(2000, month, day)
        except ValueError:
            raise ConfigError(file, f"{kind}.report_day", f"{text!r} must be a day written MM-DD") from None
        days[kind] = (month, day)
    return ReportSettings(float(threshold), policy, days)


@dataclass(frozen=True)
class Plan:
    kind: str
    year: int
    span: Span
    report_date: date


def default_year(kind: str, run_day: date) -> int:
    """The July run reports on this year's first half; the January run on the year before."""
    return run_day.year if kind == HALF_YEAR else run_day.year - 1


def plan(kind: str, year: int, report_settings: ReportSettings) -> Plan:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    month, day = report_settings.report_days[kind]
    if kind == HALF_YEAR:
        return Plan(kind, year, Span.half_year(year), date(year, month, day))
    return Plan(kind, year, Span.full_year(year), date(year + 1, month, day))


def last_deadline(catalog: Catalog, report: Plan) -> date:
    """The day the last report of the span is due: before it, the span's figures are not final."""
    units = catalog.units_active_in(report.span.last) or catalog.units
    return max(u.due_date(report.span.last) for u in units)


@dataclass(frozen=True)
class Coverage:
    expected: int
    reported: int
    rate: float | None
    gaps: dict[str, list[str]]     # unit code → months without accepted data
    action: str                    # proceed | state_gap | refuse
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def coverage(warehouse, catalog: Catalog, report: Plan, report_settings: ReportSettings) -> Coverage:
    frame = warehouse.completeness(catalog, list(report.span.periods))
    expected = len(frame)
    reported = int(frame["status"].isin(["on_time", "late"]).sum())
    rate = reported / expected if expected else None
    gaps: dict[str, list[str]] = {}
    for row in frame[~frame["status"].isin(["on_time", "late"])].itertuples(index=False):
        gaps.setdefault(row.unit, []).append(row.period)
    text = (f"{report.span.long_label}: {reported} of {expected} unit-months reported "
            f"({(rate or 0) * 100:.1f}%, threshold {report_settings.threshold * 100:.0f}%)")
    if rate is None or rate >= report_settings.threshold:
        return Coverage(expected, reported, rate, gaps, "proceed", text)
    missing = ", ".join(f"{u} ({len(m)} months)" for u, m in sorted(gaps.items()))
    return Coverage(expected, reported, rate, gaps, report_settings.below_threshold,
                    f"{text}; below the threshold. Not reported: {missing}")


def build(warehouse, catalog: Catalog, report: Plan, out_dir: Path, *, state_gap: bool = False,
          wording: dict | None = None) -> dict[str, Any]:
    """Render the report into ``out_dir``: .docx, .figures.json sidecar and .xlsx workbook."""
    from county_reports.render import compose, layout

    span = report.span
    periods = list(span.periods) + list(span.same_span_last_year().periods)
    values = warehouse.current_values(periods)
    completeness = warehouse.completeness(catalog, list(span.periods))
    figures = county_figures(catalog, values, span, completeness=completeness)
    reporting = completeness_summary(completeness, span, catalog=catalog)
    narratives = warehouse.current_narratives(list(span.periods))
    inputs = compose.ReportInputs(report.kind, span, figures, narratives, reporting,
                                  completeness_totals(reporting), report.report_date, state_gap,
                                  values=values)
    composed = compose.compose(catalog, wording or compose.load_wording(), inputs)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    title = composed.document.title
    docx = layout.render_docx(composed.document, out_dir / f"{title}.docx")
    sidecar = out_dir / f"{title}.figures.json"
    sidecar.write_text(json.dumps({
        "title": title, "kind": report.kind, "year": report.year,
        "span": [span.first, span.last], "report_date": report.report_date.isoformat(),
        "figures": composed.trace,
    }, ensure_ascii=False, indent=1, sort_keys=True, default=_json_default), encoding="utf-8")
    per_unit = unit_values_table(catalog, values, span)
    workbook = _write_workbook(out_dir / f"{title}.xlsx", composed.tables, per_unit, catalog)
    return {"kind": report.kind, "year": report.year, "title": title, "docx": str(docx),
            "sidecar": str(sidecar), "xlsx": str(workbook),
            "sha256": hashlib.sha256(docx.read_bytes()).hexdigest(), "figures": len(composed.trace)}


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def _write_workbook(path: Path, tables: dict, per_unit, catalog: Catalog) -> Path:
    """The appendix tables and every unit's figures, for the office's own use."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for title, (columns, rows) in tables.items():
        sheet = book.create_sheet(title[:31])
        sheet.append(columns)
        for row in rows:
            sheet.append([_cell(c) for c in row])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 30
    sheet = book.create_sheet("分单位数据")
    names = {i.code: f"{i.name}（{i.uom}）" for i in catalog.indicators}
    value_columns = [c for c in per_unit.columns if c in names]
    sheet.append(["单位", *[names[c] for c in value_columns]])
    for row in per_unit.itertuples(index=False):
        sheet.append([row.unit_name, *[_cell(getattr(row, c)) for c in value_columns]])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 30
    book.properties.creator = catalog.bureau.name
    book.save(path)
    return path


def _cell(value: Any) -> Any:
    """Numbers as numbers (the office sums them), text as text."""
    if isinstance(value, str):
        text = value.replace(",", "")
        try:
            return float(text) if text not in ("—", "") and not text.endswith("%") else value
        except ValueError:
            return value
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value
