"""Collection: pull every unit's monthly submission and record one outcome per unit.

Each unit ends a run with exactly one outcome:

- ``received``: bytes arrived, were archived, and read as a protocol-v1 envelope;
- ``missing``: the unit has not submitted yet (HTTP 404, no inbox file);
- ``refused``: bytes arrived and were archived but are unreadable (the reason says why);
- ``failed``: nothing usable arrived after retries (the reason says why).

Whatever bytes arrive are archived before they are parsed, with their receipt time (a body over the
cap, its first ``max_body_bytes``, or cut off half-way: ``truncated``): nothing received is lost.
Each unit is bounded by a wall-clock deadline (``unit_deadline_seconds``, see ``fetch``), so a batch
ends in bounded time whatever the endpoints do. Units are pulled concurrently inside a batch
(threads); the DAG maps over batches (a province of 3,000 units stays within ``max_map_length``).
"""
from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import datetime, timedelta, UTC
from pathlib import Path
from typing import Any

from county_reports.collect import fetch, protocol
from county_reports.core import archive, messages, paths
from county_reports.core.atomic import DataFolderError
from county_reports.core.catalog import Catalog, Unit
from county_reports.core.config import ConfigError
from county_reports.collect.pull_settings import PullContext, PullSettings

log = logging.getLogger(__name__)
RECEIVED, MISSING, REFUSED, FAILED = "received", "missing", "refused", "failed"
OUTCOMES = (RECEIVED, MISSING, REFUSED, FAILED)
RETRY_STATUSES = fetch.RETRY_STATUSES
HEADERS = {"Accept": "application/json", "User-Agent": "county-reports/0.1 (protocol 1)"}
WATCHDOG_GRACE_S = 2.0   # a unit still running this long after its deadline is abandoned


def select_units(catalog: Catalog, period: str, only: list[str] | None = None) -> list[Unit]:
    """The units expected to report for ``period``, optionally narrowed to ``only``."""
    if only:
        unknown = sorted(set(only) - set(catalog.unit_by_code))
        if unknown:
            raise ValueError(f"unknown unit code(s): {', '.join(unknown)}")
        wanted = set(only)
        return [u for u in catalog.units_active_in(period) if u.code in wanted]
    return list(catalog.units_active_in(period))


def unexpected_inbox_files(data_dir: Path, catalog: Catalog, period: str) -> list[Path]:
    """Workbooks in the month's inbox that no unit expected that month would be read from (a
    unit whose channels have neither email nor inbox is pulled over HTTP: its file is ignored)."""
    from county_reports.collect import inbox

    return inbox.strays(data_dir, period, {u.code for u in catalog.units_active_in(period) if reads_inbox(u)})


def reads_inbox(unit: Unit) -> bool:
    """Whether a workbook in the inbox may speak for ``unit`` (channels email or inbox): never for
    a unit that reports only over HTTP, whoever put a file there."""
    return bool({"email", "inbox"} & set(unit.channels))


def plan_batches(unit_codes: list[str], batch_size: int) -> list[list[str]]:
    return [unit_codes[i:i + batch_size] for i in range(0, len(unit_codes), batch_size)]


def plan_pulls(catalog: Catalog, units_by_month: dict[str, list[str]], settings: PullSettings) -> list[dict]:
    """The mapped pulls of a run: one per unit when the run is county-sized (the grid then shows,
    retries and clears one unit), batches of ``batch_size`` beyond ``per_unit_up_to``. Each has a
    ``label`` for the grid: the month and the unit's code and name, or the batch's range."""
    total = sum(len(codes) for codes in units_by_month.values())
    size = 1 if total <= settings.per_unit_up_to else settings.batch_size
    pulls = []
    for month, codes in units_by_month.items():
        for batch in plan_batches(codes, size):
            if len(batch) == 1:
                label = f"{month} {batch[0]} {catalog.unit_by_code[batch[0]].name}"
            else:
                label = messages.text("collect", "batch_label", month=month, first=batch[0], last=batch[-1],
                                      count=len(batch))
            pulls.append({"period": month, "units": batch, "label": label})
    return pulls


