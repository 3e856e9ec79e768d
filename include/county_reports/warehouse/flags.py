"""Values flagged as likely slips, as stored (``value_flags``, issue 20): reads for the approval
listing, the status page and the circular.

A flag belongs to the version that carried the value: the current version's flags are the ones
that count. *Unconfirmed* means the unit has not answered "核实无误" in that version; a correction
is a new version, whose value is judged again (no flag when the check no longer fires).
"""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine

from county_reports.core import periods as periods_mod
from county_reports.warehouse import schema as t

COLUMNS = ("unit", "period", "indicator", "value", "raw_value", "expected", "effect", "confirmed",
           "reason", "submission_id", "version")


def current_flags(engine: Engine, periods: Iterable[str], *, unconfirmed_only: bool = False) -> pd.DataFrame:
    """The flags of the current accepted versions in ``periods``, the largest effect first
    (a flag without an effect last), then unit, month and indicator."""
    months = sorted(set(periods))
    for month in months:
        periods_mod.parse(month)
    s, v, f = t.submissions, t.submission_values, t.value_flags
    query = (select(s.c.unit, s.c.period, f.c.indicator, v.c.value, v.c.raw_value, f.c.expected,
                    f.c.effect, f.c.confirmed, f.c.reason, s.c.id, s.c.version)
             .join(f, f.c.submission_id == s.c.id)
             .join(v, (v.c.submission_id == s.c.id) & (v.c.indicator == f.c.indicator), isouter=True)
             .where(s.c.period.in_(months) & s.c.superseded_by.is_(None)
                    & s.c.status.in_(t.ACCEPTED_STATUSES)))
    if unconfirmed_only:
        query = query.where(f.c.confirmed.is_(False))
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(query)]
    frame = pd.DataFrame(rows, columns=list(COLUMNS)).astype(
        {"value": "float64", "expected": "float64", "effect": "float64", "confirmed": bool})
    return rank(frame)


def rank(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows by ``effect``, largest first, NaN last; ties in unit, period, indicator order."""
    return frame.sort_values(["effect", "unit", "period", "indicator"], ascending=[False, True, True, True],
                             na_position="last", kind="stable").reset_index(drop=True)
