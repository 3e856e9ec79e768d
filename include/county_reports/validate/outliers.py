"""Outlier flags: likely typing slips, as warnings for a follow-up, never a rejection.

Every method and threshold is in ``validation.yaml`` (``outliers:``); the defaults below were
chosen with ``benchmarks/bench_outliers.py`` (slips injected into simulator data). For each
numeric value ``x`` of a known indicator in period ``P``, with ``h`` the unit's own stored values
of that indicator in the ``window`` months before ``P`` (flagged, unconfirmed values are never
part of it: see ``validate.intake.history_rows`` and ``warehouse.history``):

**Statistics** (a slip is multiplicative, so they work on a log scale, where ÷10 is as far as ×10):

1. own history, at least ``min_history`` months: ``z = (log(x + c) − median(log(h + c))) / s``
   with ``s = 1.4826 · MAD of log(h + c)`` kept between ``min_log_spread`` and
   ``max_log_spread``, and ``c`` a fiftieth of the history's typical size, at least one step of
   the last shown decimal (so 0 stays finite, and 0 against 1 is no ×10). The floor
   ``min_log_spread`` means a constant history is judged too: 13 → 130 or 13 → 0 is far from
   13, 13 → 14 is not. Whole-number indicators whose history is small (median below
   ``count_below``) are judged by a count model instead: a negative binomial (Poisson when the
   history is not over-dispersed) with the history's mean (at least ``count_min_rate``) and
   variance; its tail probability is turned into the equivalent normal ``z``, so one threshold
   serves both.
2. a shorter history speaks only past ``short_ratio`` (×/÷) from its median (a unit's first
   months ramp up); with fewer than ``min_history`` months the value is also compared with the
   same month's values of the units of the same kind (at least ``peers_min`` of them), on the
   same log scale, past ``peer_threshold`` — so a new unit is judged from its first month.
3. flagged when ``|z| > threshold`` and the same month last year differs by more than
   ``last_year_factor`` (so a Spring Festival January like last January passes), or, without a
   trusted value for last year's month, when ``|z| > extreme_threshold``.

4. ``panel``: where ``panel_min_units`` or more units report the indicator this month with a
   history, log(v + c) = the unit's level + the month's effect + noise, fitted by median polish
   over the window and this month (a season the units share moves them all, a slip moves one);
   the scale is the unit's own residual spread shrunk towards this month's spread across the
   units (``panel_prior`` months' weight), at least one step of the last shown decimal and
   ``panel_min_spread``. Flagged past ``panel_threshold`` (reason: history).

**Explained slips** (an unusual value, |z| past ``explained_threshold`` under the panel's model
or else the own history's, that a slip undone makes ordinary, |z| within ``fit_threshold``):
``scale`` ×/÷ 10, 100, 10,000 (万元 as 元); ``transposed`` two adjacent digits swapped;
``cumulative`` the year's earlier months taken off; ``copy`` identical to last month.
``neighbour`` asks less of the value, because the coincidence itself is the evidence: identical
to the row above it on the form (the clerk's copy-down) while the two rows were never equal in
the unit's history (``neighbour_min_months`` months of both, so INV_TOTAL = INV_HIGHWAY of a
unit whose only investment is in highways passes), and |z| past ``neighbour_threshold``.

**Explicit edits** (``validate/outlier_edits.py``: what statistics cannot see; always flagged;
each of these and of the statistics can be switched off in ``methods``):

- a stock (``nature: stock``) that moves by more than ``stock_max_change`` of last month's
  level, or drops to 0, or whose change from last month is unlike its usual changes: more than
  ``stock_change_threshold`` times their spread (1.4826 · MAD of the history's month-to-month
  changes, at least one step of the last shown decimal and ``stock_min_spread`` of last month's
  level) from their median, judged once the history has ``stock_min_changes`` changes (120 km
  that drifted by 0.1 km a month and now jumps to 150 is news; to 121.5, not yet);
- a pair of indicators that go together (a ``le`` rule of rules.yaml, or a derived rate
  ``A / B``: hazards fixed and found, cases closed and opened): their log ratio more than
  ``ratio_threshold`` times its spread (as the panel's, at least ``ratio_min_spread``) from the
  unit's usual ratio, judged with ``ratio_min_months`` months of both; the member further from
  its own expectation is flagged (reason ``ratio``);
- a flow identical to last month and not 0: in a submission with ``stale_copy_min`` or more
  such values of at least ``stale_min_steps`` steps (a stale copy: all of them flagged), or one
  alone of at least ``copy_min_steps`` steps — a value's steps are the value counted in its
  last shown decimal (0.2 km is 2 steps: the same twice running is no news; 1234.56 万元 is
  123,456);
- a flow larger than the year's earlier months together and than ``cumulative_factor`` × the
  history's median, from month ``cumulative_from_month`` on (a year-to-date figure sent as
  the month);
- a negative value where every stored value was 0 or more (a sign flipped).

Every row also gets ``effect``: ``|x − expected| / county total`` (expected = the history's
median; the total = the indicator's expected values summed over the batch), the selective-editing
score a warning is ranked by. History comes in as a DataFrame (unit, period, indicator, value)
from the caller — validation never reads the warehouse itself.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from county_reports.core import periods
from county_reports.validate import outlier_arrays, outlier_edits
from county_reports.validate.outlier_arrays import Rows
from county_reports.validate.options import OUTLIER_REASONS, OutlierSettings

COLUMNS = ("outlier", "robust_z", "hist_median", "last_year", "last_month", "outlier_reason", "effect")
# Why a row was flagged (``outlier_reason``); the wording is validation.yaml's OUTLIER.reasons.
REASONS = OUTLIER_REASONS
# Facts first (a stock at 0, last month's figures again, a flipped sign), then the statistics, and
# "a year-to-date figure" last: a guess, when nothing else explains the value.
PRECEDENCE = ("stock", "stale_copy", "copy", "sign", "history", "peers", "scale", "transposed", "neighbour",
              "ratio", "cumulative")
Z_CAP = 40.0                # a z beyond this says nothing more (and stays finite)


def flag(values: pd.DataFrame, history: pd.DataFrame | None, period: str,
         settings: OutlierSettings, catalog=None) -> pd.DataFrame:
    """Outlier columns for the rows of ``values`` (columns unit, indicator, value), same index.
    ``catalog`` tells stocks from flows, whole numbers and units' kinds; without it every value
    is a flow, whole numbers come from an ``integer`` column when there is one, and no peers."""
    out = pd.DataFrame({"outlier": np.zeros(len(values), dtype=bool), "robust_z": np.nan,
                        "hist_median": np.nan, "last_year": np.nan, "last_month": np.nan,
                        "outlier_reason": None,
                        "effect": np.nan}, index=values.index)
    if values.empty:
        return out
    window = [periods.shift(period, -k) for k in range(settings.window, 0, -1)]   # oldest first
    rows = _rows(values, history, window, catalog)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)   # all-NaN rows are masked where used
        count = np.sum(np.isfinite(rows.h), axis=1)
        ordered = np.sort(rows.h, axis=1)                 # NaN last; sorted once, read many times
        median = outlier_arrays.middle(ordered, count)
        c = outlier_arrays.log_offset(rows.h, rows.x, rows.decimals, median)
        z, raw, centre, spread = _own_z(rows, count, ordered, median, c, settings)
        z = np.where(count > 0, z, np.nan)
        expected, scale = _panel(rows, c, count, settings) if "panel" in settings.methods \
            else (np.full(len(rows.x), np.nan), np.full(len(rows.x), np.nan))
        panel_z = (outlier_arrays.log_scale(rows.x, c) - expected) / scale
        peers = np.where(count < settings.min_history, _peer_z(rows, settings), np.nan) \
            if "peers" in settings.methods else np.full(len(rows.x), np.nan)
        ly = rows.h[:, window.index(periods.shift(period, -12))]
        own, other = _gated(rows.x, z, ly, median, settings), np.abs(peers) > settings.peer_threshold
        own |= np.abs(panel_z) > settings.panel_threshold
        # The model a slip's explanation is judged by: the panel's where there is one, else the own history's.
        model = np.isfinite(panel_z)
        fit = _Fit(c, np.where(model, expected, centre), np.where(model, scale, spread),
                   np.where(model, panel_z, np.where(count >= settings.min_history, raw, np.nan)))
        found = dict(outlier_edits.edits(rows, period, settings, count, median))
        if "ratio" in settings.methods and catalog is not None:
            found["ratio"] = outlier_edits.ratio(rows, values, outlier_edits.ratio_pairs(catalog), c,
                                                 np.where(model, panel_z, raw), settings)
        for name, hit in _explained(rows, period, settings, fit):
            found[name] = found[name] | hit if name in found else hit
        found["history"], found["peers"] = own, other
        reason = _reason(found, settings)
        out["outlier"] = np.asarray(reason != None, dtype=bool)      # noqa: E711
        best = np.where(np.abs(np.nan_to_num(panel_z)) > np.nan_to_num(np.abs(z)), panel_z, z)
        out["robust_z"] = np.clip(np.where(np.abs(peers) > np.nan_to_num(np.abs(best)), peers, best), -Z_CAP, Z_CAP)
        out["hist_median"] = median
        out["last_year"] = ly
        out["last_month"] = rows.h[:, -1]
        out["outlier_reason"] = reason
        out["effect"] = _effect(rows, median)
    return out


def _rows(values: pd.DataFrame, history: pd.DataFrame | None, window: list[str], catalog) -> Rows:
    x = pd.to_numeric(values["value"], errors="coerce").to_numpy(dtype=float)
    unit, units = outlier_arrays.codes(values["unit"])
    indicator, codes = outlier_arrays.codes(values["indicator"])
    h = outlier_arrays.gather(unit, units, indicator, codes, history, window, x)
    if catalog is None:
        integer = values["integer"].to_numpy(dtype=bool) if "integer" in values else np.zeros(len(x), bool)
        return Rows(x, h, integer, np.where(integer, 0, 2), np.zeros(len(x), bool),
                     np.full(len(x), -1), unit, indicator, np.arange(len(x)))
    # The catalogue's facts once per distinct code, then taken by each row's code.
    known_ind = [catalog.indicator_by_code.get(c) for c in codes]
    integer = np.asarray([i is not None and i.integer for i in known_ind], dtype=bool)[indicator]
    stock = np.asarray([i is not None and i.nature == "stock" for i in known_ind], dtype=bool)[indicator]
    decimals = np.asarray([2.0 if i is None else 0.0 if i.integer else float(i.decimals) for i in known_ind],
                          dtype=float)[indicator]
    kinds = {u.code: u.kind for u in catalog.units}
    kind_of = np.asarray([kinds.get(u) for u in units], dtype=object)
    kind_code = pd.factorize(kind_of, use_na_sentinel=True)[0]          # −1: a unit not in the roster
    known = np.asarray([i is not None for i in known_ind], dtype=bool)
    pairs = kind_code[unit] * (len(codes) + 1) + indicator
    group = np.where(known[indicator] & (kind_code[unit] >= 0), pairs, -1)
    place = {i.code: n for n, i in enumerate(catalog.indicators)}
    position = np.asarray([place.get(c, len(place)) for c in codes], dtype=np.int64)[indicator]
    return Rows(x, h, integer, decimals, stock, group, unit, indicator, position)








def _own_z(rows: Rows, count: np.ndarray, ordered: np.ndarray, median: np.ndarray, c: np.ndarray,
           s: OutlierSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Against the unit's own history: log-scale modified z, or the count model's z. A history
    shorter than ``min_history`` only speaks past ``short_ratio`` (×/÷) from its median, as a z
    just past the extreme threshold (a unit's first months ramp up). Also the log-scale z before
    ``methods`` are applied, and the log-scale centre and (clipped) spread it was measured with."""
    logs = outlier_arrays.log_scale(rows.h, c[:, None])
    # log(max(v, 0) + c) keeps the order, so the sorted history gives the logs' median as well.
    centre = outlier_arrays.middle(outlier_arrays.log_scale(ordered, c[:, None]), count)
    spread = 1.4826 * outlier_arrays.median(np.abs(logs - centre[:, None]))
    distance = outlier_arrays.log_scale(rows.x, c) - centre
    spread = np.clip(spread, s.min_log_spread, s.max_log_spread)
    z = distance / spread
    short = count < s.min_history
    z[short] = distance[short] / np.log(s.short_ratio) * s.extreme_threshold
    raw = z.copy()                   # what an explanation is judged by, whatever ``methods`` say
    if "history" not in s.methods:
        z[:] = np.nan
    counted = ("count" in s.methods) & ~short & rows.integer & (median < s.count_below) \
        & np.isfinite(rows.x)
    if counted.any():
        z[counted] = _count_z(rows.x[counted], rows.h[counted], s)
    return z, raw, centre, spread


