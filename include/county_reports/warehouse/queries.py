"""Read-side queries of the warehouse, as pandas DataFrames for the aggregate and report stages.

"Current" means: the accepted (or accepted_with_warnings) version of a (unit, period) that no
later accepted version has superseded. Rejected versions are never current.

Timeliness (``completeness``): a (unit, period) is expected when the unit is active in that
period in the catalogue's roster. Its report is due at the end of ``unit.due_date(period)`` on
the bureau's clock (shown as 23:59:59 local; anything before the next local midnight is on time).
The time that counts is the ``arrived_at`` of the earliest-arriving accepted version, so a later
correction does not make an on-time report late.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, UTC
from typing import Any
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import case, func, select, type_coerce
from sqlalchemy.engine import Engine

from county_reports.core import periods as periods_mod
from county_reports.core.catalog import Catalog
from county_reports.warehouse import schema as t
from county_reports.core import timeliness

VALUE_COLUMNS = ["unit", "period", "indicator", "value", "submission_id", "version"]
NARRATIVE_COLUMNS = ["unit", "period", "kind", "section", "text", "seq"]
COMPLETENESS_COLUMNS = [
    "unit", "unit_name", "kind", "period", "status", "due", "first_accepted_arrived_at",
    "first_arrived_at", "submissions", "accepted_versions", "rejected_versions",
    "current_submission_id", "current_version", "collection_status", "collection_reason"]
RATE_COLUMNS = ["period", "expected", "reported", "on_time", "late", "rejected", "missing",
                "rate", "on_time_rate"]
TIMELINESS = ("on_time", "late", "rejected", "missing")


def _periods(periods: Iterable[str]) -> list[str]:
    out: list[str] = []
    for p in periods:
        periods_mod.parse(p)
        if p not in out:
            out.append(p)
    return out


def _current(s=t.submissions):
    return s.c.superseded_by.is_(None) & s.c.status.in_(t.ACCEPTED_STATUSES)


def current_values(engine: Engine, periods: Iterable[str],
                   unit_codes: Iterable[str] | None = None) -> pd.DataFrame:
    """unit, period, indicator, value, submission_id, version of current versions (numeric values
    only: a value that was not a number has no figure to aggregate)."""
    s, v = t.submissions, t.submission_values
    query = (select(s.c.unit, s.c.period, v.c.indicator, v.c.value, s.c.id.label("submission_id"),
                    s.c.version)
             .join(v, v.c.submission_id == s.c.id)
             .where(s.c.period.in_(_periods(periods)) & _current() & v.c.value.is_not(None))
             .order_by(s.c.period, s.c.unit, v.c.indicator))
    if unit_codes is not None:
        query = query.where(s.c.unit.in_(list(unit_codes)))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    df = pd.DataFrame([tuple(r) for r in rows], columns=VALUE_COLUMNS)
    return df.astype({"value": "float64", "submission_id": "int64", "version": "int64"})


def current_narratives(engine: Engine, periods: Iterable[str],
                       unit_codes: Iterable[str] | None = None) -> pd.DataFrame:
    """unit, period, kind, section, text, seq of current versions, in the units' order."""
    s, n = t.submissions, t.narratives
    query = (select(s.c.unit, s.c.period, n.c.kind, n.c.section, n.c.text, n.c.seq)
             .join(n, n.c.submission_id == s.c.id)
             .where(s.c.period.in_(_periods(periods)) & _current())
             .order_by(s.c.period, s.c.unit, n.c.seq))
    if unit_codes is not None:
        query = query.where(s.c.unit.in_(list(unit_codes)))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=NARRATIVE_COLUMNS).astype({"seq": "int64"})


def submissions(engine: Engine, unit: str | None = None, period: str | None = None) -> pd.DataFrame:
    """Every stored version (history and quarantine), newest last."""
    s = t.submissions
    query = select(s).order_by(s.c.period, s.c.unit, s.c.version)
    if unit is not None:
        query = query.where(s.c.unit == unit)
    if period is not None:
        query = query.where(s.c.period == period)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    df = pd.DataFrame([tuple(r) for r in rows], columns=[c.name for c in s.columns])
    return df.astype({"id": "int64", "version": "int64", "superseded_by": "Int64"})


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_NAT = np.iinfo(np.int64).min        # numpy's NaT as int64


ROSTER_FILTER_MAX = 500     # a roster up to this size (a county) is filtered in SQL


def _units_filter(column, codes: list[str]):
    """``column IN codes`` for a county-sized roster; for a province's the months alone select the
    rows (the join with the roster drops the others) — no 3,000-value IN list to plan and hash."""
    return column.in_(codes) if len(codes) <= ROSTER_FILTER_MAX else column.is_not(None)


