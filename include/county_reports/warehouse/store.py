"""The warehouse: every submission version, the current figures, the roster and the audit trail.

One URL chooses the database (``paths.warehouse_url()``: SQLite by default, PostgreSQL in
production); the schema is created and upgraded by Alembic (``Warehouse.migrate()``).

Versions, duplicates and supersession (``record_verdicts``):

* Every submission that arrives with *new content* becomes a new version of its (unit, period):
  1, 2, … whatever its verdict. Nothing is ever deleted or overwritten.
* Content is compared by ``content_hash`` (values + narratives + contact + projects and events, canonical JSON), so
  the same figures re-sent in different bytes are the same submission. If the arrival replays
  the bytes of a stored version, or the *latest* version of the (unit, period) has that content,
  and the verdict is the same, the arrival is a **duplicate**:
  only its ``last_seen_at``/``last_seen_run`` change; no row is added anywhere, no audit row is
  written. Re-recording the same verdicts is therefore idempotent. Content equal to an *older*
  version (a unit reverting a correction: A, B, then A again) or the same content judged
  differently (the rules changed before a re-run) is a new version.
* A new **accepted** (or accepted_with_warnings) version supersedes the current accepted version
  as a whole: the old one gets ``superseded_by``; none of its values stay current, even for
  indicators the new version does not repeat.
* A new **rejected** version is kept (quarantine, with its issues) and supersedes nothing:
  **a rejected correction never erases accepted figures**; the last accepted version stays current.
* Within one call, verdicts of the same (unit, period) are applied in order of arrival:
  ``arrived_at``, the unit's claimed time clamped into what the bureau saw itself — never later
  than our receipt, never earlier than the month's end or the last time a collection found the
  unit *missing* (``stored_verdict.arrival``).
* One call stores its verdicts in bulk (``bulk``): ``chunk_size`` verdicts per transaction, each
  chunk whole or not at all; a verdict the warehouse cannot take fails alone (``recording``).
"""
from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from datetime import datetime, UTC
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterable, Iterator

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError

from county_reports.core import messages, paths
from county_reports.core.catalog import Catalog
from county_reports.validate.model import Verdict
from county_reports.warehouse import bulk, queries, recording
from county_reports.warehouse import schema as t
from county_reports.warehouse.engine import WRITE, is_memory_sqlite, make_engine
from county_reports.warehouse.projects import write_version_rows
from county_reports.warehouse.scoped import UnitsView

log = logging.getLogger(__name__)

UNIT_FIELDS = ("name", "kind", "kind_name", "deadline_day", "active_from", "active_to")
SNAPSHOT_EXCLUDE = ("last_seen_at", "last_seen_run", "updated_at")
CHUNK_SIZE = 500     # verdicts per transaction: a killed writer loses at most one chunk


def utcnow() -> datetime:
    return datetime.now(UTC)


