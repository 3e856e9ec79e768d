"""The bulk write path of ``Warehouse.record_verdicts``: a chunk of verdicts in one transaction.

The rules are the ones of ``store`` (versions, duplicates, supersession, the audit trail); here
they are applied to a whole chunk at once:

1. ``prepare``: everything that needs no database — status check, arrival times, content hash,
   the value/narrative/issue rows — per verdict, so one bad verdict fails alone, before any SQL;
   then, before the call orders them by arrival, ``bound_by_missing`` (``missing_times``: the
   last time the bureau found nothing, ``stored_verdict.not_before_missing``);
2. ``write_chunk``, in one transaction: the advisory locks of every (unit, period) of the chunk
   (PostgreSQL; in sorted order, so two writers never deadlock), the missing times read again
   under the lock and applied before the not-received records are cleared (something arrived),
   one query for the stored versions of those keys, the decisions (duplicate / new version /
   supersede) in Python in order of arrival, then the rows in bulk: submission ids allocated
   up front (the sequence on PostgreSQL, max(id) + 1 … under SQLite's write lock), ``COPY`` into
   the real tables on PostgreSQL (psycopg2), ``executemany`` on SQLite.

A chunk commits whole or not at all: a killed writer loses at most its uncommitted chunk, never
half a version.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field, replace
from datetime import datetime, UTC
from typing import Any
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import delete, insert, select, text, tuple_, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from county_reports.validate.model import Verdict
from county_reports.warehouse import stored_verdict
from county_reports.warehouse import schema as t


@dataclass
class Prepared:
    """One verdict with everything computed that needs no database."""

    index: int                     # position in the caller's list
    verdict: Verdict
    received: datetime
    submitted: datetime | None
    arrived: datetime
    digest: str
    values: list[tuple] = field(default_factory=list)       # (indicator, value, raw_value)
    narratives: list[tuple] = field(default_factory=list)   # (seq, kind, section, text)
    issues: list[tuple] = field(default_factory=list)       # (seq, indicator, value, rule, importance, message, effect)
    flags: list[tuple] = field(default_factory=list)        # (indicator, expected, effect, confirmed, reason)

    @property
    def key(self) -> tuple[str, str]:
        return (self.verdict.unit, self.verdict.period)

    def value_copy_block(self, submission_id: int) -> str:
        """This verdict's submission_values rows in COPY's text format."""
        if not self.values:
            return ""
        null = "\\N"
        texts = "".join([code + (raw or "") for code, _, raw in self.values])
        if any(c in texts for c in "\\\t\n\r"):
            lines = [f"{copy_field(code)}\t{null if value is None else repr(value)}\t{copy_field(raw)}"
                     for code, value, raw in self.values]
        else:                         # the usual case: nothing to escape
            lines = [f"{code}\t{null if value is None else repr(value)}\t{null if raw is None else raw}"
                     for code, value, raw in self.values]
        prefix = f"{submission_id}\t"
        return prefix + ("\n" + prefix).join(lines) + "\n"


def prepare(index: int, v: Verdict, tz: str) -> Prepared:
    """Raises ValueError/TypeError/KeyError for a verdict the warehouse cannot take."""
    if v.status not in t.SUBMISSION_STATUSES:
        raise ValueError(f"verdict of {v.unit} {v.period}: unknown status {v.status!r}")
    received, submitted, arrived = stored_verdict.arrival(v, tz)
    values, canonical = stored_verdict.canonical_values(v)
    digest = stored_verdict.hash_of(v, stored_verdict._canonical(v, canonical))
    narratives = [(r["seq"], r["kind"], r["section"], r["text"]) for r in stored_verdict.narrative_rows(0, v)]
    issues = [(r["seq"], r["indicator"], r["value"], r["rule"], r["importance"], r["message"], r["effect"])
              for r in stored_verdict.issue_rows(0, v)]
    return Prepared(index, v, received, submitted, arrived, digest, values, narratives, issues,
                    stored_verdict.flag_rows(v))


def plain_copy(p: Prepared) -> Prepared:
    """``p`` with one plain row of each kind in place of its own content, and a content hash no
    stored version has (so it is written as a new version, into every table ``p`` writes):
    what ``Warehouse._probe`` writes to tell a verdict's fault from the database's."""
    return replace(p, digest=hashlib.sha256(f"probe:{p.digest}".encode()).hexdigest(),
                   values=[("PROBE", 0.0, "0")], narratives=[(1, "plan", None, "probe")],
                   issues=[(1, None, None, "PROBE", "warning", "probe", None)],
                   flags=[("PROBE", None, None, False, None)] if p.flags else [])


def lock_key(unit: str, period: str) -> int:
    """The pg_advisory_xact_lock key of (unit, period): the first 8 bytes of a SHA-256."""
    digest = hashlib.sha256(f"county_reports:{unit}:{period}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock(conn: Connection, keys: Sequence[tuple[str, str]]) -> None:
    """Serialise writers of these (unit, period)s on PostgreSQL, in one statement, in key order."""
    if conn.dialect.name != "postgresql" or not keys:
        return
    numbers = sorted({lock_key(u, p) for u, p in keys})
    conn.execute(text("SELECT count(pg_advisory_xact_lock(k)) FROM "
                      "(SELECT k FROM unnest(CAST(:keys AS bigint[])) AS k ORDER BY k) AS ordered"),
                 {"keys": numbers})


@dataclass
class _State:
    """What the stored versions of one (unit, period) say, updated as the chunk is applied."""

    max_version: int = 0
    latest: tuple | None = None          # (id, version, status, content_hash)
    current: tuple | None = None         # (id, version, status): accepted and not superseded
    replays: dict = field(default_factory=dict)   # (sha256, content_hash, status) -> (id, version, status)

    def add(self, sid: int, version: int, sha: str, digest: str, status: str, superseded_by) -> None:
        if version > self.max_version:
            self.max_version = version
        if self.latest is None or version > self.latest[1]:
            self.latest = (sid, version, status, digest)
        if superseded_by is None and status in t.ACCEPTED_STATUSES:
            self.current = (sid, version, status)
        key = (sha, digest, status)
        if key not in self.replays or self.replays[key][1] < version:
            self.replays[key] = (sid, version, status)


def _states(conn: Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], _State]:
    s = t.submissions
    states = {k: _State() for k in keys}
    for start in range(0, len(keys), 400):
        part = keys[start:start + 400]
        rows = conn.execute(select(s.c.id, s.c.unit, s.c.period, s.c.version, s.c.sha256,
                                   s.c.content_hash, s.c.status, s.c.superseded_by)
                            .where(tuple_(s.c.unit, s.c.period).in_(part)))
        for r in rows:
            states[(r.unit, r.period)].add(r.id, r.version, r.sha256, r.content_hash, r.status, r.superseded_by)
    return states


def _allocate_ids(conn: Connection, n: int) -> list[int]:
    if n == 0:
        return []
    if conn.dialect.name == "postgresql":
        return list(conn.execute(text(
            "SELECT nextval(pg_get_serial_sequence('submissions', 'id')) "
            "FROM generate_series(1, :n)"), {"n": n}).scalars())
    # SQLite: the write transaction (BEGIN IMMEDIATE) holds the lock; rowid would be max + 1 too.
    top = conn.execute(text("SELECT coalesce(max(id), 0) FROM submissions")).scalar_one()
    return list(range(top + 1, top + 1 + n))


def write_chunk(conn: Connection, chunk: list[Prepared], run_id: str | None, now: datetime,
                result: Callable[..., dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply ``chunk`` (in order of arrival) in the caller's transaction; results in chunk order."""
    keys = list(dict.fromkeys(p.key for p in chunk))
    lock(conn, keys)
    # Before clearing: the record goes, the look stays in arrived_at. The call's own read (which
    # set the order, and binds a key's later chunks) misses only a look made since.
    bound_by_missing(chunk, missing_times(conn, keys))
    _clear_not_received(conn, keys)
    decisions, new_count = _decide(chunk, _states(conn, keys))
    rows = _Rows(_allocate_ids(conn, new_count), now, run_id)
    for decision in decisions:
        if decision[0] == "dup":
            rows.add_duplicate(decision[1], decision[2], result)
        else:
            rows.add_version(decision[1], decision[2], decision[3], result)
    _write_rows(conn, rows)
    return rows.results


