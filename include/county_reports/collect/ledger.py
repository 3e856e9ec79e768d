"""The collection ledger: every unit's outcome of every collection run, appended, never rewritten.

One JSON line per (run, attempt, unit, period) under ``{data}/collections/{period}.jsonl``. It is
the record of what collection did (attempts, HTTP status, archive digest); the warehouse keeps
what the submissions say.

Rows are appended by the pulling threads as each unit finishes (``append``), so a run killed
half-way keeps what it learned. Each row carries ``ledger_key`` = run/attempt/unit/period:
``record`` (the downstream step, or a caller that did not record live) skips outcomes whose key
is already there, and ``read`` keeps the first row of a key, so nothing is counted twice.

A full disk can leave a partial last line. Reading skips a line that is not JSON; the next
append first cuts the torn tail off (keeping it in ``{period}.jsonl.torn``) so a new row never
glues onto it. Writers of one ledger (threads, mapped tasks in other processes) hold an
exclusive ``flock`` while they append.

On an object store (workers on several machines, ``paths.is_remote``) there is no append and no
lock: each row is its own object, ``collections/{period}/{time}-{key}.json``, put whole. Names
sort by the time they were written, so reading them in order is reading the ledger in order.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from collections.abc import Iterable

from county_reports.core import messages, paths
from county_reports.core.atomic import DataFolderError
from county_reports.core.catalog import Catalog

log = logging.getLogger(__name__)
# The outcomes in the order the totals line counts them; their words are messages.yaml outcomes.
OUTCOMES = ("received", "missing", "refused", "failed")
_LOCK = threading.Lock()


def ledger_path(data_dir: Path, period: str) -> Path:
    return paths.collections(data_dir) / f"{period}.jsonl"


def key_for(run_id: str | None, attempt: int | None, unit: str, period: str) -> str:
    return f"{run_id}/{attempt or 1}/{unit}/{period}"


def _row(outcome: dict[str, Any], run_id: str | None, attempt: int | None) -> dict[str, Any]:
    key = outcome.get("ledger_key") or key_for(run_id, attempt, outcome["unit"], outcome["period"])
    return {"run_id": run_id, "attempt": attempt or 1, **outcome, "ledger_key": key}


def _repair_tail(fh, path: Path) -> None:
    """Cut a torn last line (no final newline) off an open ledger, keeping it beside the ledger."""
    size = fh.seek(0, os.SEEK_END)
    if size == 0:
        return
    fh.seek(size - 1)
    if fh.read(1) == b"\n":
        return
    fh.seek(max(0, size - 1_000_000))
    tail = fh.read()
    cut = tail.rfind(b"\n")
    keep = (size - len(tail)) + cut + 1 if cut >= 0 else 0
    fh.seek(keep)
    torn = fh.read()
    with open(path.with_name(path.name + ".torn"), "ab") as kept:
        kept.write(torn + b"\n")
    fh.truncate(keep)
    log.warning("%s: cut off a torn last line of %d bytes (kept in %s.torn)", path, len(torn), path.name)


def _row_folder(path: paths.DataPath) -> paths.DataPath:
    return path.with_name(path.name.removesuffix(".jsonl"))


def _object_name(row: dict[str, Any]) -> str:
    return f"{time.time_ns():020d}-{paths.safe_name(row['ledger_key'])}.json"


def _put_rows(path: paths.DataPath, rows: list[dict[str, Any]], *, skip_known: bool) -> int:
    """The object-store ledger: one object per row (no append, no lock across machines)."""
    folder = _row_folder(path)
    try:
        if skip_known:
            known = {name.split("-", 1)[1] for name in _object_names(folder)}
            rows = [r for r in rows if _object_name(r).split("-", 1)[1] not in known]
        for row in rows:
            (folder / _object_name(row)).write_text(json.dumps(row, ensure_ascii=False, sort_keys=True),
                                                    encoding="utf-8")
    except OSError as exc:
        raise DataFolderError(path, exc) from exc
    return len(rows)


def _object_names(folder: paths.DataPath) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".json")) if folder.is_dir() else []


def _append_rows(path: paths.DataPath, rows: list[dict[str, Any]], *, skip_known: bool) -> int:
    """Append rows under the ledger's lock; returns how many were written."""
    if paths.is_remote(path):
        return _put_rows(path, rows, skip_known=skip_known)
    with _LOCK:
        try:
            paths.make_folder(path.parent)
            with os.fdopen(os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, paths.FILE_MODE), "a+b") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)
                try:
                    _repair_tail(fh, path)
                    if skip_known:
                        fh.seek(0)
                        known = {r.get("ledger_key") for r in _parse(fh.read(), path)}
                        rows = [r for r in rows if r["ledger_key"] not in known]
                    if not rows:
                        return 0
                    data = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n"
                                   for r in rows).encode("utf-8")
                    before = fh.seek(0, os.SEEK_END)
                    try:
                        fh.write(data)
                        fh.flush()
                        os.fsync(fh.fileno())
                    except OSError:
                        with contextlib.suppress(OSError):   # leave no partial row behind if the disk allows it
                            fh.truncate(before)
                        raise
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)
        except OSError as exc:
            raise DataFolderError(path, exc) from exc
    return len(rows)


