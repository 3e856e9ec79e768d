"""Input frames and the aggregation of one indicator over one span (see the package docstring)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from county_reports.core import formulas as formula
from county_reports.aggregate.span import Span
from county_reports.core.catalog import Catalog, DerivedIndicator, Indicator, Unit

VALUE_COLUMNS = ("unit", "period", "indicator", "value")
_KEY = ["unit", "period", "indicator"]


# --------------------------------------------------------------------------- input frames


def current_only(frame: pd.DataFrame) -> pd.DataFrame:
    """Only the current version of each (unit, period) submission.

    The warehouse already hands over current versions only; this is the defence against a frame
    that still holds a superseded one. A submission is replaced as a whole, so for each
    (unit, period) the rows of its highest ``version`` are kept (an indicator that the new
    version leaves out is not carried over from the old one). Without a ``version`` column the
    frame is taken as it is. Two values for the same (unit, period, indicator) within one
    version are a data error and raise ValueError. Rows come back sorted by unit, period,
    indicator.
    """
    require_columns(frame, ("unit", "period", "indicator"), "values")
    out = frame
    if "version" in frame.columns and not frame.empty:
        top = frame["version"].groupby(_pair_key(frame["unit"], frame["period"]), sort=False).transform("max")
        out = frame[frame["version"] == top]
    dup = out.duplicated(_KEY, keep=False)
    if dup.any():
        first = out.loc[dup, _KEY].iloc[0]
        raise ValueError(f"values: more than one current value for unit {first['unit']}, "
                         f"period {first['period']}, indicator {first['indicator']}")
    return out.sort_values(_KEY, kind="stable").reset_index(drop=True)


def prepare_values(values: pd.DataFrame) -> pd.DataFrame:
    """unit, period, indicator (text) and value (float) of current versions; empty values dropped."""
    require_columns(values, VALUE_COLUMNS, "values")
    frame = current_only(values)
    out = pd.DataFrame({
        "unit": frame["unit"].astype(str),
        "period": frame["period"].astype(str),
        "indicator": frame["indicator"].astype(str),
        "value": pd.to_numeric(frame["value"], errors="raise").astype(float),
    })
    return out[out["value"].notna()].reset_index(drop=True)


def require_columns(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s): {', '.join(missing)}")


class SpanData:
    """The prepared values of one span, combined per (indicator, unit) and per (indicator, month)
    for every indicator at once (one pandas pass instead of one per indicator). Each indicator's
    rows are kept as slices of plain arrays, so a look-up builds no pandas objects."""

    _EMPTY_UNITS = pd.DataFrame({"value": pd.Series(dtype=float), "as_of": pd.Series(dtype=object),
                                 "months_reported": pd.Series(dtype="int64")})

    def __init__(self, frame: pd.DataFrame, span: Span):
        self.span = span
        inside = frame[frame["period"].isin(span.periods)]
        ordered = inside.sort_values(["indicator", "unit", "period"], kind="stable")
        # Groups keyed by one integer each (sorted codes, so in (indicator, unit) order): pandas
        # builds no MultiIndex of strings, and each group's rows reach the same kernels as before.
        by_unit = ordered.groupby(_pair_key(ordered["indicator"], ordered["unit"]), sort=True)
        value = by_unit["value"]
        firsts = by_unit.head(1)
        self._unit_columns = {"sum": value.sum().to_numpy(), "max": value.max().to_numpy(),
                              "mean": value.mean().to_numpy(), "last": value.last().to_numpy(),
                              "as_of": by_unit["period"].last().to_numpy(),
                              "months_reported": by_unit.size().to_numpy()}
        self._units = firsts["unit"].to_numpy()
        self._unit_rows = _slices(firsts["indicator"])
        by_month = ordered.groupby(_pair_key(ordered["indicator"], ordered["period"]), sort=True)
        month_value = by_month["value"]
        firsts = by_month.head(1).sort_values(["indicator", "period"], kind="stable")
        self._month_columns = {"sum": month_value.sum().to_numpy(), "mean": month_value.mean().to_numpy(),
                               "max": month_value.max().to_numpy()}
        self._months = firsts["period"].to_numpy()
        self._month_rows = _slices(firsts["indicator"])
        self._have: dict[str, set[tuple[str, str]]] = {}
        columns = (ordered[c].to_numpy(dtype=object).tolist() for c in ("indicator", "unit", "period"))
        for code, unit, period in zip(*columns, strict=True):
            self._have.setdefault(code, set()).add((unit, period))

    def have(self, code: str) -> set[tuple[str, str]]:
        """The (unit, period) pairs with a value of the indicator."""
        return self._have.get(code, set())

    def unit_arrays(self, indicator: Indicator) -> tuple | None:
        """(units, values by ``over_time``, as_of) as arrays sorted by unit; None without values."""
        rows = self._unit_rows.get(indicator.code)
        if rows is None:
            return None
        return (self._units[rows], self._unit_columns[indicator.over_time][rows],
                self._unit_columns["as_of"][rows])

    def unit_values(self, indicator: Indicator) -> pd.DataFrame:
        """Per unit, its months combined by the indicator's ``over_time``.

        Index unit (sorted); columns value, as_of (latest month with a value), months_reported.
        """
        rows = self._unit_rows.get(indicator.code)
        if rows is None:
            return self._EMPTY_UNITS
        return pd.DataFrame({"value": self._unit_columns[indicator.over_time][rows],
                             "as_of": self._unit_columns["as_of"][rows],
                             "months_reported": self._unit_columns["months_reported"][rows]},
                            index=pd.Index(self._units[rows], name="unit"))

    def county_monthly(self, indicator: Indicator) -> pd.Series:
        """Per month (sorted), the units' values combined by ``over_units``."""
        rows = self._month_rows.get(indicator.code)
        if rows is None:
            return pd.Series(dtype=float)
        return pd.Series(self._month_columns[indicator.over_units][rows],
                         index=pd.Index(self._months[rows], name="period"))

    def monthly_array(self, indicator: Indicator):
        """The per-month values of :meth:`county_monthly` as an array; None without values."""
        rows = self._month_rows.get(indicator.code)
        return None if rows is None else self._month_columns[indicator.over_units][rows]


