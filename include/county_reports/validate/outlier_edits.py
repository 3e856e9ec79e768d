"""The explicit edits of the outlier checks: what statistics cannot see, flagged whatever the
model says (validate/outliers.py has the whole list and validation.yaml every threshold).

- a stock that moves by more than ``stock_max_change`` of last month's level, drops to 0, or
  changes unlike its usual month-to-month changes;
- a flow identical to last month: one of many steps (``copy``), or several in one submission
  (``stale_copy``);
- a flow above the year's earlier months together (``cumulative``);
- a negative value where every stored one was 0 or more (``sign``);
- two indicators that go together whose ratio leaves the unit's usual one (``ratio``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from county_reports.core import formulas, periods
from county_reports.validate import outlier_arrays
from county_reports.validate.options import OutlierSettings
from county_reports.validate.outlier_arrays import Rows


def edits(rows: Rows, period: str, s: OutlierSettings, count: np.ndarray, median: np.ndarray):
    """(reason, rows hit) of each explicit edit (``count``, ``median``: of each row's history)."""
    x, h, flow = rows.x, rows.h, ~rows.stock
    last = h[:, -1]
    moved = np.abs(x - last) > s.stock_max_change * last
    yield "stock", rows.stock & (((last > 0) & ((x == 0) | moved)) | _unusual_change(rows, s))
    # Identical to last month: telling only when the value has many possible neighbours ("steps":
    # the value counted in its last shown decimal), 0.2 km twice running is no news.
    steps = np.abs(x) * 10.0 ** rows.decimals
    same = flow & (x == last) & (x != 0)
    telling = np.bincount(rows.unit, weights=same & (steps >= s.stale_min_steps))[rows.unit]
    yield "stale_copy", same & (telling >= s.stale_copy_min)
    yield "copy", same & (steps >= s.copy_min_steps)
    month = periods.parse(period)[1]
    if month >= s.cumulative_from_month:
        earlier = h[:, h.shape[1] - (month - 1):]
        complete = np.all(np.isfinite(earlier), axis=1)
        total = np.nansum(earlier, axis=1)
        judged = count >= s.min_history   # a unit's first months ramp up
        big = x > s.cumulative_factor * median
        yield "cumulative", flow & complete & judged & (total > 0) & (x > total) & big
    stored = count > 0
    yield "sign", (x < 0) & stored & (np.nanmin(np.where(np.isfinite(h), h, 0.0), axis=1) >= 0)


def _unusual_change(rows: Rows, s: OutlierSettings) -> np.ndarray:
    """A stock whose change from last month is unlike the history's month-to-month changes."""
    h = rows.h[rows.stock]
    hit = np.zeros(len(rows.x), bool)
    if not len(h):
        return hit
    d = np.diff(h, axis=1)
    usual = outlier_arrays.median(d)
    floor = np.fmax(10.0 ** -rows.decimals[rows.stock], s.stock_min_spread * np.abs(h[:, -1]))
    spread = np.fmax(1.4826 * outlier_arrays.median(np.abs(d - usual[:, None])), floor)
    change = rows.x[rows.stock] - h[:, -1] - usual
    judged = np.sum(np.isfinite(d), axis=1) >= s.stock_min_changes
    hit[rows.stock] = judged & (np.abs(np.nan_to_num(change)) > s.stock_change_threshold * spread)
    return hit


def ratio_pairs(catalog) -> tuple[tuple[str, str], ...]:
    """Indicators that go together: each ``le`` rule's two sides and each derived rate ``A / B``."""
    pairs = [(r.params["left"], r.params["right"]) for r in catalog.rules if r.check == "le"]
    pairs += [pair for d in catalog.derived if (pair := formulas.ratio(d.formula))]
    return tuple(dict.fromkeys(pairs))


def ratio(rows: Rows, values: pd.DataFrame, pairs, c: np.ndarray, z: np.ndarray,
          s: OutlierSettings) -> np.ndarray:
    """Rows of a pair whose log ratio is far from the unit's usual ratio; of the two, the one
    further from its own expectation (``z``) is flagged."""
    hit = np.zeros(len(rows.x), bool)
    row_of = pd.Series(np.arange(len(rows.x)), index=pd.MultiIndex.from_arrays(
        [values["unit"].astype(object).to_numpy(), values["indicator"].astype(object).to_numpy()]))
    row_of = row_of[~row_of.index.duplicated()]
    for a, b in pairs:
        mine = row_of[row_of.index.get_level_values(1) == a]
        partner = row_of.reindex(pd.MultiIndex.from_arrays([mine.index.get_level_values(0),
                                                            np.full(len(mine), b, dtype=object)]))
        both = partner.notna().to_numpy()
        ia, ib = mine.to_numpy()[both], partner.to_numpy()[both].astype(np.int64)
        if not len(ia):
            continue
        logs = outlier_arrays.log_scale(rows.h[ia], c[ia, None]) - outlier_arrays.log_scale(rows.h[ib], c[ib, None])
        now = outlier_arrays.log_scale(rows.x[ia], c[ia]) - outlier_arrays.log_scale(rows.x[ib], c[ib])
        centre = outlier_arrays.median(logs)
        spread = 1.4826 * outlier_arrays.median(np.abs(logs - centre[:, None]))
        # one step of either side's last shown decimal, at its usual size, as a floor (as the panel's)
        steps = [10.0 ** -rows.decimals[i] / (np.fmax(outlier_arrays.median(rows.h[i]), 0.0) + c[i]) for i in (ia, ib)]
        spread = np.fmax(np.sqrt(np.nan_to_num(spread) ** 2 + steps[0] ** 2 + steps[1] ** 2), s.ratio_min_spread)
        far = np.abs(np.nan_to_num((now - centre) / spread)) > s.ratio_threshold
        far &= np.sum(np.isfinite(logs), axis=1) >= s.ratio_min_months
        blame_a = np.abs(np.nan_to_num(z[ia])) >= np.abs(np.nan_to_num(z[ib]))
        hit[ia[far & blame_a]] = True
        hit[ib[far & ~blame_a]] = True
    return hit
