"""Storing an imported past year: every (unit, month) of the import in one transaction, or nothing.

The versions are written by the same bulk path as collection's (``bulk.write_chunk``: versions,
duplicates, supersession, audit rows) with ``source`` ``history_import``, so a re-import of the
same figures is a duplicate and changes nothing, and a corrected workbook becomes a new version.
What is particular to history:

- the whole import is one chunk in one transaction: a refused row leaves nothing half-imported;
- a (unit, month) that already holds a *collected* submission is not touched: the import is
  refused (``CollectedConflict``), checked inside the transaction so a collection cannot slip in
  between the check and the write;
- retired units and the county pseudo-unit get a row in ``units`` (the roster's history:
  ``active_from``/``active_to`` the months imported), which ``sync_roster`` leaves alone because
  they are not in the catalogue. Aggregation counts any unit's current values, so their figures
  make last year's county totals, and nobody expects them to report this year;
- one ``audit`` row (entity ``history_import``) says what was imported, from which files.
"""
from __future__ import annotations

import json
from typing import Any
from collections.abc import Iterable

from sqlalchemy import insert, select, tuple_
from sqlalchemy.engine import Connection

from county_reports.core.catalog import Unit
from county_reports.validate.model import Verdict
from county_reports.warehouse import bulk
from county_reports.warehouse import schema as t
from county_reports.warehouse.engine import WRITE

ENTITY = "history_import"


class CollectedConflict(ValueError):
    """These (unit, period)s already hold submissions collected from the units."""

    def __init__(self, keys: list[tuple[str, str]]):
        self.keys = keys
        super().__init__(f"already collected: {', '.join(f'{u} {p}' for u, p in keys)}")


class MixedConflict(ValueError):
    """County totals and unit figures of the same indicator and year would both be current."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self.pairs = pairs        # (indicator, year)
        super().__init__(f"county totals beside unit figures: {', '.join(f'{i} {y}' for i, y in pairs)}")


def mixed(conn: Connection, verdicts: list[Verdict], county: str) -> list[tuple[str, str]]:
    """(indicator, year) where, once these verdicts are stored, the county pseudo-unit and real
    units would both hold current figures (a sum over units would count them twice)."""
    mine = {(v.unit == county, code, v.period[:4]) for v in verdicts for code in v.values}
    keys = {(v.unit, v.period) for v in verdicts}
    years = sorted({y for _, _, y in mine})
    s, val = t.submissions, t.submission_values
    months = [f"{y}-{m:02d}" for y in years for m in range(1, 13)]
    rows = conn.execute(select(s.c.unit, s.c.period, val.c.indicator).join(val, val.c.submission_id == s.c.id)
                        .where(s.c.period.in_(months) & s.c.superseded_by.is_(None)
                               & s.c.status.in_(t.ACCEPTED_STATUSES)))
    stored = {(r.unit == county, r.indicator, r.period[:4]) for r in rows if (r.unit, r.period) not in keys}
    return sorted({(code, year) for is_county, code, year in mine if (not is_county, code, year) in stored})


def collected(conn: Connection, keys: list[tuple[str, str]], source: str) -> list[tuple[str, str]]:
    """The keys with a stored submission from any other source than ``source``."""
    s = t.submissions
    found: set[tuple[str, str]] = set()
    for start in range(0, len(keys), 400):
        rows = conn.execute(select(s.c.unit, s.c.period)
                            .where(tuple_(s.c.unit, s.c.period).in_(keys[start:start + 400])
                                   & (s.c.source != source)))
        found |= {(r.unit, r.period) for r in rows}
    return sorted(found)


def _add_units(conn: Connection, units: Iterable[Unit], now) -> list[str]:
    known = {r.code for r in conn.execute(select(t.units.c.code))}
    added = []
    for u in units:
        if u.code in known:
            continue
        conn.execute(insert(t.units).values(code=u.code, name=u.name, kind=u.kind, kind_name=u.kind_name,
                                            deadline_day=u.deadline_day, active_from=u.active_from,
                                            active_to=u.active_to, updated_at=now))
        added.append(u.code)
    return added


def store(warehouse, verdicts: list[Verdict], units: list[Unit], source: str, note: dict[str, Any],
          run_id: str | None, county: str) -> list[dict[str, Any]]:
    """Every verdict in one transaction (``bulk``'s rules), the units the warehouse lacks, one
    audit row. Raises ``CollectedConflict`` (nothing written) when a collected submission is in
    the way, ``MixedConflict`` when ``county`` totals would stand beside unit figures. Returns one
    result per verdict: ``{unit, period, submission_id, version, outcome: 'new'|'duplicate', status,
    superseded_id}``."""
    prepared = [bulk.prepare(i, v, warehouse.timezone) for i, v in enumerate(verdicts)]
    keys = sorted({p.key for p in prepared})
    now = warehouse.clock()
    with warehouse.engine.connect() as conn:
        conn.execution_options(**WRITE)
        with conn.begin():
            bulk.lock(conn, keys)
            in_the_way = collected(conn, keys, source)
            if in_the_way:
                raise CollectedConflict(in_the_way)
            both = mixed(conn, verdicts, county)
            if both:
                raise MixedConflict(both)
            added = _add_units(conn, units, now)
            results = bulk.write_chunk(conn, prepared, run_id, now, _result)
            new = [r for r in results if r["outcome"] == "new"]
            if new or added:
                conn.execute(insert(t.audit).values(
                    at=now, run_id=run_id, entity=ENTITY, note=json.dumps(
                        {**note, "new_versions": len(new), "duplicates": len(results) - len(new),
                         "units_added": added}, ensure_ascii=False, sort_keys=True)))
    return results


def _result(v: Verdict, submission_id: int, version: int, outcome: str, status: str,
            superseded_id: int | None) -> dict[str, Any]:
    return {"unit": v.unit, "period": v.period, "submission_id": submission_id, "version": version,
            "outcome": outcome, "status": status, "superseded_id": superseded_id}
