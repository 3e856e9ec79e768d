"""Check one file before (or instead of) sending it: ``python -m county_reports validate FILE``.

The file is a protocol-v1 JSON submission or a filled Excel template. It goes through the same
reading, normalisation and rules as a month's batch (as a batch of one), and the text printed
is the feedback the unit would receive. With ``history_for`` (the command line passes the
warehouse's reader) the outlier checks see the unit's stored history, as the bureau's run will,
and the text ends by saying what they were compared with — or that no warehouse could be read,
so the file was checked without its history. Exit codes: 0 accepted (warnings allowed), 1 rejected,
2 unreadable. Whatever the file holds — empty, binary, huge, a JSON array, wrong types, deep
nesting — the answer is a message and a code, never a traceback.
"""
from __future__ import annotations

import hashlib
import logging
from datetime import datetime, UTC
from pathlib import Path
from typing import Any
from collections.abc import Callable

from county_reports.collect import inbox, protocol, pull_settings
from county_reports.core import messages, periods
from county_reports.core.catalog import Catalog
from county_reports.validate import feedback
from county_reports.validate.model import ACCEPTED, ACCEPTED_WITH_WARNINGS, REJECTED, Received
from county_reports.validate.normalize import shorten
from county_reports.validate.options import Options, load_options

EXIT_ACCEPTED, EXIT_REJECTED, EXIT_UNREADABLE = 0, 1, 2
MAX_XLSX_BYTES = 10_000_000
log = logging.getLogger(__name__)


class HistoryUnavailable(Exception):
    """Raised by a ``history_for`` that cannot reach the warehouse; the reason is shown (no URL)."""


class _Refused(Exception):
    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def check_file(path: str | Path, catalog: Catalog, unit: str | None = None,
               period: str | None = None, *, engine: str = "gx", options: Options | None = None,
               history_for: Callable[[str, str], Any] | None = None,
               projects_for: Callable[[str, str], Any] | None = None) -> tuple[int, str]:
    """``(exit code, text)``; ``unit``/``period`` default to the ones inside the file.
    ``history_for(unit, period)``: the unit's stored values (unit, period, indicator, value) for
    the outlier checks, or :class:`HistoryUnavailable`; ``projects_for(unit, period)`` likewise
    the ``key_projects.ProjectHistory`` the ledger checks compare with."""
    path = Path(path)
    try:
        options = options or load_options()
        try:
            raw, payload = _read(path, catalog)
            unit = unit or _text(payload.get("unit"))
            period = period or _text(payload.get("period"))
            if not periods.is_period(period):
                raise _Refused(messages.text("refused", "wrong_field_type", field="period",
                                             detail=options.fill(options.text("offline", "bad_period"),
                                                                 value=shorten(period, 20))))
        except _Refused as exc:
            end = messages.text("joins", "sentence_end")
            return EXIT_UNREADABLE, options.fill(options.text("offline", "unreadable"),
                                                 file=path.name or str(path), reason=exc.reason.rstrip(end) + end)
        received = Received(unit, period, hashlib.sha256(raw).hexdigest(), "file",
                            datetime.now(UTC).isoformat(timespec="seconds"), payload)
        from county_reports.validate.run import validate_period

        history, note = _history(history_for, unit, period, options)
        projects, ledger_note = _projects(projects_for, unit, period, payload, options)
        verdict = validate_period([received], catalog, history=history, options=options, engine=engine,
                                  projects=projects)[0]
        code, text = _answer(verdict, catalog, options)
        notes = "".join("\n" + n for n in (note, ledger_note) if n)
        return code, text + (notes if code != EXIT_UNREADABLE else "")
    except Exception as exc:   # the promise: a message and an exit code, never a traceback
        log.debug("offline check of %s failed", path, exc_info=True)
        return EXIT_UNREADABLE, messages.text("inbox", "cannot_check", file=path.name,
                                              detail=f"{type(exc).__name__}: {shorten(str(exc), 200)}")


