"""Outlier flags against a unit's own history: warnings for a follow-up, never a rejection.

For each numeric value ``x`` of a known indicator in period ``P`` (thresholds from
``validation.yaml``, ``outliers:``):

1. history ``h`` = the unit's own values of that indicator in the ``window`` (12) months before
   ``P``; with fewer than ``min_history`` (6) of them nothing is judged;
2. modified z-score ``z = 0.6745 · (x − median(h)) / MAD``, ``MAD = median(|h − median(h)|)``
   (Iglewicz & Hoaglin). When MAD is 0 (more than half the months equal) the mean absolute
   deviation is used instead: ``z = (x − median) / (1.253314 · meanAD)``; when that is 0 too the
   history is constant, there is no spread to judge against, and nothing is flagged;
3. flagged when ``|z| > threshold`` (3.5) **and**
   - the same month last year (``P − 12``) has a value ``ly`` and
     ``max(|x|, |ly|) > last_year_factor · min(|x|, |ly|)`` (differs by more than ×2), or
   - there is no value for the same month last year and ``|z| > extreme_threshold`` (7).

So a seasonal indicator (passengers every Spring Festival January) is not flagged when last
January was similar, while a figure typed in 元 instead of 万元 is. History comes in as a
DataFrame (columns unit, period, indicator, value) from the caller — validation never reads the
warehouse itself.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from county_reports import periods
from county_reports.validate.options import OutlierSettings

COLUMNS = ("outlier", "robust_z", "hist_median", "last_year")
HISTORY_COLUMNS = ("unit", "period", "indicator", "value")


def flag(values: pd.DataFrame, history: pd.DataFrame | None, period: str,
         settings: OutlierSettings) -> pd.DataFrame:
    """Outlier columns for the rows of ``values`` (columns unit, indicator, value), same index."""
    out = pd.DataFrame({"outlier": np.zeros(len(values), dtype=bool),
                        "robust_z": np.nan, "hist_median": np.nan, "last_year": np.nan},
                       index=values.index)
    if history is None or history.empty or values.empty:
        return out
    missing = [c for c in HISTORY_COLUMNS if c not in history.columns]
    if missing:
        raise ValueError(f"history lacks column(s) {', '.join(missing)}")
    window = [periods.shift(period, -k) for k in range(settings.window, 0, -1)]   # oldest first
    last_year = periods.shift(period, -12)
    h, usable, x = _gather(values, history, window)
    if h is None or not usable.any():
        return out
    h = h[usable]
    xs = x[usable]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # all-NaN rows are masked just below
        count = np.sum(np.isfinite(h), axis=1)
        median = np.nanmedian(h, axis=1)
        deviation = np.abs(h - median[:, None])
        mad = np.nanmedian(deviation, axis=1)
        mean_ad = np.nanmean(deviation, axis=1)
        z = np.where(mad > 0, 0.6745 * (xs - median) / np.where(mad > 0, mad, 1),
                     np.where(mean_ad > 0, (xs - median) / (1.253314 * np.where(mean_ad > 0, mean_ad, 1)),
                              np.nan))
    z = np.where(count >= settings.min_history, z, np.nan)
    ly = h[:, window.index(last_year)]
    high = np.maximum(np.abs(xs), np.abs(ly))
    low = np.minimum(np.abs(xs), np.abs(ly))
    differs = high > settings.last_year_factor * low
    with np.errstate(invalid="ignore"):
        flagged = np.where(np.isfinite(ly), (np.abs(z) > settings.threshold) & differs,
                           np.abs(z) > settings.extreme_threshold)
    flagged &= np.isfinite(z)
    out.loc[usable, "outlier"] = flagged
    out.loc[usable, "robust_z"] = z
    out.loc[usable, "hist_median"] = median
    out.loc[usable, "last_year"] = ly
    return out


def _gather(values: pd.DataFrame, history: pd.DataFrame, window: list[str]):
    """History as a (rows of ``values``) × (window months) matrix, NaN where there is none.

    Units and indicators are matched through integer codes (categoricals over the batch's own
    units and indicators), so millions of history rows cost a few vectorised passes.
    """
    x = pd.to_numeric(values["value"], errors="coerce").to_numpy(dtype=float)
    units = pd.Index(pd.unique(values["unit"].astype(object)))
    codes = pd.Index(pd.unique(values["indicator"].astype(object)))
    month = pd.Index(window).get_indexer(history["period"].astype(object))
    hu = units.get_indexer(history["unit"].astype(object))
    hi = codes.get_indexer(history["indicator"].astype(object))
    hv = pd.to_numeric(history["value"], errors="coerce").to_numpy(dtype=float)
    keep = (month >= 0) & (hu >= 0) & (hi >= 0) & np.isfinite(hv)
    if not keep.any():
        return None, None, x
    matrix = np.full((len(units) * len(codes), len(window)), np.nan)
    matrix[hu[keep] * len(codes) + hi[keep], month[keep]] = hv[keep]
    vu = units.get_indexer(values["unit"].astype(object))
    vi = codes.get_indexer(values["indicator"].astype(object))
    h = matrix[vu * len(codes) + vi]
    usable = np.isfinite(x) & np.isfinite(h).any(axis=1)
    return h, usable, x
