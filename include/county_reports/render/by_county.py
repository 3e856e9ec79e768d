"""A city's summary over its counties: counties named with share and rank, counties behind
schedule, and the by-county attachment (各县（市、区）主要指标完成情况表).

Only for a roster with counties (units of a kind with ``reports: all``) and a wording.yaml with
``counties:``; a county's summary never builds a :class:`CountyFigures`, so its documents are
what they were. Figures come from :func:`aggregate.by_county.county_breakdown` — each county's
own span figure from the warehouse — and every printed one goes to the composer's trace.

:func:`county_sheet` is the same table as a sheet of the .xlsx (figures as numbers), written by
render/workbook.py after the county sheets.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import pandas as pd

from county_reports.core import county_targets
from county_reports.core.config import ConfigError
from county_reports.aggregate.by_county import county_breakdown
from county_reports.render import appendix, number_style
from county_reports.render.model import Attachment
from county_reports.core.report_settings import HALF_YEAR

_COLUMNS = ("number", "unit", "value", "share", "target", "completion", "rank")
_ALIGN = ("center", "left", "right", "right", "right", "right", "center")
_VALUE_COLUMNS = ["unit", "period", "indicator", "value", "submission_id", "version"]


class CountyFigures:
    """The counties' breakdowns of the span, computed once per indicator."""

    def __init__(self, catalog, wording: dict, inputs, targets: dict):
        self.catalog, self.w, self.inp, self.targets = catalog, wording["counties"], inputs, targets
        self._frames: dict[str, pd.DataFrame] = {}

    @classmethod
    def of(cls, catalog, wording: dict, inputs) -> CountyFigures | None:
        """None for a roster without counties (a county's own summary); a city's wording must
        have ``counties:``. Without values (check-config's sample) the counties have no figures."""
        if not county_targets.county_codes(catalog):
            return None
        if not isinstance(wording.get("counties"), dict):
            raise ConfigError("wording.yaml", "counties", "missing: units.yaml has counties "
                              "(a kind with reports: all), whose summaries name and rank them")
        if inputs.values is None:
            inputs = replace(inputs, values=pd.DataFrame(columns=_VALUE_COLUMNS))
        return cls(catalog, wording, inputs, county_targets.load(catalog))

    def frame(self, code: str) -> pd.DataFrame:
        if code not in self._frames:
            self._frames[code] = county_breakdown(self.catalog, self.inp.values, self.inp.span, code,
                                                  targets=self.targets)
        return self._frames[code]

    def rank_text(self, rank: int) -> str:
        return self.w["rank"].format(number=number_style.chinese_number(int(rank)))

    # ------------------------------------------------------------------ prose
    def ranking(self, body, codes: list[str], where: str) -> str:
        """"分县（市、区）看，A县完成…，占全市X%，居全市第一；B县…" after the theme's first lead
        figure when it is additive (a county's part of the city's total) and at least two counties
        report it; "" otherwise."""
        for code in codes[:1]:     # the theme's headline figure, whose city total was just said
            frame = self.frame(code)
            ranked = frame[frame["rank"].notna()]
            if len(ranked) < 2 or not _additive(frame):
                continue        # a rate or level is not a county's part of the city: no rank
            ind = self.catalog.indicator_by_code.get(code)
            decimals = ind.decimals if ind else int(body.rows[code].decimals)
            uom = body.rows[code].uom
            template = (body.w["figures"].get("items") or {}).get(code, body.w["figures"]["item"])
            items = []
            for row in ranked.head(int(self.w.get("max_named", 3))).itertuples(index=False):
                value = body.trace_extra(number_style.fmt_amount(row.value, uom, decimals), where,
                                         "county_value", row.value, unit=row.unit, indicator=code)
                figure = body.fill(template, name=body.rows[code].name, value=value)
                rank = body.trace_extra(self.rank_text(row.rank), where, "county_rank", int(row.rank),
                                        unit=row.unit, indicator=code)
                share = body.trace_extra(number_style.fmt_pct(row.share_pct, 1), where, "share_pct",
                                         row.share_pct, unit=row.unit, indicator=code)
                items.append(body.fill(self.w["rank_item"], unit=row.unit_name, figure=figure,
                                       share=share, rank=rank))
            return body.fill(self.w["ranking"], items=body.semicolon.join(items))
        return ""

    def behind_item(self, body) -> str:
        """二、存在的问题: the counties whose cumulative targets lag the time schedule."""
        where = "problems:counties"
        schedule = 50.0 if body.kind == HALF_YEAR else 100.0
        lagging = []
        for code in body.targeted():
            frame = self.frame(code)
            for row in frame[frame["behind"]].itertuples(index=False):
                lagging.append((schedule - float(row.completion_pct), code, row))
        if not lagging:
            return ""
        lagging.sort(key=lambda g: (-g[0], g[1], g[2].unit))
        worst = {}          # each county once, by its largest gap (a total and its part lag together)
        for gap, code, row in lagging:
            worst.setdefault(row.unit, (gap, code, row))
        items = []
        for gap, code, row in list(worst.values())[: int(self.w.get("max_behind", 3))]:
            pct = body.trace_extra(number_style.fmt_pct(row.completion_pct, 1), where, "county_completion_pct",
                                   row.completion_pct, unit=row.unit, indicator=code)
            gap_text = body.trace_extra(number_style.fmt_number(gap, 1), where, "county_schedule_gap", gap,
                                        unit=row.unit, indicator=code)
            items.append(body.fill(self.w["behind_item"][body.kind], unit=row.unit_name,
                                   name=body.rows[code].name, pct=pct, gap=gap_text))
        return body.fill(self.w["behind"][body.kind], items=body.semicolon.join(items)) + body.stop

    # ------------------------------------------------------------------ attachment
    def attachment(self, figures: pd.DataFrame, trace: list[dict]) -> Attachment:
        cfg = self.w["attachment"]
        span, kind = self.inp.span, self.inp.kind
        fields = appendix.span_fields(self.catalog, span, self.inp.report_date)

        def pick(e):
            return e[kind] if isinstance(e, dict) else e
        headers = [appendix.fill(pick(cfg["columns"][c]), **fields) for c in _COLUMNS]
        rows_by_code = {r.code: r for r in figures.itertuples(index=False)}
        cells, groups = [], []
        for number, code in enumerate(c for c in cfg["indicators"] if c in rows_by_code):
            city = rows_by_code[code]
            groups.append(len(cells))
            cells.append([number_style.chinese_number(number + 1),
                          appendix.fill(cfg["group"], name=city.name, uom=city.uom)] + [""] * 5)
            where = f"by_county:{code}"
            for row in self.frame(code).itertuples(index=False):
                cells.append(self._county_cells(row, city, where, trace))
            cells.append(["", cfg["total_row"], self._num(city.value, city.decimals, where, trace, code,
                                                          "value", None), "100%" if _additive(self.frame(code))
                          else number_style.NO_FIGURE, self._num(city.target, city.decimals, where, trace,
                                                                 code, "target", None),
                          self._pct(city.completion_pct, where, trace, code, "completion_pct", None),
                          number_style.NO_FIGURE])
        notes = [appendix.fill(n, **fields) for n in cfg.get("notes") or []]
        return Attachment(cfg["label"], appendix.fill(cfg["title"], **fields), headers, cells, notes,
                          group_rows=groups, column_align=_ALIGN)

    def _county_cells(self, row, city, where: str, trace: list[dict]) -> list[str]:
        code, unit = city.code, row.unit
        rank = number_style.NO_FIGURE if row.rank is None else str(int(row.rank))
        if row.rank is not None:
            _trace(trace, rank, where, code, "county_rank", int(row.rank), self.inp.span, unit)
        return ["", row.unit_name, self._num(row.value, city.decimals, where, trace, code, "county_value", unit),
                self._pct(row.share_pct, where, trace, code, "share_pct", unit),
                self._num(row.target, city.decimals, where, trace, code, "county_target", unit),
                self._pct(row.completion_pct, where, trace, code, "county_completion_pct", unit), rank]

    def _num(self, value: Any, decimals: Any, where: str, trace: list[dict], code: str, measure: str,
             unit: str | None) -> str:
        text = number_style.fmt_number(None if number_style.is_missing(value) else float(value), int(decimals))
        if text != number_style.NO_FIGURE:
            _trace(trace, text, where, code, measure, float(value), self.inp.span, unit)
        return text

    def _pct(self, value: Any, where: str, trace: list[dict], code: str, measure: str,
             unit: str | None) -> str:
        text = number_style.fmt_pct(None if number_style.is_missing(value) else float(value), 1)
        if text != number_style.NO_FIGURE:
            _trace(trace, text, where, code, measure, float(value), self.inp.span, unit)
        return text


