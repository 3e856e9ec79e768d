"""aggregate/figures.py: county figures by each indicator's own rules, derived rates, YoY, targets,
missing units and the monthly series. Small frames built by hand, real catalogue."""
from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from aggregate_helpers import H1_2025, TOWNS_2025, figure, months, values
from county_reports.aggregate import (FIGURE_COLUMNS, Span, county_figures, monthly_series,
                                      time_half_task_half, unit_breakdown)
from county_reports.render.number_style import fmt_completion, fmt_yoy


def test_sum_over_months_then_units_in_catalogue_order(catalog):
    frame = values(("RC01", "2025-01", "INV_HIGHWAY", 100.5), ("RC01", "2025-02", "INV_HIGHWAY", 200),
                   ("TS01", "2025-01", "INV_HIGHWAY", 10), ("TS01", "2025-02", "INV_HIGHWAY", 20.25),
                   ("RC01", "2024-12", "INV_HIGHWAY", 9999))   # outside the span: ignored
    out = county_figures(catalog, frame, Span(2025, 1, 2))
    assert list(out.columns) == list(FIGURE_COLUMNS)
    expected_order = [i.code for i in catalog.indicators] + [d.code for d in catalog.derived]
    assert list(out["code"]) == expected_order
    inv = figure(out, "INV_HIGHWAY")
    assert inv["value"] == pytest.approx(330.75)
    assert inv["aggregation"] == "sum" and inv["decimals"] == 2 and inv["uom"] == "万元"
    assert inv["units_reported"] == 2
    assert out.attrs["span"] == Span(2025, 1, 2)


def test_last_takes_each_units_latest_value_and_flags_a_stale_one(catalog):
    rows = [("TS01", p, "VILLAGES_TOTAL", 10 + i) for i, p in enumerate(months(H1_2025))]
    rows += [("TS02", p, "VILLAGES_TOTAL", 20 + i) for i, p in enumerate(months(H1_2025)[:5])]
    out = county_figures(catalog, values(*rows), H1_2025)
    level = figure(out, "VILLAGES_TOTAL")
    assert level["aggregation"] == "last"
    assert level["value"] == 15 + 24                      # TS01's June, TS02's May (latest it sent)
    assert level["stale_units"] == ["TS02"]
    assert "TS02" in level["missing_units"]                # June is still missing, and said so
    assert level["units_reported"] == 2


def test_last_does_not_count_a_unit_closed_before_the_span_ends(catalog):
    year = Span.full_year(2024)
    rows = [("TS09", p, "VILLAGES_TOTAL", 5) for p in months(year)[:9]]          # merged after 2024-09
    rows += [("TS08", p, "VILLAGES_TOTAL", 8 if p <= "2024-09" else 13) for p in months(year)]
    out = county_figures(catalog, values(*rows), year)
    level = figure(out, "VILLAGES_TOTAL")
    assert level["value"] == 13                             # TS09's villages are now TS08's
    assert "TS09" not in level["missing_units"] and "TS08" not in level["missing_units"]
    assert level["stale_units"] == []


def test_max_is_the_largest_county_monthly_value(catalog):
    # County monthly (sum over units): Jan 5 + 1 = 6, Feb 3 + 4 = 7 → 7, not 5 + 4 = 9.
    frame = values(("SC01", "2025-01", "PEAK_DAILY_PASSENGERS", 5), ("TS01", "2025-01", "PEAK_DAILY_PASSENGERS", 1),
                   ("SC01", "2025-02", "PEAK_DAILY_PASSENGERS", 3), ("TS01", "2025-02", "PEAK_DAILY_PASSENGERS", 4))
    peak = figure(county_figures(catalog, frame, Span(2025, 1, 2)), "PEAK_DAILY_PASSENGERS")
    assert peak["aggregation"] == "max" and peak["over_units"] == "sum"
    assert peak["value"] == 7


def test_mean_is_the_mean_of_county_monthly_means(catalog):
    # Jan: mean(80, 90) = 85; Feb: 86 (one unit) → 85.5, not the mean of all values 85.33.
    frame = values(("RC01", "2025-01", "ROAD_MQI", 80), ("TS01", "2025-01", "ROAD_MQI", 90),
                   ("RC01", "2025-02", "ROAD_MQI", 86))
    mqi = figure(county_figures(catalog, frame, Span(2025, 1, 2)), "ROAD_MQI")
    assert mqi["aggregation"] == "mean" and mqi["over_units"] == "mean"
    assert mqi["value"] == pytest.approx(85.5)


