"""The explicit edits (validate/outlier_edits.py): a stock that jumps, drops to 0 or moves unlike
its usual changes; last month's figures again, one or several; a year-to-date figure; a flipped
sign; two indicators that go together whose ratio leaves the unit's usual one. Judged through
``outliers.flag``, as validation calls them."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
from validate_helpers import OUTLIER_SETTINGS as SETTINGS
from validate_helpers import PERIOD as P
from validate_helpers import STEADY, flag_cell, history

from county_reports.core import periods
from county_reports.validate import outlier_edits, outliers


def test_a_stock_that_moves_too_far_or_drops_to_zero(vcatalog):
    level = {k: 120.0 + k / 10 for k in range(1, 13)}           # 养护里程 120.1 … 121.2 km
    # 0 and ±50 % by the share; 150 because the level only ever drifted by 0.1 km a month (its
    # change is 50 times the floor of 0.6 km, 0.5 % of 120.1); 121.5 is 1.4 km: within 6 × 0.6.
    for value, flagged in ((0.0, True), (240.0, True), (50.0, True), (121.5, False), (150.0, True)):
        row = flag_cell(vcatalog, "MAINT_ROUTINE_KM", value, level)
        assert bool(row["outlier"]) is flagged, (value, row)
    assert flag_cell(vcatalog, "MAINT_ROUTINE_KM", 0.0, level)["outlier_reason"] == "stock"
    off = replace(SETTINGS, methods=SETTINGS.methods - {"stock"})
    assert not flag_cell(vcatalog, "MAINT_ROUTINE_KM", 240.0, {1: 121.0}, settings=off)["outlier"]
    # Two changes in the history are too few to know what usual is: 150 passes, 0 does not.
    short = {1: 120.1, 2: 120.2, 3: 120.3}
    assert not flag_cell(vcatalog, "MAINT_ROUTINE_KM", 150.0, short)["outlier"]
    assert flag_cell(vcatalog, "MAINT_ROUTINE_KM", 0.0, short)["outlier"]


def test_one_flow_identical_to_last_month(vcatalog):
    months = {k: 300.0 + 7 * k for k in range(1, 13)}
    months[1] = 1234.56
    row = flag_cell(vcatalog, "INV_HIGHWAY", 1234.56, months)      # 123,456 steps: no coincidence
    assert row["outlier"] and row["outlier_reason"] == "copy"
    small = {k: 1.0 + (k % 3) for k in range(1, 13)}
    assert not flag_cell(vcatalog, "HAZARD_FOUND", small[1], small)["outlier"]   # 2 twice: no news


def test_several_flows_identical_to_last_month_are_a_stale_copy(vcatalog):
    last = {"HAZARD_FOUND": 41.0, "HAZARD_FIXED": 39.0, "ENF_PATROLS": 57.0, "SAFETY_INSPECTIONS": 4.0}
    rows = []
    for k in range(1, 13):
        for code, v in last.items():
            rows.append(("TS01", periods.shift(P, -k), code, v if k == 1 else v + k % 4 + 1))
    hist = pd.DataFrame(rows, columns=["unit", "period", "indicator", "value"])
    values = pd.DataFrame({"unit": "TS01", "indicator": list(last), "value": list(last.values())})
    flags = outliers.flag(values, hist, P, SETTINGS, vcatalog)
    assert flags["outlier"].all() and set(flags["outlier_reason"]) == {"stale_copy"}
    # Two alike is chance (and 4 is too few steps to count): nothing flagged.
    values["value"] = [41.0, 39.0, 50.0, 9.0]
    assert not outliers.flag(values, hist, P, SETTINGS, vcatalog)["outlier"].any()


def test_a_month_larger_than_the_year_before_it_is_a_cumulative_figure(vcatalog):
    months = {k: 50.0 + k for k in range(1, 13)}          # January … May 2025: 51 … 55
    ytd = sum(months[k] for k in range(1, 6)) + 52.0       # the year to date sent as June
    row = flag_cell(vcatalog, "INV_HIGHWAY", ytd, months)
    assert row["outlier"] and row["outlier_reason"] in ("cumulative", "history")
    only = replace(SETTINGS, methods=frozenset({"cumulative"}))
    assert flag_cell(vcatalog, "INV_HIGHWAY", ytd, months, settings=only)["outlier"]
    assert not flag_cell(vcatalog, "INV_HIGHWAY", 58.0, months, settings=only)["outlier"]
    # January has no earlier month: nothing to compare.
    assert not flag_cell(vcatalog, "INV_HIGHWAY", 900.0, months, period="2025-01", settings=only)["outlier"]


def test_a_flipped_sign_is_flagged(vcatalog):
    row = flag_cell(vcatalog, "INV_HIGHWAY", -101.0, STEADY)
    assert row["outlier"] and row["outlier_reason"] in ("sign", "history")
    only = replace(SETTINGS, methods=frozenset({"sign"}))
    assert flag_cell(vcatalog, "INV_HIGHWAY", -101.0, STEADY, settings=only)["outlier_reason"] == "sign"


def test_two_indicators_that_go_together_are_judged_by_their_ratio(vcatalog):
    # rules.yaml's `le` pairs and the derived rates A / B are the pairs, each once.
    pairs = outlier_edits.ratio_pairs(vcatalog)
    assert ("HAZARD_FIXED", "HAZARD_FOUND") in pairs and ("QA_SAMPLES_PASSED", "QA_SAMPLES") in pairs
    assert len(pairs) == len(set(pairs))
    # The unit fixes nearly all it finds (fixed ≈ found − 1). This month it "found 40" (a 4 typed
    # for a 2) and fixed 21: the ratio is far from usual, and of the two the found row is the one
    # further from its own level, so it is the one asked about.
    found = {k: 20.0 + k % 3 for k in range(1, 13)}
    fixed = {k: v - 1 for k, v in found.items()}
    hist = pd.concat([history("TS01", "HAZARD_FOUND", P, found), history("TS01", "HAZARD_FIXED", P, fixed)])
    only = replace(SETTINGS, methods=frozenset({"ratio"}))
    values = pd.DataFrame({"unit": "TS01", "indicator": ["HAZARD_FOUND", "HAZARD_FIXED"], "value": [40.0, 21.0]})
    flags = outliers.flag(values, hist, P, only, vcatalog)
    assert list(flags["outlier"]) == [True, False] and flags["outlier_reason"].iloc[0] == "ratio"
    # The usual ratio: nothing, however both moved together (a busy month).
    values["value"] = [31.0, 30.0]
    assert not outliers.flag(values, hist, P, only, vcatalog)["outlier"].any()
    # Too few months of both to know the usual ratio: nothing.
    short = pd.concat([history("TS01", "HAZARD_FOUND", P, {1: 20.0, 2: 21.0}),
                       history("TS01", "HAZARD_FIXED", P, {1: 19.0, 2: 20.0})])
    values["value"] = [40.0, 21.0]
    assert not outliers.flag(values, short, P, only, vcatalog)["outlier"].any()
    # Switched off, or without the catalogue (no pairs known): nothing.
    assert not outliers.flag(values, hist, P, replace(SETTINGS, methods=frozenset()), vcatalog)["outlier"].any()
    assert not outliers.flag(values, hist, P, only)["outlier"].any()


def test_a_stock_that_never_moved_and_now_moves_is_asked_about(vcatalog):
    # 建制村数 20 every month: a move of several villages at once is news; of one, not (a merger).
    constant = {k: 20.0 for k in range(1, 13)}
    only = replace(SETTINGS, methods=frozenset({"stock"}))
    assert flag_cell(vcatalog, "VILLAGES_TOTAL", 12.0, constant, settings=only)["outlier_reason"] == "stock"
    assert not flag_cell(vcatalog, "VILLAGES_TOTAL", 19.0, constant, settings=only)["outlier"]