def _count_z(x: np.ndarray, h: np.ndarray, s: OutlierSettings) -> np.ndarray:
    """Small counts: the tail probability of ``x`` under a negative binomial (Poisson when the
    history is not over-dispersed), as the normal z with the same tail. The tails through the
    incomplete gamma and beta functions (scipy.special: a light import, no scipy.stats)."""
    from scipy import special

    rate = np.maximum(np.nanmean(h, axis=1), s.count_min_rate)
    n = np.sum(np.isfinite(h), axis=1)
    variance = np.where(n > 1, np.nanvar(h, axis=1, ddof=1), rate)
    over = variance > rate * 1.05
    k = np.round(np.maximum(x, 0.0))
    at_least = np.maximum(k, 1.0)                                  # P(X ≥ 0) = 1 below
    upper = np.where(k > 0, special.gammainc(at_least, rate), 1.0)  # Poisson P(X ≥ k)
    lower = special.gammaincc(k + 1, rate)                          # Poisson P(X ≤ k)
    if over.any():
        p = rate[over] / variance[over]
        r = rate[over] * p / (1 - p)
        upper[over] = np.where(k[over] > 0, special.betaincc(r, at_least[over], p), 1.0)
        lower[over] = special.betainc(r, k[over] + 1, p)
    z = np.where(k > rate, -special.ndtri(np.maximum(upper, 1e-300)),
                 special.ndtri(np.maximum(lower, 1e-300)))
    return np.where(x < 0, -Z_CAP, z)


