"""Outliers against the unit's own history: flagged for a follow-up, seasonal months left alone."""
from __future__ import annotations

import numpy as np
import pandas as pd
from validate_helpers import clean_payload, received

from county_reports import periods
from county_reports.validate import outliers
from county_reports.validate.model import ACCEPTED, ACCEPTED_WITH_WARNINGS
from county_reports.validate.options import OutlierSettings
from county_reports.validate.run import validate_period

SETTINGS = OutlierSettings()      # the defaults, as in validation.yaml


def history(unit, code, period, by_month):
    """``by_month`` maps k (months before ``period``, 1..12) to a value; None leaves it out."""
    rows = [(unit, periods.shift(period, -k), code, v) for k, v in by_month.items() if v is not None]
    return pd.DataFrame(rows, columns=["unit", "period", "indicator", "value"])


def flag_one(value, by_month, period="2025-06"):
    values = pd.DataFrame({"unit": ["TS01"], "indicator": ["PASSENGER_VOLUME"], "value": [value]})
    return outliers.flag(values, history("TS01", "PASSENGER_VOLUME", period, by_month), period,
                         SETTINGS).iloc[0]


STEADY = {k: v for k, v in zip(range(1, 13), [100, 104, 98, 101, 97, 103, 99, 102, 100, 96, 105, 100])}


def test_value_far_from_recent_history_and_last_year_is_flagged():
    row = flag_one(1000, STEADY)
    assert row["outlier"] and row["robust_z"] > 100
    assert row["hist_median"] == 100 and row["last_year"] == 100


def test_ordinary_value_is_not_flagged():
    assert not flag_one(106, STEADY)["outlier"]


def test_seasonal_january_like_last_january_is_not_flagged():
    # 春运: every January is about three times an ordinary month.
    months = {**STEADY, 12: 310}                  # 2024-01, twelve months before 2025-01
    row = flag_one(300, months, period="2025-01")
    assert abs(row["robust_z"]) > SETTINGS.threshold      # unusual against recent months …
    assert not row["outlier"]                              # … but like last January


def test_january_unlike_last_january_is_flagged():
    row = flag_one(3000, {**STEADY, 12: 310}, period="2025-01")
    assert row["outlier"]


def test_without_last_year_only_extreme_values_are_flagged():
    months = {**STEADY, 12: None}
    moderate = flag_one(112, months)          # z ≈ 5: above 3.5, below the extreme 7
    assert SETTINGS.threshold < moderate["robust_z"] < SETTINGS.extreme_threshold
    assert not moderate["outlier"]
    assert flag_one(1000, months)["outlier"]


def test_zero_mad_falls_back_to_mean_absolute_deviation():
    months = {k: 100 for k in range(1, 13)} | {3: 110, 5: 90}    # MAD 0, meanAD > 0
    row = flag_one(400, months)
    assert np.isfinite(row["robust_z"]) and row["outlier"]
    assert not flag_one(105, months)["outlier"]


def test_constant_history_or_too_little_of_it_is_not_judged():
    constant = flag_one(1000, {k: 100 for k in range(1, 13)})
    assert not constant["outlier"] and np.isnan(constant["robust_z"])
    short = flag_one(1000, {1: 100, 2: 101, 3: 99, 12: 100})     # 4 months < min_history 6
    assert not short["outlier"]


def test_no_history_means_no_flags():
    values = pd.DataFrame({"unit": ["TS01"], "indicator": ["X"], "value": [1.0]})
    assert not outliers.flag(values, None, "2025-06", SETTINGS)["outlier"].any()


def test_outlier_is_a_warning_with_history_in_the_message(vcatalog):
    hist = pd.concat([history("SC01", "PASSENGER_VOLUME", "2025-06", {k: 100 + k for k in range(1, 13)}),
                      history("SC01", "BUS_LINES", "2025-06", {k: 10 for k in range(1, 13)})])
    payload = clean_payload(vcatalog, "SC01", PASSENGER_VOLUME=1500.0)
    [v] = validate_period([received("SC01", payload)], vcatalog, history=hist, engine="pandas")
    assert v.status == ACCEPTED_WITH_WARNINGS
    [issue] = v.issues
    assert (issue.rule, issue.importance, issue.indicator, issue.value) == \
        ("OUTLIER", "warning", "PASSENGER_VOLUME", "1500.0")
    for part in ("县交通运输服务中心（SC01）2025年6月报表", "道路客运量", "PASSENGER_VOLUME", "“1500.0”",
                 "前12个月的水平（中位数 106.5万人次）", "去年同月为 112万人次", "请核实数值和计量单位",
                 "本月报表已接受"):
        assert part in issue.message, (part, issue.message)
    # The same month without history: accepted, nothing to follow up.
    [plain] = validate_period([received("SC01", payload)], vcatalog, engine="pandas")
    assert plain.status == ACCEPTED
