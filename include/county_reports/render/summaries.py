"""The half-year and annual summaries: from the warehouse to a .docx, its figure sidecar and a workbook.

``plan`` says which span and date a report covers; ``coverage`` measures how complete the
span's reporting is and what the configured policy says to do about a gap (reports.yaml:
refuse, or render and state the gap); ``write_summary`` writes the files. Identical warehouse contents
give byte-identical documents and sidecars.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any


from county_reports.core import atomic, paths, timeliness
from county_reports.aggregate import (Span, completeness_summary, completeness_totals,
                                      county_figures, unit_values_table)
from county_reports.core.catalog import Catalog
from county_reports.render import number_style

# Settings live in report_settings (read when DAGs are parsed, so without pandas); re-exported
# because callers say summaries.load_settings().
from county_reports.core.report_settings import (HALF_YEAR, KINDS, ReportSettings,  # noqa: F401
                                            load_settings)


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
    reported = int(frame["status"].isin(timeliness.REPORTED).sum())
    rate = reported / expected if expected else None
    gaps: dict[str, list[str]] = {}
    for row in frame[~frame["status"].isin(timeliness.REPORTED)].itertuples(index=False):
        gaps.setdefault(row.unit, []).append(row.period)
    text = (f"{number_style.fmt_span_long(report.span)}: {reported} of {expected} unit-months reported "
            f"({(rate or 0) * 100:.1f}%, threshold {report_settings.threshold * 100:.0f}%)")
    if rate is None or rate >= report_settings.threshold:
        return Coverage(expected, reported, rate, gaps, "proceed", text)
    missing = ", ".join(f"{u} ({len(m)} months)" for u, m in sorted(gaps.items()))
    return Coverage(expected, reported, rate, gaps, report_settings.below_threshold,
                    f"{text}; below the threshold. Not reported: {missing}")


def write_summary(warehouse, catalog: Catalog, report: Plan, out_dir: Path, *,
                  state_gap: bool = False, wording: dict | None = None, register=None,
                  exclude: frozenset[tuple[str, str, str]] = frozenset()) -> dict[str, Any]:
    """Render the report into ``out_dir``: .docx, .figures.json sidecar and .xlsx workbook.
    ``register``: the key projects (default projects.yaml; a county without one has none);
    ``exclude``: (unit, period, indicator) values left out of every figure (the admin's 剔除后汇总
    of unconfirmed values), named in the sidecar's ``left_out``."""
    from county_reports.render import compose, layout, workbook

    span = report.span
    periods = list(span.periods) + list(span.same_span_last_year().periods)
    values = without(warehouse.current_values(periods), exclude)
    completeness = warehouse.completeness(catalog, list(span.periods))
    figures = county_figures(catalog, values, span, completeness=completeness)
    reporting = completeness_summary(completeness, span, catalog=catalog)
    narratives = warehouse.current_narratives(list(span.periods))
    per_unit = unit_values_table(catalog, values, span)     # (once: the composer's and the workbook's)
    inputs = compose.ReportInputs(report.kind, span, figures, narratives, reporting,
                                  completeness_totals(reporting), report.report_date, state_gap,
                                  values=values, unit_table=per_unit,
                                  **_projects(warehouse, catalog, span, register))
    wording = wording or compose.load_wording()
    composed = compose.compose(catalog, wording, inputs)

    out_dir = paths.location(out_dir)
    paths.make_folder(out_dir)
    title = composed.document.title
    docx = layout.render_docx(composed.document, out_dir / f"{title}.docx",
                              title_breaks=layout.TitleBreaks.from_config(wording.get("title_breaks")))
    sidecar = out_dir / f"{title}.figures.json"
    left_out = {"left_out": sorted(list(key) for key in exclude)} if exclude else {}
    atomic.write_text(sidecar, json.dumps({
        "title": title, "kind": report.kind, "year": report.year,
        "span": [span.first, span.last], "report_date": report.report_date.isoformat(),
        "figures": composed.trace, **left_out,
    }, ensure_ascii=False, indent=1, sort_keys=True, default=_json_default))
    xlsx = workbook.write_workbook(out_dir / f"{title}.xlsx", catalog, wording, report.kind, span,
                                   workbook.SpanTables(figures, per_unit, reporting, values), report.report_date)
    return {"kind": report.kind, "year": report.year, "title": title, "docx": str(docx),
            "sidecar": str(sidecar), "xlsx": str(xlsx), "behind": behind_schedule(figures, span),
            "sha256": hashlib.sha256(docx.read_bytes()).hexdigest(), "figures": len(composed.trace)}


def without(values, exclude: frozenset[tuple[str, str, str]]):
    """``values`` (unit, period, indicator, value …) less the rows named in ``exclude``."""
    if not exclude:
        return values
    keys = list(zip(values["unit"], values["period"], values["indicator"], strict=True))
    return values[[key not in exclude for key in keys]].reset_index(drop=True)


def _projects(warehouse, catalog: Catalog, span: Span, register) -> dict[str, tuple]:
    """The span's key projects (with ledger rows) and the county's units' events; empty for a county
    without them."""
    from county_reports.aggregate import projects
    from county_reports.core.projects.register import load_register
    from county_reports.core.projects.vocabulary import load_vocabulary

    register = load_register(catalog) if register is None else register
    events = tuple(projects.span_events(warehouse.engine, span, [u.code for u in catalog.units]))
    if not register.projects:
        return {"projects": (), "events": events}
    return {"projects": tuple(projects.span_projects(warehouse.engine, register, load_vocabulary(), span)),
            "events": events}


def behind_schedule(figures, span: Span) -> list[str]:
    """Indicator names behind the time schedule: for the half-year not half the task done in half
    the time; for a year, an annual target not reached. What the admin is shown before approving."""
    import pandas as pd

    from county_reports.aggregate.figures import time_half_task_half

    names = dict(zip(figures["code"], figures["name"], strict=False)) if "name" in figures else {}
    if span.is_half_year:
        try:
            return [names.get(code, code) for code in time_half_task_half(figures)[1]]
        except ValueError:
            return []
    behind = []
    for row in figures.itertuples(index=False):
        pct = getattr(row, "completion_pct", None)
        if pct is not None and not pd.isna(pct) and pct < 100:
            behind.append(names.get(row.code, row.code))
    return behind


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)
