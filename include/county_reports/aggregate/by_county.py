"""A city's figures by county: each county's span figure, its share of the city, its rank among
the counties and its completion of its own annual target.

A county here is a unit of a kind that reports county totals (``Catalog.totals_kinds``); the
city's own units count in the city's total (and so in the shares) but are not ranked. The value
is :func:`unit_breakdown`'s — the county's months combined by the indicator's ``over_time`` —
so every figure equals what the warehouse holds for that county. Ranks: 1 = largest, equal
values share a rank, a county without a value has none. ``completion_pct`` is value / the
county's target × 100 (county_targets.yaml); ``behind`` says a cumulative target (a flow summed
over the year) lags the time schedule: under 50% at the half-year, under 100% for the year.
"""
from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from county_reports.aggregate.indicator import find_item, make_frame, tidy
from county_reports.aggregate.span import Span
from county_reports.aggregate.units import _rank, unit_breakdown
from county_reports.core.catalog import Catalog, Indicator
from county_reports.core.county_targets import county_codes

COUNTY_COLUMNS = ("unit", "unit_name", "value", "share_pct", "rank", "target", "completion_pct",
                  "cumulative", "behind")
# completion within this of the schedule is on it (floating noise in sums of decimals)
_TOLERANCE = 1e-9


def county_breakdown(catalog: Catalog, values: pd.DataFrame, span: Span, code: str, *,
                     targets: Mapping[str, Mapping[int, Mapping[str, float]]] | None = None
                     ) -> pd.DataFrame:
    """One row per county (``COUNTY_COLUMNS``), by rank then roster order."""
    item = find_item(catalog, code)
    mine = county_codes(catalog)
    frame = unit_breakdown(catalog, values, span, code)
    found = {r.unit: r for r in frame.itertuples(index=False) if r.unit in mine}
    value_of = {u: (None if u not in found or pd.isna(found[u].value) else float(found[u].value))
                for u in mine}
    ranks = _rank(value_of)
    cumulative = (isinstance(item, Indicator) and item.nature == "flow" and item.over_time == "sum"
                  and item.over_units == "sum")
    schedule = 50.0 if span.is_half_year else 100.0
    rows = []
    for unit in mine:
        value = value_of[unit]
        share = found[unit].share_pct if unit in found else None
        target = ((targets or {}).get(unit) or {}).get(span.year, {}).get(code)
        completion = tidy(value / target * 100) if target and value is not None else None
        behind = bool(cumulative and completion is not None and completion < schedule - _TOLERANCE)
        rows.append({"unit": unit, "unit_name": catalog.unit_by_code[unit].name, "value": value,
                     "share_pct": None if share is None or pd.isna(share) else float(share),
                     "rank": ranks[unit], "target": target, "completion_pct": completion,
                     "cumulative": cumulative, "behind": behind})
    order = {u: i for i, u in enumerate(mine)}
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, order[r["unit"]]))
    return make_frame(rows, COUNTY_COLUMNS, ("value", "share_pct", "rank", "target", "completion_pct"))
