"""Reading one field of a unit's row (ledger or event) defensively: numbers, dates, words, text.

Each reader returns the value or records a Chinese issue (naming unit, month, row and field) and
returns None, so one bad field never hides the others and never raises.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from county_reports.core import periods
from county_reports.core.projects.vocabulary import Vocabulary
from county_reports.validate.model import ERROR, Issue


@dataclass
class Reader:
    """Issues of one unit's month, and the words to write them with."""
    vocabulary: Vocabulary
    unit: str
    unit_name: str
    period: str
    issues: list[Issue] = field(default_factory=list)

    @property
    def period_label(self) -> str:
        year, month = periods.parse(self.period)
        return self.vocabulary.message("period", year=year, month=month)

    def add(self, rule: str, key: str, at: str | None, sent: Any = None, **values: Any) -> None:
        """One issue: ``at`` the field's path (stored as the issue's indicator), ``sent`` the value
        as sent, ``values`` the message's placeholders."""
        text = self.vocabulary.message(key, unit=self.unit_name, period=self.period_label, **values)
        self.issues.append(Issue(self.unit, self.period, at, None if sent is None else str(sent)[:200],
                                 rule, ERROR, text))

    def number(self, row: dict, name: str, where: str, label: str, *, required: bool = True,
               integer: bool = False) -> float | None:
        value = row.get(name)
        if value is None or value == "":
            if required:
                self.add("PROJECT_FIELD", "missing_field", f"{where}.{name}", project=label,
                         field=self.vocabulary.field(name))
            return None
        number = _number(value)
        if number is None or number < 0 or (integer and number != int(number)):
            self.add("FIELD_NUMBER", "bad_number", f"{where}.{name}", value, where=label,
                     field=self.vocabulary.field(name), value=str(value)[:40])
            return None
        return int(number) if integer else number

    def text(self, row: dict, name: str, where: str, label: str) -> str | None:
        """Bounded text, or None when absent (the caller decides whether it was required)."""
        value = row.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        limit = self.vocabulary.limits["text"]
        if not isinstance(value, str) or len(value) > limit:
            self.add("FIELD_TEXT", "bad_text", f"{where}.{name}", None, where=label,
                     field=self.vocabulary.field(name), limit=limit)
            return None
        return value.strip()

    def word(self, row: dict, name: str, vocabulary: str, where: str, label: str) -> str | None:
        value = row.get(name)
        if value is None or value == "":
            return None
        code = self.vocabulary.code_of(vocabulary, value)
        if code is None:
            self.add("FIELD_CHOICE", "bad_choice", f"{where}.{name}", value, where=label,
                     field=self.vocabulary.field(name), value=str(value)[:40],
                     choices=self.vocabulary.choices(vocabulary))
        return code

    def date(self, value: Any, name: str, where: str, label: str) -> date | None:
        parsed = None
        if isinstance(value, str) and len(value) <= 10:
            try:
                parsed = date.fromisoformat(value)
            except ValueError:
                parsed = None
        if parsed is None:
            self.add("FIELD_DATE", "bad_date", f"{where}.{name}", value, where=label,
                     field=self.vocabulary.field(name), value=str(value)[:40])
        return parsed

    def items(self, payload: dict, key: str) -> list[tuple[int, dict]]:
        """The payload's list under ``key`` (absent: none), bounded; a non-object item is an issue."""
        raw = payload.get(key)
        if raw is None:
            return []
        name = self.vocabulary.field(key)
        if not isinstance(raw, list):
            self.add("LIST", "not_a_list", key, None, field=name)
            return []
        limit = self.vocabulary.limits["rows" if key == "projects" else "events"]
        if len(raw) > limit:
            self.add("LIST", "too_many", key, len(raw), field=name, count=len(raw), limit=limit)
            return []
        out = []
        for index, item in enumerate(raw, 1):
            if isinstance(item, dict):
                out.append((index, item))
            else:
                self.add("LIST", "not_an_object", f"{key}[{index}]", None, field=name, index=index)
        return out


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str) and len(value) <= 30:
        try:
            number = float(value.replace(",", "").strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None