def _peer_z(rows: Rows, s: OutlierSettings) -> np.ndarray:
    """Against the same month's values of the units of the same kind (the row's own included)."""
    frame = pd.DataFrame({"g": rows.group, "x": np.where(rows.x >= 0, rows.x, np.nan),
                          "step": 10.0 ** -rows.decimals})
    frame = frame[frame["g"] >= 0]
    z = np.full(len(rows.x), np.nan)
    if frame.empty:
        return z
    by = frame.groupby("g")["x"]
    size = by.transform("median").to_numpy()
    c = np.maximum(outlier_arrays.OFFSET_SHARE * np.nan_to_num(size), frame["step"].to_numpy())   # as log_offset
    logs = np.log(frame["x"].to_numpy() + c)
    centre = pd.Series(logs, index=frame.index).groupby(frame["g"]).transform("median").to_numpy()
    spread = 1.4826 * pd.Series(np.abs(logs - centre), index=frame.index) \
        .groupby(frame["g"]).transform("median").to_numpy()
    enough = by.transform("count").to_numpy() >= s.peers_min
    z[frame.index.to_numpy()] = np.where(enough, (logs - centre) / np.maximum(spread, s.min_log_spread),
                                         np.nan)
    return z


def _panel(rows: Rows, c: np.ndarray, count: np.ndarray, s: OutlierSettings) -> tuple[np.ndarray, np.ndarray]:
    """The expected log value of each row and its scale, from the panel of every unit reporting
    the indicator (NaN without one): log(v + c) = the unit's level + the month's effect + noise,
    fitted by median polish over the window and this month (a season the units share moves them
    all; a slip moves one). The scale: the unit's own residuals' spread, shrunk towards this
    month's spread across the units (``panel_prior`` months' weight), with one step of the last
    shown decimal as a floor; at least ``panel_min_spread``."""
    n, width = rows.h.shape
    expected, scale = np.full(n, np.nan), np.full(n, np.nan)
    member = (count > 0) & np.isfinite(rows.x)
    if member.sum() < s.panel_min_units:
        return expected, scale
    logs = outlier_arrays.log_scale(rows.h[member], c[member, None])
    table = np.column_stack([logs, outlier_arrays.log_scale(rows.x[member], c[member])])
    group = rows.indicator[member]
    level = outlier_arrays.median(logs)
    for _ in range(2):                      # median polish: month effects, then unit levels again
        effect = outlier_arrays.group_median(table - level[:, None], group, s.panel_min_units)
        level = outlier_arrays.median(logs - effect[:, :width])
    effect = outlier_arrays.group_median(table - level[:, None], group, s.panel_min_units)
    residual = logs - level[:, None] - effect[:, :width]
    own = 1.4826 * outlier_arrays.median(np.abs(residual))
    months = np.sum(np.isfinite(residual), axis=1)
    now = table[:, width] - level - effect[:, width]
    across = 1.4826 * outlier_arrays.group_median(np.abs(now)[:, None], group, s.panel_min_units)[:, 0]
    weight = np.where(np.isfinite(own), months, 0)
    spread = np.sqrt((weight * np.nan_to_num(own) ** 2 + s.panel_prior * across ** 2) / (weight + s.panel_prior))
    centre = level + effect[:, width]
    step = 10.0 ** -rows.decimals[member]
    spread = np.maximum(np.hypot(spread, step / np.exp(centre)), s.panel_min_spread)
    expected[member], scale[member] = centre, spread
    return expected, scale




