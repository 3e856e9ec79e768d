"""Compose a half-year or annual summary: county figures and unit narratives → document model.

Every sentence comes from a wording template in ``include/config/wording.yaml``; every number
printed is also written to the *trace* (the JSON sidecar), with the indicator, span, measure and
aggregation it came from, so any figure in the document can be checked against the warehouse.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from county_reports import numbers
from county_reports.aggregate import Span, time_half_task_half
from county_reports.catalog import Catalog, ConfigError, read_config_file
from county_reports.render import appendix
from county_reports.render.model import Heading1Section, Heading2Section, OfficialDocument

HALF_YEAR, ANNUAL = "half_year", "annual"
CHINESE_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 13 → 十三, 21 → 二十一 (headings never reach 100)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CHINESE_DIGITS[tens] + "十")
    return head + (CHINESE_DIGITS[ones] if ones else "")


@dataclass(frozen=True)
class ReportInputs:
    kind: str                      # half_year | annual
    span: Span
    figures: pd.DataFrame          # aggregate.county_figures(...)
    narratives: pd.DataFrame       # unit, period, kind, section, text (current accepted versions)
    reporting: pd.DataFrame        # aggregate.completeness_summary(...)
    reporting_totals: dict         # aggregate.completeness_totals(...)
    report_date: date
    state_gap: bool = False        # the opening says who has not reported


@dataclass
class Composed:
    document: OfficialDocument
    trace: list[dict[str, Any]] = field(default_factory=list)
    tables: dict[str, tuple[list[str], list[list[str]]]] = field(default_factory=dict)


def load_wording(config_dir: Path | None = None) -> dict:
    wording = read_config_file("wording.yaml", config_dir)
    for key in ("title", "opening", "headings", "figures", "attachments"):
        if key not in (wording or {}):
            raise ConfigError("wording.yaml", key, "missing")
    return wording


def date_text(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


class _Composer:
    def __init__(self, catalog: Catalog, wording: dict, inputs: ReportInputs):
        self.catalog, self.w, self.inp = catalog, wording, inputs
        self.trace: list[dict[str, Any]] = []
        self.span = inputs.span
        self.fields = {"bureau": catalog.bureau.name, "year": self.span.year,
                       "next_year": self.span.year + 1, "span": numbers.fmt_month_range(self.span)}
        self.rows = {r.code: r for r in inputs.figures.itertuples(index=False)}

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

    def amount(self, code: str, measure: str, where: str) -> str:
        row = self.rows[code]
        value = getattr(row, measure)
        if measure in ("yoy_pct", "completion_pct"):
            text = f"{numbers.fmt_number(value, 1)}%"
        else:
            text = numbers.fmt_amount(value, row.uom, int(row.decimals))
        return self.traced(text, where, code, measure, _plain(value))

    # ---- figure prose
    def figure_item(self, code: str, where: str) -> str | None:
        row = self.rows.get(code)
        if row is None or _missing(row.value):
            return None
        cfg = self.w["figures"]
        item = self.fill(cfg.get("items", {}).get(code, cfg["item"]), name=row.name,
                         value=self.amount(code, "value", where))
        if _is_rate(row):   # a rate changes by percentage points, not by a percentage of itself
            if not _missing(row.yoy_change) and not _missing(row.last_year_value):
                words = numbers.fmt_points(row.yoy_change)
                number = numbers.fmt_number(abs(row.yoy_change), 1)
                if number + "个百分点" in words:
                    self.traced(number + "个百分点", where, code, "yoy_change", _plain(row.yoy_change))
                item += "，" + words
        elif row.yoy_pct is not None and not _missing(row.yoy_pct):
            words = numbers.fmt_yoy(row.yoy_pct)
            number = numbers.fmt_number(abs(row.yoy_pct), 1) + "%"
            if number in words:
                self.traced(number, where, code, "yoy_pct", _plain(row.yoy_pct))
            item += "，" + words
        if row.completion_pct is not None and not _missing(row.completion_pct) \
                and getattr(row, "target_basis", "cumulative") == "cumulative":
            self.traced(numbers.fmt_number(row.completion_pct, 1) + "%", where, code,
                        "completion_pct", _plain(row.completion_pct))
            item += "，" + numbers.fmt_completion(row.completion_pct)
        return item

    def figures_paragraph(self, section: str) -> str | None:
        skip = set(self.w["figures"].get("prose_skip", []))
        codes = [i.code for i in self.catalog.indicators if i.section == section and i.code not in skip]
        codes += [d.code for d in self.catalog.derived if d.section == section and d.code not in skip]
        items = [t for t in (self.figure_item(c, f"section:{section}") for c in codes) if t]
        if not items:
            return None
        return self.fill(self.w["figures"]["paragraph"], items="；".join(items))

    def headline(self) -> str:
        cfg = self.w["opening"]
        items = [t for t in (self.figure_item(c, "opening") for c in cfg.get("headline_indicators", [])) if t]
        return self.fill(cfg["headline"], items="；".join(items)) if items else ""

    def gap_sentence(self) -> str:
        if not self.inp.state_gap:
            return ""
        totals = self.inp.reporting_totals
        missing = [self.catalog.unit_by_code[u].name for u in
                   self.inp.reporting.loc[self.inp.reporting["reported"] < self.inp.reporting["months_expected"], "unit"]
                   if u in self.catalog.unit_by_code]
        return self.fill(self.w["opening"]["gap"], expected=totals["months_expected"],
                         reported=totals["reported"],
                         rate=f"{numbers.fmt_number(totals['rate'], 1)}%",
                         missing_units="、".join(missing) or "部分单位")

    # ---- narratives
    def merged(self, kind: str, section: str, limit: int) -> list[str]:
        """Distinct items of one kind and line of work, most often reported first, attributed."""
        frame = self.inp.narratives
        if frame.empty:
            return []
        part = frame[(frame["kind"] == kind) & (frame["section"] == section)]
        groups: dict[str, list[str]] = {}
        for row in part.sort_values(["period", "unit"]).itertuples(index=False):
            key = _normalise(row.text)
            groups.setdefault(key, [])
            if row.unit not in groups[key]:
                groups[key].append(row.unit)
        skip = tuple(self.w["figures"].get("skip_phrases", ()))
        ranked = sorted(((t, u) for t, u in groups.items() if not any(p in t for p in skip)),
                        key=lambda kv: (-len(kv[1]), kv[0]))[:limit]
        most = self.w["figures"].get("max_attributed", 3)
        out = []
        for text, units in ranked:
            names = "、".join(self.catalog.unit_by_code[u].name if u in self.catalog.unit_by_code else u
                              for u in units[:most])
            if len(units) > most:
                names += self.fill(self.w["figures"]["more_units"], count=len(units))
            out.append(f"{text.rstrip('。；;')}（{names}）。")
        return out

    def numbered(self, index: int, name: str) -> str:
        return self.fill(self.w["headings"]["section"], number=chinese_number(index + 1), name=name)

    # ---- the document
    def compose(self) -> Composed:
        w = self.w
        met, lagging = self.half_year_check()
        opening = self.fill(self.pick(w["opening"]),
                            headline=self.headline() + met + self.gap_sentence())
        achievements, problems, plans = [], [], []
        limit = w["figures"].get("max_items", 3)
        for section in self.catalog.sections:
            paragraphs = []
            figures = self.figures_paragraph(section.code)
            if figures:
                paragraphs.append(figures)
            paragraphs += self.merged("highlight", section.code, w["figures"].get("max_highlights", 3))
            if paragraphs:
                achievements.append(Heading2Section(self.numbered(len(achievements), section.name), paragraphs))
            texts = self.merged("problem", section.code, limit)
            if texts:
                problems.append(Heading2Section(self.numbered(len(problems), section.name), texts))
            texts = self.merged("plan", section.code, limit)
            if texts:
                plans.append(Heading2Section(self.numbered(len(plans), section.name), texts))

        sections = [Heading1Section(self.fill(self.pick(w["headings"]["achievements"])), [], achievements),
                    Heading1Section(self.fill(w["headings"]["problems"]),
                                    [w["problems_intro"] if problems else w["no_problems"]]
                                    + ([lagging] if lagging else []), problems),
                    Heading1Section(self.fill(self.pick(w["headings"]["plans"])),
                                    [self.fill(self.pick(w["plans_intro"]))], plans)]
        indicators = appendix.indicator_table(self.catalog, w, self.inp, self.trace)
        document = OfficialDocument(
            title=self.fill(self.pick(w["title"])), opening=[opening], sections=sections,
            signature=self.catalog.bureau.name, date_text=date_text(self.inp.report_date),
            attachments=[indicators])
        tables = {indicators.title: (list(indicators.columns), [list(r) for r in indicators.rows])}
        return Composed(document, self.trace, tables)

    def half_year_check(self) -> tuple[str, str]:
        """(sentence for the opening when 时间过半、任务过半 holds, sentence for 存在的问题 when not)."""
        if not self.span.is_half_year:
            return "", ""
        try:
            met, lagging = time_half_task_half(self.inp.figures)
        except ValueError:      # no indicator has a target this year: nothing to say about it
            return "", ""
        cfg = self.w["time_half_task_half"]
        if met:
            return cfg["met"], ""
        most = self.w["figures"].get("max_attributed", 3)
        names = "、".join(self.rows[c].name for c in lagging[:most] if c in self.rows)
        if len(lagging) > most:
            names += self.fill(cfg["more"], count=len(lagging))
        return "", self.fill(cfg["not_met"], names=names)


def compose(catalog: Catalog, wording: dict, inputs: ReportInputs) -> Composed:
    return _Composer(catalog, wording, inputs).compose()


def _is_rate(row) -> bool:
    return row.uom == "%"


def _missing(value: Any) -> bool:
    return numbers.is_missing(value)


def _plain(value: Any) -> float | None:
    return None if _missing(value) else float(value)


_SPACES = re.compile(r"\s+")
# YAML folds long lines with a space; Chinese text has none between characters.
_CJK_GAP = re.compile(r"(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])\s+|\s+(?=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])")


def _tidy(text: str) -> str:
    return _CJK_GAP.sub("", text)


def _normalise(text: str) -> str:
    return _SPACES.sub("", str(text)).rstrip("。；;")
