"""Collection: pull every unit's monthly submission and record one outcome per unit.

Each unit ends a run with exactly one outcome:

- ``received``: bytes arrived, were archived, and read as a protocol-v1 envelope;
- ``missing``: the unit has not submitted yet (HTTP 404, no inbox file);
- ``refused``: bytes arrived and were archived but are unreadable (the reason says why);
- ``failed``: nothing usable arrived after retries (the reason says why).

The raw bytes are archived before they are parsed, so nothing received is ever lost. Units are
pulled concurrently inside a batch (threads, one ``requests.Session`` per thread); the DAG maps
over batches so a province of 3,000 units stays within Airflow's ``max_map_length``.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from county_reports import archive, messages, protocol
from county_reports.catalog import Catalog, ConfigError, Unit
from county_reports.tokens import TokenLookup

log = logging.getLogger(__name__)
RECEIVED, MISSING, REFUSED, FAILED = "received", "missing", "refused", "failed"
OUTCOMES = (RECEIVED, MISSING, REFUSED, FAILED)
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class PullSettings:
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    retries: int = 3
    backoff: float = 0.5          # urllib3 backoff factor: 0.5 s, 1 s, 2 s …
    max_body_bytes: int = 2_000_000
    concurrency: int = 16         # threads inside one batch
    batch_size: int = 100         # units per mapped task
    per_unit_up_to: int = 200     # a run with at most this many unit-months: one mapped task per unit

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


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
    """Workbooks in the month's inbox that no unit expected that month would be read from."""
    from county_reports import inbox

    expected = {u.code for u in catalog.units_active_in(period)}
    return [p for p in inbox.scan_inbox(data_dir, period) if p.stem not in expected]


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
                label = f"{month} {batch[0]}…{batch[-1]}（{len(batch)}个单位）"
            pulls.append({"period": month, "units": batch, "label": label})
    return pulls


# --------------------------------------------------------------------------- pulling


def _new_session(settings: PullSettings) -> requests.Session:
    retry = Retry(total=settings.retries, connect=settings.retries, read=1,
                  status=settings.retries, backoff_factor=settings.backoff, backoff_max=10,
                  status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({"GET"}),
                  raise_on_status=False, respect_retry_after_header=True)
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=retry, pool_maxsize=4))
    session.mount("https://", HTTPAdapter(max_retries=retry, pool_maxsize=4))
    session.headers["Accept"] = "application/json"
    session.headers["User-Agent"] = "county-reports/0.1 (protocol 1)"
    return session


