"""Per-unit figures: one indicator's breakdown by unit, and a units × indicators table for the
appendix."""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Sequence

import numpy as np
import pandas as pd

from county_reports.core import formulas as formula
from county_reports.aggregate.indicator import (Expectation, SpanData, active_at, aggregate_one,
                                           find_item, make_frame, prepare_values, tidy,
                                           unit_sort_key)
from county_reports.aggregate.span import Span
from county_reports.core.catalog import Catalog, Indicator

BREAKDOWN_COLUMNS = ("unit", "unit_name", "value", "share_pct", "rank", "months_expected",
                     "months_reported", "missing_periods", "as_of", "note")
TOTAL_UNIT = "TOTAL"


def _rank(values: dict[str, float | None]) -> dict[str, int | None]:
    """1 = largest; equal values share a rank (1, 2, 2, 4); units without a value get None."""
    present = {u: v for u, v in values.items() if v is not None}
    ranks = pd.Series(present, dtype=float).rank(method="min", ascending=False)
    return {u: (int(ranks[u]) if u in present else None) for u in values}


def unit_breakdown(catalog: Catalog, values: pd.DataFrame, span: Span, indicator_code: str, *,
                   completeness: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per unit expected to report the indicator in the span or that reported it.

    value: the unit's months combined by the indicator's ``over_time`` (sum, last, max, mean);
    for a derived indicator, its formula on the unit's own combined inputs. share_pct: the
    unit's part of the county total, only where parts add up (``over_units`` sum with
    ``over_time`` sum or last; otherwise None). rank: 1 = largest, ties share a rank, None
    without a value. missing_periods: expected months with no value. as_of: latest month with
    a value. note: 'inactive' ('last' indicator, unit closed before the span's end, so no
    value), 'missing' (nothing in the span), 'stale' ('last' value from before the span's end),
    'partial' (some expected months missing), else None. Sorted by rank, then registry order.
    """
    return _breakdown(catalog, find_item(catalog, indicator_code), span,
                      SpanData(prepare_values(values), span), Expectation(catalog, completeness))


@dataclass
class _Coverage:
    """Which months each unit owed and sent for an indicator's inputs, and its values by input."""
    expected_for: dict[str, dict[str, set[str]]]     # input code → unit → months it owed
    expected: dict[str, set[str]] = field(default_factory=dict)   # unit → months owed (any input)
    reported: dict[str, set[str]] = field(default_factory=dict)   # unit → months sent (any input)
    have: set[tuple[str, str, str]] = field(default_factory=set)  # (input, unit, month) sent
    per_input: dict[str, pd.DataFrame] = field(default_factory=dict)  # input → unit values

    def gaps(self, unit: str) -> list[str]:
        """The months the unit owed for some input and did not send."""
        return sorted({p for code, owed in self.expected_for.items() for p in owed.get(unit, ())
                       if (code, unit, p) not in self.have})


def _coverage(components: list[Indicator], span: Span, data: SpanData,
              expectation: Expectation) -> _Coverage:
    cover = _Coverage({ind.code: expectation.for_kinds(ind.reported_by, span.periods)
                       for ind in components})
    for ind in components:
        for unit, ps in cover.expected_for[ind.code].items():
            cover.expected.setdefault(unit, set()).update(ps)
        cover.per_input[ind.code] = data.unit_values(ind)
        for unit, period in data.have(ind.code):
            cover.reported.setdefault(unit, set()).add(period)
            cover.have.add((ind.code, unit, period))
    return cover


def _unit_row(catalog: Catalog, item, span: Span, cover: _Coverage, unit: str,
              uses_last: bool) -> dict:
    """One unit's value (its inputs combined; a formula on them for a derived indicator),
    the month of its latest value, its missing months and its note."""
    codes = list(cover.per_input)
    per_input = cover.per_input
    parts = {c: (tidy(per_input[c].at[unit, "value"]) if unit in per_input[c].index else None)
             for c in codes}
    value = parts[item.code] if isinstance(item, Indicator) else tidy(
        formula.evaluate(item.formula, parts))
    as_of = max((per_input[c].at[unit, "as_of"] for c in codes if unit in per_input[c].index),
                default=None)
    inactive = uses_last and not active_at(catalog, unit, span.last)
    if inactive:
        value = None
    gaps = cover.gaps(unit)
    note = ("inactive" if inactive else "missing" if unit not in cover.reported
            else "stale" if uses_last and as_of is not None and as_of < span.last
            else "partial" if gaps else None)
    return {"unit": unit, "unit_name": _unit_name(catalog, unit), "value": value,
            "months_expected": len(cover.expected.get(unit, ())),
            "months_reported": len(cover.reported.get(unit, ())), "missing_periods": gaps,
            "as_of": as_of, "note": note}


def _breakdown(catalog: Catalog, item, span: Span, data: SpanData,
               expectation: Expectation) -> pd.DataFrame:
    """unit_breakdown on prepared span data (shared when many indicators are broken down)."""
    codes = [item.code] if isinstance(item, Indicator) else list(item.inputs)
    components = [catalog.indicator_by_code[c] for c in codes]
    cover = _coverage(components, span, data, expectation)
    key = unit_sort_key(catalog)
    units = sorted(set(cover.expected) | set(cover.reported), key=key)
    uses_last = any(ind.over_time == "last" for ind in components)
    rows = [_unit_row(catalog, item, span, cover, unit, uses_last) for unit in units]

    additive = (isinstance(item, Indicator) and item.over_units == "sum"
                and item.over_time in ("sum", "last"))
    value_of = {r["unit"]: r["value"] for r in rows}
    total = sum(v for v in value_of.values() if v is not None)
    ranks = _rank(value_of)
    for row in rows:
        v = row["value"]
        row["share_pct"] = tidy(v / total * 100) if additive and v is not None and total else None
        row["rank"] = ranks[row["unit"]]
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, key(r["unit"])))
    return make_frame(rows, BREAKDOWN_COLUMNS, ("value", "share_pct", "rank", "as_of", "note"))


