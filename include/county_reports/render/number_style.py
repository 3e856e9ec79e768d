"""How the documents write numbers: pure functions used by the document composer, the appendix
and the workbook (aggregation never needs them).

Conventions (from the reference summaries and the design's layout section); the words are
wording.yaml's ``numbers`` section (:mod:`render.phrases`):

- Amounts in ten-thousands of yuan keep two decimals; from 10000 of them up they are written in
  hundred-millions, also with two decimals. No thousands separators anywhere.
- Rounding is half up on the decimal value as written, not banker's rounding: ``5.25`` with one
  decimal is ``5.3``.
- Year-on-year: a rise or a fall with one decimal, "flat" when the change rounds to zero, "no
  comparable figure" when there is no base (``None``; never "0%").
- Target completion: the share of the annual target, one decimal.
- Month ranges with an em dash (U+2014), a single month alone.

``None`` and NaN both mean "no figure". Table cells (:func:`fmt_number`, :func:`fmt_amount`)
show it as "—"; prose helpers say so in words (:func:`fmt_yoy`, :func:`fmt_points`) or refuse
(:func:`fmt_completion` raises, because no sentence about completion can be written without one).
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from county_reports.render import phrases

NO_FIGURE = "—"
_WAN_PER_YI = 10000


def _words() -> dict[str, str]:
    return phrases.section("numbers")


def is_missing(value: Any) -> bool:
    """True for ``None`` and NaN (pandas' missing float)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def round_half_up(value: float, decimals: int = 0) -> Decimal:
    """``value`` rounded half up to ``decimals`` places, as a Decimal (exact for printing)."""
    quantum = Decimal(1).scaleb(-decimals)
    result = Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)
    return result if result != 0 else abs(result)  # no "-0.0"


def fmt_number(value: float | None, decimals: int = 0) -> str:
    """A bare number with ``decimals`` places, no separators: ``1234.5`` → "1234.50" (decimals 2)."""
    if is_missing(value):
        return NO_FIGURE
    return f"{round_half_up(value, decimals):f}"


def amount_parts(value: float | None, uom: str, decimals: int = 2) -> tuple[str, str]:
    """(number text, unit of measure) as prose writes a figure.

    Ten-thousands of yuan switch to hundred-millions when the amount, rounded, is 10000 or more;
    hundred-millions always have two decimals. Other units keep ``decimals`` places. ``None``
    gives ("—", uom).
    """
    if is_missing(value):
        return NO_FIGURE, uom
    words = _words()
    if uom == words["wan_yuan"]:
        if abs(round_half_up(value, decimals)) >= _WAN_PER_YI:
            return fmt_number(float(value) / _WAN_PER_YI, 2), words["yi_yuan"]
        return fmt_number(value, decimals), uom
    return fmt_number(value, decimals), uom


def fmt_amount(value: float | None, uom: str | None = None, decimals: int = 2) -> str:
    """A figure with its unit of measure (default: ten-thousands of yuan), e.g. 1234.50 or 5.23
    with the amount's unit, 12.5 with a length's, "98.6%"."""
    text, unit = amount_parts(value, _words()["wan_yuan"] if uom is None else uom, decimals)
    return text if text == NO_FIGURE else f"{text}{unit}"


def _change(value: float | None, decimals: int, up: str, down: str) -> str:
    words = _words()
    if is_missing(value):
        return words["no_base"]
    rounded = round_half_up(value, decimals)
    if rounded == 0:
        return words["flat"]
    return words[up if rounded > 0 else down].format(value=f"{abs(rounded):f}")


def fmt_yoy(pct: float | None, decimals: int = 1) -> str:
    """A rise or fall in per cent (wording ``numbers.yoy_up`` / ``yoy_down``), ``flat`` when
    |pct| < 0.05, ``no_base`` for None."""
    return _change(pct, decimals, "yoy_up", "yoy_down")