# --------------------------------------------------------------------------- pulling


def pull_timeout(settings: PullSettings) -> timedelta:
    """The longest a pull task can take: the batch's waves of units, each bounded by its deadline.

    For the DAG's ``execution_timeout``: with ``concurrency`` threads a batch of ``batch_size``
    units runs in ceil(batch_size / concurrency) waves; each unit is abandoned ``WATCHDOG_GRACE_S``
    after its deadline at the latest; a minute on top for archive and ledger writes.
    """
    waves = math.ceil(settings.batch_size / max(1, settings.concurrency))
    return timedelta(seconds=math.ceil(waves * (settings.unit_deadline_seconds + WATCHDOG_GRACE_S) + 60))


def _limits(settings: PullSettings) -> fetch.Limits:
    return fetch.Limits(settings.unit_deadline_seconds, settings.connect_timeout, settings.read_timeout,
                        settings.retries, settings.backoff, settings.backoff_max,
                        settings.retry_after_max, settings.max_body_bytes)


def pull_batch(catalog: Catalog, period: str, unit_codes: list[str], context: PullContext) -> list[dict[str, Any]]:
    """Pull one batch of units concurrently; returns one outcome dict per unit, in input order.

    Every unit is bounded by ``context.settings.unit_deadline_seconds``; one still running
    ``WATCHDOG_GRACE_S`` after its deadline is abandoned with a failed "超时" outcome. With
    ``context.record_as=(run_id, attempt)`` each outcome is appended to the collection ledger the moment
    its unit finishes, so a run killed half-way keeps what it learned. A data folder that refuses
    a write (full disk, read-only) fails the batch after the other units are done: raised, not
    recorded as a unit's failure.
    """
    # Only here, before the threads start: openpyxl (inbox) is not needed by HTTP pulls.
    from county_reports.collect import inbox, ledger  # noqa: F401

    batch = _BatchPull(catalog, period, unit_codes, context)
    workers = max(1, min(context.settings.concurrency, len(unit_codes)))
    with fetch.Watchdog() as watchdog:
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pull")
        try:
            futures = [pool.submit(batch.collect_unit, watchdog, code) for code in unit_codes]
            while wait(futures, timeout=0.2).not_done:
                batch.abandon_overdue()
                if batch.all_finished():
                    break
        finally:
            # Abandoned threads end when the watchdog shuts their sockets; do not wait for them.
            pool.shutdown(wait=False, cancel_futures=True)
    if batch.folder_errors:
        raise batch.folder_errors[0]
    return [batch.results[code] for code in unit_codes]


