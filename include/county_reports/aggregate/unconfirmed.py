"""Values still unconfirmed in a report's span, with what each does to the county figures: the
data behind the approval request's listing (issue 20 part 3; the admin decides per value: use it
as reported, leave it out, or wait for the unit).

For each flagged, unconfirmed value of the span's current versions (``warehouse.flags``) the
indicator's county figure over the span is aggregated three ways, by the indicator's own rules
(``aggregate.indicator``): as reported (*use*), without the value (*leave out*), and with the
value the check expected in its place. ``effect`` = |as reported − as expected| / |as expected|:
the share of the county figure the slip, if it is one, would move; listed largest first.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from county_reports.aggregate.indicator import (Expectation, SpanData, aggregate_indicator,
                                                prepare_values)
from county_reports.aggregate.span import Span
from county_reports.core.catalog import Catalog


@dataclass(frozen=True)
class UnconfirmedValue:
    unit: str
    period: str
    indicator: str
    value: float               # as reported
    expected: float | None     # what the outlier check expected (the unit's history's median)
    month_effect: float | None  # the warning's stored score on the month's county total
    as_reported: float | None  # the span's county figure using the value
    left_out: float | None     # … leaving it out
    as_expected: float | None  # … with the expected value in its place
    effect: float | None       # |as_reported − as_expected| / |as_expected|


def unconfirmed_in_span(catalog: Catalog, values: pd.DataFrame, flags: pd.DataFrame, span: Span,
                        completeness: pd.DataFrame | None = None) -> list[UnconfirmedValue]:
    """``values``: the span's current values (unit, period, indicator, value); ``flags``:
    ``warehouse.flags.current_flags(…, unconfirmed_only=True)``. Largest effect first."""
    base = prepare_values(values)
    expectation = Expectation(catalog, completeness)
    out = []
    for row in flags[flags["period"].isin(span.periods) & ~flags["confirmed"]].itertuples(index=False):
        indicator = catalog.indicator_by_code.get(row.indicator)
        if indicator is None or pd.isna(row.value):
            continue
        here = (base["unit"] == row.unit) & (base["period"] == row.period) & (base["indicator"] == row.indicator)
        figure = _figure(catalog, indicator, base, span, expectation)
        left_out = _figure(catalog, indicator, base[~here], span, expectation)
        expected = None if pd.isna(row.expected) else float(row.expected)
        as_expected = figure if expected is None else \
            _figure(catalog, indicator, base.assign(value=base["value"].where(~here, expected)), span, expectation)
        out.append(UnconfirmedValue(
            row.unit, row.period, row.indicator, float(row.value), expected,
            None if pd.isna(row.effect) else float(row.effect), figure, left_out, as_expected,
            _share(figure, as_expected) if expected is not None else None))
    return sorted(out, key=lambda u: (-(u.effect if u.effect is not None else -1.0), u.unit, u.period,
                                      u.indicator))


def unconfirmed_for_report(warehouse, catalog: Catalog, span: Span) -> list[UnconfirmedValue]:
    """The same, read from the warehouse (current values and flags of the span's months)."""
    from county_reports.warehouse.flags import current_flags

    values = warehouse.current_values(span.periods)
    flags = current_flags(warehouse.engine, span.periods, unconfirmed_only=True)
    return unconfirmed_in_span(catalog, values, flags, span, warehouse.completeness(catalog, span.periods))


def _figure(catalog: Catalog, indicator, frame: pd.DataFrame, span: Span, expectation: Expectation):
    frame = frame[frame["indicator"] == indicator.code]
    return aggregate_indicator(catalog, indicator, SpanData(frame, span), expectation).value


def _share(figure: float | None, base: float | None) -> float | None:
    if figure is None or base is None:
        return None
    if base == 0:
        return None if figure == 0 else math.inf
    return abs(figure - base) / abs(base)