def _history(history_for, unit: str, period: str, options: Options):
    """(history or None, the line saying what the outlier checks compared with)."""
    if history_for is None:
        return None, ""
    from county_reports.validate.intake import history_periods

    months = history_periods([period], max(options.outliers.window, 12) + 1)   # as the DAG reads
    (first_year, first_month), (last_year, last_month) = periods.parse(months[0]), periods.parse(months[-1])
    span = {"first_year": first_year, "first_month": first_month, "last_year": last_year,
            "last_month": last_month}
    try:
        history = history_for(unit, period)
    except HistoryUnavailable as exc:
        return None, options.fill(options.text("offline", "history_unavailable"), reason=str(exc), **span)
    if history is None or history.empty:
        return None, options.fill(options.text("offline", "history_none"), **span)
    return history, options.fill(options.text("offline", "history_used"), count=len(history), **span)


def _projects(projects_for, unit: str, period: str, payload: dict, options: Options):
    """(ledger history or None, the line saying what the ledger's cumulative figures were
    compared with); nothing to say for a file without a ledger."""
    if projects_for is None or not payload.get("projects"):
        return None, ""
    year, month = periods.parse(periods.shift(period, -1))
    try:
        history = projects_for(unit, period)
    except HistoryUnavailable as exc:
        return None, options.fill(options.text("offline", "projects_unavailable"), reason=str(exc))
    rows = history.rows.get((unit, periods.make(year, month)))
    if not rows:
        return history, options.fill(options.text("offline", "projects_none"), year=year, month=month)
    return history, options.fill(options.text("offline", "projects_used"), year=year, month=month,
                                 count=len(rows))


def _read(path: Path, catalog: Catalog) -> tuple[bytes, dict[str, Any]]:
    try:
        size, head = inbox.check_file(path)
    except inbox.InboxError as exc:
        raise _Refused(exc.reason) from None
    if inbox.is_workbook(path, head):
        if size > MAX_XLSX_BYTES:
            raise _Refused(messages.text("refused", "too_large", detail=MAX_XLSX_BYTES))
        return path.read_bytes(), _read_template(path, catalog)
    limit = pull_settings.load_settings().max_body_bytes     # the same cap as collection's
    if size > limit:
        raise _Refused(messages.text("refused", "too_large", detail=limit))
    raw = path.read_bytes()
    if not raw.strip():
        raise _Refused(messages.text("refused", "bad_json", detail=messages.text("inbox", "empty_json")))
    try:
        return raw, protocol.parse_json_payload(raw, None)
    except protocol.Unreadable as exc:
        raise _Refused(exc.reason) from None
    except RecursionError:
        raise _Refused(messages.text("refused", "bad_json", detail=messages.text("protocol", "too_deep"))) from None


def _read_template(path: Path, catalog: Catalog) -> dict[str, Any]:
    try:
        payload = inbox.read_template(path, catalog)
    except inbox.InboxError as exc:
        raise _Refused(messages.text("refused", "unreadable_file", detail=exc.reason)) from None
    try:
        return protocol.check_envelope(payload)
    except protocol.Unreadable as exc:
        raise _Refused(exc.reason) from None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _answer(verdict, catalog: Catalog, options: Options) -> tuple[int, str]:
    if any(i.rule == "UNREADABLE" for i in verdict.issues):
        return EXIT_UNREADABLE, "\n".join(i.message for i in verdict.issues)
    head = feedback.head(options, catalog, verdict.unit, verdict.period)
    warnings, errors = len(verdict.warnings), len(verdict.errors)
    and_warnings = options.fill(options.text("offline", "and_warnings"), warnings=warnings) \
        if warnings else ""
    first = options.fill(options.text("offline", verdict.status), head=head, errors=errors,
                         warnings=warnings, and_warnings=and_warnings)
    items = feedback.feedback_payload(verdict, catalog)
    lines = [first] + [f"{n}. {item['text']}" for n, item in enumerate(items, 1)]
    code = {ACCEPTED: EXIT_ACCEPTED, ACCEPTED_WITH_WARNINGS: EXIT_ACCEPTED,
            REJECTED: EXIT_REJECTED}[verdict.status]
    return code, "\n".join(lines)