class _BatchPull:
    """What one batch's threads share: each unit's outcome, start time and request count, under
    one lock, so a unit gets exactly one outcome whether it finishes or the watchdog abandons it."""

    def __init__(self, catalog: Catalog, period: str, unit_codes: list[str], context: PullContext):
        self.catalog, self.period, self.unit_codes, self.context = catalog, period, unit_codes, context
        self.lock = threading.Lock()
        self.results: dict[str, dict[str, Any] | None] = {}
        self.started: dict[str, float] = {}
        self.attempts: dict[str, int] = {}
        self.folder_errors: list[DataFolderError] = []

    def finish(self, code: str, out: dict[str, Any]) -> None:
        """Keep the unit's outcome (and append it to the ledger), unless it already has one."""
        from county_reports.collect import ledger  # imported by pull_batch already

        with self.lock:
            if code in self.results:     # abandoned by the watchdog already: one outcome per unit
                return
            self.results[code] = out
            if self.context.record_as:
                run_id, attempt = self.context.record_as
                try:
                    ledger.append(self.context.data_dir, out, run_id=run_id, attempt=attempt)
                except DataFolderError as exc:
                    self.folder_errors.append(exc)

    def collect_unit(self, watchdog: fetch.Watchdog, code: str) -> None:
        """One unit, in a worker thread: an outcome whatever happens, except the data folder's fault."""
        unit = self.catalog.unit_by_code[code]
        with self.lock:
            self.started[code] = time.monotonic()
        try:
            out = self._collect(watchdog, unit)
        except DataFolderError as exc:    # the data folder's fault, not the unit's: fail the task
            log.error("collecting %s %s: %s", code, self.period, exc)
            with self.lock:
                self.folder_errors.append(exc)
                self.results.setdefault(code, None)
            return
        except Exception as exc:  # one unit's surprise must not stop the other units' collection
            log.exception("collecting %s %s failed unexpectedly", code, self.period)
            out = _finish(_outcome(code, self.period, "http"), self.started[code], FAILED,
                          messages.text("failed", "internal", detail=type(exc).__name__))
        self.finish(code, out)

    def _collect(self, watchdog: fetch.Watchdog, unit: Unit) -> dict[str, Any]:
        """The unit's file in the inbox if the unit reports that way and there is one, else its
        endpoint (e-mail units have none). An HTTP-only unit's inbox is never read."""
        from county_reports.collect import inbox  # imported by pull_batch already

        code, period, started, data_dir = unit.code, self.period, self.started[unit.code], self.context.data_dir
        dropped = inbox.inbox_path(data_dir, period, code)
        if reads_inbox(unit) and dropped.is_file():
            return read_inbox_file(self.catalog, unit, period, dropped, data_dir=data_dir)
        if unit.airflow_url:                # a county: its own Airflow serves the month
            return pull_county(watchdog, unit, period, context=self.context, started=started)
        if "http" not in unit.channels:     # no endpoint: nothing in the inbox means not reported
            return _finish(_outcome(code, period, "inbox"), started, MISSING, None)
        return pull_unit(watchdog, unit, period, context=self.context, started=started,
                         on_attempt=lambda n: self.attempts.__setitem__(code, n))

    def abandon_overdue(self) -> None:
        """A failed "超时" outcome for every unit still running past its deadline and the grace."""
        now = time.monotonic()
        limit = self.context.settings.unit_deadline_seconds + WATCHDOG_GRACE_S
        with self.lock:
            overdue = [c for c, t in self.started.items() if c not in self.results and now - t > limit]
        for code in overdue:
            log.warning("collecting %s %s: abandoned past its deadline", code, self.period)
            out = _outcome(code, self.period, "http")
            out["attempts"] = self.attempts.get(code, 0)
            self.finish(code, _finish(out, self.started[code], FAILED, messages.text(
                "failed", "deadline", seconds=_num(self.context.settings.unit_deadline_seconds),
                attempts=out["attempts"])))

    def all_finished(self) -> bool:
        with self.lock:
            return len(self.results) == len(self.unit_codes)


def pull_unit(watchdog: fetch.Watchdog, unit: Unit, period: str, *, context: PullContext,
              started: float | None = None, on_attempt=None) -> dict[str, Any]:
    started = time.monotonic() if started is None else started
    out = _outcome(unit.code, period, "http")
    out["attempts"] = 0
    try:
        url = f"{unit.endpoint(context.environ)}/submissions/{period}"
    except ConfigError as exc:
        return _finish(out, started, FAILED, messages.text("failed", "bad_endpoint", detail=exc.problem))
    token = context.token_lookup(unit.token_conn_id)
    if not token:
        return _finish(out, started, FAILED, messages.text("failed", "no_token", conn_id=unit.token_conn_id))
    return _pull_with(watchdog, out, url, token, context, started=started, on_attempt=on_attempt)