def _pair_key(first: pd.Series, second: pd.Series) -> np.ndarray:
    """One int64 per row, ordered as the (first, second) pairs of text are."""
    a_codes, a = pd.factorize(first, sort=True)
    b_codes, b = pd.factorize(second, sort=True)
    return a_codes.astype(np.int64) * max(1, len(b)) + b_codes


def _slices(codes: pd.Series) -> dict[str, slice]:
    """code → the slice of its rows in a sorted column of codes."""
    values = codes.to_numpy()
    if not len(values):
        return {}
    starts = [0, *(int(i) for i in np.flatnonzero(values[1:] != values[:-1]) + 1)]
    ends = [*starts[1:], len(values)]
    return {str(values[a]): slice(a, b) for a, b in zip(starts, ends, strict=True)}


# --------------------------------------------------------------------------- who is expected


class Expectation:
    """Which units are expected to report in a month.

    From the ``completeness`` frame when it lists the month (its rows are the expected
    (unit, period) pairs the warehouse worked out), otherwise from the registry: units active
    in the month. Units unknown to the registry are never expected (their kind is unknown).
    """

    def __init__(self, catalog: Catalog, completeness: pd.DataFrame | None = None):
        self.catalog = catalog
        self._listed: dict[str, tuple[Unit, ...]] = {}
        self._cache: dict[tuple, dict[str, tuple[str, ...]]] = {}
        if completeness is not None:
            require_columns(completeness, ("unit", "period"), "completeness")
            for period, group in completeness.groupby(completeness["period"].astype(str), sort=True):
                codes = set(group["unit"].astype(str))
                self._listed[str(period)] = tuple(u for u in catalog.units if u.code in codes)

    def units(self, period: str) -> tuple[Unit, ...]:
        if period in self._listed:
            return self._listed[period]
        return self.catalog.units_active_in(period)

    def for_kinds(self, kinds: Iterable[str], span_periods: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """unit code → the months of the span it must report an indicator reported by ``kinds``."""
        cache_key = (frozenset(kinds), tuple(span_periods))
        if cache_key not in self._cache:
            out: dict[str, list[str]] = {}
            for period in cache_key[1]:
                for unit in self.units(period):
                    if unit.kind in cache_key[0]:
                        out.setdefault(unit.code, []).append(period)
            self._cache[cache_key] = {code: tuple(ps) for code, ps in out.items()}
        return dict(self._cache[cache_key])


def unit_sort_key(catalog: Catalog):
    """Registry order; units the registry does not know come after, by code."""
    order = {u.code: i for i, u in enumerate(catalog.units)}
    return lambda code: (order.get(code, len(order)), code)


# --------------------------------------------------------------------------- aggregation


@dataclass(frozen=True)
class Aggregate:
    """One indicator over one span: the county value and who is behind it."""

    value: float | None
    expected: Mapping[str, tuple[str, ...]]   # unit → months it had to report
    contributors: tuple[str, ...]             # units whose values are in ``value``
    missing: tuple[str, ...]                  # expected units lacking some expected month
    stale: tuple[str, ...] = ()               # 'last': latest value is from before the span's end


def tidy(value) -> float | None:
    """A float without summation noise (9 decimals), or None for None/NaN."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else round(value, 9) + 0.0


def active_at(catalog: Catalog, unit: str, period: str) -> bool:
    """Whether the unit still exists in the month: not closed before it (``active_to``). Units
    unknown to the registry count as active, and so does a unit whose roster entry starts later
    but has figures for the month (a past year imported from old workbooks)."""
    known = catalog.unit_by_code.get(unit)
    return known is None or known.active_to is None or period <= known.active_to


def aggregate_indicator(catalog: Catalog, indicator: Indicator, data: SpanData,
                        expectation: Expectation) -> Aggregate:
    """The county figure of one submitted indicator over ``data.span``."""
    key = unit_sort_key(catalog)
    span = data.span
    expected = expectation.for_kinds(indicator.reported_by, span.periods)
    have = data.have(indicator.code)
    missing = tuple(sorted((u for u, ps in expected.items() if any((u, p) not in have for p in ps)),
                           key=key))
    if not have:
        return Aggregate(None, expected, (), missing)

    stale: tuple[str, ...] = ()
    if indicator.over_time in ("sum", "last"):
        units, values, as_of = data.unit_arrays(indicator)
        if indicator.over_time == "last":
            # The level at the span's end: units closed before it no longer hold the stock.
            keep = np.array([active_at(catalog, u, span.last) for u in units], dtype=bool)
            units, values, as_of = units[keep], values[keep], as_of[keep]
            stale = tuple(sorted(units[as_of < span.last], key=key))
        contributors = tuple(sorted(units, key=key))
        value = getattr(pd.Series(values), indicator.over_units)() if len(units) else None
    else:
        value = getattr(pd.Series(data.monthly_array(indicator)), indicator.over_time)()
        contributors = tuple(sorted({u for u, _p in have}, key=key))
    return Aggregate(tidy(value), expected, contributors, missing, stale)


def aggregate_derived(catalog: Catalog, derived: DerivedIndicator,
                      inputs: Mapping[str, Aggregate]) -> Aggregate:
    """A derived figure: its formula on the county aggregates of its inputs (ratio of sums)."""
    key = unit_sort_key(catalog)
    used = [inputs[code] for code in formula.names(derived.formula)]
    expected: dict[str, set[str]] = {}
    for agg in used:
        for unit, ps in agg.expected.items():
            expected.setdefault(unit, set()).update(ps)

    def union(attr: str) -> tuple[str, ...]:
        return tuple(sorted({u for agg in used for u in getattr(agg, attr)}, key=key))

    value = formula.evaluate(derived.formula, {c: inputs[c].value for c in formula.names(derived.formula)})
    return Aggregate(tidy(value), {u: tuple(sorted(ps)) for u, ps in expected.items()},
                     union("contributors"), union("missing"), union("stale"))


def aggregate_all(catalog: Catalog, data: SpanData, expectation: Expectation) -> dict[str, Aggregate]:
    """Every catalogue indicator, then every derived one, over ``data.span``."""
    out = {ind.code: aggregate_indicator(catalog, ind, data, expectation) for ind in catalog.indicators}
    for derived in catalog.derived:
        out[derived.code] = aggregate_derived(catalog, derived, out)
    return out


# --------------------------------------------------------------------------- helpers


def make_frame(rows: list[dict], columns: tuple[str, ...], optional: tuple[str, ...]) -> pd.DataFrame:
    """A frame from row dicts; ``optional`` columns (and list columns) keep None as None (object)."""
    data = {}
    for column in columns:
        cells = [row[column] for row in rows]
        data[column] = pd.Series(cells, dtype=object) if column in optional or any(
            isinstance(c, list) for c in cells) else pd.Series(cells)
    return pd.DataFrame(data, columns=list(columns))


def find_item(catalog: Catalog, code: str) -> Indicator | DerivedIndicator:
    """The submitted or derived indicator with this code; KeyError when there is none."""
    if code in catalog.indicator_by_code:
        return catalog.indicator_by_code[code]
    for derived in catalog.derived:
        if derived.code == code:
            return derived
    raise KeyError(f"unknown indicator {code!r}")


def aggregate_one(catalog: Catalog, item: Indicator | DerivedIndicator, data: SpanData,
                  expectation: Expectation) -> Aggregate:
    """One indicator (submitted or derived) over ``data.span``."""
    if isinstance(item, Indicator):
        return aggregate_indicator(catalog, item, data, expectation)
    inputs = {code: aggregate_indicator(catalog, catalog.indicator_by_code[code], data, expectation)
              for code in item.inputs}
    return aggregate_derived(catalog, item, inputs)
