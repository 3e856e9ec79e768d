"""The outlier history read compactly (warehouse/history.py) gives the very flags of the full read."""
from __future__ import annotations

import random
from dataclasses import replace

import numpy as np

import pandas as pd

from county_reports.core import periods
from county_reports.validate import intake, outlier_arrays, outliers
from county_reports.validate.options import OutlierSettings
from county_reports.warehouse.history import outlier_history

P = "2025-06"
CODES = ("ROAD_INVEST", "HAZARD_FOUND", "PASSENGER_VOLUME", "BRIDGE_FIXED")


def _stored_history(wh, make_verdict):
    """14 months before P for three units: noisy, constant, seasonal and gappy indicators; a
    superseded correction, a rejected version and a value that was not a number."""
    rng = random.Random(12)
    verdicts = []
    for k in range(14, 0, -1):
        month = periods.shift(P, -k)
        for unit in ("A1", "A2", "B1"):
            if unit == "B1" and k in (3, 7, 8, 9, 10, 11, 12):
                continue                                   # B1: too few months to judge
            values = {"ROAD_INVEST": round(rng.uniform(90, 110), 2),
                      "HAZARD_FOUND": 3.0,                 # constant: never flagged
                      "PASSENGER_VOLUME": 300.0 if month.endswith("-06") else round(rng.uniform(95, 105), 1),
                      "BRIDGE_FIXED": None if k == 5 else float(rng.randint(1, 4))}
            verdicts.append(make_verdict(unit, month, values, received_at=f"{periods.shift(month, 1)}-03T10:00:00+08:00"))
    a1 = periods.shift(P, -4)
    verdicts.append(make_verdict("A1", a1, {"ROAD_INVEST": 5000.0, "HAZARD_FOUND": 3.0}, salt="corrected",
                                 received_at=f"{periods.shift(a1, 1)}-09T10:00:00+08:00"))
    a2 = periods.shift(P, -2)
    verdicts.append(make_verdict("A2", a2, {"ROAD_INVEST": 1.0e6, "HAZARD_FOUND": 3.0}, status="rejected",
                                 salt="rejected", received_at=f"{periods.shift(a2, 1)}-09T10:00:00+08:00"))
    wh.record_verdicts(verdicts, "seed")


def _month_values():
    rows = []
    for unit in ("A1", "A2", "B1", "NEW"):
        rows += [(unit, "ROAD_INVEST", 100.0), (unit, "HAZARD_FOUND", 30.0),
                 (unit, "PASSENGER_VOLUME", 310.0), (unit, "BRIDGE_FIXED", 400.0)]
    rows += [("A1", "ROAD_INVEST", 104.0), ("A2", "PASSENGER_VOLUME", 3000.0), ("A2", "ROAD_INVEST", 1000.0)]
    return pd.DataFrame(rows, columns=["unit", "indicator", "value"])


def test_compact_history_gives_the_same_outlier_flags(wh, make_verdict):
    _stored_history(wh, make_verdict)
    months = intake.history_periods([P], 13)
    full = wh.history(None, months)
    compact = outlier_history(wh.engine, months)

    assert list(compact.columns) == list(outlier_arrays.HISTORY_COLUMNS)
    assert len(compact) == len(full) > 0
    rows = sorted(compact.astype({"unit": object, "period": object, "indicator": object})
                  .itertuples(index=False, name=None))
    assert rows == sorted(full[list(outlier_arrays.HISTORY_COLUMNS)].itertuples(index=False, name=None))

    values = _month_values()
    settings = OutlierSettings()
    old = outliers.flag(values, full, P, settings)
    new = outliers.flag(values, compact, P, settings)
    pd.testing.assert_frame_equal(new, old)
    assert old["outlier"].any() and not old["outlier"].all()   # the comparison has both kinds


