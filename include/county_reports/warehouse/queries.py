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

from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import Any, Iterable
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from county_reports import periods as periods_mod
from county_reports.catalog import Catalog
from county_reports.warehouse import schema as t

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


def _local_series(values: list[datetime | None], tz: str) -> pd.Series:
    dtype = pd.DatetimeTZDtype(unit="us", tz=tz)
    return pd.Series([pd.NaT if v is None else pd.Timestamp(v).tz_convert(tz) for v in values],
                     dtype=dtype)


def completeness(engine: Engine, catalog: Catalog, periods: Iterable[str]) -> pd.DataFrame:
    """One row per expected (unit, period): status on_time | late | rejected | missing.

    Timestamps (``due``, ``first_accepted_arrived_at``, ``first_arrived_at``) are in the
    bureau's time zone. ``collection_status``/``collection_reason`` tell missing from failed.
    """
    wanted = _periods(periods)
    tz = catalog.bureau.timezone
    zone = ZoneInfo(tz)
    s, cs = t.submissions, t.collection_status
    # Only the catalogue's units are expected: a county's catalogue reads its own units' rows
    # from a warehouse shared by many counties (ix_submissions_period_unit, migration 0006).
    codes = sorted({u.code for u in catalog.units})
    with engine.connect() as conn:
        subs = conn.execute(select(s.c.id, s.c.unit, s.c.period, s.c.version, s.c.status,
                                   s.c.arrived_at, s.c.superseded_by)
                            .where(s.c.period.in_(wanted) & s.c.unit.in_(codes))).all()
        not_received = {(r.unit, r.period): r for r in
                        conn.execute(select(cs).where(cs.c.period.in_(wanted) & cs.c.unit.in_(codes)))}
    by_key: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in subs:
        by_key[(row.unit, row.period)].append(row)

    records: list[dict[str, Any]] = []
    for period in wanted:
        for unit in catalog.units_active_in(period):
            versions = by_key.get((unit.code, period), [])
            accepted = [r for r in versions if r.status in t.ACCEPTED_STATUSES]
            current = next((r for r in accepted if r.superseded_by is None), None)
            due_day = unit.due_date(period)
            due = datetime.combine(due_day, time(23, 59, 59), tzinfo=zone)
            cutoff = datetime.combine(due_day + timedelta(days=1), time(0), tzinfo=zone)
            first_accepted = min((r.arrived_at for r in accepted), default=None)
            if first_accepted is not None:
                status = "on_time" if first_accepted < cutoff else "late"
            else:
                status = "rejected" if versions else "missing"
            nr = not_received.get((unit.code, period))
            records.append({
                "unit": unit.code, "unit_name": unit.name, "kind": unit.kind, "period": period,
                "status": status, "due": due, "first_accepted_arrived_at": first_accepted,
                "first_arrived_at": min((r.arrived_at for r in versions), default=None),
                "submissions": len(versions), "accepted_versions": len(accepted),
                "rejected_versions": len(versions) - len(accepted),
                "current_submission_id": current.id if current else None,
                "current_version": current.version if current else None,
                "collection_status": nr.status if nr is not None and not versions else None,
                "collection_reason": nr.reason if nr is not None and not versions else None,
            })
    df = pd.DataFrame(records, columns=COMPLETENESS_COLUMNS)
    for col in ("due", "first_accepted_arrived_at", "first_arrived_at"):
        df[col] = _local_series([r[col] for r in records], tz)
    return df.astype({"submissions": "int64", "accepted_versions": "int64",
                      "rejected_versions": "int64", "current_submission_id": "Int64",
                      "current_version": "Int64"})


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
    for period, status in zip(done["period"], done["status"]):
        counts[period][status] += 1
    rows = []
    for period in wanted:
        c = counts[period]
        expected = sum(c.values())
        reported = c["on_time"] + c["late"]
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