class Warehouse:
    """Access to the warehouse database. Cheap to create; call ``migrate()`` once per process."""

    def __init__(self, url: str | None = None, *, timezone_name: str = "Asia/Shanghai",
                 clock: Callable[[], datetime] = utcnow, retries: int = 4, read_only: bool = False,
                 chunk_size: int = CHUNK_SIZE):
        self.url = url or paths.warehouse_url()
        self.read_only = read_only     # the database itself refuses writes (engine.make_engine)
        self.engine: Engine = make_engine(self.url, read_only=read_only)
        self.timezone = timezone_name      # for naive timestamps in verdicts (the bureau's clock)
        self.clock = clock
        self.retries = retries
        self.chunk_size = chunk_size       # verdicts per write transaction (record_verdicts)

    def __repr__(self) -> str:
        return f"Warehouse({make_url(self.url).render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ schema

    def migrate(self, revision: str = "head") -> str | None:
        """Alembic upgrade to ``revision`` (idempotent); returns the revision now current.
        Concurrent callers take turns (``migrations.upgrade_serialised``)."""
        from county_reports.warehouse import migrations

        url = make_url(self.url)
        # Migrations on SQLite run with foreign keys off: batch mode copies and renames tables.
        engine = self.engine if is_memory_sqlite(url) else make_engine(url, foreign_keys=False)
        try:
            return migrations.upgrade_serialised(url, engine, revision)
        finally:
            if engine is not self.engine:
                engine.dispose()

    # ------------------------------------------------------------------ writing

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn.execution_options(**WRITE)
            with conn.begin():
                yield conn

    def _transaction(self, work: Callable[[Connection], Any], attempts: int | None = None) -> Any:
        """Run ``work`` in one write transaction; again if a concurrent writer won a unique key
        (writers of one (unit, period) are serialised by ``_lock``, so this is a last resort)."""
        attempts = self.retries if attempts is None else attempts
        for attempt in range(1, attempts + 1):
            try:
                with self._writing() as conn:
                    return work(conn)
            except IntegrityError:
                if attempt == attempts:
                    raise
                log.info("warehouse: concurrent write detected, retrying (%d)", attempt)

    @staticmethod
    def _lock(conn: Connection, unit: str, period: str) -> None:
        """Serialise writers of one (unit, period) on PostgreSQL for the rest of the transaction.

        (SQLite write transactions are already serial: they start with BEGIN IMMEDIATE.)
        """
        bulk.lock(conn, [(unit, period)])

    def _audit(self, conn: Connection, run_id: str | None, entity: str, *, unit=None, period=None,
               submission_id=None, from_status=None, to_status=None, note=None) -> None:
        conn.execute(insert(t.audit).values(
            at=self.clock(), run_id=run_id, entity=entity, unit=unit, period=period,
            submission_id=submission_id, from_status=from_status, to_status=to_status, note=note))

    def sync_roster(self, catalog: Catalog, run_id: str | None) -> dict[str, list[str]]:
        """Upsert the catalogue's units; an audit row for each unit that appears or changes.

        Units no longer in the catalogue are kept as they are (submissions refer to them).
        Returns ``{"added": [codes], "changed": [codes], "unchanged": [codes]}``.
        """
        def work(conn: Connection) -> dict[str, list[str]]:
            now = self.clock()
            stored = {row.code: row for row in conn.execute(select(t.units))}
            out: dict[str, list[str]] = {"added": [], "changed": [], "unchanged": []}
            for unit in catalog.units:
                fields = {f: getattr(unit, f) for f in UNIT_FIELDS}
                old = stored.get(unit.code)
                if old is None:
                    conn.execute(insert(t.units).values(code=unit.code, updated_at=now, **fields))
                    self._audit(conn, run_id, "unit", unit=unit.code, to_status="added",
                                note=_json(fields))
                    out["added"].append(unit.code)
                    continue
                changes = {f: [getattr(old, f), v] for f, v in fields.items() if getattr(old, f) != v}
                if not changes:
                    out["unchanged"].append(unit.code)
                    continue
                conn.execute(update(t.units).where(t.units.c.code == unit.code)
                             .values(updated_at=now, **fields))
                self._audit(conn, run_id, "unit", unit=unit.code, from_status="registered",
                            to_status="changed", note=_json(changes))
                out["changed"].append(unit.code)
            return out

        return self._transaction(work)

    def record_verdicts(self, verdicts: Iterable[Verdict], run_id: str | None,
                        data_root: str | Path | None = None, *,
                        errors: list[tuple[Verdict, Exception]] | None = None) -> list[dict[str, Any]]:
        """Store the verdicts in bulk, ``chunk_size`` of them per transaction, in order of arrival
        (see the module docstring for the rules; ``bulk`` and ``recording`` for how).

        A rejected correction never erases accepted figures: it is stored as a new version with
        its issues but does not supersede the accepted version, which stays current.

        Every verdict stands alone: one the warehouse cannot take (an unknown status, an
        unreadable receipt time, rows the database refuses for what is in them) fails by itself
        and the others are stored all the same (a chunk the database refuses is tried again one
        verdict per transaction). With ``errors`` given, each failure is appended there as
        (verdict, exception) and left out of the results; without it, the first failure is
        raised once everything else is stored. An error that is no verdict's fault (a database
        down, read-only, a privilege or a table missing, rows of any content refused) raises at
        once: its chunk rolled back, earlier chunks kept (``recording``).

        ``data_root``: when given, a missing raw archive file is logged (never an error).
        Returns, in input order, one dict per verdict stored: ``{unit, period, submission_id,
        version, outcome: 'new'|'duplicate', status, superseded_id}`` (``superseded_id``: the
        version this one replaced, else None; for a duplicate, the existing version's id and status).
        """
        ready, failures = recording.prepare_all(list(verdicts), self.timezone)
        if ready:       # the bureau's own looks bound each arrival before the order is set
            with self.engine.connect() as conn:
                bulk.bound_by_missing(ready, bulk.missing_times(conn, dict.fromkeys(p.key for p in ready)))
        ready.sort(key=lambda p: (p.arrived, p.index))
        if data_root is not None:
            recording.warn_missing_archives(ready, data_root)
        results = recording.write_in_chunks(ready, max(1, self.chunk_size),
                                            lambda chunk: self._write(chunk, run_id), failures,
                                            self._probe)
        failures.sort(key=lambda f: f[0])
        for _, v, exc in failures:
            log.error("warehouse: %s %s not stored: %s: %s", v.unit, v.period, type(exc).__name__, exc)
        if errors is not None:
            errors.extend((v, exc) for _, v, exc in failures)
        elif failures:
            raise failures[0][2]
        return [results[i] for i in sorted(results)]

    def record_each(self, verdicts: Iterable[Verdict], run_id: str | None
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """``record_verdicts`` with every failure noted for its unit alone: a submission the
        warehouse cannot take (an unreadable receipt time, a value the column refuses …) gets the
        collection status *failed*, with the reason, and the others are stored all the same.
        Returns (stored results, failures ``{unit, period, reason}``). An error that is no
        unit's fault still raises, and no unit is marked failed. The reason says that other units
        were unaffected only when another unit's verdict was in fact stored."""
        errors: list[tuple[Verdict, Exception]] = []
        stored = self.record_verdicts(verdicts, run_id, errors=errors)
        units_stored = {r["unit"] for r in stored}
        return stored, [self._store_failed(v, exc, run_id, bool(units_stored - {v.unit}))
                        for v, exc in errors]

    def _store_failed(self, v: Verdict, exc: Exception, run_id: str | None,
                      others_stored: bool) -> dict[str, Any]:
        key = "store_error_others_stored" if others_stored else "store_error"
        reason = messages.text("failed", key, detail=f"{type(exc).__name__}: {str(exc)[:160]}",
                               sha256=(v.sha256 or "")[:12])
        self.record_not_received(v.unit, v.period, "failed", reason, run_id)
        return {"unit": v.unit, "period": v.period, "reason": reason}

    def _write(self, chunk: list[bulk.Prepared], run_id: str | None) -> list[tuple[bulk.Prepared, dict]]:
        """One chunk in one transaction. A chunk of many is tried once (refused, its verdicts are
        tried one by one); a single verdict again if a concurrent writer won a unique key."""
        def work(conn: Connection):
            done = list(zip(chunk, bulk.write_chunk(conn, chunk, run_id, self.clock(), _result), strict=False))
            # the new versions' key-projects rows and events, in the same transaction
            write_version_rows(conn, [(r["submission_id"], p.verdict) for p, r in done if r["outcome"] == "new"])
            return done

        return self._transaction(work, attempts=1 if len(chunk) > 1 else None)

    def _probe(self, p: bulk.Prepared) -> None:
        """Write ``p`` with plain rows in place of its content, then roll back: raises what the
        database says to any verdict of its unit and month (``recording``)."""
        with self.engine.connect() as conn:
            conn.execution_options(**WRITE)
            transaction = conn.begin()
            try:
                bulk.write_chunk(conn, [bulk.plain_copy(p)], None, self.clock(), _result)
            finally:
                transaction.rollback()

    def _clear_not_received(self, conn: Connection, unit: str, period: str) -> None:
        cs = t.collection_status
        conn.execute(delete(cs).where((cs.c.unit == unit) & (cs.c.period == period)))

    def record_not_received(self, unit: str, period: str, status: str, reason: str | None,
                            run_id: str | None) -> bool:
        """Note that nothing arrived for (unit, period) in the latest collection.

        ``status``: missing (the unit has not submitted) or failed (its endpoint kept failing).
        One row per (unit, period), updated in place. A no-op returning False when a submission
        for (unit, period) is already stored (something did arrive once); True otherwise.
        """
        if status not in t.NOT_RECEIVED_STATUSES:
            raise ValueError(f"status {status!r} is not one of {', '.join(t.NOT_RECEIVED_STATUSES)}")
        s, cs = t.submissions, t.collection_status

        def work(conn: Connection) -> bool:
            self._lock(conn, unit, period)
            if conn.execute(select(s.c.id).where((s.c.unit == unit) & (s.c.period == period))
                            .limit(1)).first() is not None:
                return False
            fields = {"status": status, "reason": reason, "last_checked_at": self.clock(),
                      "last_run": run_id}
            key = (cs.c.unit == unit) & (cs.c.period == period)
            if conn.execute(select(cs.c.unit).where(key)).first() is None:
                conn.execute(insert(cs).values(unit=unit, period=period, **fields))
            else:
                conn.execute(update(cs).where(key).values(**fields))
            return True

        return self._transaction(work)

    def record_feedback(self, unit: str, period: str, submission_id: int | None,
                        messages: Iterable[Any], delivered: bool, http_status: int | None = None,
                        error: str | None = None, run_id: str | None = None) -> int:
        """One row per feedback attempt (messages as a JSON list); returns its id."""
        payload = _json([m.as_dict() if hasattr(m, "as_dict") else
                         asdict(m) if is_dataclass(m) else m for m in messages])

        def work(conn: Connection) -> int:
            return conn.execute(insert(t.feedback).values(
                submission_id=submission_id, unit=unit, period=period, sent_at=self.clock(),
                delivered=bool(delivered), http_status=http_status, messages=payload,
                error=error, run_id=run_id)).inserted_primary_key[0]

        return self._transaction(work)

    def feedback_delivered(self, submission_id: int) -> bool:
        """Whether feedback about this submission has already reached the unit once."""
        f = t.feedback
        with self.engine.connect() as conn:
            return conn.execute(select(f.c.id).where((f.c.submission_id == submission_id)
                                                     & f.c.delivered.is_(True)).limit(1)).first() is not None

    def undelivered_feedback(self) -> list[dict[str, Any]]:
        """Feedback that never reached its unit: per submission, the latest attempt, to try again."""
        f, s = t.feedback, t.submissions
        delivered = select(f.c.submission_id).where(f.c.delivered.is_(True) & f.c.submission_id.is_not(None))
        latest = (select(func.max(f.c.id)).where(f.c.submission_id.is_not(None)
                                                 & f.c.submission_id.not_in(delivered))
                  .group_by(f.c.submission_id))
        query = (select(f.c.submission_id, f.c.unit, f.c.period, f.c.messages, s.c.source)
                 .join(s, s.c.id == f.c.submission_id).where(f.c.id.in_(latest))
                 .order_by(f.c.period, f.c.unit))
        with self.engine.connect() as conn:
            return [{"submission_id": r.submission_id, "unit": r.unit, "period": r.period,
                     "source": r.source, "messages": json.loads(r.messages)} for r in conn.execute(query)]

    # ------------------------------------------------------------------ reading

    def current_values(self, periods: Iterable[str], unit_codes: Iterable[str] | None = None):
        return queries.current_values(self.engine, periods, unit_codes=unit_codes)

    def current_narratives(self, periods: Iterable[str], unit_codes: Iterable[str] | None = None):
        return queries.current_narratives(self.engine, periods, unit_codes=unit_codes)

    def history(self, unit_codes: Iterable[str] | None, periods: Iterable[str]):
        return queries.current_values(self.engine, periods, unit_codes=unit_codes)

    def submissions(self, unit: str | None = None, period: str | None = None):
        return queries.submissions(self.engine, unit=unit, period=period)

    def latest_period(self, unit_codes: Iterable[str] | None = None) -> str | None:
        """The newest month with a stored submission (one query, whatever the size)."""
        return queries.latest_period(self.engine, unit_codes)

    def completeness(self, catalog: Catalog, periods: Iterable[str]):
        return queries.completeness(self.engine, catalog, periods)

    def reporting_rate(self, catalog: Catalog, periods: Iterable[str], completeness=None):
        """Per period; ``completeness``: the frame of ``completeness(catalog, periods)`` if already read."""
        if completeness is not None:
            return queries.rates_of(completeness, periods)
        return queries.reporting_rate(self.engine, catalog, periods)

    def scoped(self, unit_codes: Iterable[str]) -> UnitsView:
        """The reads of the summaries restricted to these units: one county of a shared warehouse."""
        return UnitsView(self, unit_codes)

    def table_snapshot(self, exclude_columns: Iterable[str] = SNAPSHOT_EXCLUDE) -> dict[str, list[dict]]:
        return queries.table_snapshot(self.engine, exclude_columns)


def _result(v: Verdict, submission_id: int, version: int, outcome: str, status: str,
            superseded_id: int | None) -> dict[str, Any]:
    return {"unit": v.unit, "period": v.period, "submission_id": submission_id, "version": version,
            "outcome": outcome, "status": status, "superseded_id": superseded_id}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
