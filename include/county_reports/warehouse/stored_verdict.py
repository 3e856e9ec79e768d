"""A verdict in the form the warehouse stores it: its canonical content and content hash, its
arrival times, its value, narrative and issue rows.

Timeliness never rests on a time the bureau knows to be false. The unit's claim (``submitted_at``
of a pull) is believed only within what the bureau saw itself (``arrival``): never later than our
own receipt (the pull, IMAP INTERNALDATE, the file's arrival in the data folder), never earlier than
the end of the month reported on, never earlier than the last time the bureau looked and found
nothing (``collection_status`` *missing*, ``last_checked_at``). So a unit that claims the 3rd but
was found missing by the pull on the 5th arrived at that pull; one that claims the 6th and is
first seen by the pull on the 8th arrived on the 6th. The more often the bureau looks — pulls on
the deadline days — the tighter the bound. The missing record is cleared when the month's first
version is stored, so a later version is bounded only by the month's end and its receipt.
"""
from __future__ import annotations

import hashlib
import json
import math
from datetime import datetime, UTC
from typing import Any
from zoneinfo import ZoneInfo

from county_reports.core import paths, periods
from county_reports.validate.model import Verdict


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value).replace("\r\n", "\n").strip()


def numeric(value: Any) -> float | None:
    """The value as a float if it is a finite number, else None (-0.0 becomes 0.0)."""
    if type(value) is not float:      # the common case first: validation hands floats over
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        value = float(value)
    return value + 0.0 if math.isfinite(value) else None


def canonical_values(verdict: Verdict) -> tuple[list[tuple[str, float | None, str | None]], dict[str, Any]]:
    """One pass over the values: the stored rows (indicator, value, raw_value), sorted by code,
    and the values part of the canonical content."""
    rows: list[tuple[str, float | None, str | None]] = []
    canonical: dict[str, Any] = {}
    values, raw_values = verdict.values, verdict.raw_values
    for code in sorted(set(values) | set(raw_values)):
        number = numeric(values.get(code))
        raw = raw_values.get(code)
        rows.append((code, number, None if raw is None else str(raw)))
        canonical[code] = number if number is not None else {"raw": _text(raw)}
    return rows, canonical


def canonical_content(verdict: Verdict) -> dict[str, Any] | None:
    """Values, narratives, contact (and the key projects and events read, when sent) in one
    canonical shape; None when nothing could be read.

    A value is its float when it is numeric (so 12, 12.0 and "12.00" sent as text and
    normalised by validation are the same), else the text as sent. Key order, whitespace
    around texts and CRLF line ends do not matter; the order of narrative items does.
    """
    return _canonical(verdict, canonical_values(verdict)[1])


def _canonical(verdict: Verdict, values: dict[str, Any]) -> dict[str, Any] | None:
    narratives = [{k: _text(item.get(k)) for k in ("kind", "section", "text")}
                  for item in verdict.narratives]
    contact = {str(k): _text(v) for k, v in (verdict.contact or {}).items()}
    if not values and not narratives and not contact:
        return None
    content = {"values": values, "narratives": narratives, "contact": contact}
    if verdict.confirmations:   # only then: the hashes of versions without any stay as they were
        content["confirmations"] = {code: _text(reason) for code, reason in verdict.confirmations.items()}
    # only when sent: a submission without them hashes as before the ledger existed
    content.update({k: list(getattr(verdict, k)) for k in ("projects", "events") if getattr(verdict, k)})
    return content


def content_hash(verdict: Verdict) -> str:
    """SHA-256 of the canonical JSON of the content.

    The same figures re-sent in different bytes (key order, number spelling, whitespace,
    escapes) hash the same. A submission with no readable content at all (unreadable bytes)
    is identified by its raw bytes instead, so two different unreadable files stay distinct.
    """
    return hash_of(verdict, canonical_content(verdict))


