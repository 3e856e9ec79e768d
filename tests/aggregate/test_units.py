"""aggregate/units.py: per-unit breakdowns, the appendix's ranking table and the unit values table."""
from __future__ import annotations

import pandas as pd
import pytest

from aggregate_helpers import values
from county_reports.aggregate import Span, unit_breakdown, unit_ranking


def test_unit_breakdown_share_rank_ties_and_missing(catalog):
    rows = [("RC01", "2025-01", "INV_HIGHWAY", 50), ("RC01", "2025-02", "INV_HIGHWAY", 50),
            ("TS01", "2025-01", "INV_HIGHWAY", 30), ("TS02", "2025-01", "INV_HIGHWAY", 30),
            ("TS02", "2025-02", "INV_HIGHWAY", 0)]
    out = unit_breakdown(catalog, values(*rows), Span(2025, 1, 2), "INV_HIGHWAY").set_index("unit")
    assert out.loc["RC01", "value"] == 100 and out.loc["RC01", "rank"] == 1
    assert out.loc["TS01", "rank"] == 2 and out.loc["TS02", "rank"] == 2     # tie: same rank
    assert out.loc["RC01", "share_pct"] == pytest.approx(62.5)
    assert out.loc["TS01", "note"] == "partial" and out.loc["TS01", "missing_periods"] == ["2025-02"]
    assert out.loc["TS03", "value"] is None and out.loc["TS03", "rank"] is None
    assert out.loc["TS03", "note"] == "missing" and out.loc["TS03", "months_expected"] == 2
    assert list(out.index[:3]) == ["RC01", "TS01", "TS02"]


def test_unit_breakdown_of_a_derived_rate_uses_each_units_own_sums(catalog):
    rows = [("RC01", "2025-01", "HAZARD_FOUND", 10), ("RC01", "2025-01", "HAZARD_FIXED", 9),
            ("RC01", "2025-02", "HAZARD_FOUND", 30), ("RC01", "2025-02", "HAZARD_FIXED", 30)]
    out = unit_breakdown(catalog, values(*rows), Span(2025, 1, 2), "HAZARD_FIX_RATE").set_index("unit")
    assert out.loc["RC01", "value"] == pytest.approx(97.5) and out.loc["RC01", "share_pct"] is None


def test_unit_ranking_table_for_the_appendix(catalog):
    rows = [("RC01", "2025-01", "INV_HIGHWAY", 50), ("TS01", "2025-01", "INV_HIGHWAY", 80),
            ("TS01", "2025-01", "RURAL_ROAD_KM", 3.5)]
    out = unit_ranking(catalog, values(*rows), Span.month("2025-01"), ["INV_HIGHWAY", "RURAL_ROAD_KM"],
                       sort_by="INV_HIGHWAY", total_name="合计")
    assert list(out.columns) == ["unit", "unit_name", "INV_HIGHWAY", "INV_HIGHWAY_rank",
                                 "RURAL_ROAD_KM", "RURAL_ROAD_KM_rank"]
    assert list(out["unit"][:2]) == ["TS01", "RC01"]
    total = out.iloc[-1]
    assert total["unit"] == "TOTAL" and total["unit_name"] == "合计"
    assert total["INV_HIGHWAY"] == 130 and total["RURAL_ROAD_KM"] == 3.5


def test_unit_values_table_agrees_with_the_breakdowns():
    from county_reports.aggregate import unit_breakdown, unit_values_table
    from county_reports.core.catalog import load_catalog
    from county_reports.simulator.seeding import accepted_verdicts

    catalog = load_catalog()
    rows = [{"unit": v.unit, "period": v.period, "indicator": k, "value": x, "submission_id": 1, "version": 1}
            for v in accepted_verdicts(catalog, "2025-01", "2025-06") for k, x in v.values.items()]
    values = pd.DataFrame(rows)
    span = Span.half_year(2025)
    table = unit_values_table(catalog, values, span).set_index("unit")
    for code in ("INV_TOTAL", "MAINT_ROUTINE_KM", "ROAD_MQI", "PEAK_DAILY_PASSENGERS"):
        breakdown = unit_breakdown(catalog, values, span, code).set_index("unit")["value"].dropna()
        for unit, value in breakdown.items():
            assert table.loc[unit, code] == pytest.approx(value), (code, unit)
