"""County figures for a span, year-on-year, target completion, half the time / half the task,
monthly series."""
from __future__ import annotations

import pandas as pd

from county_reports.aggregate.indicator import (Aggregate, Expectation, SpanData, aggregate_all,
                                           aggregate_one, find_item, make_frame, prepare_values, tidy)
from county_reports.aggregate.span import Span
from county_reports.core.catalog import Catalog, DerivedIndicator, Indicator

FIGURE_COLUMNS = (
    "code", "name", "uom", "section", "section_name", "kind", "nature", "aggregation", "over_units",
    "decimals", "value", "last_year_value", "yoy_pct", "yoy_change", "yoy_note", "target",
    "target_basis", "completion_pct", "half_done", "units_expected", "units_reported",
    "missing_units", "stale_units", "last_year_missing_units",
)
# Columns where "no figure" is None (object dtype), never NaN and never 0.
_OPTIONAL = ("value", "last_year_value", "yoy_pct", "yoy_change", "yoy_note", "target",
             "target_basis", "completion_pct", "half_done", "over_units")
_TOLERANCE = 1e-9


def yoy(value: float | None, base: float | None) -> tuple[float | None, float | None, str | None]:
    """(yoy_pct, yoy_change, yoy_note). No base → (None, None, 'no_base'); zero base →
    pct None, note 'zero_base'; no current figure → (None, None, 'no_value')."""
    if base is None:
        return None, None, "no_base"
    if value is None:
        return None, None, "no_value"
    change = tidy(value - base)
    if base == 0:
        return None, change, "zero_base"
    return tidy((value - base) / abs(base) * 100), change, None


def _is_flow_sum(item: Indicator | DerivedIndicator) -> bool:
    return (isinstance(item, Indicator) and item.nature == "flow" and item.over_time == "sum"
            and item.over_units == "sum")


def _row(catalog: Catalog, item: Indicator | DerivedIndicator, span: Span, now: Aggregate,
         before: Aggregate) -> dict:
    derived = isinstance(item, DerivedIndicator)
    pct, change, note = yoy(now.value, before.value)
    target = catalog.targets.get(span.year, {}).get(item.code)
    basis = None if target is None else ("cumulative" if _is_flow_sum(item) else "level")
    completion = None
    if target and now.value is not None:
        completion = tidy(now.value / target * 100)
    half_done = None
    if span.is_half_year and basis == "cumulative" and target:
        half_done = completion is not None and completion >= 50 - _TOLERANCE
    return {
        "code": item.code, "name": item.name, "uom": item.uom, "section": item.section,
        "section_name": catalog.section_by_code[item.section].name,
        "kind": "derived" if derived else "indicator",
        "nature": "derived" if derived else item.nature,
        "aggregation": "formula" if derived else item.over_time,
        "over_units": None if derived else item.over_units,
        "decimals": item.decimals, "value": now.value, "last_year_value": before.value,
        "yoy_pct": pct, "yoy_change": change, "yoy_note": note,
        "target": target, "target_basis": basis, "completion_pct": completion,
        "half_done": half_done, "units_expected": len(now.expected),
        "units_reported": len(now.contributors), "missing_units": list(now.missing),
        "stale_units": list(now.stale), "last_year_missing_units": list(before.missing),
    }


def county_figures(catalog: Catalog, values: pd.DataFrame, span: Span, *,
                   completeness: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per catalogue indicator, then per derived indicator, in catalogue order.

    Columns: see ``FIGURE_COLUMNS`` and the package docstring. ``frame.attrs['span']`` is ``span``.
    """
    frame = prepare_values(values)
    expectation = Expectation(catalog, completeness)
    previous = span.same_span_last_year()
    now = aggregate_all(catalog, SpanData(frame, span), expectation)
    before = aggregate_all(catalog, SpanData(frame, previous), expectation)
    items = list(catalog.indicators) + list(catalog.derived)
    rows = [_row(catalog, item, span, now[item.code], before[item.code]) for item in items]
    out = make_frame(rows, FIGURE_COLUMNS, _OPTIONAL)
    out.attrs["span"] = span
    return out


def time_half_task_half(figures: pd.DataFrame) -> tuple[bool, list[str]]:
    """Half the time, half the task, for a half-year's figures: (all half done, lagging
    indicator codes).

    Considered: indicators with an annual target and a flow ``sum`` aggregation (``half_done``
    set). An indicator with no figure at all counts as lagging: it cannot be shown to be half
    done. Lagging codes come in figures order. Raises ValueError for figures of another span.
    """
    span = figures.attrs.get("span")
    if span is not None and not span.is_half_year:
        raise ValueError(f"half the time, half the task is checked on the half-year's figures, "
                         f"not {span}")
    eligible = figures[figures["half_done"].map(lambda v: v is not None and not pd.isna(v))]
    if eligible.empty:
        raise ValueError("no indicator with an annual target and a half-year figure to check")
    lagging = [str(code) for code, done in zip(eligible["code"], eligible["half_done"], strict=False) if not done]
    return not lagging, lagging


SERIES_COLUMNS = ("period", "month", "value", "to_date", "last_year_value", "yoy_pct", "yoy_note",
                  "units_reported", "missing_units")


def monthly_series(catalog: Catalog, values: pd.DataFrame, span: Span, indicator: str, *,
                   completeness: pd.DataFrame | None = None) -> pd.DataFrame:
    """The county value of one indicator (or derived indicator) month by month over ``span``.

    value: the single-month county figure (same rules as :func:`county_figures` for a one-month
    span; None when nobody reported). to_date: the figure from the span's first month through
    this month (running total for sums, level for 'last', ratio of running sums for derived).
    last_year_value / yoy_pct / yoy_note: the same month a year before.
    """
    item = find_item(catalog, indicator)
    frame = prepare_values(values)
    codes = [item.code] if isinstance(item, Indicator) else list(item.inputs)
    frame = frame[frame["indicator"].isin(codes)]
    expectation = Expectation(catalog, completeness)
    rows = []
    for month in range(span.first_month, span.last_month + 1):
        single = Span(span.year, month, month)
        now = aggregate_one(catalog, item, SpanData(frame, single), expectation)
        before = aggregate_one(catalog, item, SpanData(frame, single.same_span_last_year()),
                               expectation)
        to_date = aggregate_one(catalog, item, SpanData(frame, Span(span.year, span.first_month, month)),
                                expectation)
        pct, _change, note = yoy(now.value, before.value)
        rows.append({"period": single.first, "month": month, "value": now.value,
                     "to_date": to_date.value, "last_year_value": before.value, "yoy_pct": pct,
                     "yoy_note": note, "units_reported": len(now.contributors),
                     "missing_units": list(now.missing)})
    return make_frame(rows, SERIES_COLUMNS, ("value", "to_date", "last_year_value", "yoy_pct", "yoy_note"))
