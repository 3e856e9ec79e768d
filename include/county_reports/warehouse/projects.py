"""The key-projects ledger and the events in the warehouse: stored with the submission version
that carried them, read back for a project's page and a span's summary.

Rows belong to one submission version (``submissions.id``), like its values: a correction is a
new version with its own rows, and only the rows of a (unit, period)'s current accepted version
count (:func:`project_months`, :func:`span_events`). Storing a version's rows again replaces them
(a re-run is idempotent). The figures against plan and schedule come from the register
(projects.yaml) — config, never stored.
"""
from __future__ import annotations

import json
from datetime import date
from typing import Any
from collections.abc import Iterable

from sqlalchemy import and_, delete, insert, select
from sqlalchemy.engine import Engine

from county_reports.core import periods
from county_reports.validate.projects.events import Event
from county_reports.validate.projects.ledger import LedgerRow
from county_reports.core.projects.register import Project
from county_reports.warehouse import schema as t
from county_reports.warehouse.engine import WRITE


def current_submission(engine: Engine, unit: str, period: str) -> int | None:
    """The id of the (unit, period)'s current accepted version, or None."""
    s = t.submissions
    query = (select(s.c.id).where(s.c.unit == unit, s.c.period == period, s.c.superseded_by.is_(None),
                                  s.c.status.in_(t.ACCEPTED_STATUSES))
             .order_by(s.c.version.desc()).limit(1))
    with engine.connect() as conn:
        return conn.execute(query).scalar()


def store_rows(engine: Engine, submission_id: int, rows: Iterable[LedgerRow],
               events: Iterable[Event]) -> tuple[int, int]:
    """Store one version's ledger rows and events in one transaction (replacing any stored for
    it); returns how many of each."""
    projects = [_project_row(submission_id, seq, r) for seq, r in enumerate(rows, 1)]
    happened = [_event_row(submission_id, seq, e) for seq, e in enumerate(events, 1)]
    with engine.connect() as conn:
        conn.execution_options(**WRITE)
        with conn.begin():
            if conn.execute(select(t.submissions.c.id).where(t.submissions.c.id == submission_id)).first() is None:
                raise KeyError(f"no submission {submission_id} in the warehouse")
            conn.execute(delete(t.project_rows).where(t.project_rows.c.submission_id == submission_id))
            conn.execute(delete(t.event_rows).where(t.event_rows.c.submission_id == submission_id))
            if projects:
                conn.execute(insert(t.project_rows), projects)
            if happened:
                conn.execute(insert(t.event_rows), happened)
    return len(projects), len(happened)


def _project_row(submission_id: int, seq: int, row: LedgerRow) -> dict[str, Any]:
    milestones = json.dumps([[name, day.isoformat()] for name, day in row.milestones], ensure_ascii=False)
    return {"submission_id": submission_id, "seq": seq, "project": row.code, "kind": row.kind,
            "month_investment": row.month_investment, "year_investment": row.year_investment,
            "total_investment": row.total_investment, "progress": row.progress, "status": row.status,
            "cause": row.cause, "cause_text": row.cause_text,
            "milestones": milestones if row.milestones else None,
            "land_acres": row.land_acres, "land_households": row.land_households}


def _event_row(submission_id: int, seq: int, event: Event) -> dict[str, Any]:
    return {"submission_id": submission_id, "seq": seq, "kind": event.kind,
            "date": event.date.isoformat() if event.date else None,
            "end_date": event.end.isoformat() if event.end else None, "title": event.title,
            "number": event.number, "body": event.body, "subkind": event.subkind,
            "counts": json.dumps(event.counts, ensure_ascii=False) if event.counts else None,
            "of_which": json.dumps(list(event.of_which), ensure_ascii=False) if event.of_which else None}


def _current(first: str, last: str):
    s = t.submissions
    return and_(s.c.period >= first, s.c.period <= last, s.c.superseded_by.is_(None),
                s.c.status.in_(t.ACCEPTED_STATUSES))


def ledger_rows(engine: Engine, code: str, first: str, last: str) -> list[tuple[str, str, LedgerRow]]:
    """(period, unit, row) of every current row of project ``code`` from ``first`` to ``last``."""
    s, r = t.submissions, t.project_rows
    query = (select(s.c.period, s.c.unit, r).join(s, s.c.id == r.c.submission_id)
             .where(r.c.project == code, _current(first, last)).order_by(s.c.period, s.c.unit, r.c.seq))
    with engine.connect() as conn:
        return [(row.period, row.unit, _ledger_row(row._mapping)) for row in conn.execute(query)]


def previous_rows(engine: Engine, unit: str, period: str) -> dict[str, LedgerRow]:
    """The unit's current rows of the month before ``period``, by project: what the ledger check
    compares cumulative figures with (``projects.ledger.check_rows(previous=…)``)."""
    before = periods.shift(period, -1)
    s, r = t.submissions, t.project_rows
    query = (select(r).join(s, s.c.id == r.c.submission_id)
             .where(s.c.unit == unit, _current(before, before)).order_by(r.c.seq))
    with engine.connect() as conn:
        return {row.project: _ledger_row(row._mapping) for row in conn.execute(query)}