def pull_county(watchdog: fetch.Watchdog, unit: Unit, period: str, *, context: PullContext,
                started: float | None = None) -> dict[str, Any]:
    """A county's month from its Airflow: a token for its service account, then the route."""
    from county_reports.collect import county_pull

    started = time.monotonic() if started is None else started
    out = {**_outcome(unit.code, period, "http"), "attempts": 0}
    login = context.credentials(unit.conn_id) if context.credentials else None
    try:
        base = county_pull.address(unit, context.environ)
    except ConfigError as exc:
        return _finish(out, started, FAILED, messages.text("failed", "bad_endpoint", detail=exc.problem))
    if not login or not all(login):
        return _finish(out, started, FAILED, messages.text("failed", "no_credentials", conn_id=unit.conn_id))
    token, reason, out["attempts"] = county_pull.obtain_token(base, *login, _limits(context.settings), watchdog,
                                                              started=started)
    if token is None:
        return _finish(out, started, FAILED, reason.replace(login[1], "***"))
    return _pull_with(watchdog, out, county_pull.month_url(base, period), token, context, started=started,
                      before=out["attempts"])


def _pull_with(watchdog: fetch.Watchdog, out: dict[str, Any], url: str, token: str, context: PullContext, *,
               started: float, on_attempt=None, before: int = 0) -> dict[str, Any]:
    """GET ``url`` with the bearer token; the bytes archived, then read: the unit's outcome."""
    data_dir, settings = context.data_dir, context.settings
    got = fetch.get(url, {"Authorization": f"Bearer {token}", **HEADERS}, _limits(settings), watchdog,
                    started=started, on_attempt=on_attempt)
    out["attempts"], out["http_status"] = before + got.attempts, got.status
    reason = _reason(got, settings)
    if reason is not None:
        reason = reason.replace(token, "***")
    if got.body or got.outcome == fetch.TOO_LARGE:
        # Whatever arrived is archived, whole or not, with its receipt time.
        stored = archive.store(data_dir, got.body)
        out.update(sha256=stored.sha256, size=stored.size, content_type=got.content_type,
                   received_at=got.received_at, truncated=got.outcome != fetch.COMPLETE)
    if got.outcome == fetch.TOO_LARGE:
        return _finish(out, started, REFUSED, reason)
    if got.outcome != fetch.COMPLETE or got.status != 200:
        if got.status == 404 and got.outcome == fetch.COMPLETE:
            return _finish(out, started, MISSING, None)
        return _finish(out, started, FAILED, reason)
    return _parse_arrival(out, started, got.body, data_dir, content_type=got.content_type,
                          parse=lambda: protocol.parse_json_payload(got.body, got.content_type))


def _reason(got: fetch.Fetched, settings: PullSettings) -> str | None:
    """What the ledger and the admin read: what really happened, with the real request count."""
    n = got.attempts
    if got.outcome == fetch.TOO_LARGE:
        return messages.text("refused", "too_large", detail=settings.max_body_bytes)
    if got.outcome == fetch.DEADLINE:
        return messages.text("failed", "deadline", seconds=_num(settings.unit_deadline_seconds), attempts=n) + (
            messages.text("failed", "partial_kept", size=len(got.body)) if got.body else "")
    if got.outcome == fetch.BROKEN:
        return messages.text("failed", "broken", detail=got.error, size=len(got.body), attempts=n)
    if got.outcome == fetch.WAIT_TOO_LONG:
        return messages.text("failed", "retry_after", status=got.status, asked=_num(got.retry_after or 0),
                             cap=_num(settings.retry_after_max), attempts=n)
    if got.outcome == fetch.UNREACHABLE:
        if got.timed_out:
            return messages.text("failed", "timeout", seconds=_num(settings.read_timeout), attempts=n)
        return messages.text("failed", "connection", detail=got.error, attempts=n)
    if got.status in (401, 403):
        return messages.text("failed", "unauthorized", status=got.status)
    if got.status not in (200, 404):
        return messages.text("failed", "http_status", status=got.status, attempts=n)
    return None