def missing_times(conn: Connection, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], datetime]:
    """For those of these (unit, period)s that are recorded *missing*: when the bureau last looked
    and found nothing (a *failed* look — the endpoint down — says nothing of the unit)."""
    cs = t.collection_status
    keys = list(keys)
    times: dict[tuple[str, str], datetime] = {}
    for start in range(0, len(keys), 400):
        rows = conn.execute(select(cs.c.unit, cs.c.period, cs.c.last_checked_at)
                            .where(tuple_(cs.c.unit, cs.c.period).in_(keys[start:start + 400])
                                   & (cs.c.status == "missing")))
        times.update(((r.unit, r.period), r.last_checked_at) for r in rows)
    return times


def bound_by_missing(prepared: Sequence[Prepared], times: dict[tuple[str, str], datetime]) -> None:
    """Each verdict's arrived_at no earlier than its (unit, period)'s missing time, if any."""
    for p in prepared:
        if p.key in times:
            p.arrived = stored_verdict.not_before_missing(p.arrived, p.received, times[p.key])


def _clear_not_received(conn: Connection, keys: list[tuple[str, str]]) -> None:
    """Something arrived for these (unit, period)s: their not-received records no longer apply."""
    cs = t.collection_status
    for start in range(0, len(keys), 400):
        conn.execute(delete(cs).where(tuple_(cs.c.unit, cs.c.period).in_(keys[start:start + 400])))


