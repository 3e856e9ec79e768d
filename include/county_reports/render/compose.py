"""Compose a half-year or annual summary: county figures and unit narratives → document model.

Every sentence comes from a wording template in ``include/config/wording.yaml``; every number
printed is also written to the *trace* (the JSON sidecar), with the indicator, span, measure and
aggregation it came from, so any figure in the document can be checked against the warehouse.
The body (opening, themes, problems, plans) is written by ``render.body`` from the units' items
merged in ``render.pool``; its length is kept within ``merge.body_chars`` by quoting fewer (or
more) merged items per line of work.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from county_reports.aggregate import Span
from county_reports.core.catalog import Catalog
from county_reports.core.config import ConfigError, read_config_file
from county_reports.render import appendix, by_county, number_style, phrases
from county_reports.render.model import OfficialDocument

@dataclass(frozen=True)
class ReportInputs:
    kind: str                      # report_settings.KINDS: half_year | annual
    span: Span
    figures: pd.DataFrame          # aggregate.county_figures(...)
    narratives: pd.DataFrame       # unit, period, kind, section, text (current accepted versions)
    reporting: pd.DataFrame        # aggregate.completeness_summary(...)
    reporting_totals: dict         # aggregate.completeness_totals(...)
    report_date: date
    state_gap: bool = False        # the opening says who has not reported
    values: pd.DataFrame | None = None   # current values of the span (units' own span figures)
    projects: tuple = ()           # aggregate.projects.span_projects(...): key projects with rows
    events: tuple = ()             # aggregate.projects.span_events(...): the span's events
    unit_table: pd.DataFrame | None = None   # aggregate.unit_values_table(values): the workbook's too


@dataclass
class Composed:
    document: OfficialDocument
    trace: list[dict[str, Any]] = field(default_factory=list)
    tables: dict[str, tuple[list[str], list[list[str]]]] = field(default_factory=dict)


def load_wording(config_dir: Path | None = None) -> dict:
    wording = read_config_file("wording.yaml", config_dir)
    if isinstance(wording, dict):                      # its sections are fixed: a typo is refused
        from county_reports.core.config_models.base import validate
        from county_reports.core.config_models.texts import WordingFile

        validate(WordingFile, wording, "wording.yaml")
    for key in ("title", "opening", "headings", "figures", "attachments", "themes", "style",
                "problems", "plans", "spans"):
        if key not in (wording or {}):
            raise ConfigError("wording.yaml", key, "missing")
    phrases.check(wording)
    return wording


class _Composer:
    def __init__(self, catalog: Catalog, wording: dict, inputs: ReportInputs):
        self.catalog, self.w, self.inp = catalog, wording, inputs
        self.trace: list[dict[str, Any]] = []
        self.span = inputs.span
        self.fields = {"bureau": catalog.bureau.name, "year": self.span.year,
                       "next_year": self.span.year + 1, "span": number_style.fmt_month_range(self.span),
                       "span_words": self.pick(wording["spans"])}
        self.rows = {r.code: r for r in inputs.figures.itertuples(index=False)}
        self.counties = by_county.CountyFigures.of(catalog, wording, inputs)   # a city's; else None

    # ---- helpers
    def pick(self, entry: Any) -> str:
        """A wording entry is a string, or a mapping by report kind."""
        return entry[self.inp.kind] if isinstance(entry, dict) else entry

    def fill(self, template: str, **extra: Any) -> str:
        return _tidy(template.format(**{**self.fields, **extra}))

    def traced(self, text: str, where: str, code: str, measure: str, value: float | None) -> str:
        row = self.rows.get(code)
        self.trace.append({"text": text, "where": where, "indicator": code, "measure": measure,
                           "value": value, "span": [self.span.first, self.span.last],
                           "aggregation": getattr(row, "aggregation", None)})
        return text

    def gap_sentence(self) -> str:
        if not self.inp.state_gap:
            return ""
        totals = self.inp.reporting_totals
        reporting = self.inp.reporting
        missing = [self.catalog.unit_by_code[u].name for u in
                   reporting.loc[reporting["reported"] < reporting["months_expected"], "unit"]
                   if u in self.catalog.unit_by_code]
        return self.fill(self.w["opening"]["gap"], expected=totals["months_expected"],
                         reported=totals["reported"],
                         rate=f"{number_style.fmt_number(totals['rate'], 1)}%",
                         missing_units=(self.w["marks"]["enumeration"].join(missing)
                                        or self.w["words"]["some_units"]))

    def numbered(self, index: int, name: str) -> str:
        return self.fill(self.w["headings"]["section"], number=number_style.chinese_number(index + 1), name=name)

    # ---- the document
    def compose(self) -> Composed:
        from county_reports.render.pool import ItemPool, unit_span_values

        w = self.w
        county = {code: float(row.value) for code, row in self.rows.items() if not _missing(row.value)}
        pool = ItemPool(self.catalog, w, self.inp.narratives,
                        unit_span_values(self.catalog, self.inp.values, self.span, self.inp.unit_table), county)
        low, high = (w.get("merge") or {}).get("body_chars", [4000, 11000])
        limits = {k: int((w.get("merge") or {}).get(k, d)) for k, d in
                  (("highlights", 4), ("problems", 2), ("plans", 3))}
        opening, sections = self._body(pool, limits)
        for _ in range(6):      # too long: quote fewer merged items; too short: more
            length = _body_length(opening, sections)
            if length > high and limits["highlights"] > 1:
                limits = {k: max(1, v - 1) for k, v in limits.items()}
            elif length < low and limits["highlights"] < 8:
                limits = {k: v + 1 for k, v in limits.items()}
            else:
                break
            opening, sections = self._body(pool, limits)
        attachments = [appendix.indicator_table(self.catalog, w, self.inp, self.trace)]
        if self.counties:
            attachments.append(self.counties.attachment(self.inp.figures, self.trace))
        elif self.inp.projects:
            from county_reports.render.projects_table import projects_attachment

            attachments = projects_attachment(self.catalog, w, self.inp, self.trace, attachments)
        document = OfficialDocument(
            title=self.fill(self.pick(w["title"])), opening=[opening], sections=sections,
            signature=self.catalog.bureau.name, date_text=number_style.fmt_date(self.inp.report_date),
            attachments=attachments)
        tables = {a.title: (list(a.columns), [list(r) for r in a.rows]) for a in attachments}
        return Composed(document, self.trace, tables)

    def _body(self, pool, limits):
        from county_reports.render.body import Body
        from county_reports.render.seams import once_per_paragraph

        self.trace = []
        opening, sections = Body(self, pool, limits).sections()
        return opening, once_per_paragraph(sections, [u.name for u in self.catalog.units], self.w["words"],
                                           self.w["marks"])


def compose(catalog: Catalog, wording: dict, inputs: ReportInputs) -> Composed:
    return _Composer(catalog, wording, inputs).compose()


def _body_length(opening: str, sections) -> int:
    """Characters of the body: opening, headings and paragraphs (not title, signature, tables)."""
    total = len(opening)
    for section in sections:
        total += len(section.heading) + sum(len(p) for p in section.paragraphs if isinstance(p, str))
        for sub in section.subsections:
            total += len(sub.heading) + sum(len(p) for p in sub.paragraphs if isinstance(p, str))
    return total


def _is_rate(row) -> bool:
    return row.uom == "%"


def _missing(value: Any) -> bool:
    return number_style.is_missing(value)


def _plain(value: Any) -> float | None:
    return None if _missing(value) else float(value)


# YAML folds long lines with a space; Chinese text has none between characters.
_CJK_GAP = re.compile(r"(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])\s+"
                      r"|\s+(?=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])")


def _tidy(text: str) -> str:
    return _CJK_GAP.sub("", text)

