"""A period's submissions as DataFrames that checks run over, one pass each.

- ``values``: long format, one row per (submission, indicator) value sent, plus one row per
  required indicator a submission lacks (``sent`` False, ``raw_value`` null). Per-indicator
  checks (known code, required, numeric, bounds, integer, unique, outlier) are column checks
  here, whatever the number of units.
- ``submissions``: one row per readable submission: the endpoint's unit and period beside the
  payload's own, and the values of the indicators that rules.yaml names, pivoted wide, with
  computed columns that turn each cross-indicator rule into a per-row comparison:
  ``le``: the two indicator columns themselves (right ≥ left);
  ``sum_equals``: ``{rule}__diff`` = |total − Σ parts| (absent parts count 0; NaN when the
  total is absent or any of them is bad, below);
  ``requires``: ``{rule}__when`` / ``{rule}__then`` = 1.0 when the value is > 0 else 0.0
  (absent = 0; NaN when bad), checked as then ≥ when.
  ``{code}__bad`` is True where ``code`` was sent but is not a number, or is required but
  missing: rules skip such values (NUMERIC or REQUIRED already asks for them).
  ``narrative_count`` is how many narrative items the submission carries.
- ``narratives``: one row per narrative item (kind, section, text as sent), the first
  ``max_items`` of each submission only (NARRATIVE_COUNT refuses the rest, whatever their number).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from county_reports.core.catalog import Catalog, Rule
from county_reports.validate import outliers
from county_reports.validate.model import Received
from county_reports.validate.narratives import NarrativeLimits
from county_reports.validate.normalize import as_text, classify, problem_text
from county_reports.validate.options import Options

_SURROGATES = re.compile("[\ud800-\udfff]")


@dataclass
class Batch:
    period: str
    received: list[Received]        # the readable submissions, in the caller's order
    values: pd.DataFrame
    submissions: pd.DataFrame
    narratives: pd.DataFrame
    offsets: np.ndarray             # values rows of submission i are offsets[i]:offsets[i + 1]
    narrative_limits: NarrativeLimits = NarrativeLimits()

    def frames(self) -> dict[str, pd.DataFrame]:
        return {"values": self.values, "submissions": self.submissions,
                "narratives": self.narratives}


def rule_indicators(catalog: Catalog) -> list[str]:
    seen: dict[str, None] = {}
    for rule in catalog.rules:
        seen.update(dict.fromkeys(rule.indicators))
    return list(seen)


def build_batch(received: list[Received], catalog: Catalog, options: Options, period: str,
                history: pd.DataFrame | None = None) -> Batch:
    """Frames for the readable submissions of one period (``payload`` not None)."""
    readable = [r for r in received if r.payload is not None]
    values, offsets = _values(readable, catalog, options)
    flags = outliers.flag(values, history, period, options.outliers, catalog)
    for column in outliers.COLUMNS:
        values[column] = flags[column]
    submissions = _submissions(readable, values, catalog)
    limits = options.narratives
    return Batch(period, readable, values, submissions, _narratives(readable, limits.max_items), offsets,
                 limits)


def value_map(payload: dict[str, Any]) -> dict[str, Any]:
    values = payload.get("values")
    return values if isinstance(values, dict) else {}


def _values(readable: list[Received], catalog: Catalog, options: Options):
    columns = _read_values(readable, catalog, options)
    return _values_frame(readable, columns, catalog)


@dataclass
class _ValueColumns:
    """The values rows of every submission, column by column, before they become a frame."""

    codes: list = field(default_factory=list)
    raws: list = field(default_factory=list)
    numbers: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    required: list = field(default_factory=list)
    counts: list = field(default_factory=list)          # rows per submission
    sent_counts: list = field(default_factory=list)     # of which sent (the rest: missing)

    def add_missing(self, codes: list[str]) -> None:
        """Rows for required indicators a submission lacks."""
        self.codes.extend(codes)
        self.raws.extend([None] * len(codes))
        self.numbers.extend([np.nan] * len(codes))
        self.problems.extend([None] * len(codes))
        self.required.extend([True] * len(codes))


def _read_values(readable: list[Received], catalog: Catalog, options: Options) -> _ValueColumns:
    """Every value sent, read as a number or with the problem that stops it; then the required
    indicators each submission lacks."""
    by_code = catalog.indicator_by_code
    uoms = frozenset(i.uom for i in catalog.indicators)
    required_codes = _required_codes(catalog)
    out = _ValueColumns()
    codes, raws, numbers, problems, required = out.codes, out.raws, out.numbers, out.problems, out.required
    problem_cache: dict[tuple, str] = {}
    known = frozenset(by_code)
    for rec in readable:
        values = value_map(rec.payload)
        must = required_codes(rec.unit)
        must_set = set(must)
        if _plain_numbers(values, known):
            # The whole submission on the fast path below, a column at a time: the same rows.
            raw_numbers = list(values.values())
            codes.extend(values)
            raws.extend(map(repr, raw_numbers))
            numbers.extend(map(float, raw_numbers))
            problems.extend([None] * len(raw_numbers))
            required.extend([code in must_set for code in values])
        else:
            _read_each(values, must_set, by_code, uoms, options, problem_cache, out)
        missing = [c for c in must if c not in values]
        out.add_missing(missing)
        out.counts.append(len(values) + len(missing))
        out.sent_counts.append(len(values))
    return out


_NUMBER_TYPES = frozenset((int, float))


def _plain_numbers(values: dict, known: frozenset) -> bool:
    """Every value a finite JSON number within ±1e300 of a known indicator (so each one would take
    ``_read_each``'s fast path): checked with a few C-level passes, not a Python step per value."""
    if not values or not known.issuperset(values) or not _NUMBER_TYPES.issuperset(map(type, values.values())):
        return False
    numbers = values.values()
    try:              # NaN or ±inf anywhere: the sum is not finite; a huge int: OverflowError
        return math.isfinite(sum(numbers)) and min(numbers) > -1e300 and max(numbers) < 1e300
    except OverflowError:
        return False


def _read_each(values: dict, must_set: set, by_code: dict, uoms: frozenset, options: Options,
               problem_cache: dict, out: _ValueColumns) -> None:
    """One submission's values one by one (some are not plain numbers of known indicators)."""
    codes, raws, numbers, problems, required = out.codes, out.raws, out.numbers, out.problems, out.required
    isfinite = math.isfinite
    for code, raw in values.items():
        code = code if type(code) is str else str(code)
        indicator = by_code.get(code)
        kind = type(raw)
        # Fast path for the common case: a plain finite JSON number of a known indicator.
        if (kind is float or kind is int) and indicator is not None and \
                (kind is int or isfinite(raw)) and -1e300 < raw < 1e300:
            numbers.append(float(raw))
            raws.append(repr(raw))
            problems.append(None)
        else:
            number, raw_text, problem = _read_irregular(raw, indicator, uoms, options, problem_cache)
            numbers.append(number)
            raws.append(raw_text)
            problems.append(problem)
        codes.append(code)
        required.append(code in must_set)


def _required_codes(catalog: Catalog):
    """unit code → the indicator codes its kind must report ([] for a unit the catalogue lacks),
    computed once per kind."""
    by_kind: dict[str, list[str]] = {}

    def of(unit_code: str) -> list[str]:
        unit = catalog.unit_by_code.get(unit_code)
        if unit is None:
            return []
        if unit.kind not in by_kind:
            by_kind[unit.kind] = [i.code for i in catalog.required_indicators(unit.kind)]
        return by_kind[unit.kind]

    return of


def _read_irregular(raw: Any, indicator, uoms: frozenset, options: Options,
                    problem_cache: dict[tuple, str]) -> tuple[float, str | None, str | None]:
    """A value off the fast path: (number or NaN, the text as sent, the problem's message or None).
    An unknown indicator's value is NaN with no numeric problem (KNOWN says what is wrong)."""
    number, key, details = classify(raw, indicator.uom if indicator else None, uoms)
    text = None
    if key is not None and indicator is not None:
        cache_key = (key, tuple(sorted(details.items())))
        text = problem_cache.get(cache_key)
        if text is None:
            text = problem_cache[cache_key] = problem_text(key, details, options)
    return (number if indicator is not None and number is not None else np.nan), as_text(raw), text


def _values_frame(readable: list[Received], columns: _ValueColumns, catalog: Catalog):
    """The values frame (with each indicator's bounds and kind) and each submission's row offsets."""
    counts_a = np.asarray(columns.counts, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts_a)]).astype(np.int64)
    sub = np.repeat(np.arange(len(readable), dtype=np.int64), counts_a)
    position = np.arange(len(sub), dtype=np.int64) - offsets[:-1][sub] if len(sub) else sub
    frame = pd.DataFrame({
        "sub": sub,
        "unit": np.asarray([r.unit for r in readable] or [""], dtype=object)[sub],
        "period": np.asarray([r.period for r in readable] or [""], dtype=object)[sub],
        "indicator": pd.Series(columns.codes, dtype=object),
        "raw_value": pd.Series(columns.raws, dtype=object),
        "value": np.array(columns.numbers, dtype=float),
        "numeric_problem": pd.Series(columns.problems, dtype=object),
        "sent": position < np.asarray(columns.sent_counts or [0], dtype=np.int64)[sub],
        "required": np.array(columns.required, dtype=bool),
    })
    frame["known"] = frame["indicator"].isin(catalog.indicator_by_code)
    frame["min"] = frame["indicator"].map({i.code: i.min for i in catalog.indicators}).astype(float)
    frame["max"] = frame["indicator"].map({i.code: i.max for i in catalog.indicators}).astype(float)
    frame["integer"] = frame["indicator"].map({i.code: i.integer for i in catalog.indicators}) \
        .fillna(False).astype(bool)
    # Few distinct values each: categoricals make null tests, lookups and hashing cheap.
    for column in ("unit", "period", "indicator", "numeric_problem"):
        frame[column] = frame[column].astype("category")
    return frame, offsets


