"""The summaries' appendix: the main-indicators table (the attachment), and the reporting punctuality table
kept for the admins' own pages.

:func:`indicator_rows` chooses and computes the rows once, as numbers and as printed text; the
.docx attachment (:func:`indicator_table`) and the workbook (``render.workbook``) both use them,
so the two never disagree. Which indicators, the column headers, the units of the
year-on-year column and the remarks all come from ``wording.yaml`` (``attachments``) and the
catalogue (targets, ``over_time``, ``uom``, ``integer``, the ``sum_equals`` rules): no indicator
code appears here.

Year-on-year changes are computed from the figures as displayed, so a reader who subtracts the
two printed rates finds the printed difference: a percentage for flows, percentage points for rates and
indices (``points_uoms``), and the plain difference in the indicator's own unit for stocks and
small whole-number counts ("-3" bridges rather than "-30.0%").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from county_reports.aggregate import Span
from county_reports.core.catalog import Catalog
from county_reports.render import number_style, phrases
from county_reports.render.model import Attachment
from county_reports.core.report_settings import ANNUAL

# Column keys in display order; headers come from wording.yaml attachments.indicators.columns.
COLUMNS = ("number", "name", "uom", "value", "last_year", "change", "target", "completion", "remark")
FIGURE_COLUMNS = ("value", "last_year", "change", "target", "completion")
ALIGN = {"number": "center", "name": "left", "uom": "center", "value": "right", "last_year": "right",
         "change": "right", "target": "right", "completion": "right", "remark": "left"}
PCT, POINTS, DIFF, NUMBER = "pct", "points", "diff", "number"


@dataclass(frozen=True)
class Figure:
    """One printed figure: its text and the number behind it (for the workbook and the trace).

    ``kind`` is number (in the row's unit), pct (a percentage: ``value`` 8.6 means 8.6%), points
    (percentage points) or diff (a difference in the row's unit); ``decimals`` as printed.
    """

    text: str
    value: float | None
    kind: str = NUMBER
    decimals: int = 0
    measure: str = "value"
    basis: tuple[float, float] | None = None   # the displayed (value, base) a change is from
    exact: float | None = None                 # the unrounded figure, for the trace

    @property
    def traced(self) -> float | None:
        return self.value if self.exact is None else self.exact


NO_FIGURE = Figure(number_style.NO_FIGURE, None)


@dataclass(frozen=True)
class TableRow:
    """A row of the indicators table: a line of work (``code`` None) or an indicator."""

    number: str
    name: str
    code: str | None = None
    uom: str = ""
    aggregation: str | None = None
    figures: dict[str, Figure] = field(default_factory=dict)
    remark: str = ""

    @property
    def is_category(self) -> bool:
        return self.code is None

    def text(self, column: str) -> str:
        if column == "number":
            return self.number
        if column == "name":
            return self.name
        if self.is_category:
            return ""
        if column == "uom":
            return self.uom
        if column == "remark":
            return self.remark
        return self.figures.get(column, NO_FIGURE).text


def _pick(entry: Any, kind: str) -> Any:
    return entry[kind] if isinstance(entry, dict) and kind in entry else entry


# YAML folds long lines with a space; Chinese text has none between characters. (A "\n" the
# wording asks for, e.g. in a column header, stays.)
_CJK_GAP = re.compile(r"(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])[ \t]+"
                      r"|[ \t]+(?=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])")


def fill(template: str, **fields: Any) -> str:
    """A wording template filled; YAML's folding spaces between Chinese characters dropped."""
    return _CJK_GAP.sub("", str(template).format(**fields))


def span_fields(catalog: Catalog, span: Span, report_date: date | None = None) -> dict[str, Any]:
    """Placeholders every appendix template may use."""
    month_range = number_style.fmt_month_range(span)
    return {"bureau": catalog.bureau.name, "year": span.year, "span": month_range,
            "span_title": (number_style.fmt_year(span.year) if span.months == 12
                           else number_style.fmt_year_months(span)),
            "last_month": span.last_month,
            "generated": number_style.fmt_date(report_date) if report_date else ""}


def _shown(value: Any, decimals: int) -> float | None:
    """The figure as printed, as a float (rounded half up to ``decimals``)."""
    return None if number_style.is_missing(value) else float(number_style.round_half_up(float(value), decimals))


# --------------------------------------------------------------------------- rows


def indicator_rows(catalog: Catalog, wording: dict, figures: pd.DataFrame, span: Span, kind: str,
                   *, every: bool = False) -> list[TableRow]:
    """The rows of the indicators table, category rows included, in catalogue order.

    Indicators with a target for ``span.year`` and the configured ``key_indicators`` (or, with
    ``every``, every indicator with a figure: the workbook's county sheet). A part of a total
    (rules.yaml ``sum_equals``) follows its total."""
    cfg = wording["attachments"]["indicators"]
    targets = catalog.targets.get(span.year, {})
    key = set(cfg.get("key_indicators") or ())

    def wanted(row) -> bool:
        if every:
            return not number_style.is_missing(row.value)
        return row.code in targets or (row.code in key and not number_style.is_missing(row.value))

    chosen = [row for row in figures.itertuples(index=False) if wanted(row)]
    parts_of = _parts(catalog)
    fields = span_fields(catalog, span)
    rows: list[TableRow] = []
    count = 0
    for section in catalog.sections:
        mine = _with_parts_after_totals([r for r in chosen if r.section == section.code], parts_of)
        if not mine:
            continue
        rows.append(TableRow(number_style.chinese_number(sum(1 for r in rows if r.is_category) + 1), section.name))
        first_part_seen: set[str] = set()
        for row in mine:
            count += 1
            name = row.name
            total = parts_of.get(row.code)
            if total and total not in first_part_seen and any(r.code == total for r in mine):
                name = cfg.get("part_prefix", "") + name
                first_part_seen.add(total)
            rows.append(_indicator_row(catalog, cfg, row, str(count), name, span, kind, fields))
    return rows


def _parts(catalog: Catalog) -> dict[str, str]:
    """part code → total code, from the catalogue's sum_equals rules."""
    out: dict[str, str] = {}
    for rule in catalog.rules:
        if rule.check == "sum_equals":
            for part in rule.params["parts"]:
                out.setdefault(part, rule.params["total"])
    return out


def _with_parts_after_totals(rows: list, parts_of: dict[str, str]) -> list:
    codes = {r.code for r in rows}
    placed = [r for r in rows if parts_of.get(r.code) not in codes]
    out = []
    for row in placed:
        out.append(row)
        out += [r for r in rows if parts_of.get(r.code) == row.code]
    return out


def _indicator_row(catalog: Catalog, cfg: dict, row, number: str, name: str, span: Span, kind: str,
                   fields: dict) -> TableRow:
    decimals = int(row.decimals)
    value, base = _shown(row.value, decimals), _shown(row.last_year_value, decimals)
    figures = {"value": _number(value, decimals, "value", row.value),
               "last_year": _number(base, decimals, "last_year_value", row.last_year_value),
               "change": _change(catalog, cfg["change"], row, value, base, decimals),
               "target": _target(row.target, decimals),
               "completion": NO_FIGURE}
    completion = None
    if getattr(row, "target_basis", None) == "cumulative" and not number_style.is_missing(row.completion_pct):
        completion = _shown(row.completion_pct, 1)
        figures["completion"] = Figure(f"{number_style.fmt_number(completion, 1)}%", completion, PCT, 1,
                                       "completion_pct", exact=float(row.completion_pct))
    remark = _remark(cfg["remarks"], row, value, completion, span, kind, fields)
    return TableRow(number, name, row.code, row.uom, row.aggregation, figures, remark)


def _target(target: Any, decimals: int) -> Figure:
    """A target as committed: whole targets without decimals ("58000", "98"), others as figures."""
    value = _shown(target, decimals)
    if value is None:
        return NO_FIGURE
    places = 0 if value == int(value) else decimals
    return Figure(number_style.fmt_number(value, places), value, NUMBER, places, "target", exact=float(target))


def _number(value: float | None, decimals: int, measure: str, exact: Any = None) -> Figure:
    if value is None:
        return NO_FIGURE
    return Figure(number_style.fmt_number(value, decimals), value, NUMBER, decimals, measure,
                  exact=None if number_style.is_missing(exact) else float(exact))


def change_kind(catalog: Catalog, rules: dict, row) -> str:
    """pct, points or diff for an indicator's change on the same span last year (see the module docstring)."""
    if row.uom in (rules.get("points_uoms") or ()):
        return POINTS
    if row.aggregation in (rules.get("difference_over_time") or ()):
        return DIFF
    indicator = catalog.indicator_by_code.get(row.code)
    below = rules.get("difference_below")
    sizes = [abs(v) for v in (row.value, row.last_year_value) if not number_style.is_missing(v)]
    if indicator is not None and indicator.integer and below is not None and max(sizes, default=0) < below:
        return DIFF
    return PCT


def _change(catalog: Catalog, rules: dict, row, value: float | None, base: float | None,
            decimals: int) -> Figure:
    if value is None or base is None:
        return NO_FIGURE
    kind = change_kind(catalog, rules, row)
    if kind == PCT:
        if base == 0:
            return NO_FIGURE
        amount, places, suffix = (value - base) / abs(base) * 100, 1, "%"
    else:
        amount, places = value - base, decimals
        suffix = (rules.get("points_word") or phrases.section("numbers")["points"] if kind == POINTS
                  else row.uom)
    shown = _shown(amount, places)
    if shown == 0:
        text = rules.get("flat") or phrases.section("numbers")["flat_word"]
    else:
        text = f"{number_style.fmt_number(shown, places)}{suffix}"
    return Figure(text, shown, kind, places, f"change_{kind}", (value, base), exact=float(amount))


def _remark(cfg: dict, row, value: float | None, completion: float | None, span: Span, kind: str,
            fields: dict) -> str:
    words = []
    span_words = _pick(cfg.get(row.aggregation or "", ""), kind)
    if span_words and value is not None:
        words.append(fill(span_words, **fields))
    basis = getattr(row, "target_basis", None)
    target = None if number_style.is_missing(row.target) else float(row.target)
    if basis == "cumulative" and completion is not None:
        if kind == ANNUAL:
            table = cfg["annual"]
            words.append(table["exceeded"] if completion > 100 else table["done"] if completion == 100
                         else table["missed"])
        else:
            table = cfg["half_year"]
            share = span.months / 12 * 100
            words.append(table["done"] if completion >= 100 else table["on_schedule"]
                         if completion >= share else table["behind"])
    elif basis == "level" and value is not None and target is not None:
        shown_target = _shown(target, int(row.decimals))
        words.append(cfg["level"]["met"] if value >= shown_target else cfg["level"]["missed"])
    return (cfg.get("separator") or phrases.section("marks")["semicolon"]).join(w for w in words if w)


def visible_columns(rows: list[TableRow]) -> list[str]:
    """The columns worth printing: a figure column with no figure in any row is left out, and so
    is the remarks column when no row has a remark."""
    body = [r for r in rows if not r.is_category]
    out = []
    for column in COLUMNS:
        if column in FIGURE_COLUMNS and all(r.figures.get(column, NO_FIGURE).value is None for r in body):
            continue
        if column == "remark" and not any(r.remark for r in body):
            continue
        out.append(column)
    return out


def headers(wording: dict, columns: list[str], kind: str, fields: dict) -> list[str]:
    cfg = wording["attachments"]["indicators"]["columns"]
    return [fill(_pick(cfg[c], kind), **fields) for c in columns]


def roster_notes(catalog: Catalog, templates: dict, span: Span) -> list[str]:
    """A sentence for each unit that started or stopped reporting within the span or between the
    same span last year and this one, so a reader knows which units a total or a comparison
    covers.

    ``templates`` (wording.yaml attachments.indicators.roster): started / ended within the span,
    started_before / ended_before (between the same span last year and this one). Months before
    the first unit's ``active_from`` (no reporting existed yet) do not count as a change."""
    since = min((u.active_from for u in catalog.units), default=span.first)
    compare = [p for p in span.same_span_last_year().periods if p >= since]
    first, last = (compare or list(span.periods))[0], span.last
    span_end = number_style.fmt_span_end(span)
    out = []
    for unit in catalog.units:
        if first < unit.active_from <= last:
            key = "started" if unit.active_from > span.first else "started_before"
            out.append(fill(templates[key], unit=unit.name, first=number_style.fmt_year_month(unit.active_from)))
        if unit.active_to is not None and first <= unit.active_to < last:
            key = "ended" if unit.active_to >= span.first else "ended_before"
            out.append(fill(templates[key], unit=unit.name, last=number_style.fmt_year_month(unit.active_to),
                            span_end=span_end))
    return out


def table_notes(catalog: Catalog, wording: dict, span: Span, fields: dict, columns: list[str]) -> list[str]:
    """The notes under the indicators table, numbered: sources, the change column's units (when
    shown), roster changes."""
    cfg = wording["attachments"]["indicators"]
    notes = [fill(n, **fields) for n in cfg.get("notes", [])]
    if "change" in columns and cfg.get("change_note"):
        notes.append(fill(cfg["change_note"], **fields))
    notes += roster_notes(catalog, cfg["roster"], span)
    if not notes:
        return []
    lead = cfg.get("notes_lead", "")
    if len(notes) == 1:
        return [lead + notes[0]]
    return [f"{lead if i == 1 else ''}{i}.{note}" for i, note in enumerate(notes, start=1)]


# --------------------------------------------------------------------------- the .docx table


def indicator_table(catalog: Catalog, wording: dict, inputs, trace: list[dict]) -> Attachment:
    """The attachment: the main indicators, as an Attachment; every printed figure appended to ``trace``.

    ``inputs`` is the composer's ReportInputs (kind, span, figures, report_date)."""
    cfg = wording["attachments"]["indicators"]
    span, kind = inputs.span, inputs.kind
    fields = span_fields(catalog, span, inputs.report_date)
    rows = indicator_rows(catalog, wording, inputs.figures, span, kind)
    columns = visible_columns(rows)
    cells, group_rows = [], []
    for index, row in enumerate(rows):
        if row.is_category:
            group_rows.append(index)
        else:
            _trace_row(trace, row, columns, f"{phrases.section('words')['indicators_trace']}:{index}", span)
        cells.append([row.text(c) for c in columns])
    notes = table_notes(catalog, wording, span, fields, columns)
    return Attachment(cfg["label"], fill(cfg["title"], **fields), headers(wording, columns, kind, fields),
                      cells, notes, group_rows=group_rows, column_align=[ALIGN[c] for c in columns])


def _trace_row(trace: list[dict], row: TableRow, columns: list[str], where: str, span: Span) -> None:
    for column in columns:
        figure = row.figures.get(column)
        if figure is None or figure.value is None or not re.search(r"\d", figure.text):
            continue       # no figure, or none printed ("持平")
        entry = {"text": figure.text, "where": where, "indicator": row.code, "measure": figure.measure,
                 "value": figure.traced, "span": [span.first, span.last], "aggregation": row.aggregation}
        if figure.basis is not None:
            entry["from"] = list(figure.basis)
        trace.append(entry)


def reporting_table(catalog: Catalog, wording: dict, span: Span, reporting: pd.DataFrame,
                    trace: list[dict] | None = None) -> Attachment:
    """Each unit's reporting punctuality over the span (aggregate.completeness_summary rows): for
    the admins' status page and the internal monthly circular, not for the summaries."""
    cfg = wording["attachments"]["reporting"]
    fields = span_fields(catalog, span)
    measures = ("months_expected", "on_time", "late", "missing", "rejected")
    rows = []
    for row in reporting.itertuples(index=False):
        counts = [int(getattr(row, c)) for c in measures]
        if trace is not None:
            for column, count in zip(measures, counts, strict=False):
                trace.append({"text": str(count), "where": "reporting", "unit": row.unit,
                              "measure": column, "value": count, "span": [span.first, span.last],
                              "aggregation": "count"})
        rows.append([row.unit_name, *map(str, counts)])
    return Attachment(cfg["label"], fill(cfg["title"], **fields), [fill(c, **fields) for c in cfg["columns"]],
                      rows, [fill(cfg["note"], **fields)])