def _num(value: float) -> str:
    return f"{value:g}"


def read_inbox_file(catalog: Catalog, unit: Unit, period: str, path: Path, *, data_dir: Path) -> dict[str, Any]:
    from county_reports.collect import inbox

    started = time.monotonic()
    out = _outcome(unit.code, period, "inbox")
    raw = path.read_bytes()

    def parse() -> dict[str, Any]:
        try:
            return protocol.check_envelope(inbox.read_template(
                path, catalog, expect_unit=unit.code, expect_period=period))
        except inbox.InboxError as exc:
            raise protocol.Unreadable("unreadable_file", detail=exc.reason) from None

    return _accept_bytes(out, started, raw, data_dir, content_type=protocol.XLSX_MEDIA_TYPE,
                         parse=parse, received=_inbox_arrival(path))


def _inbox_arrival(path: Path) -> datetime:
    """When the bureau got an inbox file: the mailbox's stamp (the mail server's INTERNALDATE)
    for a mailed workbook; for a file dropped by hand the time the data folder saw it arrive
    (ctime, which no copy tool sets), else now — never a time the file claims (mtime)."""
    from county_reports.collect import inbox

    now = datetime.now(UTC)
    stamp = inbox._stamp_path(path)     # written by the mailbox only (inbox.stamp_submitted)
    try:
        if stamp.is_file():
            return min(datetime.fromisoformat(stamp.read_text(encoding="utf-8").strip()), now)
        if not paths.is_remote(path):
            return min(datetime.fromtimestamp(os.stat(path).st_ctime, UTC), now)
    except (OSError, ValueError, TypeError):
        log.warning("%s: arrival time unreadable; the time it is read is used", path)
    return now


def _accept_bytes(out: dict, started: float, raw: bytes, data_dir: Path, *, content_type: str,
                  parse, received: datetime | None = None) -> dict[str, Any]:
    # Archive first: whatever happens while reading, the bytes are on disk.
    stored = archive.store(data_dir, raw)
    received = received or datetime.now(UTC)
    out.update(sha256=stored.sha256, size=stored.size, content_type=content_type,
               received_at=received.isoformat(timespec="seconds"))
    return _parse_arrival(out, started, raw, data_dir, content_type=content_type, parse=parse)


def _parse_arrival(out: dict, started: float, raw: bytes, data_dir: Path, *, content_type: str,
                   parse) -> dict[str, Any]:
    """The archived bytes read as an envelope: received, or refused with the reason."""
    try:
        payload = parse()
    except protocol.Unreadable as exc:
        return _finish(out, started, REFUSED, exc.reason)
    if content_type == protocol.XLSX_MEDIA_TYPE:
        # What the workbook says, as protocol-v1 JSON: later stages read every submission alike.
        derived = archive.store(data_dir, json.dumps(payload, ensure_ascii=False, sort_keys=True).encode())
        out["payload_sha256"] = derived.sha256
    else:
        out["payload_sha256"] = out["sha256"]
    out.update(submitted_at=payload.get("submitted_at"), values=len(payload["values"]),
               narratives=len(payload.get("narratives") or []))
    return _finish(out, started, RECEIVED, None)


def _outcome(unit: str, period: str, source: str) -> dict[str, Any]:
    return {"unit": unit, "period": period, "source": source, "status": None, "reason": None,
            "http_status": None, "attempts": 1 if source == "http" else 0, "sha256": None,
            "payload_sha256": None, "size": None, "content_type": None, "received_at": None, "submitted_at": None,
            "truncated": False, "values": None, "narratives": None, "elapsed_ms": None}


def _finish(out: dict, started: float, status: str, reason: str | None) -> dict[str, Any]:
    out["status"], out["reason"] = status, reason
    out["elapsed_ms"] = round((time.monotonic() - started) * 1000)
    return out
