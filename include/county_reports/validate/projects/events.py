"""The register of events (重要事项) a unit sends with its month: read and checked.

A protocol-1 submission may carry ``events: [...]`` (absent: none, as before); each item has a
``kind`` (ledger.yaml event_kinds, code or Chinese name) and the fields of its kind::

    document    number (文号), title, date
    meeting     meeting (ledger.yaml meeting_kinds), date, topic
    campaign    name, start, end, counts {deployed, inspected, vehicles, found, …}, of_which
                [{"name": "超限超载", "count": 12}, …] (parts of ``found``)
    honour      title, body (awarding body), level (honour_levels), date (optional)
    proposal    subkind (proposal_kinds), received, closed
    petition    channel (petition_channels), received, closed
    inspection  source (inspection_kinds), issues, rectified

Dates are ``YYYY-MM-DD`` and must fall in the month (a campaign must overlap it); counts are
whole numbers, never negative; 办结率 = closed / received may not pass 100%.
:func:`check_events` returns the events read and the issues, in Chinese; a wrong item is left out
and never hides the others.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from collections.abc import Mapping

from county_reports.core import periods
from county_reports.validate.projects.fields import Reader
from county_reports.core.projects.vocabulary import Vocabulary
from county_reports.validate.model import Issue

# kind → (required text fields, word fields with their vocabulary, count fields)
SHAPES: dict[str, tuple[tuple[str, ...], dict[str, str], tuple[str, ...]]] = {
    "document": ((), {}, ()),
    "meeting": (("topic",), {"meeting": "meeting_kinds"}, ()),
    "campaign": (("name",), {}, ()),
    "honour": (("title", "body"), {"level": "honour_levels"}, ()),
    "proposal": ((), {"subkind": "proposal_kinds"}, ("received", "closed")),
    "petition": ((), {"channel": "petition_channels"}, ("received", "closed")),
    "inspection": ((), {"source": "inspection_kinds"}, ("issues", "rectified")),
}
CLOSED_OVER = {"proposal": ("received", "closed"), "petition": ("received", "closed"),
               "inspection": ("issues", "rectified")}


@dataclass(frozen=True)
class Event:
    kind: str
    date: date | None = None              # a document's, meeting's, honour's date; a campaign's start
    end: date | None = None               # a campaign's last day
    title: str | None = None              # document title, campaign name, honour title, meeting topic
    number: str | None = None             # 文号
    body: str | None = None               # awarding body
    subkind: str | None = None            # meeting kind, honour level, proposal kind, channel, source
    counts: dict[str, int] = field(default_factory=dict)
    of_which: tuple[tuple[str, int], ...] = ()


def check_events(payload: Mapping, *, unit: str, unit_name: str, period: str,
                 vocabulary: Vocabulary) -> tuple[list[Event], list[Issue]]:
    reader = Reader(vocabulary, unit, unit_name, period)
    events = []
    for index, raw in reader.items(payload, "events"):
        before = len(reader.issues)
        kind = reader.word(raw, "kind", "event_kinds", f"events[{index}]", f"[{index}]")
        if kind is None:
            if raw.get("kind") in (None, ""):
                _missing(reader, index, raw, "kind")
            continue
        event = _read(reader, index, kind, raw)
        if event is not None and len(reader.issues) == before:
            events.append(event)
    return events, reader.issues


def _read(reader: Reader, index: int, kind: str, raw: dict) -> Event | None:
    texts, words, counts = SHAPES[kind]
    where = f"events[{index}]"
    if kind == "document":
        return _document(reader, index, raw)
    values = {}
    for name in texts:
        values[name] = reader.text(raw, name, where, f"[{index}]")
        if values[name] is None:
            _missing(reader, index, raw, name)
    subkind = None
    for name, vocabulary in words.items():
        subkind = reader.word(raw, name, vocabulary, where, f"[{index}]")
        if subkind is None and raw.get(name) in (None, ""):
            _missing(reader, index, raw, name)
    numbers = {name: _count(reader, index, raw, raw.get(name), name) for name in counts}
    if kind in CLOSED_OVER:
        _closure(reader, index, kind, numbers)
    title = values.get("title") or values.get("name") or values.get("topic")
    if kind == "campaign":
        return _campaign(reader, index, raw, title)
    when = _dated(reader, index, raw, title, required=kind == "meeting")
    return Event(kind, when, None, title, None, values.get("body"), subkind,
                 {k: v for k, v in numbers.items() if v is not None})


def _document(reader: Reader, index: int, raw: dict) -> Event | None:
    number = reader.text(raw, "number", f"events[{index}]", f"[{index}]")
    title = reader.text(raw, "title", f"events[{index}]", f"[{index}]")
    if title is None:
        reader.add("EVENT_DOCUMENT", "document_no_title", f"events[{index}].title", None, index=index,
                   number=number or "")
    if number is None:
        reader.add("EVENT_DOCUMENT", "document_no_number", f"events[{index}].number", None, index=index,
                   title=title or "")
    when = _dated(reader, index, raw, title or number or "", required=True)
    return Event("document", when, title=title, number=number)


def _campaign(reader: Reader, index: int, raw: dict, name: str | None) -> Event | None:
    where = f"events[{index}]"
    start = _date(reader, index, raw, "start", required=True)
    end = _date(reader, index, raw, "end", required=False) or start
    if start and end and end < start:
        reader.add("EVENT_DATE", "dates_reversed", f"{where}.end", end.isoformat(), index=index, name=name,
                   start=start.isoformat(), end=end.isoformat())
    elif start and end:
        first, last = _month_bounds(reader.period)
        if end < first or start > last:
            reader.add("EVENT_DATE", "date_outside", f"{where}.start", start.isoformat(), index=index,
                       name=name, date=f"{start.isoformat()}—{end.isoformat()}")
    raw_counts = raw.get("counts") or {}
    counts = {}
    if isinstance(raw_counts, dict):
        for code, value in raw_counts.items():
            if reader.vocabulary.code_of("campaign_counts", code) is None:
                reader.add("FIELD_CHOICE", "bad_choice", f"{where}.counts", code, where=f"[{index}]",
                           field=reader.vocabulary.field("count"), value=str(code)[:40],
                           choices=reader.vocabulary.choices("campaign_counts"))
                continue
            code = reader.vocabulary.code_of("campaign_counts", code)
            counts[code] = _count(reader, index, raw, value, code, event_name=name)
    of_which = _of_which(reader, index, raw, name, counts.get("found"))
    return Event("campaign", start, end, name, counts={k: v for k, v in counts.items() if v is not None},
                 of_which=of_which)


def _of_which(reader: Reader, index: int, raw: dict, name: str | None, found: int | None) -> tuple:
    parts = []
    for item in raw.get("of_which") or []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        count = _count(reader, index, raw, item.get("count"), "count", event_name=name)
        if count is None:
            continue
        if found is not None and count > found:
            reader.add("EVENT_COUNT", "part_over_whole", f"events[{index}].of_which", count, index=index,
                       name=name, part=item["name"][:40], value=count, whole=found)
        parts.append((item["name"][:40], count))
    return tuple(parts)


def _count(reader: Reader, index: int, raw: dict, value: Any, field_name: str,
           event_name: str | None = None) -> int | None:
    """A whole, non-negative count; a negative one is named as such."""
    label = event_name or _title(raw) or reader.vocabulary.name("event_kinds", str(raw.get("kind")))
    where = f"events[{index}].{field_name}"
    if value is None or value == "":
        _missing(reader, index, raw, field_name)
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        reader.add("FIELD_NUMBER", "bad_number", where, value, where=f"[{index}]",
                   field=_field(reader, field_name), value=str(value)[:40])
        return None
    if value < 0:
        reader.add("EVENT_COUNT", "negative_count", where, value, index=index, name=label,
                   field=_field(reader, field_name), value=int(value))
        return None
    return int(value)


def _field(reader: Reader, name: str) -> str:
    counts = reader.vocabulary.counts
    return counts[name][0] if name in counts else reader.vocabulary.field(name)


def _title(raw: dict) -> str | None:
    for key in ("title", "name", "topic"):
        if isinstance(raw.get(key), str) and raw[key].strip():
            return raw[key].strip()[:60]
    return None


def _missing(reader: Reader, index: int, raw: dict, name: str) -> None:
    kind = reader.vocabulary.code_of("event_kinds", raw.get("kind"))
    reader.add("EVENT_FIELD", "missing_event_field", f"events[{index}].{name}", None, index=index,
               kind=reader.vocabulary.name("event_kinds", kind) if kind else "", field=_field(reader, name))


def _closure(reader: Reader, index: int, kind: str, numbers: dict) -> None:
    whole_name, part_name = CLOSED_OVER[kind]
    whole, part = numbers.get(whole_name), numbers.get(part_name)
    if whole is None or part is None or part <= whole:
        return
    rate = f"{part / whole * 100:.1f}" if whole else "—"
    reader.add("EVENT_CLOSURE", "closure_over", f"events[{index}].{part_name}", part, index=index,
               kind=reader.vocabulary.name("event_kinds", kind), closed=part, received=whole, rate=rate)


def _date(reader: Reader, index: int, raw: dict, name: str, *, required: bool) -> date | None:
    value = raw.get(name)
    if value is None or value == "":
        if required:
            _missing(reader, index, raw, name)
        return None
    return reader.date(value, name, f"events[{index}]", f"[{index}]")


def _dated(reader: Reader, index: int, raw: dict, title: str | None, *, required: bool) -> date | None:
    """The event's date, which must fall in the month."""
    when = _date(reader, index, raw, "date", required=required)
    if when is None:
        return None
    first, last = _month_bounds(reader.period)
    if not first <= when <= last:
        reader.add("EVENT_DATE", "date_outside", f"events[{index}].date", when.isoformat(), index=index,
                   name=title or _title(raw) or "", date=when.isoformat())
        return None
    return when


def _month_bounds(period: str) -> tuple[date, date]:
    year, month = periods.parse(period)
    following = date(year + month // 12, month % 12 + 1, 1)
    return date(year, month, 1), date.fromordinal(following.toordinal() - 1)
