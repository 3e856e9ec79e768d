"""Reporting periods: a period is a calendar month written YYYY-MM."""
from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse(period: str) -> tuple[int, int]:
    m = _PERIOD.match(str(period))
    if not m:
        raise ValueError(f"period {period!r} is not a month written YYYY-MM")
    return int(m.group(1)), int(m.group(2))


def is_period(text: object) -> bool:
    return isinstance(text, str) and bool(_PERIOD.match(text))


def make(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def shift(period: str, months: int) -> str:
    year, month = parse(period)
    index = year * 12 + (month - 1) + months
    return make(index // 12, index % 12 + 1)


def previous(period: str) -> str:
    return shift(period, -1)


def of_date(day: date) -> str:
    return make(day.year, day.month)


def span(first: str, last: str) -> list[str]:
    """Every period from first to last, both included."""
    out, current = [], first
    parse(last)
    while current <= last:
        out.append(current)
        current = shift(current, 1)
    return out


def due_date(period: str, deadline_day: int) -> date:
    """The report for a month is due on ``deadline_day`` of the following month."""
    year, month = parse(shift(period, 1))
    return date(year, month, deadline_day)


def previous_month_of(moment: datetime, tz: str = "Asia/Shanghai") -> str:
    """The month before the one ``moment`` falls in, on the bureau's clock.

    The collection run on the 5th of a month collects the month before it.
    """
    local = moment.astimezone(ZoneInfo(tz)) if moment.tzinfo else moment
    return previous(of_date(local.date()))


def requested(period: str | None, through: str | None, moment: datetime, tz: str) -> list[str]:
    """The periods a collection run covers: a trigger's period[..through], else last month."""
    first = period or previous_month_of(moment, tz)
    parse(first)
    if not through:
        return [first]
    if through < first:
        raise ValueError(f"through {through} is before period {first}")
    return span(first, through)