@pytest.mark.parametrize("over_units, expected", [("sum", 90.0), ("mean", 45.0), ("max", 60.0)])
def test_over_units_combines_per_unit_sums(catalog, over_units, expected):
    hub = dataclasses.replace(catalog.indicator_by_code["INV_HUB"], over_units=over_units)
    variant = dataclasses.replace(
        catalog, indicators=tuple(hub if i.code == "INV_HUB" else i for i in catalog.indicators))
    frame = values(("SC01", "2025-01", "INV_HUB", 10), ("SC01", "2025-02", "INV_HUB", 20),
                   ("TS01", "2025-01", "INV_HUB", 25), ("TS01", "2025-02", "INV_HUB", 35))
    # per-unit sums: SC01 30, TS01 60
    assert figure(county_figures(variant, frame, Span(2025, 1, 2)), "INV_HUB")["value"] == expected


def test_derived_rate_is_a_ratio_of_sums_not_a_mean_of_ratios(catalog):
    frame = values(("RC01", "2025-01", "HAZARD_FOUND", 100), ("RC01", "2025-01", "HAZARD_FIXED", 90),
                   ("TS01", "2025-01", "HAZARD_FOUND", 10), ("TS01", "2025-01", "HAZARD_FIXED", 10))
    rate = figure(county_figures(catalog, frame, Span.month("2025-01")), "HAZARD_FIX_RATE")
    mean_of_ratios = (90 / 100 * 100 + 10 / 10 * 100) / 2          # 95.0
    assert rate["value"] == pytest.approx(100 / 110 * 100)         # 90.909…
    assert rate["value"] != pytest.approx(mean_of_ratios)
    assert rate["kind"] == "derived" and rate["aggregation"] == "formula" and rate["uom"] == "%"


def test_derived_division_by_zero_and_no_input_give_none(catalog):
    frame = values(("EB01", "2025-01", "OVERLOAD_CHECKED", 0), ("EB01", "2025-01", "OVERLOAD_FOUND", 0))
    out = county_figures(catalog, frame, Span.month("2025-01"))
    assert figure(out, "OVERLOAD_RATE")["value"] is None
    assert figure(out, "QA_PASS_RATE")["value"] is None           # nobody reported its inputs


def test_yoy_with_a_base(catalog):
    frame = values(("RC01", "2025-03", "INV_HIGHWAY", 1053), ("RC01", "2024-03", "INV_HIGHWAY", 1000),
                   ("RC01", "2025-03", "MAINT_FUNDS", 97.9), ("RC01", "2024-03", "MAINT_FUNDS", 100))
    out = county_figures(catalog, frame, H1_2025)
    inv = figure(out, "INV_HIGHWAY")
    assert inv["last_year_value"] == 1000 and inv["yoy_pct"] == pytest.approx(5.3)
    assert inv["yoy_note"] is None and fmt_yoy(inv["yoy_pct"]) == "同比增长5.3%"
    funds = figure(out, "MAINT_FUNDS")
    assert funds["yoy_pct"] == pytest.approx(-2.1) and fmt_yoy(funds["yoy_pct"]) == "同比下降2.1%"


def test_yoy_without_a_base_is_none_never_zero(catalog):
    frame = values(("RC01", "2025-03", "INV_HIGHWAY", 1053))
    inv = figure(county_figures(catalog, frame, H1_2025), "INV_HIGHWAY")
    assert inv["last_year_value"] is None
    assert inv["yoy_pct"] is None and inv["yoy_note"] == "no_base"
    assert fmt_yoy(inv["yoy_pct"]) == "上年同期无可比数据"


def test_target_completion_flow_and_level(catalog):
    frame = values(("RC01", "2025-02", "INV_TOTAL", 20000), ("SC01", "2025-05", "INV_TOTAL", 9000),
                   ("RC01", "2025-06", "HAZARD_FOUND", 100), ("RC01", "2025-06", "HAZARD_FIXED", 96.04))
    out = county_figures(catalog, frame, H1_2025)
    total = figure(out, "INV_TOTAL")
    assert total["target"] == 58000 and total["target_basis"] == "cumulative"
    assert total["completion_pct"] == pytest.approx(50.0) and total["half_done"] is True
    assert fmt_completion(total["completion_pct"]) == "完成年度目标的50.0%"
    fix = figure(out, "HAZARD_FIX_RATE")
    assert fix["target"] == 98 and fix["target_basis"] == "level"
    assert fix["completion_pct"] == pytest.approx(98.0)         # 96.04 % of a 98 % target level
    assert fix["half_done"] is None                             # a level, not a task to be half done
    assert figure(out, "FREIGHT_VOLUME")["target"] is None
    assert figure(out, "FREIGHT_VOLUME")["completion_pct"] is None