def fmt_points(change: float | None, decimals: int = 1) -> str:
    """A change of a rate, in percentage points (``numbers.points_up`` / ``points_down``)."""
    return _change(change, decimals, "points_up", "points_down")


def fmt_completion(pct: float | None, decimals: int = 1) -> str:
    """The share of the annual target (``numbers.completion``). Raises ValueError for ``None``:
    there is no target or no figure."""
    if is_missing(pct):
        raise ValueError("no completion percentage to write (no target or no figure)")
    return _words()["completion"].format(value=f"{round_half_up(pct, decimals):f}")


def fmt_month_range(span: Any) -> str:
    """The span's months as the documents write them: months 1 to 6 as a range with an em dash,
    a single month alone, the whole year as months 1 to 12 (``numbers.month_range`` / ``month``).
    ``span`` is an ``aggregate.Span``."""
    if span.first_month == span.last_month:
        return fmt_month(span.last_month)
    return _words()["month_range"].format(first=span.first_month, last=span.last_month)


def fmt_month(month: int) -> str:
    """One month of the year as the documents write it (``numbers.month``)."""
    return _words()["month"].format(month=month)


def fmt_year_month(period: str) -> str:
    """A ``YYYY-MM`` period as the documents write it (``numbers.year_month``)."""
    year, month = period.split("-")
    return _words()["year_month"].format(year=int(year), month=int(month))


def fmt_span_end(span: Any) -> str:
    """The span's last day as "the end of" its year or month (``numbers.year_end`` /
    ``month_end``)."""
    if span.last_month == 12:
        return _words()["year_end"].format(year=span.year)
    return _words()["month_end"].format(year=span.year, month=span.last_month)


def fmt_span_label(span: Any) -> str:
    """The month range, or ``numbers.whole_year`` for a whole year (the month range is then
    1 to 12)."""
    return _words()["whole_year"] if span.is_full_year else fmt_month_range(span)


def fmt_span_long(span: Any) -> str:
    """The year and :func:`fmt_span_label` (``numbers.year_span``)."""
    return _words()["year_span"].format(year=span.year, span=fmt_span_label(span))


def fmt_year_months(span: Any) -> str:
    """The year and :func:`fmt_month_range` (``numbers.year_span``)."""
    return _words()["year_span"].format(year=span.year, span=fmt_month_range(span))


def fmt_date(day: Any) -> str:
    """A date as the documents write it, Arabic numerals without zero padding (``numbers.date``)."""
    return _words()["date"].format(year=day.year, month=day.month, day=day.day)


def fmt_year(year: int) -> str:
    """A year as the documents write it (``numbers.year``)."""
    return _words()["year"].format(year=year)


def fmt_pct(value: float | None, decimals: int = 1) -> str:
    """A percentage as prose writes it: "52.3%", but "100%" (never "100.0%") for a round hundred."""
    if is_missing(value):
        return NO_FIGURE
    rounded = round_half_up(value, decimals)
    if rounded == 100:
        return "100%"
    return f"{rounded:f}%"


def displayed(value: float, decimals: int) -> Decimal:
    """The value as it is printed (rounded half up): differences between printed figures are
    computed from these, so "98.6%" and "97.6%" differ by exactly 1.0 points."""
    return round_half_up(value, decimals)


def displayed_change(now: float, before: float, decimals: int) -> Decimal:
    """now − before, both as printed with ``decimals`` places (exact, no float noise)."""
    return displayed(now, decimals) - displayed(before, decimals)


def fmt_decimal(value: Decimal | float, decimals: int) -> str:
    """A bare magnitude (no sign) with ``decimals`` places."""
    return f"{round_half_up(abs(float(value)), decimals):f}"


CHINESE_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 to 99 in Chinese numerals (1, 10, 13 and 21 read yi, shi, shi-san, er-shi-yi): heading
    and category ordinals (never 100 or more)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CHINESE_DIGITS[tens] + "十")
    return head + (CHINESE_DIGITS[ones] if ones else "")
