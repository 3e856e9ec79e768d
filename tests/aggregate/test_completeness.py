"""aggregate/completeness.py: months expected, reported, late and missing per unit, and the totals."""
from __future__ import annotations

import pandas as pd
import pytest

from aggregate_helpers import months
from county_reports.aggregate import Span, completeness_summary, completeness_totals


def test_completeness_never_above_100_for_units_that_closed_or_opened(catalog):
    year = Span.full_year(2024)
    rows = [("TS09", p, "late" if p == "2024-03" else "on_time") for p in months(year)[:9]]
    rows += [("TS09", "2024-10", "missing")]                  # stray row after the merger
    rows += [("TS11", p, "missing" if p == "2024-08" else "on_time") for p in months(year)[6:]
             if p != "2024-09"]
    rows += [("TS11", "2024-09", "rejected"), ("TS11", "2024-09", "late")]   # rejected, then accepted
    status = pd.DataFrame(rows, columns=["unit", "period", "status"])
    out = completeness_summary(status, year, catalog=catalog).set_index("unit")
    assert out.loc["TS09", "months_expected"] == 9 and out.loc["TS09", "rate"] == 100.0
    assert out.loc["TS09", "late"] == 1 and out.loc["TS09", "on_time_rate"] == pytest.approx(800 / 9)
    assert out.loc["TS11", "months_expected"] == 6 and out.loc["TS11", "rejected"] == 0
    assert out.loc["TS11", "late"] == 1 and out.loc["TS11", "missing"] == 1
    assert out.loc["TS11", "missing_periods"] == ["2024-08"]
    assert (out["rate"] <= 100).all() and (out["reported"] <= out["months_expected"]).all()
    totals = completeness_totals(out.reset_index())
    assert totals["months_expected"] == 15 and totals["reported"] == 14
    assert totals["rate"] == pytest.approx(1400 / 15) and totals["units_with_gaps"] == ["TS11"]


def test_completeness_counts_rejected_only_without_an_accepted_version():
    status = pd.DataFrame({"unit": ["TS01", "TS01", "TS01"], "period": ["2025-01", "2025-02", "2025-02"],
                           "status": ["rejected", "rejected", "on_time"]})
    row = completeness_summary(status, Span(2025, 1, 2)).iloc[0]
    assert (row["rejected"], row["on_time"], row["months_expected"], row["rate"]) == (1, 1, 2, 50.0)
    with pytest.raises(ValueError, match="unknown status"):
        completeness_summary(status.assign(status="lost"), Span(2025, 1, 2))
