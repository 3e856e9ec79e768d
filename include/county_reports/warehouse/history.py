"""The history that validation's outlier checks read: compact, streamed, at province scale.

A province month is validated against about 13 months of history (``validate.intake.history_periods``:
the ``window`` of ``validation.yaml`` and the same month last year), some 6 million value rows for
3,000 units × 150 indicators. Read as ``queries.current_values`` reads (one Python tuple per row,
then object columns) that costs gigabytes; here the rows are streamed from the database in
partitions and each partition is kept as categoricals (unit, period, indicator) and float64 values
— about 13 bytes a row. On PostgreSQL the rows come as CSV through ``COPY`` and pandas' C
parser (seconds for millions of rows); elsewhere through the driver in partitions. The rows are
``current_values``'s (current versions, numeric values only) less the values flagged as likely
slips and not yet confirmed (``value_flags``: never part of the history), with only the four
columns the outlier check uses (``validate.outlier_arrays.HISTORY_COLUMNS``), in no particular
order (the check places each value by its unit, indicator and month).

The medians themselves stay in ``validate.outliers`` (numpy) on SQLite and PostgreSQL alike: one
computation, so the flags cannot differ by database.
"""
from __future__ import annotations

import tempfile
from collections.abc import Iterable

import pandas as pd
from pandas.api.types import union_categoricals
from sqlalchemy import select
from sqlalchemy.engine import Engine

from county_reports.core import periods as periods_mod
from county_reports.warehouse import schema as t

COLUMNS = ("unit", "period", "indicator", "value")
PARTITION_ROWS = 200_000   # rows turned into Python objects at a time (a few tens of MB)


def outlier_history(engine: Engine, periods: Iterable[str],
                    unit_codes: Iterable[str] | None = None) -> pd.DataFrame:
    """unit, period, indicator (categoricals), value (float64) of the current versions' numeric
    values in ``periods`` (of ``unit_codes`` only, when given)."""
    months = sorted(set(periods))
    for month in months:
        periods_mod.parse(month)   # a malformed month raises here, as in the other reads
    s, v, f = t.submissions, t.submission_values, t.value_flags
    # A flagged value is left out until the unit confirms it, so a slip never becomes the
    # yardstick (the same slip a year later would look ordinary against it); confirmed, it counts.
    flagged = (select(f.c.submission_id)
               .where((f.c.submission_id == s.c.id) & (f.c.indicator == v.c.indicator)
                      & f.c.confirmed.is_(False)))
    query = (select(s.c.unit, s.c.period, v.c.indicator, v.c.value)
             .join(v, v.c.submission_id == s.c.id)
             .where(s.c.period.in_(months) & s.c.superseded_by.is_(None)
                    & s.c.status.in_(t.ACCEPTED_STATUSES) & v.c.value.is_not(None)
                    & ~flagged.exists()))
    if unit_codes is not None:
        query = query.where(s.c.unit.in_(sorted(set(unit_codes))))
    if engine.dialect.name == "postgresql":
        return _copied(engine, query)
    parts: list[pd.DataFrame] = []
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=PARTITION_ROWS).execute(query)
        for rows in result.partitions(PARTITION_ROWS):
            parts.append(_compact(rows))
    if not parts:
        return _compact([])
    return pd.DataFrame({c: (union_categoricals([p[c] for p in parts]) if c != "value"
                             else pd.concat([p[c] for p in parts], ignore_index=True))
                         for c in COLUMNS})


class Unreachable(Exception):
    """No warehouse could be read; the message is the cause's class name (never the URL)."""


def unit_history(unit: str, periods: Iterable[str]) -> pd.DataFrame:
    """One unit's ``outlier_history`` from the warehouse of COUNTY_REPORTS_DB_URL (or the data
    folder's SQLite file), opened read-only: a missing or unreachable warehouse raises
    :class:`Unreachable` and is never created (``validate FILE`` checks without it)."""
    from sqlalchemy.exc import SQLAlchemyError

    from county_reports.warehouse.store import Warehouse

    try:
        with Warehouse(read_only=True) as warehouse:
            return outlier_history(warehouse.engine, periods, unit_codes=[unit])
    except (SQLAlchemyError, OSError, RuntimeError) as exc:
        raise Unreachable(type(exc).__name__) from None


def unit_projects(unit: str, period: str, indicator: str | None):
    """``projects.validation_history`` of one unit's month, read-only as :func:`unit_history`
    (``validate FILE``'s ledger checks); :class:`Unreachable` when no warehouse can be read."""
    from sqlalchemy.exc import SQLAlchemyError

    from county_reports.warehouse.projects import validation_history
    from county_reports.warehouse.store import Warehouse

    try:
        with Warehouse(read_only=True) as warehouse:
            return validation_history(warehouse.engine, [period], indicator, unit)
    except (SQLAlchemyError, OSError, RuntimeError) as exc:
        raise Unreachable(type(exc).__name__) from None


def _copied(engine: Engine, query) -> pd.DataFrame:
    """PostgreSQL: the rows as CSV through ``COPY … TO STDOUT`` into a temporary file, read by
    pandas' C parser straight into categoricals (no Python object per row)."""
    sql = str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    raw = engine.raw_connection()
    try:
        with tempfile.TemporaryFile() as buffer:
            raw.cursor().copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", buffer)
            raw.commit()
            buffer.seek(0)
            return pd.read_csv(buffer, header=None, names=list(COLUMNS), keep_default_na=False,
                               dtype={"unit": "category", "period": "category",
                                      "indicator": "category", "value": "float64"})
    finally:
        raw.close()


def _compact(rows) -> pd.DataFrame:
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(COLUMNS))
    return frame.astype({"unit": "category", "period": "category", "indicator": "category",
                         "value": "float64"})