def append(data_dir: Path, outcome: dict[str, Any], *, run_id: str | None, attempt: int | None = None) -> None:
    """One unit's outcome, the moment it is known (called from the pulling threads)."""
    row = _row(outcome, run_id, attempt)
    outcome["ledger_key"] = row["ledger_key"]
    _append_rows(ledger_path(data_dir, outcome["period"]), [row], skip_known=False)


def record(data_dir: Path, outcomes: Iterable[dict[str, Any]], run_id: str,
           attempt: int | None = None) -> dict[str, int]:
    """Append every outcome not in the ledger yet (recorded live by the pull, or not at all)."""
    by_period: dict[str, list[dict]] = {}
    outcomes = list(outcomes)
    for o in outcomes:
        by_period.setdefault(o["period"], []).append(_row(o, run_id, attempt))
    for period, rows in by_period.items():
        _append_rows(ledger_path(data_dir, period), rows, skip_known=True)
    return dict(Counter(o["status"] for o in outcomes))


def _parse(data: bytes, path: Path) -> list[dict[str, Any]]:
    rows, seen = [], set()
    for n, line in enumerate(data.split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:           # a torn line (full disk): skipped, repaired by the next append
            log.warning("%s line %d is not a complete row; skipped", path, n)
            continue
        if not isinstance(row, dict):
            continue
        key = row.get("ledger_key")
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        rows.append(row)
    return rows


def read(data_dir: Path, period: str) -> list[dict[str, Any]]:
    path = ledger_path(data_dir, period)
    if paths.is_remote(path):
        folder = _row_folder(path)
        names = [f"{folder.path}/{name}" for name in _object_names(folder)]
        blobs = folder.fs.cat(names) if names else {}     # fetched concurrently
        return _parse(b"\n".join(blobs[n] for n in names), path)
    if not path.is_file():
        return []
    return _parse(path.read_bytes(), path)


def latest_by_unit(data_dir: Path, period: str) -> dict[str, dict[str, Any]]:
    """The most recent outcome per unit for a period."""
    latest: dict[str, dict[str, Any]] = {}
    for row in read(data_dir, period):
        latest[row["unit"]] = row
    return latest


def outcome_table(outcomes: list[dict[str, Any]], catalog: Catalog) -> str:
    """A plain-text table an admin reads in the task log: one line per unit and period."""
    def word(key: str) -> str:
        return messages.text("ledger_table", key)

    header = f"{word('period'):<8} {word('unit'):<6} {word('outcome'):<6} {'HTTP':>4} {word('attempts'):>3}  " \
             f"{word('detail')}"
    lines = [header, "-" * 72]
    for o in sorted(outcomes, key=lambda o: (o["period"], o["unit"])):
        unit = catalog.unit_by_code.get(o["unit"])
        name = unit.name if unit else o["unit"]
        label = messages.outcome_word(o["status"]) if o["status"] in OUTCOMES else o["status"]
        http = o.get("http_status") or ("xlsx" if o.get("source") == "inbox" else "-")
        detail = f"{name}" + (f" — {o['reason']}" if o.get("reason") else "")
        lines.append(f"{o['period']:<8} {o['unit']:<6} {label:<6} {http!s:>4} {o.get('attempts') or 0:>3}  {detail}")
    counts = Counter(o["status"] for o in outcomes)
    lines.append("-" * 72)
    totals = word("counts_join").join(messages.text("ledger_table", "count", outcome=messages.outcome_word(s),
                                                    count=counts.get(s, 0)) for s in OUTCOMES)
    lines.append(messages.text("ledger_table", "totals", counts=totals))
    return "\n".join(lines)