def _ledger_row(m) -> LedgerRow:
    milestones = tuple((name, date.fromisoformat(day)) for name, day in json.loads(m["milestones"] or "[]"))
    return LedgerRow(m["project"], m["kind"], m["month_investment"], m["year_investment"],
                     m["total_investment"], m["progress"], m["status"], m["cause"], m["cause_text"],
                     milestones, m["land_acres"], m["land_households"])


def project_months(engine: Engine, project: Project, year: int, last: str | None = None) -> dict[str, Any]:
    """A project's year up to ``last`` (default December): each month's row against the year's plan
    and schedule (序时进度), the milestones planned and reached, the status history, and the land
    acquired by each township."""
    last = last or periods.make(year, 12)
    plan = project.years.get(year)
    rows = ledger_rows(engine, project.code, periods.make(year, 1), last)
    months, land, reached = [], {}, {}
    for period, unit, row in rows:
        if row.kind == "land":
            land[unit] = {"period": period, "acres": row.land_acres, "households": row.land_households}
            continue
        month = periods.parse(period)[1]
        due = plan.due(month) if plan else 0.0
        done = row.year_investment or 0.0
        months.append({"period": period, "month_investment": row.month_investment,
                       "year_investment": row.year_investment, "total_investment": row.total_investment,
                       "plan": plan.plan if plan else 0.0, "due": due,
                       "share_of_plan": round(done / plan.plan * 100, 1) if plan and plan.plan else None,
                       "against_schedule": round(done - due, 2), "progress": row.progress,
                       "status": row.status, "cause": row.cause, "cause_text": row.cause_text})
        for name, day in row.milestones:
            reached.setdefault(name, day)
    milestones = [{"name": m.name, "planned": m.planned, "reached": reached.get(m.name)}
                  for m in (plan.milestones if plan else ())]
    history = [{"period": m["period"], "status": m["status"], "cause": m["cause"], "cause_text": m["cause_text"]}
               for i, m in enumerate(months) if i == 0 or m["status"] != months[i - 1]["status"]]
    return {"project": project.code, "year": year, "months": months, "milestones": milestones,
            "status_history": history, "land": land}


def span_events(engine: Engine, first: str, last: str, units: Iterable[str] | None = None) -> list[dict]:
    """Every current event of the span (of these units), by month, unit and order sent."""
    s, e = t.submissions, t.event_rows
    query = select(s.c.period, s.c.unit, e).join(s, s.c.id == e.c.submission_id).where(_current(first, last))
    if units is not None:
        query = query.where(s.c.unit.in_(list(units)))
    out = []
    with engine.connect() as conn:
        for row in conn.execute(query.order_by(s.c.period, s.c.unit, e.c.seq)):
            m = row._mapping
            out.append({"period": m["period"], "unit": m["unit"], "kind": m["kind"], "date": m["date"],
                        "end": m["end_date"], "title": m["title"], "number": m["number"], "body": m["body"],
                        "subkind": m["subkind"], "counts": json.loads(m["counts"] or "{}"),
                        "of_which": [tuple(x) for x in json.loads(m["of_which"] or "[]")]})
    return out


def validation_history(engine: Engine, months: Iterable[str], indicator: str | None,
                       unit: str | None = None):
    """What the ledger checks of ``months`` compare with (``validate.key_projects.ProjectHistory``):
    every unit's current rows of the month before each, and its accepted ``indicator`` value in
    each month of the year before it (of ``unit`` only, when given)."""
    from county_reports.validate.key_projects import ProjectHistory

    months = sorted(set(months))
    history = ProjectHistory()
    if not months:
        return history
    before = sorted({periods.shift(m, -1) for m in months})
    s, r, v = t.submissions, t.project_rows, t.submission_values
    mine = s.c.unit == unit if unit is not None else s.c.unit.is_not(None)
    with engine.connect() as conn:
        for row in conn.execute(select(s.c.unit, s.c.period, r).join(s, s.c.id == r.c.submission_id)
                                .where(s.c.period.in_(before), mine, _current(before[0], before[-1]))
                                .order_by(r.c.seq)):
            history.rows.setdefault((row.unit, row.period), {})[row.project] = _ledger_row(row._mapping)
        if indicator is not None:
            first = periods.make(periods.parse(months[0])[0], 1)
            query = (select(s.c.unit, s.c.period, v.c.value).join(v, v.c.submission_id == s.c.id)
                     .where(v.c.indicator == indicator, v.c.value.is_not(None), mine,
                            _current(first, periods.shift(months[-1], -1))))
            history.invested.update({(u, p): value for u, p, value in conn.execute(query)})
    return history


def write_version_rows(conn, pairs: Iterable[tuple[int, Any]]) -> None:
    """The project_rows and event_rows of new versions, in the caller's transaction: (submission
    id, verdict) pairs; only accepted verdicts' rows (``projects`` / ``events`` as validation read
    them) count. Few rows (a dozen projects a unit): one executemany each, beside the bulk COPY."""
    from county_reports.validate.key_projects import event_from_dict, row_from_dict

    projects, happened = [], []
    for sid, verdict in pairs:
        if verdict.status not in t.ACCEPTED_STATUSES:
            continue
        projects += [_project_row(sid, n, row_from_dict(r)) for n, r in enumerate(verdict.projects, 1)]
        happened += [_event_row(sid, n, event_from_dict(e)) for n, e in enumerate(verdict.events, 1)]
    for table, rows in ((t.project_rows, projects), (t.event_rows, happened)):
        if rows:
            conn.execute(insert(table), rows)