@dataclass
class _Fit:
    """The model a value is judged by, on the log scale: log(v + c) ~ centre ± spread."""

    c: np.ndarray
    centre: np.ndarray
    spread: np.ndarray
    z: np.ndarray           # the value's own z under it (NaN: no model)

    def z_of(self, y: np.ndarray) -> np.ndarray:
        return (outlier_arrays.log_scale(y, self.c) - self.centre) / self.spread


def _explained(rows: Rows, period: str, s: OutlierSettings, fit: _Fit):
    """(reason, rows hit) of the slips that explain an unusual value: |z| past
    ``explained_threshold`` and either the value undone by the slip within ``fit_threshold`` of
    what was expected (×/÷ 10, 100, 10,000; two adjacent digits swapped; the year's earlier
    months taken off) or the value identical to last month's; or the value identical to the row
    above's where the two were never equal before (``neighbour``: a weaker |z| suffices)."""
    x = rows.x
    unusual = np.abs(np.nan_to_num(fit.z)) > s.explained_threshold
    fits = np.zeros(len(x), bool)
    if "scale" in s.methods:
        for factor in (10.0, 100.0, 1e4):
            for y in (x * factor, x / factor):
                fits |= np.abs(fit.z_of(y)) < s.fit_threshold
        yield "scale", unusual & fits & (x > 0)
    if "transposed" in s.methods:
        steps = np.round(np.abs(x) * 10.0 ** rows.decimals)
        fits = np.zeros(len(x), bool)
        for i in range(12):
            low, high = np.floor(steps / 10 ** i) % 10, np.floor(steps / 10 ** (i + 1)) % 10
            inside = steps >= 10 ** (i + 1)          # both digits written
            swapped = (steps + (low - high) * 9 * 10 ** i) / 10.0 ** rows.decimals
            fits |= inside & (low != high) & (np.abs(fit.z_of(swapped)) < s.fit_threshold)
        yield "transposed", unusual & fits & (x > 0)
    month = periods.parse(period)[1]
    if "cumulative" in s.methods and month >= 2:
        earlier = rows.h[:, rows.h.shape[1] - (month - 1):]
        complete = np.all(np.isfinite(earlier), axis=1)
        total = np.nansum(earlier, axis=1)
        yield "cumulative", unusual & ~rows.stock & complete & (total > 0) & (x > total) \
            & (np.abs(fit.z_of(x - total)) < s.fit_threshold)
    same = unusual & (x != 0) & ~rows.stock
    if "copy" in s.methods:
        yield "copy", same & (x == rows.h[:, -1])
    if "neighbour" in s.methods:
        yield "neighbour", _copied_down(rows, s) & (np.abs(np.nan_to_num(fit.z)) > s.neighbour_threshold)


