"""How ``Warehouse.record_verdicts`` keeps one verdict's trouble to itself, and only its own.

Each verdict is prepared alone (``bulk.prepare``); the prepared ones are written ``chunk_size``
per transaction, and a chunk the database refuses is written again one verdict per transaction,
so only the verdict at fault fails.

Whether a failure can be one verdict's fault at all is ``unit_fault``: a value Python cannot
convert, or a row the database refuses for what is in it (IntegrityError: a constraint; DataError:
a value the column cannot hold). A privilege refused, a read-only transaction, a missing table or
column (ProgrammingError, InternalError), a database down or unreachable (OperationalError,
InterfaceError) is the database's, whichever verdict was being written: it raises at once, the
chunk's transaction is rolled back, and the task fails (the admins are alerted by its failure
callback) with no unit marked failed.

Even a refused row is the schema's fault when every row is refused (a constraint or a NOT NULL
column added by mistake), so the database's word is proven before a unit is blamed
(``needs_proof``): the same verdict is written again with plain rows of each kind in place of its
own content, in a transaction that is always rolled back (``Warehouse._probe``). Only if that goes
through were its own rows at fault; otherwise the original error is raised.

Unit of atomicity: one chunk is one transaction (each verdict in it whole); chunks already
committed stay committed when a later one raises, and storing the same verdicts again makes them
duplicates, so a run repeated after the database is fixed stores the month whole.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterator

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from county_reports.core import archive, messages, paths
from county_reports.validate.model import Verdict
from county_reports.warehouse import bulk

log = logging.getLogger(__name__)

Failure = tuple[int, Verdict, Exception]      # (index in the caller's list, verdict, exception)
WriteChunk = Callable[[list[bulk.Prepared]], list[tuple[bulk.Prepared, dict[str, Any]]]]
Probe = Callable[[bulk.Prepared], None]        # raises if the database refuses plain rows too

VALUE_ERRORS = (ValueError, TypeError, KeyError)     # a value of the verdict Python cannot convert


def unit_fault(exc: BaseException) -> bool:
    """Whether one verdict's own data can have caused ``exc`` (see the module docstring).

    Every SQLAlchemy database error is a ``StatementError``: only IntegrityError and DataError
    among them speak of the rows; a StatementError that is no database error is a bind value
    SQLAlchemy could not convert (a naive timestamp …)."""
    if isinstance(exc, DBAPIError):
        return isinstance(exc, (IntegrityError, DataError))
    if isinstance(exc, StatementError):
        return isinstance(exc.orig, VALUE_ERRORS)
    return isinstance(exc, VALUE_ERRORS)


def needs_proof(exc: BaseException) -> bool:
    """The database refused the rows: the verdict's, or any verdict's? (``Warehouse._probe``)."""
    return isinstance(exc, DBAPIError)


class StoreRefused(RuntimeError):
    """The warehouse refused writes whoever's they were: the database's fault, told to the admins."""

    @classmethod
    def of(cls, exc: Exception) -> StoreRefused:
        cause = getattr(exc, "orig", None) or exc       # the driver's own words, first line only
        lines = str(cause).strip().splitlines() or [""]
        return cls(messages.text("failed", "store_refused", detail=f"{type(cause).__name__}: {lines[0][:200]}"))


@contextmanager
def refusals_raised() -> Iterator[None]:
    """A database error out of the block (what ``record_each`` and the like let through: no
    unit's fault) as ``StoreRefused``, the original as its cause."""
    try:
        yield
    except DBAPIError as exc:
        raise StoreRefused.of(exc) from exc


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
                    failures: list[Failure], probe: Probe) -> dict[int, dict[str, Any]]:
    """``size`` verdicts per ``write`` (one transaction); a chunk refused for its rows is written
    one verdict at a time. Returns each stored verdict's result by its index; the verdicts at
    fault go to ``failures``. Any other error raises (the chunk rolled back, earlier ones kept)."""
    results: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ready), size):
        chunk = ready[start:start + size]
        try:
            stored = write(chunk)
        except Exception as exc:
            if not unit_fault(exc):
                raise
            if len(chunk) == 1:
                _blame(chunk[0], exc, probe, failures)
                continue
            log.info("warehouse: a chunk of %d verdicts was refused (%s); storing them one by one",
                     len(chunk), type(exc).__name__)
            stored = _write_one_by_one(chunk, write, failures, probe)
        for p, row in stored:
            results[p.index] = row
    return results


def _write_one_by_one(chunk: list[bulk.Prepared], write: WriteChunk, failures: list[Failure],
                      probe: Probe) -> list[tuple[bulk.Prepared, dict[str, Any]]]:
    stored = []
    for p in chunk:
        try:
            stored += write([p])
        except Exception as one:
            if not unit_fault(one):
                raise
            _blame(p, one, probe, failures)
    return stored


def _blame(p: bulk.Prepared, exc: Exception, probe: Probe, failures: list[Failure]) -> None:
    """``p``'s failure, once proven its own; else ``exc`` is raised: the database refuses anyone."""
    if needs_proof(exc):
        try:
            probe(p)
        except Exception as plain:
            log.error("warehouse: %s %s refused (%s), and so are plain rows in its place (%s): "
                      "the database's fault, not the unit's", p.verdict.unit, p.verdict.period,
                      type(exc).__name__, type(plain).__name__)
            raise exc from None
    failures.append((p.index, p.verdict, exc))
