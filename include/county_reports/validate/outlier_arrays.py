"""Array plumbing of the outlier checks: rows coded as integers, row medians by one sort, a
group's median, the history gathered into a rows × months matrix, the log scale and its offset.
Plain numpy/pandas: no rule and no threshold lives here."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

HISTORY_COLUMNS = ("unit", "period", "indicator", "value")
OFFSET_SHARE = 0.02         # c of log(v + c) = this share of the typical size: 0 reads as about ÷50


@dataclass
class Rows:
    """What the checks need per row of the values judged: the value, its history and the catalogue's facts."""

    x: np.ndarray           # the value sent
    h: np.ndarray           # rows × window months, oldest first; NaN where nothing trusted is stored
    integer: np.ndarray     # whole-number indicator
    decimals: np.ndarray    # decimals the catalogue shows (0 for whole numbers)
    stock: np.ndarray       # nature: stock (else a flow)
    group: np.ndarray       # (unit kind, indicator) code for the peer comparison; -1 without one
    unit: np.ndarray        # unit per row as an integer code (a submission's cells share it)
    indicator: np.ndarray   # indicator per row as an integer code
    position: np.ndarray    # the indicator's place in the catalogue (the form's row order)


def codes(column: pd.Series) -> tuple[np.ndarray, list]:
    """Each row's integer code and the distinct values the codes stand for (a categorical
    column, as ``batch`` builds it, is read as it is: no per-row hashing)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy().astype(np.int64)
        if not (codes < 0).any():
            return codes, list(column.cat.categories.astype(object))
    codes, uniques = pd.factorize(column.astype(object), use_na_sentinel=False)
    return codes.astype(np.int64), list(uniques)


def median(a: np.ndarray) -> np.ndarray:
    """Row medians ignoring NaN, by one sort (numpy's nanmedian goes through masked arrays)."""
    return middle(np.sort(a, axis=1), np.sum(np.isfinite(a), axis=1))   # NaN sort last


def middle(ordered: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Row medians of rows sorted with NaN last, ``n`` finite values each."""
    lo = np.maximum((n - 1) // 2, 0)[:, None]
    hi = np.minimum(n // 2, ordered.shape[1] - 1)[:, None]
    middle = (np.take_along_axis(ordered, lo, 1)[:, 0] + np.take_along_axis(ordered, hi, 1)[:, 0]) / 2
    return np.where(n > 0, middle, np.nan)


def group_median(a: np.ndarray, group: np.ndarray, least: int) -> np.ndarray:
    """Per column, the median of ``a`` over the rows of each row's group (NaN ignored), NaN
    where fewer than ``least`` rows of the group have a value there."""
    frame = pd.DataFrame(a).groupby(group)
    median, n = frame.median().to_numpy(), frame.count().to_numpy()
    index = pd.Index(frame.median().index).get_indexer(group)
    return np.where(n >= least, median, np.nan)[index]


def gather(unit: np.ndarray, units: list, indicator: np.ndarray, codes: list,
            history: pd.DataFrame | None, window: list[str], x: np.ndarray) -> np.ndarray:
    """History as a (rows of ``values``) × (window months) matrix, NaN where there is none.

    Units and indicators are matched through integer codes (the rows' ``unit`` and ``indicator``
    codes over ``units`` and ``codes``), so millions of history rows cost a few vectorised passes.
    """
    h = np.full((len(x), len(window)), np.nan)
    if history is None or history.empty:
        return h
    missing = [c for c in HISTORY_COLUMNS if c not in history.columns]
    if missing:
        raise ValueError(f"history lacks column(s) {', '.join(missing)}")
    month = positions(pd.Index(window), history["period"])
    hu = positions(pd.Index(units, dtype=object), history["unit"])
    hi = positions(pd.Index(codes, dtype=object), history["indicator"])
    hv = pd.to_numeric(history["value"], errors="coerce").to_numpy(dtype=float)
    keep = (month >= 0) & (hu >= 0) & (hi >= 0) & np.isfinite(hv)
    if not keep.any():
        return h
    if not keep.all():
        month, hu, hi, hv = month[keep], hu[keep], hi[keep], hv[keep]
    width = len(window)
    matrix = np.full(len(units) * len(codes) * width, np.nan)
    matrix[(hu * len(codes) + hi) * width + month] = hv        # one flat index: a single scatter
    h = matrix.reshape(len(units) * len(codes), width)[unit * len(codes) + indicator]
    h[~np.isfinite(x)] = np.nan
    return h


def positions(index: pd.Index, column: pd.Series) -> np.ndarray:
    """Each value's position in ``index`` (−1 if absent); a categorical column (what
    ``warehouse.history`` returns) is looked up once per category, not once per row."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        found = np.append(index.get_indexer(column.cat.categories.astype(object)), -1)
        return found[column.cat.codes.to_numpy()].astype(np.int64, copy=False)   # −1: the −1 appended
    return index.get_indexer(column.astype(object)).astype(np.int64, copy=False)


def log_offset(h: np.ndarray, x: np.ndarray, decimals: np.ndarray, median: np.ndarray) -> np.ndarray:
    """``c`` of log(v + c): a tenth of the history's typical size (of the value's, without one),
    at least one step of the last shown decimal (1 for counts: 0 against 1 is not ×10).
    ``median`` is the rows' median: the size itself wherever no stored value is negative."""
    size = median.copy()
    negative = np.any(h < 0, axis=1)
    if negative.any():
        size[negative] = median(np.abs(h[negative]))
    small = ~(size > 0)
    if small.any():                   # the mean only where the median says nothing
        size[small] = np.nanmean(np.abs(h[small]), axis=1)
    size = np.where(size > 0, size, np.abs(x))
    return np.maximum(np.where(size > 0, OFFSET_SHARE * size, 0.0), 10.0 ** -decimals)


def log_scale(v: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The scale a slip is judged on: a ×10 and a ÷10 are as far from the value."""
    return np.log(np.maximum(v, 0.0) + c)
