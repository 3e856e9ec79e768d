"""Outliers: typing slips on a log scale, counts by a count model, new units against their
peers, explained slips; seasonal months left alone; a warning for a follow-up, never a rejection.
The explicit edits are in test_outlier_edits.py."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from validate_helpers import OUTLIER_SETTINGS as SETTINGS
from validate_helpers import PERIOD as P
from validate_helpers import STEADY, clean_payload, flag_cell, flag_one, history, received

from county_reports.core import periods
from county_reports.validate import intake, outliers
from county_reports.validate.model import ACCEPTED, ACCEPTED_WITH_WARNINGS
from county_reports.validate.run import validate_period



def test_value_far_from_recent_history_and_last_year_is_flagged():
    row = flag_one(1000, STEADY)
    assert row["outlier"] and row["robust_z"] > 8
    assert row["outlier_reason"] == "history"        # (June above January–May together, too)
    assert row["hist_median"] == 100 and row["last_year"] == 100


@pytest.mark.parametrize("slip", [10, 1000, 0.1, 0.01])
def test_a_tenth_is_as_far_as_ten_times(slip):
    row = flag_one(100 * slip, STEADY)
    assert row["outlier"] and abs(row["robust_z"]) > 6, row


def test_ordinary_values_are_not_flagged():
    for value in (80, 106, 125):
        assert not flag_one(value, STEADY)["outlier"], value


def test_seasonal_january_like_last_january_is_not_flagged():
    # 春运: every January is about three times an ordinary month.
    months = {**STEADY, 12: 310}                  # 2024-01, twelve months before 2025-01
    row = flag_one(300, months, period="2025-01")
    assert abs(row["robust_z"]) > SETTINGS.threshold      # unusual against recent months …
    assert not row["outlier"]                              # … but like last January


def test_january_unlike_last_january_is_flagged():
    assert flag_one(3000, {**STEADY, 12: 310}, period="2025-01")["outlier"]


def test_without_last_year_only_extreme_values_are_flagged():
    moderate = flag_one(250, STEADY)               # z between threshold and extreme
    assert SETTINGS.threshold < moderate["robust_z"] < SETTINGS.extreme_threshold
    assert moderate["outlier"]                     # last June was 100: unlike it
    alone = flag_one(250, {**STEADY, 12: None})
    assert not alone["outlier"]                    # no last June to compare with
    assert flag_one(1000, {**STEADY, 12: None})["outlier"]


@pytest.mark.parametrize("code", ["PASSENGER_VOLUME", "HAZARD_FOUND"])
def test_a_constant_history_that_jumps_is_judged(vcatalog, code):
    # 13 every month (a village count, or a figure in 万人次): 130 and 0 are slips, 14 is not.
    constant = {k: 13 for k in range(1, 13)}
    for value, flagged in ((130, True), (0, True), (14, False), (12, False)):
        row = flag_one(value, constant, code=code, catalog=vcatalog)
        assert bool(row["outlier"]) is flagged, (code, value, row)


def test_small_counts_are_judged_by_a_count_model(vcatalog):
    # ACCIDENTS, mostly 0: one accident is news, not a slip; six in a month of a village is.
    quiet = {k: 0 for k in range(1, 13)} | {4: 1}
    assert not flag_one(1, quiet, code="ACCIDENTS", unit="TS01", catalog=vcatalog)["outlier"]
    assert flag_one(6, quiet, code="ACCIDENTS", unit="TS01", catalog=vcatalog)["outlier"]
    # Drills 0–3 a month: 3 is ordinary (a plain z on such a history fires on it), 30 is ×10.
    drills = dict(zip(range(1, 13), [1, 0, 2, 1, 0, 1, 3, 0, 1, 2, 0, 1], strict=False))
    assert not flag_one(3, drills, code="DRILLS", unit="RC01", catalog=vcatalog)["outlier"]
    assert flag_one(30, drills, code="DRILLS", unit="RC01", catalog=vcatalog)["outlier"]


def test_a_short_history_speaks_only_past_the_short_ratio():
    two = {1: 100, 2: 90}
    assert flag_one(1000, two)["outlier"] and flag_one(10, two)["outlier"]
    assert not flag_one(300, two)["outlier"]                  # a unit's first months ramp up


def test_a_new_unit_is_judged_against_its_peers(vcatalog):
    townships = [u.code for u in vcatalog.units if u.kind == "township_station"][:6]
    values = pd.DataFrame({"unit": townships, "indicator": "ENF_PATROLS",
                           "value": [20.0, 25.0, 18.0, 30.0, 22.0, 240.0]})
    flags = outliers.flag(values, None, P, SETTINGS, vcatalog)
    assert list(flags["outlier"]) == [False] * 5 + [True]
    assert flags["outlier_reason"].iloc[-1] == "peers"
    # Without the catalogue (no kinds) a unit without history is not judged.
    assert not outliers.flag(values, None, P, SETTINGS)["outlier"].any()


def test_effect_is_the_distance_over_the_county_total():
    rows = [("A", "X", 1000.0), ("B", "X", 300.0), ("C", "X", 100.0)]
    values = pd.DataFrame(rows, columns=["unit", "indicator", "value"])
    hist = pd.concat([history(u, "X", P, {k: m for k in range(1, 13)})
                      for u, m in (("A", 100.0), ("B", 300.0), ("C", 100.0))])
    flags = outliers.flag(values, hist, P, SETTINGS)
    assert flags["effect"].round(6).tolist() == [round(900 / 500, 6), 0.0, 0.0]


def test_no_history_means_no_flags():
    values = pd.DataFrame({"unit": ["TS01"], "indicator": ["X"], "value": [1.0]})
    assert not outliers.flag(values, None, P, SETTINGS)["outlier"].any()


def test_a_slip_repeated_a_year_later_is_still_flagged(vcatalog):
    """The first ×10 is flagged, so it stays out of the history (intake.history_rows), and the
    same ×10 in the same month a year later finds no "similar last year" to hide behind."""
    first, later = "2024-01", "2025-01"   # Januaries: no cumulative edit to mix in
    steady = history("SC01", "PASSENGER_VOLUME", first, {k: 100 + k for k in range(1, 13)})
    slipped = clean_payload(vcatalog, "SC01", first, PASSENGER_VOLUME=1500.0)
    [v] = validate_period([received("SC01", slipped, first)], vcatalog, history=steady, engine="pandas")
    assert [i.rule for i in v.issues if i.indicator == "PASSENGER_VOLUME"] == ["OUTLIER"]
    kept = pd.DataFrame(intake.history_rows([v]))
    assert "PASSENGER_VOLUME" not in set(kept["indicator"]) and "BUS_LINES" in set(kept["indicator"])
    assert len(kept) == len(v.values) - 1
    rows = [history("SC01", "PASSENGER_VOLUME", later, {k: 110 + k for k in range(1, 12)}), kept]
    again = [received("SC01", clean_payload(vcatalog, "SC01", later, PASSENGER_VOLUME=1500.0), later)]
    [repeated] = validate_period(again, vcatalog, history=pd.concat(rows), engine="pandas")
    assert [i.rule for i in repeated.issues if i.indicator == "PASSENGER_VOLUME"] == ["OUTLIER"]
    # Had the first been kept (confirmed), last January would be 1500 too: like it, not flagged.
    confirmed = pd.concat([rows[0], history("SC01", "PASSENGER_VOLUME", later, {12: 1500.0})])
    [quiet] = validate_period(again, vcatalog, history=confirmed, engine="pandas")
    assert not [i for i in quiet.issues if i.rule == "OUTLIER"]


def test_outlier_is_a_warning_with_history_in_the_message(vcatalog):
    hist = pd.concat([history("SC01", "PASSENGER_VOLUME", P, {k: 100 + k for k in range(1, 13)}),
                      history("SC01", "BUS_LINES", P, {k: 10 for k in range(1, 13)})])
    payload = clean_payload(vcatalog, "SC01", PASSENGER_VOLUME=1500.0)
    [v] = validate_period([received("SC01", payload)], vcatalog, history=hist, engine="pandas")
    assert v.status == ACCEPTED_WITH_WARNINGS
    [issue] = v.issues
    assert (issue.rule, issue.importance, issue.indicator, issue.value) == \
        ("OUTLIER", "warning", "PASSENGER_VOLUME", "1500.0")
    assert issue.effect == round((1500.0 - 106.5) / 106.5, 6)    # the only unit: its own total
    for part in ("县交通运输服务中心（SC01）2025年6月报表", "道路客运量", "PASSENGER_VOLUME", "“1500.0”",
                 "前12个月的水平（中位数 106.5万人次）", "去年同月为 112万人次", "请核实数值和计量单位",
                 "本月报表已接受"):
        assert part in issue.message, (part, issue.message)
    # The same month without history: accepted, nothing to follow up.
    [plain] = validate_period([received("SC01", payload)], vcatalog, engine="pandas")
    assert plain.status == ACCEPTED


def test_history_rows_leave_out_flagged_values_and_rejected_submissions(vcatalog):
    payload = clean_payload(vcatalog, "SC01", PASSENGER_VOLUME=1500.0)
    hist = history("SC01", "PASSENGER_VOLUME", P, {k: 100.0 for k in range(1, 13)})
    [warned] = validate_period([received("SC01", payload)], vcatalog, history=hist, engine="pandas")
    [bad] = validate_period([received("TS01", clean_payload(vcatalog, "TS01", HAZARD_FOUND=-1))],
                            vcatalog, engine="pandas")
    rows = intake.history_rows([warned, bad])
    assert {r["unit"] for r in rows} == {"SC01"}
    assert {r["indicator"] for r in rows} == set(warned.values) - {"PASSENGER_VOLUME"}
    assert np.isfinite([r["value"] for r in rows]).all()


def test_the_unit_is_told_why(vcatalog):
    level = history("TS01", "MAINT_ROUTINE_KM", P, {k: 120.0 + k / 10 for k in range(1, 13)})
    payload = clean_payload(vcatalog, "TS01", MAINT_ROUTINE_KM=0)
    [v] = validate_period([received("TS01", payload)], vcatalog, history=level, engine="pandas")
    [issue] = [i for i in v.issues if i.rule == "OUTLIER"]
    assert "与上月末的 120.1公里相比变动过大或降为 0" in issue.message, issue.message
    assert "超过上月的 50%" in issue.message and "请核实数值和计量单位" in issue.message


# Explained slips (issue 20): an unusual value that a typing slip undone makes ordinary.
def _only(*methods, **changes):
    return replace(SETTINGS, methods=frozenset(methods), explained_threshold=3.0, **changes)


def test_a_value_ten_times_off_is_a_scale_slip(vcatalog):
    only = _only("scale")
    row = flag_cell(vcatalog, "INV_HIGHWAY", 10.1, STEADY, settings=only)       # 101 with a digit lost
    assert row["outlier"] and row["outlier_reason"] == "scale"
    assert flag_cell(vcatalog, "INV_HIGHWAY", 10010.0, STEADY, settings=only)["outlier"]   # ×100
    # Far off, but no ×/÷ 10, 100 or 10,000 brings it back: not this slip.
    assert not flag_cell(vcatalog, "INV_HIGHWAY", 30.0, STEADY, settings=only)["outlier"]


def test_two_digits_swapped_are_a_transposition(vcatalog):
    around = {k: 1300.0 + 4 * k for k in range(1, 13)}                       # 1304 … 1348 items
    only = _only("transposed", min_log_spread=0.05)
    row = flag_cell(vcatalog, "SERVICE_ITEMS", 3120.0, around, settings=only)    # 1320 typed 3120
    assert row["outlier"] and row["outlier_reason"] == "transposed"
    # 3020: no swap of adjacent digits gives anything near 1,300 (0320, 3200, 3002).
    assert not flag_cell(vcatalog, "SERVICE_ITEMS", 3020.0, around, settings=only)["outlier"]
    assert not flag_cell(vcatalog, "SERVICE_ITEMS", 1320.0, around, settings=only)["outlier"]


def test_the_year_to_date_taken_off_explains_a_cumulative_figure(vcatalog):
    months = {k: 50.0 + k for k in range(1, 13)}          # January … May 2025: 51 … 55
    ytd = sum(months[k] for k in range(1, 6)) + 52.0
    # The older edit (cumulative_factor × the median) switched off by a huge factor: the
    # explanation alone (the value less January … May is an ordinary month) flags it.
    only = _only("cumulative", cumulative_factor=1e6)
    assert flag_cell(vcatalog, "INV_HIGHWAY", ytd, months, settings=only)["outlier_reason"] == "cumulative"
    assert not flag_cell(vcatalog, "INV_HIGHWAY", ytd * 3, months, settings=only)["outlier"]   # less 265: no month


def test_an_unusual_value_identical_to_last_month_is_a_copy(vcatalog):
    months = {k: 50.0 + k % 3 for k in range(1, 13)}
    months[1] = 150.0                                     # a big May (150 items: < copy_min_steps)
    only = _only("copy")
    row = flag_cell(vcatalog, "SERVICE_ITEMS", 150.0, months, settings=only)
    assert row["outlier"] and row["outlier_reason"] == "copy"
    assert not flag_cell(vcatalog, "SERVICE_ITEMS", 149.0, months, settings=only)["outlier"]
    assert not flag_cell(vcatalog, "SERVICE_ITEMS", 51.0, {**months, 1: 51.0}, settings=only)["outlier"]  # usual


def test_a_value_copied_down_from_the_row_above_is_a_neighbour_slip(vcatalog):
    # HAZARD_FIXED follows HAZARD_FOUND on the form: 20 (the found hazards) typed in the fixed row
    # too. Fixed was 10–11, found 11–12, never equal: the fixed row is asked about, not the found.
    fixed = {k: 10.0 + k % 2 for k in range(1, 13)}
    found = {k: 11.0 + k % 2 for k in range(1, 13)}
    hist = pd.concat([history("TS01", "HAZARD_FIXED", P, fixed), history("TS01", "HAZARD_FOUND", P, found)])
    values = pd.DataFrame({"unit": "TS01", "indicator": ["HAZARD_FOUND", "HAZARD_FIXED"], "value": [20.0, 20.0]})
    only = replace(SETTINGS, methods=frozenset({"neighbour"}))
    flags = outliers.flag(values, hist, P, only, vcatalog)
    assert list(flags["outlier"]) == [False, True] and flags["outlier_reason"].iloc[1] == "neighbour"
    assert "neighbour" in SETTINGS.methods
    # Not equal: nothing. Equal as usual (the unit fixes every hazard it finds): nothing.
    values["value"] = [21.0, 20.0]
    assert not outliers.flag(values, hist, P, only, vcatalog)["outlier"].any()
    values["value"] = [20.0, 20.0]
    alike = pd.concat([history("TS01", "HAZARD_FIXED", P, fixed), history("TS01", "HAZARD_FOUND", P, {**found, 3: fixed[3]})])
    assert not outliers.flag(values, alike, P, only, vcatalog)["outlier"].any()
    # An ordinary value (within neighbour_threshold of what the unit usually fixes) is not asked about.
    values["value"] = [10.0, 10.0]
    assert not outliers.flag(values, hist, P, only, vcatalog)["outlier"].any()


def test_a_move_the_other_units_share_is_no_outlier_but_one_alone_is(vcatalog):
    townships = [u.code for u in vcatalog.units if u.kind == "township_station"][:8]
    rows = []
    for n, unit in enumerate(townships):
        for k in range(1, 13):
            rows.append((unit, periods.shift(P, -k), "ENF_PATROLS", (20.0 + 5 * n) * (1 + 0.05 * (k % 3))))
    hist = pd.DataFrame(rows, columns=["unit", "period", "indicator", "value"])
    only = replace(SETTINGS, methods=frozenset({"panel"}))
    season = [(20.0 + 5 * n) * 3 for n in range(8)]       # every unit three times its level
    assert not outliers.flag(pd.DataFrame({"unit": townships, "indicator": "ENF_PATROLS", "value": season}),
                             hist, P, only, vcatalog)["outlier"].any()
    alone = [(20.0 + 5 * n) * (3 if n == 0 else 1) for n in range(8)]
    flags = outliers.flag(pd.DataFrame({"unit": townships, "indicator": "ENF_PATROLS", "value": alone}),
                          hist, P, only, vcatalog)
    assert list(flags["outlier"]) == [True] + [False] * 7 and flags["outlier_reason"].iloc[0] == "history"
