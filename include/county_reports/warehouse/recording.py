"""How ``Warehouse.record_verdicts`` keeps one verdict's trouble to itself.

Each verdict is prepared alone (``bulk.prepare``); the prepared ones are written ``chunk_size``
per transaction, and a chunk the database refuses is written again one verdict per transaction,
so only the verdict at fault fails. Whether a failure can be one verdict's fault at all is
``unit_fault``: a database that is down is nobody's verdict, and raises at once.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable

from sqlalchemy.exc import InterfaceError, OperationalError, StatementError

from county_reports import archive, paths
from county_reports.validate.model import Verdict
from county_reports.warehouse import bulk

log = logging.getLogger(__name__)

Failure = tuple[int, Verdict, Exception]      # (index in the caller's list, verdict, exception)
WriteChunk = Callable[[list[bulk.Prepared]], list[tuple[bulk.Prepared, dict[str, Any]]]]


def unit_fault(exc: BaseException) -> bool:
    """Whether one verdict can have caused ``exc`` (a bad value, a row the database refuses),
    as opposed to a database that is down or unreachable."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return False
    return isinstance(exc, (ValueError, TypeError, KeyError, StatementError))


def prepare_all(verdicts: list[Verdict], tz: str) -> tuple[list[bulk.Prepared], list[Failure]]:
    """Every verdict made ready for the database, or its failure."""
    failures: list[Failure] = []
    ready: list[bulk.Prepared] = []
    for i, v in enumerate(verdicts):
        try:
            ready.append(bulk.prepare(i, v, tz))
        except Exception as exc:
            if not unit_fault(exc):
                raise
            failures.append((i, v, exc))
    return ready, failures


def warn_missing_archives(ready: list[bulk.Prepared], data_root: str | Path) -> None:
    """A verdict whose raw bytes are not in the archive is stored all the same, and logged."""
    for p in ready:
        if not archive.path_for(paths.location(data_root), p.verdict.sha256).is_file():
            log.warning("warehouse: raw archive file for %s %s (%s) not found under %s",
                        p.verdict.unit, p.verdict.period, p.verdict.sha256, data_root)


def write_in_chunks(ready: list[bulk.Prepared], size: int, write: WriteChunk,
                    failures: list[Failure]) -> dict[int, dict[str, Any]]:
    """``size`` verdicts per ``write`` (one transaction); a chunk refused is written one verdict
    at a time. Returns each stored verdict's result by its index; failures go to ``failures``."""
    results: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ready), size):
        chunk = ready[start:start + size]
        try:
            stored = write(chunk)
        except Exception as exc:
            if not unit_fault(exc):
                raise
            if len(chunk) == 1:
                failures.append((chunk[0].index, chunk[0].verdict, exc))
                continue
            log.info("warehouse: a chunk of %d verdicts was refused (%s); storing them one by one",
                     len(chunk), type(exc).__name__)
            stored = _write_one_by_one(chunk, write, failures)
        for p, row in stored:
            results[p.index] = row
    return results


def _write_one_by_one(chunk: list[bulk.Prepared], write: WriteChunk,
                      failures: list[Failure]) -> list[tuple[bulk.Prepared, dict[str, Any]]]:
    stored = []
    for p in chunk:
        try:
            stored += write([p])
        except Exception as one:
            if not unit_fault(one):
                raise
            failures.append((p.index, p.verdict, one))
    return stored