def hash_of(verdict: Verdict, content: dict[str, Any] | None) -> str:
    """``content_hash`` from the canonical content already computed."""
    if content is None:
        text = f"raw:{verdict.sha256}"
    else:
        text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                          allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_time(value: str | datetime | None, tz: str, *, field: str, required: bool) -> datetime | None:
    """An ISO 8601 text (or datetime) as an aware datetime; naive times are on the bureau's clock."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError(f"{field} is missing")
        return None
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value.strip())
    except ValueError:
        if required:
            raise ValueError(f"{field} {value!r} is not an ISO 8601 timestamp") from None
        return None   # an unparseable submitted_at is ignored: received_at then decides
    return moment.replace(tzinfo=ZoneInfo(tz)) if moment.tzinfo is None else moment


def arrival(verdict: Verdict, tz: str, missing_at: datetime | None = None
            ) -> tuple[datetime, datetime | None, datetime]:
    """(received_at, submitted_at, arrived_at): the time used for timeliness.

    arrived_at = the unit's own submission time clamped into what the bureau saw itself: never
    later than we received it; never earlier than the end of the month reported on (a month
    cannot be reported before it is over, so an earlier stamp — a copied file's old time, a
    platform's stale default — is wrong); and never earlier than ``missing_at``, the last time
    the bureau looked and found nothing (``not_before_missing``).
    """
    received = parse_time(verdict.received_at, tz, field="received_at", required=True)
    submitted = parse_time(verdict.submitted_at, tz, field="submitted_at", required=False)
    arrived = min(received, submitted) if submitted else received
    year, month = periods.parse(periods.shift(verdict.period, 1))
    month_over = datetime(year, month, 1, tzinfo=ZoneInfo(tz)).astimezone(UTC)
    arrived = max(arrived, min(month_over, received))
    return received, submitted, not_before_missing(arrived, received, missing_at)


def not_before_missing(arrived: datetime, received: datetime, missing_at: datetime | None) -> datetime:
    """``arrived`` no earlier than ``missing_at`` — when the bureau last looked (a pull's 404, no
    mail, no file) and found nothing from the unit for that month — unless we received it earlier
    still (then the receipt). A claim the bureau cannot contradict stands.

    Applying it to an arrived_at already clamped to the month's end is the same as clamping the
    claim into [max(month's end, missing_at), received] at once, and applying it twice changes
    nothing.
    """
    return arrived if missing_at is None else max(arrived, min(missing_at, received))


def raw_path(sha256: str) -> str:
    """The archive path relative to the data dir (``raw/ab/<sha>``, as ``archive.path_for``)."""
    return paths.raw_relative(sha256)


def value_rows(submission_id: int, verdict: Verdict) -> list[dict[str, Any]]:
    return [{"submission_id": submission_id, "indicator": code, "value": value, "raw_value": raw}
            for code, value, raw in canonical_values(verdict)[0]]


def narrative_rows(submission_id: int, verdict: Verdict) -> list[dict[str, Any]]:
    return [{"submission_id": submission_id, "seq": seq, "kind": str(item.get("kind") or ""),
             "section": item.get("section"), "text": str(item.get("text") or "")}
            for seq, item in enumerate(verdict.narratives, start=1)]


def issue_rows(submission_id: int, verdict: Verdict) -> list[dict[str, Any]]:
    return [{"submission_id": submission_id, "seq": seq, "indicator": issue.indicator,
             "value": issue.value, "rule": issue.rule, "importance": issue.importance,
             "message": issue.message, "effect": issue.effect}
            for seq, issue in enumerate(verdict.issues, start=1)]


FLAGGED_RULE = "OUTLIER"   # a value with this warning is flagged: unconfirmed until answered


def flag_rows(verdict: Verdict) -> list[tuple[str, float | None, float | None, bool, str | None]]:
    """(indicator, expected, effect, confirmed, reason) per value flagged as a likely slip."""
    rows: dict[str, tuple] = {}
    for issue in verdict.issues:
        if issue.rule == FLAGGED_RULE and issue.indicator is not None and issue.indicator not in rows:
            reason = verdict.confirmations.get(issue.indicator)
            rows[issue.indicator] = (issue.indicator, issue.expected, issue.effect, reason is not None, reason)
    return list(rows.values())