# ------------------------------------------------------------------ the workbook's sheet

@dataclass(frozen=True)
class SheetCell:
    """A cell as Excel stores it: a figure rounded as printed (a percentage as a fraction) with
    its number format, or a text (no format); None is an empty cell (the document's "—")."""
    value: Any
    number_format: str | None = None


@dataclass(frozen=True)
class CountySheet:
    """附件2 as a sheet of the .xlsx: the attachment's headers, rows and notes; ``groups`` are
    the rows that head an indicator (its county rows and its city row follow)."""
    name: str
    title: str
    headers: list[str]
    rows: list[list[SheetCell]]
    groups: list[int]
    notes: list[str]


def county_sheet(catalog, wording: dict, kind: str, span, values: pd.DataFrame, figures: pd.DataFrame,
                 report_date) -> CountySheet | None:
    """The by-county sheet of a city's workbook, its figures those of the document's 附件2
    (``county_breakdown`` over ``values``; the city rows from ``figures``,
    ``aggregate.county_figures``); None for a county's workbook. Sheet name: wording.yaml
    ``counties.attachment.sheet`` (else the attachment's label)."""
    if not county_targets.county_codes(catalog) or not isinstance(wording.get("counties"), dict):
        return None
    cfg = wording["counties"]["attachment"]
    fields = appendix.span_fields(catalog, span, report_date)
    targets = county_targets.load(catalog)
    city_rows = {r.code: r for r in figures.itertuples(index=False)}
    rows: list[list[SheetCell]] = []
    groups: list[int] = []
    for number, code in enumerate(c for c in cfg["indicators"] if c in city_rows):
        city, decimals = city_rows[code], int(city_rows[code].decimals)
        frame = county_breakdown(catalog, values, span, code, targets=targets)
        groups.append(len(rows))
        rows.append([SheetCell(number_style.chinese_number(number + 1)),
                     SheetCell(appendix.fill(cfg["group"], name=city.name, uom=city.uom))] + [SheetCell(None)] * 5)
        for r in frame.itertuples(index=False):
            rank = None if number_style.is_missing(r.rank) else int(r.rank)
            rows.append([SheetCell(None), SheetCell(r.unit_name), _figure(r.value, decimals),
                         _fraction(r.share_pct), _figure(r.target, decimals), _fraction(r.completion_pct),
                         SheetCell(rank, "0" if rank is not None else None)])
        rows.append([SheetCell(None), SheetCell(cfg["total_row"]), _figure(city.value, decimals),
                     SheetCell(1.0, _PCT) if _additive(frame) else SheetCell(None), _figure(city.target, decimals),
                     _fraction(city.completion_pct), SheetCell(None)])
    headers = [appendix.fill(cfg["columns"][c][kind] if isinstance(cfg["columns"][c], dict) else cfg["columns"][c],
                             **fields) for c in _COLUMNS]
    return CountySheet(cfg.get("sheet") or cfg["label"], appendix.fill(cfg["title"], **fields), headers, rows,
                       groups, [appendix.fill(n, **fields) for n in cfg.get("notes") or []])


_PCT = "0.0%"


def _figure(value: Any, decimals: int) -> SheetCell:
    if number_style.is_missing(value):
        return SheetCell(None)
    rounded = number_style.round_half_up(float(value), decimals)
    return SheetCell(int(rounded) if decimals <= 0 else float(rounded),
                     "0" if decimals <= 0 else "0." + "0" * decimals)


def _fraction(pct: Any) -> SheetCell:
    """A percentage as printed (one decimal), stored as a fraction: 8.6% → 0.086."""
    if number_style.is_missing(pct):
        return SheetCell(None)
    return SheetCell(float(number_style.round_half_up(float(pct), 1) / Decimal(100)), _PCT)


def _additive(frame: pd.DataFrame) -> bool:
    return bool(frame["share_pct"].notna().any())


def _trace(trace: list[dict], text: str, where: str, code: str, measure: str, value: Any, span,
           unit: str | None) -> None:
    entry = {"text": text, "where": where, "indicator": code, "measure": measure, "value": value,
             "span": [span.first, span.last], "aggregation": None}
    if unit is not None:
        entry["unit"] = unit
    trace.append(entry)