def _version_summary(conn, wanted: list[str], codes: list[str]) -> pd.DataFrame:
    """Per stored (unit, period) of these months and units: how many versions, how many accepted,
    the first arrival (of any and of an accepted version), the current version — in SQL."""
    s = t.submissions
    acc = s.c.status.in_(t.ACCEPTED_STATUSES)
    cur = acc & s.c.superseded_by.is_(None)
    query = (select(s.c.unit, s.c.period, func.count().label("submissions"),
                    func.sum(case((acc, 1), else_=0)).label("accepted_versions"),
                    type_coerce(func.min(s.c.arrived_at), t.UTCDateTime).label("first_arrived_at"),
                    type_coerce(func.min(case((acc, s.c.arrived_at))), t.UTCDateTime)
                    .label("first_accepted_arrived_at"),
                    func.max(case((cur, s.c.id))).label("current_submission_id"),
                    func.max(case((cur, s.c.version))).label("current_version"))
             .where(s.c.period.in_(wanted) & _units_filter(s.c.unit, codes))
             .group_by(s.c.unit, s.c.period))
    rows = conn.execute(query).all()
    return pd.DataFrame([tuple(r) for r in rows],
                        columns=["unit", "period", "submissions", "accepted_versions", "first_arrived_at",
                                 "first_accepted_arrived_at", "current_submission_id", "current_version"])


def _micros(values: pd.Series) -> np.ndarray:
    """Aware timestamps (missing ones NaT/None) as int64 microseconds since the epoch (NaT's int64)."""
    return pd.DatetimeIndex(pd.to_datetime(values, utc=True)).as_unit("us").asi8


def _zoned(micros: np.ndarray, tz: str) -> pd.Series:
    utc = pd.Series(micros.view("M8[us]")).dt.tz_localize("UTC")
    return utc.dt.tz_convert(tz).astype(pd.DatetimeTZDtype(unit="us", tz=tz))


def _unless(series: pd.Series, mask: np.ndarray) -> pd.Series:
    """The values as objects, None where missing or where ``mask`` holds."""
    return series.astype(object).where(series.notna().to_numpy() & ~mask, None)


def completeness(engine: Engine, catalog: Catalog, periods: Iterable[str]) -> pd.DataFrame:
    """One row per expected (unit, period): status on_time | late | rejected | missing.

    Timestamps (``due``, ``first_accepted_arrived_at``, ``first_arrived_at``) are in the
    bureau's time zone. ``collection_status``/``collection_reason`` tell missing from failed.
    The versions are summarised in SQL and the roster joined in pandas: the province's status
    page (3,000 units × 12 months) stays interactive.
    """
    wanted = _periods(periods)
    # Only the catalogue's units are expected: a county's catalogue reads its own units' rows
    # from a warehouse shared by many counties (ix_submissions_period_unit, migration 0006).
    codes = sorted({u.code for u in catalog.units})
    with engine.connect() as conn:
        summary = _version_summary(conn, wanted, codes)
        not_received = _not_received(conn, wanted, codes)
    keys = {"unit": object, "period": object}
    df = _expected(catalog, wanted).astype(keys | {"due": "int64", "cutoff": "int64"}) \
        .merge(summary.astype(keys), on=["unit", "period"], how="left") \
        .merge(not_received.astype(keys), on=["unit", "period"], how="left")
    return _statuses(df, catalog.bureau.timezone)


def _not_received(conn, wanted: list[str], codes: list[str]) -> pd.DataFrame:
    """The latest collection's not-received records (missing or failed) of these units and months."""
    cs = t.collection_status
    query = select(cs.c.unit, cs.c.period, cs.c.status, cs.c.reason) \
        .where(cs.c.period.in_(wanted) & _units_filter(cs.c.unit, codes))
    return pd.DataFrame([tuple(r) for r in conn.execute(query)],
                        columns=["unit", "period", "collection_status", "collection_reason"])


