"""Check one file before (or instead of) sending it: ``python -m county_reports validate FILE``.

The file is a protocol-v1 JSON submission or a filled Excel template. It goes through the same
reading, normalisation and rules as a month's batch (as a batch of one), and the text printed
is the feedback the unit would receive. Exit codes: 0 accepted (warnings allowed), 1 rejected,
2 unreadable. Whatever the file holds — empty, binary, huge, a JSON array, wrong types, deep
nesting — the answer is a message and a code, never a traceback.
"""
from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from county_reports import inbox, messages, periods, protocol, pull_settings
from county_reports.catalog import Catalog
from county_reports.validate import feedback
from county_reports.validate.model import ACCEPTED, ACCEPTED_WITH_WARNINGS, REJECTED, Received
from county_reports.validate.normalize import shorten
from county_reports.validate.options import Options, load_options

EXIT_ACCEPTED, EXIT_REJECTED, EXIT_UNREADABLE = 0, 1, 2
MAX_XLSX_BYTES = 10_000_000
log = logging.getLogger(__name__)


class _Refused(Exception):
    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def check_file(path: str | Path, catalog: Catalog, unit: str | None = None,
               period: str | None = None, *, engine: str = "gx",
               options: Options | None = None) -> tuple[int, str]:
    """``(exit code, text)``; ``unit``/``period`` default to the ones inside the file."""
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
                            datetime.now(timezone.utc).isoformat(timespec="seconds"), payload)
        from county_reports.validate.run import validate_period

        verdict = validate_period([received], catalog, options=options, engine=engine)[0]
        return _answer(verdict, catalog, options)
    except Exception as exc:   # the promise: a message and an exit code, never a traceback
        log.debug("offline check of %s failed", path, exc_info=True)
        return EXIT_UNREADABLE, messages.text("inbox", "cannot_check", file=path.name,
                                              detail=f"{type(exc).__name__}: {shorten(str(exc), 200)}")


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
