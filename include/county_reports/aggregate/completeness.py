"""Who reported, on time or late, month by month: completeness and timeliness per unit."""
from __future__ import annotations

import pandas as pd

from county_reports.aggregate.indicator import require_columns, make_frame, tidy, unit_sort_key
from county_reports.aggregate.span import Span
from county_reports.core.catalog import Catalog
from county_reports.core.timeliness import STATUSES, reported as count_reported

# The warehouse's "failed" (the unit's endpoint kept erroring) is, for the report, not received.
_ALIASES = {"failed": "missing"}
_BEST_FIRST = {status: i for i, status in enumerate(STATUSES)}
SUMMARY_COLUMNS = ("unit", "unit_name", "months_expected", "reported", "on_time", "late",
                   "rejected", "missing", "rate", "on_time_rate", "missing_periods")


def completeness_summary(completeness: pd.DataFrame, span: Span, *,
                         catalog: Catalog | None = None) -> pd.DataFrame:
    """One row per unit expected in the span.

    ``completeness`` has one row per expected (unit, period) with status on_time, late, rejected
    or missing ('failed' counts as missing). Should a (unit, period) appear more than once, its
    best status counts (on_time > late > rejected > missing): 'rejected' therefore only when no
    version was accepted. With ``catalog``, rows for months a unit was not active are dropped
    (a unit closed mid-year, like TS09 after 2024-09, is not expected afterwards) and unit_name
    is filled; rows are in registry order (else by unit code).

    Columns: unit, unit_name, months_expected, reported (on_time + late), on_time, late,
    rejected, missing, rate (reported / months_expected × 100, never above 100), on_time_rate,
    missing_periods (months without an accepted report).
    """
    frame = _best_status(completeness, span, catalog)
    key = unit_sort_key(catalog) if catalog is not None else (lambda code: code)
    rows = []
    for unit in sorted(set(frame["unit"]), key=key):
        mine = frame[frame["unit"] == unit]
        counts = mine["status"].value_counts()
        n = {s: int(counts.get(s, 0)) for s in STATUSES}
        expected = len(mine)
        reported = count_reported(n)
        name = catalog.unit_by_code[unit].name if catalog and unit in catalog.unit_by_code else unit
        rows.append({"unit": unit, "unit_name": name, "months_expected": expected,
                     "reported": reported, **n, "rate": tidy(reported / expected * 100),
                     "on_time_rate": tidy(n["on_time"] / expected * 100),
                     "missing_periods": sorted(mine.loc[mine["status"].isin(("rejected", "missing")),
                                                        "period"])})
    out = make_frame(rows, SUMMARY_COLUMNS, ())
    for column in ("months_expected", "reported", *STATUSES):
        out[column] = out[column].astype("int64")
    for column in ("rate", "on_time_rate"):
        out[column] = out[column].astype("float64")
    return out


def _best_status(completeness: pd.DataFrame, span: Span, catalog: Catalog | None) -> pd.DataFrame:
    """unit, period, status: the span's expected months (active ones, with a catalogue), each
    once with its best status; 'failed' read as missing, an unknown status a ValueError."""
    require_columns(completeness, ("unit", "period", "status"), "completeness")
    frame = pd.DataFrame({"unit": completeness["unit"].astype(str),
                          "period": completeness["period"].astype(str),
                          "status": completeness["status"].astype(str).map(lambda s: _ALIASES.get(s, s))})
    unknown = sorted(set(frame["status"]) - set(STATUSES))
    if unknown:
        raise ValueError(f"completeness: unknown status {unknown[0]!r} (expected one of "
                         f"{', '.join(STATUSES)})")
    frame = frame[frame["period"].isin(span.periods)]
    if catalog is not None:
        known = catalog.unit_by_code
        frame = frame[[known[u].active_in(p) if u in known else True
                       for u, p in zip(frame["unit"], frame["period"], strict=False)]]
    frame = (frame.assign(order=frame["status"].map(_BEST_FIRST))
             .sort_values(["unit", "period", "order"], kind="stable")
             .drop_duplicates(["unit", "period"], keep="first"))
    return frame


def completeness_totals(summary: pd.DataFrame) -> dict:
    """County totals of a :func:`completeness_summary`.

    Keys: units, months_expected, reported, on_time, late, rejected, missing, rate,
    on_time_rate (None when nothing was expected), units_complete (units with every month
    reported), units_with_gaps (their codes, in the summary's order).
    """
    expected = int(summary["months_expected"].sum())
    totals = {c: int(summary[c].sum()) for c in ("reported", *STATUSES)}
    gaps = [str(u) for u, r, e in zip(summary["unit"], summary["reported"], summary["months_expected"], strict=False)
            if r < e]
    return {"units": len(summary), "months_expected": expected, **totals,
            "rate": tidy(totals["reported"] / expected * 100) if expected else None,
            "on_time_rate": tidy(totals["on_time"] / expected * 100) if expected else None,
            "units_complete": len(summary) - len(gaps), "units_with_gaps": gaps}