def _decide(chunk: list[Prepared], states: dict[tuple[str, str], _State]) -> tuple[list[tuple], int]:
    """Every verdict in order: a duplicate, or a new version (superseding the current one).

    Returns the decisions — ``("dup", p, (id, version, status))`` or ``("new", p, version,
    current)`` — and how many new versions need an id. A new version's id is a placeholder
    (-1, -2, … in order) until ids are allocated; ``_Rows`` resolves it.
    """
    decisions: list[tuple] = []
    new_count = 0
    for p in chunk:
        v, st = p.verdict, states[p.key]
        replay = st.replays.get((v.sha256, p.digest, v.status))
        if replay is None and st.latest is not None and st.latest[3] == p.digest \
                and st.latest[2] == v.status:
            replay = st.latest[:3]
        if replay is not None:
            decisions.append(("dup", p, replay))
            continue
        new_count += 1
        version = st.max_version + 1
        current = st.current
        decisions.append(("new", p, version, current))
        if v.status in t.ACCEPTED_STATUSES and current is not None:     # superseding it
            st.current = None
        st.add(-new_count, version, v.sha256, p.digest, v.status, None)
    return decisions, new_count


class _Rows:
    """The rows a chunk's decisions write, with the real submission ids, and the results."""

    def __init__(self, ids: list[int], now: datetime, run_id: str | None):
        self.ids, self.now, self.run_id = ids, now, run_id
        self.real = {-(i + 1): sid for i, sid in enumerate(ids)}     # placeholder → allocated id
        self.subs, self.narratives, self.issues, self.audits = [], [], [], []
        self.flags: list[tuple] = []
        self.supersedes: list[tuple[int, int]] = []     # (old id, new id)
        self.dups: list[int] = []
        self.values: list[tuple[int, Prepared]] = []    # (submission id, its verdict)
        self.results: list[dict[str, Any]] = []

    def resolve(self, sid: int) -> int:
        return self.real.get(sid, sid)

    def add_duplicate(self, p: Prepared, stored: tuple, result: Callable[..., dict[str, Any]]) -> None:
        sid, version, status = stored
        sid = self.resolve(sid)
        self.dups.append(sid)
        self.results.append(result(p.verdict, sid, version, "duplicate", status, None))

    def add_version(self, p: Prepared, version: int, current: tuple | None,
                    result: Callable[..., dict[str, Any]]) -> None:
        v, now, run_id = p.verdict, self.now, self.run_id
        sid = self.ids[len(self.subs)]
        self.subs.append({"id": sid, "unit": v.unit, "period": v.period, "version": version,
                          "sha256": v.sha256, "raw_path": stored_verdict.raw_path(v.sha256),
                          "source": v.source, "received_at": p.received, "submitted_at": p.submitted,
                          "arrived_at": p.arrived, "status": v.status, "content_hash": p.digest,
                          "superseded_by": None, "last_seen_at": now, "last_seen_run": run_id})
        self.values.append((sid, p))
        self.narratives.extend((sid, *row) for row in p.narratives)
        self.issues.extend((sid, *row) for row in p.issues)
        self.flags.extend((sid, *row) for row in p.flags)
        errors = sum(1 for i in v.issues if i.importance == "error")
        warnings = sum(1 for i in v.issues if i.importance == "warning")
        note = (f"version {version} from {v.source}, sha256 {v.sha256[:12]}; "
                f"{errors} error(s), {warnings} warning(s)")
        superseded_id = None
        if v.status in t.ACCEPTED_STATUSES and current is not None:
            superseded_id = old_id = self.resolve(current[0])
            self.supersedes.append((old_id, sid))
            self.audits.append(_audit_row(now, run_id, v, old_id, current[2], "superseded",
                                          f"version {current[1]} superseded by version {version} (id {sid})"))
            note += f"; supersedes version {current[1]}"
        elif current is not None:
            note += f"; accepted version {current[1]} stays current"
        self.audits.append(_audit_row(now, run_id, v, sid, None, v.status, note))
        self.results.append(result(v, sid, version, "new", v.status, superseded_id))