def test_compact_history_of_some_units_and_of_nothing(wh, make_verdict):
    _stored_history(wh, make_verdict)
    months = intake.history_periods([P], 13)
    some = outlier_history(wh.engine, months, unit_codes=["B1"])
    assert set(some["unit"].astype(object)) == {"B1"}
    assert len(some) == len(wh.history(["B1"], months))
    empty = outlier_history(wh.engine, ["2020-01"])
    assert empty.empty and list(empty.columns) == list(outlier_arrays.HISTORY_COLUMNS)
    assert not outliers.flag(_month_values(), empty, P, OutlierSettings())["outlier"].any()


# The statistics alone (a June of 1000 would also be a cumulative figure to the explicit edit).
HISTORY_ONLY = replace(OutlierSettings(), methods=frozenset({"history"}))


def _year_of_road_invest(wh, make_verdict, make_issue, *, slip_flagged: bool):
    """A1's ROAD_INVEST for the 12 months before P, ~100 each, except P − 12: 1000 (×10), stored
    with an OUTLIER warning (unconfirmed) or without one (as if confirmed)."""
    rng = random.Random(5)
    verdicts = []
    for k in range(12, 0, -1):
        month = periods.shift(P, -k)
        value = 1000.0 if k == 12 else round(rng.uniform(95, 105), 1)
        issues = (make_issue("A1", month, "ROAD_INVEST", "warning", "OUTLIER", "1000.0"),) \
            if k == 12 and slip_flagged else ()
        verdicts.append(make_verdict("A1", month, {"ROAD_INVEST": value, "HAZARD_FOUND": 3.0},
                                     status="accepted_with_warnings" if issues else "accepted",
                                     issues=issues,
                                     received_at=f"{periods.shift(month, 1)}-03T10:00:00+08:00"))
    wh.record_verdicts(verdicts, "seed")


def test_a_flagged_value_is_not_history_and_the_same_slip_a_year_later_is_flagged(wh, make_verdict, make_issue):
    _year_of_road_invest(wh, make_verdict, make_issue, slip_flagged=True)
    months = intake.history_periods([P], 13)
    history = outlier_history(wh.engine, months).astype({"unit": object, "period": object,
                                                          "indicator": object})
    last_year = history[history["period"] == periods.shift(P, -12)]
    assert list(last_year["indicator"]) == ["HAZARD_FOUND"]        # the flagged 1000 is left out
    assert len(history) == 23
    values = pd.DataFrame({"unit": ["A1"], "indicator": ["ROAD_INVEST"], "value": [1000.0]})
    row = outliers.flag(values, history, P, HISTORY_ONLY).iloc[0]
    assert row["outlier"] and np.isnan(row["last_year"]) and row["outlier_reason"] == "history"


def test_a_confirmed_value_is_history_and_gates_the_same_month(wh, make_verdict, make_issue):
    # The control: the same 1000 stored without a warning is last year's month, and 1000 again
    # is like it (a seasonal month, as far as the check can tell).
    _year_of_road_invest(wh, make_verdict, make_issue, slip_flagged=False)
    history = outlier_history(wh.engine, intake.history_periods([P], 13))
    assert len(history) == 24
    values = pd.DataFrame({"unit": ["A1"], "indicator": ["ROAD_INVEST"], "value": [1000.0]})
    row = outliers.flag(values, history, P, HISTORY_ONLY).iloc[0]
    assert row["last_year"] == 1000.0 and not row["outlier"]


def test_a_correction_of_a_flagged_value_is_history(wh, make_verdict, make_issue):
    month = periods.shift(P, -1)
    flagged = make_verdict("A1", month, {"ROAD_INVEST": 1000.0}, status="accepted_with_warnings",
                           issues=(make_issue("A1", month, "ROAD_INVEST", "warning", "OUTLIER", "1000.0"),))
    wh.record_verdicts([flagged], "first")
    assert outlier_history(wh.engine, [month]).empty
    wh.record_verdicts([make_verdict("A1", month, {"ROAD_INVEST": 100.0}, salt="corrected",
                                     received_at="2025-06-04T10:00:00+08:00")], "second")
    assert list(outlier_history(wh.engine, [month])["value"]) == [100.0]