def pull_batch(catalog: Catalog, period: str, unit_codes: list[str], *, data_dir: Path,
               token_lookup: TokenLookup, settings: PullSettings = PullSettings(),
               environ: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Pull one batch of units concurrently; returns one outcome dict per unit, in input order."""
    from county_reports import inbox  # only here: openpyxl is not needed by HTTP pulls

    local = threading.local()

    def one(code: str) -> dict[str, Any]:
        unit = catalog.unit_by_code[code]
        try:
            dropped = inbox.inbox_path(data_dir, period, code)
            if dropped.is_file():
                return read_inbox_file(catalog, unit, period, dropped, data_dir=data_dir)
            if not hasattr(local, "session"):
                local.session = _new_session(settings)
            return pull_unit(local.session, unit, period, data_dir=data_dir,
                             token_lookup=token_lookup, settings=settings, environ=environ)
        except Exception as exc:  # one unit's surprise must not stop the other units' collection
            log.exception("collecting %s %s failed unexpectedly", code, period)
            out = _outcome(code, period, "http")
            return _finish(out, time.monotonic(), FAILED,
                           messages.text("failed", "internal", detail=type(exc).__name__))

    with ThreadPoolExecutor(max_workers=max(1, min(settings.concurrency, len(unit_codes)))) as pool:
        return list(pool.map(one, unit_codes))


def pull_unit(session: requests.Session, unit: Unit, period: str, *, data_dir: Path,
              token_lookup: TokenLookup, settings: PullSettings,
              environ: dict[str, str] | None = None) -> dict[str, Any]:
    started = time.monotonic()
    out = _outcome(unit.code, period, "http")
    try:
        url = f"{unit.endpoint(environ)}/submissions/{period}"
    except ConfigError as exc:
        return _finish(out, started, FAILED, messages.text("failed", "bad_endpoint", detail=exc.problem))
    token = token_lookup(unit.token_conn_id)
    if not token:
        return _finish(out, started, FAILED,
                       messages.text("failed", "no_token", conn_id=unit.token_conn_id))
    try:
        response = session.get(url, headers={"Authorization": f"Bearer {token}"}, stream=True,
                               timeout=(settings.connect_timeout, settings.read_timeout))
    except requests.RequestException as exc:
        out["attempts"] = settings.retries + 1
        return _finish(out, started, FAILED, _describe_error(exc, settings, token))
    with response:
        history = getattr(getattr(response.raw, "retries", None), "history", ()) or ()
        out["attempts"] = len(history) + 1
        out["http_status"] = response.status_code
        status = response.status_code
        if status == 404:
            return _finish(out, started, MISSING, None)
        if status in (401, 403):
            return _finish(out, started, FAILED, messages.text("failed", "unauthorized", status=status))
        if status != 200:
            return _finish(out, started, FAILED, messages.text(
                "failed", "http_status", status=status, attempts=out["attempts"]))
        try:
            raw = _read_limited(response, settings.max_body_bytes)
        except _TooLarge:
            return _finish(out, started, REFUSED, messages.text(
                "refused", "too_large", detail=settings.max_body_bytes))
        except requests.RequestException as exc:
            return _finish(out, started, FAILED, _describe_error(exc, settings, token))
        content_type = response.headers.get("Content-Type", "")
    return _accept_bytes(out, started, raw, data_dir, content_type=content_type,
                         parse=lambda: protocol.parse_json_payload(raw, content_type))


def read_inbox_file(catalog: Catalog, unit: Unit, period: str, path: Path, *,
                    data_dir: Path) -> dict[str, Any]:
    from county_reports import inbox

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
                         parse=parse)


class _TooLarge(Exception):
    pass


def _read_limited(response: requests.Response, limit: int) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _TooLarge()
    chunks, size = [], 0
    for chunk in response.iter_content(65536):
        size += len(chunk)
        if size > limit:
            raise _TooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def _accept_bytes(out: dict, started: float, raw: bytes, data_dir: Path, *, content_type: str,
                  parse) -> dict[str, Any]:
    # Archive first: whatever happens while reading, the bytes are on disk.
    stored = archive.store(data_dir, raw)
    out.update(sha256=stored.sha256, size=stored.size, content_type=content_type,
               received_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    try:
        payload = parse()
    except protocol.Unreadable as exc:
        return _finish(out, started, REFUSED, exc.reason)
    if content_type == protocol.XLSX_MEDIA_TYPE:
        # What the workbook says, as protocol-v1 JSON: later stages read every submission alike.
        derived = archive.store(data_dir, json.dumps(payload, ensure_ascii=False, sort_keys=True).encode())
        out["payload_sha256"] = derived.sha256
    else:
        out["payload_sha256"] = stored.sha256
    out.update(submitted_at=payload.get("submitted_at"), values=len(payload["values"]),
               narratives=len(payload.get("narratives") or []))
    return _finish(out, started, RECEIVED, None)


def _outcome(unit: str, period: str, source: str) -> dict[str, Any]:
    return {"unit": unit, "period": period, "source": source, "status": None, "reason": None,
            "http_status": None, "attempts": 1 if source == "http" else 0, "sha256": None,
            "payload_sha256": None, "size": None, "content_type": None, "received_at": None, "submitted_at": None,
            "values": None, "narratives": None, "elapsed_ms": None}


def _finish(out: dict, started: float, status: str, reason: str | None) -> dict[str, Any]:
    out["status"], out["reason"] = status, reason
    out["elapsed_ms"] = round((time.monotonic() - started) * 1000)
    return out


def _describe_error(exc: Exception, settings: PullSettings, token: str) -> str:
    chain, cause = [], exc
    while cause is not None and len(chain) < 6:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__ or (cause.args[0] if cause.args and
                                                          isinstance(cause.args[0], Exception) else None)
    text = " ".join(f"{type(c).__name__} {c}" for c in chain)
    attempts = settings.retries + 1
    if "timed out" in text.lower() or "Timeout" in text:
        reason = messages.text("failed", "timeout", seconds=settings.read_timeout, attempts=attempts)
    else:
        detail = type(chain[-1]).__name__
        reason = messages.text("failed", "connection", detail=detail)
    return reason.replace(token, "***")


def load_settings(config_dir: Path | None = None) -> PullSettings:
    """PullSettings from collection.yaml; unknown keys and wrong types are configuration errors."""
    import yaml

    from county_reports import settings as project_settings

    root = Path(config_dir) if config_dir else project_settings.config_dir()
    path = root / "collection.yaml"
    if not path.is_file():
        return PullSettings()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    defaults = PullSettings().as_dict()
    if not isinstance(data, dict):
        raise ConfigError("collection.yaml", "(file)", "expected a mapping")
    for key, value in data.items():
        if key not in defaults:
            raise ConfigError("collection.yaml", key, f"unknown setting (known: {', '.join(defaults)})")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigError("collection.yaml", key, f"{value!r} must be a positive number")
        if isinstance(defaults[key], int) and not isinstance(value, int):
            raise ConfigError("collection.yaml", key, f"{value!r} must be a whole number")
    return PullSettings(**{**defaults, **data})
