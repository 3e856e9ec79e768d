"""A city's figures by county: shares of the city (own units included), ranks among the counties
only (ties share a rank, a county without figures has none), completion of each county's target."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from county_reports.aggregate import Span
from county_reports.aggregate.by_county import county_breakdown
from county_reports.core.catalog import load_catalog

CITY = Path(__file__).resolve().parents[2] / "include" / "config" / "city"
HALF = [f"2025-0{m}" for m in range(1, 7)]


@pytest.fixture(scope="module")
def city():
    return load_catalog(CITY)


def frame(rows):
    return pd.DataFrame([{"unit": u, "period": p, "indicator": c, "value": v, "submission_id": i, "version": 1}
                         for i, (u, p, c, v) in enumerate(rows)])


def test_shares_ranks_and_completion(city):
    monthly = {"CT01": 100.0, "CT02": 300.0, "CT03": 100.0, "CT04": 50.0, "SRC01": 450.0}
    rows = [(u, p, "INV_TOTAL", v) for u, v in monthly.items() for p in HALF]   # CT05 sent nothing
    targets = {"CT02": {2025: {"INV_TOTAL": 2400.0}}, "CT04": {2025: {"INV_TOTAL": 400.0}}}
    out = county_breakdown(city, frame(rows), Span.half_year(2025), "INV_TOTAL", targets=targets)
    got = {r.unit: r for r in out.itertuples(index=False)}
    assert list(out["unit"]) == ["CT02", "CT01", "CT03", "CT04", "CT05"]     # the city's own unit is not ranked
    assert [got[u].rank for u in ("CT02", "CT01", "CT03", "CT04")] == [1, 2, 2, 4] and got["CT05"].rank is None
    assert got["CT02"].value == 1800.0 and got["CT02"].share_pct == pytest.approx(30.0)   # of 6000, own unit included
    assert got["CT02"].completion_pct == pytest.approx(75.0) and not got["CT02"].behind
    assert got["CT04"].completion_pct == pytest.approx(75.0) and not got["CT04"].behind
    assert got["CT01"].target is None and got["CT01"].completion_pct is None and not got["CT01"].behind


def test_a_county_under_the_time_schedule_is_behind(city):
    rows = [(u, p, "INV_TOTAL", 100.0) for u in ("CT01", "CT02") for p in HALF]
    targets = {"CT01": {2025: {"INV_TOTAL": 1201.0}}, "CT02": {2025: {"INV_TOTAL": 1200.0}}}
    out = county_breakdown(city, frame(rows), Span.half_year(2025), "INV_TOTAL", targets=targets)
    behind = dict(zip(out["unit"], out["behind"], strict=False))
    assert behind["CT01"] and not behind["CT02"]                             # 49.96% vs exactly 50%
    # a rate is a level, never a county's part of the city: no share, no schedule
    rates = [(u, p, code, v) for u in ("CT01", "CT02") for p in HALF
             for code, v in (("HAZARD_FOUND", 100.0), ("HAZARD_FIXED", 90.0 if u == "CT01" else 99.0))]
    out = county_breakdown(city, frame(rates), Span.half_year(2025), "HAZARD_FIX_RATE")
    assert list(out["unit"][:2]) == ["CT02", "CT01"] and out["share_pct"].isna().all()