def _expected(catalog: Catalog, wanted: list[str]) -> pd.DataFrame:
    """The roster: every unit active in each month, with its due time and the cutoff after it
    (microseconds since the epoch; computed once per month and deadline day)."""
    zone = ZoneInfo(catalog.bureau.timezone)
    expected: dict[str, list] = {"unit": [], "unit_name": [], "kind": [], "period": [], "due": [], "cutoff": []}
    dues: dict[tuple[str, int], tuple[int, int]] = {}
    for period in wanted:
        for unit in catalog.units_active_in(period):
            pair = dues.get((period, unit.deadline_day))
            if pair is None:
                due_day = unit.due_date(period)
                due = datetime.combine(due_day, time(23, 59, 59), tzinfo=zone)
                cutoff = datetime.combine(due_day + timedelta(days=1), time(0), tzinfo=zone)
                pair = dues[(period, unit.deadline_day)] = ((due - _EPOCH) // _US, (cutoff - _EPOCH) // _US)
            expected["unit"].append(unit.code)
            expected["unit_name"].append(unit.name)
            expected["kind"].append(unit.kind)
            expected["period"].append(period)
            expected["due"].append(pair[0])
            expected["cutoff"].append(pair[1])
    return pd.DataFrame(expected)


def _statuses(df: pd.DataFrame, tz: str) -> pd.DataFrame:
    """The roster joined with the versions: each expected (unit, period)'s status and times."""
    n = df["submissions"].fillna(0).astype("int64")
    accepted = df["accepted_versions"].fillna(0).astype("int64")
    first_accepted = _micros(df["first_accepted_arrived_at"])
    has_accepted = first_accepted != _NAT
    cutoff = df["cutoff"].to_numpy(dtype=np.int64)
    status = np.select([has_accepted & (first_accepted < cutoff), has_accepted, n.to_numpy() > 0],
                       ["on_time", "late", "rejected"], "missing")
    received = n.to_numpy() > 0      # something arrived: the not-received record no longer applies
    out = pd.DataFrame({
        "unit": df["unit"], "unit_name": df["unit_name"], "kind": df["kind"], "period": df["period"],
        "status": pd.Series(status, dtype=object),
        "due": _zoned(df["due"].to_numpy(dtype=np.int64), tz),
        "first_accepted_arrived_at": _zoned(first_accepted, tz),
        "first_arrived_at": _zoned(_micros(df["first_arrived_at"]), tz),
        "submissions": n, "accepted_versions": accepted, "rejected_versions": n - accepted,
        "current_submission_id": pd.array(df["current_submission_id"], dtype="Int64"),
        "current_version": pd.array(df["current_version"], dtype="Int64"),
        "collection_status": _unless(df["collection_status"], received),
        "collection_reason": _unless(df["collection_reason"], received),
    }, columns=COMPLETENESS_COLUMNS)
    return out.astype({"unit": object, "unit_name": object, "kind": object, "period": object,
                       "status": object, "collection_status": object, "collection_reason": object})


def reporting_rate(engine: Engine, catalog: Catalog, periods: Iterable[str]) -> pd.DataFrame:
    """Per period: expected, reported (= on_time + late), on_time, late, rejected, missing, rate
    (reported / expected) and on_time_rate. Only expected units count, so a rate is never
    above 1; with nothing expected the rates are NaN."""
    wanted = _periods(periods)
    return rates_of(completeness(engine, catalog, wanted), wanted)


def rates_of(done: pd.DataFrame, periods: Iterable[str]) -> pd.DataFrame:
    """``reporting_rate`` from a ``completeness`` frame already read for these periods."""
    wanted = _periods(periods)
    counts = {p: dict.fromkeys(TIMELINESS, 0) for p in wanted}
    for period, status in zip(done["period"], done["status"], strict=False):
        counts[period][status] += 1
    rows = []
    for period in wanted:
        c = counts[period]
        expected = sum(c.values())
        reported = timeliness.reported(c)
        rows.append({"period": period, "expected": expected, "reported": reported, **c,
                     "rate": reported / expected if expected else float("nan"),
                     "on_time_rate": c["on_time"] / expected if expected else float("nan")})
    df = pd.DataFrame(rows, columns=RATE_COLUMNS)
    return df.astype({k: "int64" for k in RATE_COLUMNS[1:7]} | {"rate": "float64", "on_time_rate": "float64"})


def _sort_key(row: dict[str, Any]) -> tuple:
    return tuple((v is None, type(v).__name__, v if isinstance(v, (int, float)) else str(v))
                 for v in row.values())


def table_snapshot(engine: Engine, exclude_columns: Iterable[str] = ()) -> dict[str, list[dict]]:
    """Every warehouse table as sorted rows (dicts) without ``exclude_columns``: for comparing
    the database before and after a re-run."""
    excluded = set(exclude_columns)
    out: dict[str, list[dict]] = {}
    with engine.connect() as conn:
        for table in t.TABLES:
            cols = [c for c in table.columns if c.name not in excluded]
            rows = [dict(r._mapping) for r in conn.execute(select(*cols))]
            out[table.name] = sorted(rows, key=_sort_key)
    return out


def latest_period(engine: Engine, unit_codes: Iterable[str] | None = None) -> str | None:
    """The newest month with a stored submission (of these units), or None."""
    s = t.submissions
    query = select(func.max(s.c.period))
    if unit_codes is not None:
        query = query.where(s.c.unit.in_(list(unit_codes)))
    with engine.connect() as conn:
        return conn.execute(query).scalar()