def _unit_name(catalog: Catalog, unit: str) -> str:
    known = catalog.unit_by_code.get(unit)
    return known.name if known else unit


def unit_ranking(catalog: Catalog, values: pd.DataFrame, span: Span, indicators: Sequence[str], *,
                 completeness: pd.DataFrame | None = None, sort_by: str | None = None,
                 total: bool = True, total_name: str = TOTAL_UNIT) -> pd.DataFrame:
    """A units × indicators table for the appendix: one row per unit, wide.

    Columns: unit, unit_name, then for each code in ``indicators`` (in that order) ``<code>``
    (the unit's value as in :func:`unit_breakdown`, None when it has none) and ``<code>_rank``.
    Rows: every unit appearing in any of the breakdowns, in registry order, or by the rank of
    ``sort_by`` (units without a value last, then registry order). With ``total`` a last row
    unit 'TOTAL', unit_name ``total_name`` (the printed word is the caller's: wording.yaml)
    carries the county figures (ranks None).
    """
    codes = list(indicators)
    if not codes:
        raise ValueError("unit_ranking needs at least one indicator code")
    if sort_by is not None and sort_by not in codes:
        raise ValueError(f"sort_by {sort_by!r} is not one of the table's indicators")
    data = SpanData(prepare_values(values), span)
    expectation = Expectation(catalog, completeness)
    breakdowns = {c: _breakdown(catalog, find_item(catalog, c), span, data, expectation)
                  .set_index("unit") for c in codes}
    key = unit_sort_key(catalog)
    units = sorted({u for b in breakdowns.values() for u in b.index}, key=key)
    if sort_by is not None:
        ranks = breakdowns[sort_by]["rank"]
        units.sort(key=lambda u: (u not in ranks.index or ranks.get(u) is None,
                                  ranks.get(u) or 0, key(u)))
    rows = []
    for unit in units:
        row = {"unit": unit, "unit_name": _unit_name(catalog, unit)}
        for c in codes:
            b = breakdowns[c]
            row[c] = b.at[unit, "value"] if unit in b.index else None
            row[f"{c}_rank"] = b.at[unit, "rank"] if unit in b.index else None
        rows.append(row)
    if total:
        row = {"unit": TOTAL_UNIT, "unit_name": total_name}
        for c in codes:
            row[c] = aggregate_one(catalog, find_item(catalog, c), data, expectation).value
            row[f"{c}_rank"] = None
        rows.append(row)
    columns = ("unit", "unit_name", *[x for c in codes for x in (c, f"{c}_rank")])
    return make_frame(rows, columns, tuple(columns[2:]))


def unit_values_table(catalog: Catalog, values: pd.DataFrame, span: Span) -> pd.DataFrame:
    """Every unit's own figure for every reported indicator over the span, wide: one row per
    unit that reported anything (registry order), one column per indicator code (catalogue
    order); each unit's months combined by the indicator's ``over_time``. One pandas pass —
    for the workbook's per-unit sheet, where ranks and shares are not needed."""
    prepared = prepare_values(values)
    data = SpanData(prepared, span)
    arrays = {ind.code: data.unit_arrays(ind) for ind in catalog.indicators}
    units = sorted({str(u) for a in arrays.values() if a is not None for u in a[0]}, key=unit_sort_key(catalog))
    row_of = {u: i for i, u in enumerate(units)}
    # The unit column's type as the index of the aligned columns had it (int64 when there is no unit).
    table = {"unit": pd.Series(units, dtype=prepared["unit"].dtype if units else "int64"),
             "unit_name": [_unit_name(catalog, u) for u in units]}
    for code, found in arrays.items():
        column = np.full(len(units), np.nan)
        if found is not None:
            column[[row_of[u] for u in found[0]]] = found[1]
        table[code] = column
    return pd.DataFrame(table)