def _targets_at(catalog, share: float, *, except_code: str | None = None, low: float = 0.4):
    rows = []
    for code, target in sorted(catalog.targets[2025].items()):
        ind = catalog.indicator_by_code.get(code)
        if ind is None or ind.nature != "flow" or ind.over_time != "sum":
            continue
        unit = next(u for u in catalog.units if u.kind in ind.reported_by and u.active_in("2025-03"))
        rows.append((unit.code, "2025-03", code, target * (low if code == except_code else share)))
    return values(*rows)


def test_time_half_task_half_true(catalog):
    out = county_figures(catalog, _targets_at(catalog, 0.5), H1_2025)
    assert time_half_task_half(out) == (True, [])
    assert out["half_done"].map(lambda v: v is not None).sum() == 16


def test_time_half_task_half_false_lists_the_lagging(catalog):
    out = county_figures(catalog, _targets_at(catalog, 0.6, except_code="BRIDGE_REBUILT"), H1_2025)
    assert time_half_task_half(out) == (False, ["BRIDGE_REBUILT"])
    with pytest.raises(ValueError):
        time_half_task_half(county_figures(catalog, _targets_at(catalog, 0.6), Span.through("2025-09")))


def test_missing_unit_is_listed_not_counted_as_zero(catalog):
    june = Span.month("2025-06")
    rows = [(u, "2025-06", "INV_HIGHWAY", 10) for u in ["RC01"] + TOWNS_2025 if u != "TS03"]
    inv = figure(county_figures(catalog, values(*rows), june), "INV_HIGHWAY")
    assert inv["value"] == 100                                  # the ten who reported
    assert inv["missing_units"] == ["TS03"]
    assert inv["units_expected"] == 11 and inv["units_reported"] == 10
    hub = figure(county_figures(catalog, values(*rows), june), "INV_HUB")
    assert hub["value"] is None and hub["missing_units"] == ["SC01"]    # nobody: None, not 0


def test_missing_units_follow_the_completeness_frame_when_given(catalog):
    june = Span.month("2025-06")
    rows = [("RC01", "2025-06", "INV_HIGHWAY", 10)]
    status = pd.DataFrame({"unit": ["RC01", "TS01"], "period": ["2025-06", "2025-06"],
                           "status": ["on_time", "missing"]})
    inv = figure(county_figures(catalog, values(*rows), june, completeness=status), "INV_HIGHWAY")
    assert inv["missing_units"] == ["TS01"] and inv["units_expected"] == 2


def test_results_do_not_depend_on_row_order(catalog):
    rows = [(u, p, code, (i * 7) % 13 + 1) for i, (u, p, code) in enumerate(
        (u, p, c) for u in ["RC01", "TS01", "TS02", "SC01"] for p in months(H1_2025)
        for c in ("INV_HIGHWAY", "HAZARD_FOUND", "HAZARD_FIXED", "VILLAGES_TOTAL", "ROAD_MQI"))]
    frame = values(*rows)
    shuffled = frame.sample(frac=1, random_state=7)
    pd.testing.assert_frame_equal(county_figures(catalog, frame, H1_2025),
                                  county_figures(catalog, shuffled, H1_2025))
    pd.testing.assert_frame_equal(unit_breakdown(catalog, frame, H1_2025, "INV_HIGHWAY"),
                                  unit_breakdown(catalog, shuffled, H1_2025, "INV_HIGHWAY"))


def test_monthly_series_and_to_date(catalog):
    frame = values(("RC01", "2025-01", "INV_HIGHWAY", 10), ("RC01", "2025-02", "INV_HIGHWAY", 20),
                   ("RC01", "2025-03", "INV_HIGHWAY", 30), ("RC01", "2024-02", "INV_HIGHWAY", 16))
    out = monthly_series(catalog, frame, Span(2025, 1, 4), "INV_HIGHWAY")
    assert list(out["period"]) == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert list(out["value"]) == [10, 20, 30, None]
    assert list(out["to_date"]) == [10, 30, 60, 60]
    assert out.loc[1, "yoy_pct"] == pytest.approx(25.0) and out.loc[0, "yoy_note"] == "no_base"