def _submissions(readable: list[Received], values: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    frame = pd.DataFrame({
        "sub": np.arange(len(readable), dtype=np.int64),
        "unit": pd.Series([r.unit for r in readable], dtype=object),
        "period": pd.Series([r.period for r in readable], dtype=object),
        "payload_unit": pd.Series([_field(r.payload, "unit") for r in readable], dtype=object),
        "payload_period": pd.Series([_field(r.payload, "period") for r in readable], dtype=object),
        "narrative_count": np.asarray([len(_items(r.payload)) for r in readable], dtype=np.int64),
    })
    kinds = {u.code: u.kind for u in catalog.units}
    frame["unit_kind"] = pd.Series([kinds.get(r.unit) for r in readable], dtype=object)
    codes = rule_indicators(catalog)
    if not codes:
        return frame
    mine = values[values["known"] & values["indicator"].isin(codes)]
    wide = mine.pivot(index="sub", columns="indicator", values="value")
    # "bad": sent but not a number, or required but missing — the unit must fix that value
    # first (NUMERIC / REQUIRED say so), and a rule over it would only add a confusing message.
    bad = mine.assign(bad=mine["numeric_problem"].notna() | ~mine["sent"]) \
        .pivot(index="sub", columns="indicator", values="bad")
    wide = wide.reindex(index=frame["sub"], columns=codes)
    bad = bad.reindex(index=frame["sub"], columns=codes).fillna(False).astype(bool)
    columns: dict[str, Any] = {}
    for code in codes:
        columns[code] = wide[code].to_numpy(dtype=float)
        columns[f"{code}__bad"] = bad[code].to_numpy(dtype=bool)
    for rule in catalog.rules:
        columns.update(_rule_columns(rule, wide, bad))
    return pd.concat([frame, pd.DataFrame(columns, index=frame.index)], axis=1)


def _rule_columns(rule: Rule, wide: pd.DataFrame, bad: pd.DataFrame) -> dict[str, np.ndarray]:
    p = rule.params
    if rule.check == "sum_equals":
        parts = np.zeros(len(wide))
        for code in p["parts"]:
            parts = parts + wide[code].fillna(0.0).to_numpy(dtype=float)
        # Rounded so that 0.1 + 0.2 against 0.3 passes a tolerance of 0.
        diff = np.round(np.abs(wide[p["total"]].to_numpy(dtype=float) - parts), 9)
        any_bad = bad[[p["total"], *p["parts"]]].any(axis=1).to_numpy()
        return {f"{rule.code}__diff": np.where(any_bad, np.nan, diff)}
    if rule.check == "requires":
        out = {}
        for role in ("when", "then"):
            v = wide[p[role]].to_numpy(dtype=float)
            flag = np.where(np.nan_to_num(v, nan=0.0) > 0, 1.0, 0.0)
            out[f"{rule.code}__{role}"] = np.where(bad[p[role]].to_numpy(), np.nan, flag)
        return out
    return {}


def _field(payload: dict[str, Any], name: str) -> str | None:
    value = payload.get(name)
    return None if value is None else as_text(value)


def _items(payload: dict[str, Any]) -> list:
    items = payload.get("narratives")
    return items if isinstance(items, list) else []


def _narratives(readable: list[Received], max_items: int) -> pd.DataFrame:
    rows = []
    for s, rec in enumerate(readable):
        for i, item in enumerate(_items(rec.payload)[:max_items], start=1):
            item = item if isinstance(item, dict) else {}
            text = item.get("text")
            # The text as sent (not stripped): a control character at either end counts too.
            rows.append((s, rec.unit, rec.period, i, _encodable(_text(item.get("kind"))),
                         _encodable(_text(item.get("section"))),
                         _encodable(text if isinstance(text, str) else _text(text))))
    return pd.DataFrame(rows, columns=["sub", "unit", "period", "index", "kind", "section", "text"]) \
        .astype({"sub": np.int64, "index": np.int64, "unit": object, "period": object, "kind": object,
                 "section": object, "text": object})


def _encodable(text: str) -> str:
    """A lone surrogate (JSON's "\\ud800") as U+FFFF: GX hashes the frame as UTF-8, which has no
    surrogates; U+FFFF is as unprintable, so NARRATIVE_TEXT still refuses the item."""
    return _SURROGATES.sub("\uffff", text)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else as_text(value)