def _copied_down(rows: Rows, s: OutlierSettings) -> np.ndarray:
    """Rows equal to the row above on the form (same unit, not 0) where the two rows were never
    equal in the ``neighbour_min_months`` or more months the history has of both."""
    order = np.lexsort((rows.position, rows.unit))
    x, h, unit = rows.x[order], rows.h[order], rows.unit[order]
    apart = h[1:] - h[:-1]
    never = (np.sum(apart == 0, axis=1) == 0) & (np.sum(np.isfinite(apart), axis=1) >= s.neighbour_min_months)
    below = np.zeros(len(x), bool)
    below[1:] = (x[1:] == x[:-1]) & (unit[1:] == unit[:-1]) & (x[1:] != 0) & never
    hit = np.zeros(len(x), bool)
    hit[order] = below
    return hit


def _gated(x, z, ly, median, s: OutlierSettings) -> np.ndarray:
    """|z| past the threshold and unlike last year's month; without that month, past the extreme."""
    c = np.where(np.abs(median) > 0, 0.1 * np.abs(median), 1.0)
    unlike = np.abs(outlier_arrays.log_scale(x, c) - outlier_arrays.log_scale(ly, c)) > np.log(s.last_year_factor)
    unlike |= (x < 0) != (ly < 0)
    return np.where(np.isfinite(ly), (np.abs(z) > s.threshold) & unlike, np.abs(z) > s.extreme_threshold)


def _reason(found: dict[str, np.ndarray], s: OutlierSettings) -> np.ndarray:
    """Each row's reason (None: not flagged): the surest explanation first (``PRECEDENCE``)."""
    reason = np.full(len(found["history"]), None, dtype=object)
    for name in PRECEDENCE:
        if name in found and (name in s.methods or name in ("history", "peers")):
            reason = np.where(found[name] & (reason == None), name, reason)   # noqa: E711
    return reason


def _effect(rows: Rows, median: np.ndarray) -> np.ndarray:
    """|x − expected| / the indicator's expected county total (selective editing)."""
    expected = np.where(np.isfinite(median), median, np.maximum(rows.x, 0.0))
    totals = pd.Series(np.nan_to_num(np.abs(expected))).groupby(rows.indicator).transform("sum").to_numpy()
    return np.where(np.isfinite(median) & (totals > 0), np.abs(rows.x - median) / totals, np.nan)