def _write_rows(conn: Connection, rows: _Rows) -> None:
    """Duplicates seen again, the new rows in bulk (COPY on psycopg2), then the supersessions."""
    s = t.submissions
    for start in range(0, len(rows.dups), 1000):
        conn.execute(update(s).where(s.c.id.in_(rows.dups[start:start + 1000]))
                     .values(last_seen_at=rows.now, last_seen_run=rows.run_id))
    write = _copy_all if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg2" \
        else _executemany_all
    write(conn, rows.subs, rows.values, rows.narratives, rows.issues, rows.audits)
    if rows.flags:   # a few rows a month: plain inserts on every backend
        conn.execute(insert(t.value_flags), [dict(zip(FLAG_COLUMNS, r, strict=False)) for r in rows.flags])
    if rows.supersedes:
        conn.execute(update(s).where(s.c.id == _bind("old_id")).values(superseded_by=_bind("new_id")),
                     [{"old_id": o, "new_id": nw} for o, nw in rows.supersedes])


def _bind(name: str):
    from sqlalchemy import bindparam

    return bindparam(name)


def _audit_row(now, run_id, v: Verdict, submission_id, from_status, to_status, note) -> dict[str, Any]:
    return {"at": now, "run_id": run_id, "entity": "submission", "unit": v.unit, "period": v.period,
            "submission_id": submission_id, "from_status": from_status, "to_status": to_status,
            "note": note}


# ---------------------------------------------------------------------------- SQLite / any driver

_VALUES_SQL = "INSERT INTO submission_values (submission_id, indicator, value, raw_value) VALUES (?, ?, ?, ?)"
_NARRATIVES_SQL = "INSERT INTO narratives (submission_id, seq, kind, section, text) VALUES (?, ?, ?, ?, ?)"
_ISSUES_SQL = ("INSERT INTO validation_issues (submission_id, seq, indicator, value, rule, importance, "
               "message, effect) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
FLAG_COLUMNS = ("submission_id", "indicator", "expected", "effect", "confirmed", "reason")


def _executemany_all(conn: Connection, subs, values, narratives, issues, audits) -> None:
    if subs:
        conn.execute(insert(t.submissions), subs)
    values = [(sid, *row) for sid, p in values for row in p.values]
    if conn.dialect.name == "sqlite":
        for sql, rows in ((_VALUES_SQL, values), (_NARRATIVES_SQL, narratives), (_ISSUES_SQL, issues)):
            if rows:
                conn.exec_driver_sql(sql, rows)
    else:
        for table, cols, rows in ((t.submission_values, ("submission_id", "indicator", "value", "raw_value"), values),
                                  (t.narratives, ("submission_id", "seq", "kind", "section", "text"), narratives),
                                  (t.validation_issues, ("submission_id", "seq", "indicator", "value", "rule",
                                                         "importance", "message", "effect"), issues)):
            if rows:
                conn.execute(insert(table), [dict(zip(cols, r, strict=False)) for r in rows])
    if audits:
        conn.execute(insert(t.audit), audits)


# ---------------------------------------------------------------------------- PostgreSQL COPY

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
SUBMISSION_COLUMNS = ("id", "unit", "period", "version", "sha256", "raw_path", "source", "received_at",
                      "submitted_at", "arrived_at", "status", "content_hash", "superseded_by",
                      "last_seen_at", "last_seen_run")
AUDIT_COLUMNS = ("at", "run_id", "entity", "unit", "period", "submission_id", "from_status",
                 "to_status", "note")


def copy_field(value: Any) -> str:
    """One field in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"warehouse timestamps must be timezone-aware datetimes, got {value!r}")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def copy_text(rows) -> str:
    return "".join("\t".join(map(copy_field, row)) + "\n" for row in rows)


def copy_rows(conn: Connection, table: str, columns: Sequence[str], rows, data: str | None = None) -> None:
    """COPY ``rows`` (tuples; or ``data``, already in COPY's text format) into ``table`` in the
    connection's transaction (psycopg2)."""
    buffer = io.StringIO(copy_text(rows) if data is None else data)
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    dbapi_error = conn.dialect.loaded_dbapi.Error
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.copy_expert(sql, buffer)
    except dbapi_error as exc:      # as SQLAlchemy's own errors: IntegrityError, DataError, …
        raise DBAPIError.instance(sql, None, exc, dbapi_error) from exc
    finally:
        cursor.close()


def _copy_all(conn: Connection, subs, values, narratives, issues, audits) -> None:
    if subs:
        copy_rows(conn, "submissions", SUBMISSION_COLUMNS, ([r[c] for c in SUBMISSION_COLUMNS] for r in subs))
    if values:
        copy_rows(conn, "submission_values", ("submission_id", "indicator", "value", "raw_value"), (),
                  "".join([p.value_copy_block(sid) for sid, p in values]))
    if narratives:
        copy_rows(conn, "narratives", ("submission_id", "seq", "kind", "section", "text"), narratives)
    if issues:
        copy_rows(conn, "validation_issues", ("submission_id", "seq", "indicator", "value", "rule",
                                              "importance", "message", "effect"), issues)
    if audits:
        copy_rows(conn, "audit", AUDIT_COLUMNS, ([r[c] for c in AUDIT_COLUMNS] for r in audits))
