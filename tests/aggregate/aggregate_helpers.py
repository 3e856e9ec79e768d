"""Small value frames built by hand for the aggregate tests (imported like tests/validate's helpers)."""
from __future__ import annotations

import pandas as pd

from county_reports.aggregate import Span

TOWNS_2025 = ["TS01", "TS02", "TS03", "TS04", "TS05", "TS06", "TS07", "TS08", "TS10", "TS11"]
H1_2025 = Span.half_year(2025)


def values(*rows) -> pd.DataFrame:
    """rows: (unit, period, indicator, value) or (unit, period, indicator, value, version)."""
    records = []
    for i, row in enumerate(rows):
        unit, period, indicator, value, *rest = row
        version = rest[0] if rest else 1
        records.append({"unit": unit, "period": period, "indicator": indicator,
                        "value": float(value), "submission_id": 1000 + i, "version": version})
    return pd.DataFrame(records, columns=["unit", "period", "indicator", "value",
                                          "submission_id", "version"])


def figure(frame: pd.DataFrame, code: str) -> dict:
    row = frame[frame["code"] == code]
    assert len(row) == 1, code
    return row.iloc[0].to_dict()


def months(span: Span):
    return list(span.periods)
