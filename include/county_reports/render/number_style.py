"""How the summaries write numbers: pure functions shared by aggregation and the document composer.

Conventions (from the reference summaries and the design's layout section):

- Amounts in 万元 keep two decimals; from 10000 万元 up they are written in 亿元, also with two
  decimals ("5.23亿元"). No thousands separators anywhere ("1234.50万元", never "1,234.50").
- Rounding is 四舍五入 (half up) on the decimal value as written, not banker's rounding:
  ``5.25`` with one decimal is ``5.3``.
- Year-on-year: "同比增长5.3%", "同比下降2.1%", "与上年同期持平" when the change rounds to zero,
  "上年同期无可比数据" when there is no base (``None``; never "0%").
- Target completion: "完成年度目标的52.3%".
- Month ranges with an em dash (U+2014): "1—6月"; a single month is "6月".

``None`` and NaN both mean "no figure". Table cells (:func:`fmt_number`, :func:`fmt_amount`)
show it as "—"; prose helpers say so in words (:func:`fmt_yoy`, :func:`fmt_points`) or refuse
(:func:`fmt_completion` raises, because no sentence about completion can be written without one).
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

NO_FIGURE = "—"
WAN_YUAN, YI_YUAN = "万元", "亿元"
_WAN_PER_YI = 10000


def is_missing(value: Any) -> bool:
    """True for ``None`` and NaN (pandas' missing float)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def round_half_up(value: float, decimals: int = 0) -> Decimal:
    """``value`` rounded 四舍五入 to ``decimals`` places, as a Decimal (exact for printing)."""
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

    万元 switches to 亿元 when the amount, rounded, is 10000 万元 or more; 亿元 always has two
    decimals. Other units keep ``decimals`` places. ``None`` gives ("—", uom).
    """
    if is_missing(value):
        return NO_FIGURE, uom
    if uom == WAN_YUAN:
        if abs(round_half_up(value, decimals)) >= _WAN_PER_YI:
            return fmt_number(float(value) / _WAN_PER_YI, 2), YI_YUAN
        return fmt_number(value, decimals), WAN_YUAN
    return fmt_number(value, decimals), uom


def fmt_amount(value: float | None, uom: str = WAN_YUAN, decimals: int = 2) -> str:
    """A figure with its unit of measure: "1234.50万元", "5.23亿元", "12.5公里", "98.6%"."""
    text, unit = amount_parts(value, uom, decimals)
    return text if text == NO_FIGURE else f"{text}{unit}"


def _change(value: float | None, decimals: int, up: str, down: str, suffix: str, none: str) -> str:
    if is_missing(value):
        return none
    rounded = round_half_up(value, decimals)
    if rounded == 0:
        return "与上年同期持平"
    return f"同比{up if rounded > 0 else down}{abs(rounded):f}{suffix}"


def fmt_yoy(pct: float | None, decimals: int = 1) -> str:
    """'同比增长5.3%' / '同比下降2.1%' / '与上年同期持平' (|pct| < 0.05) / '上年同期无可比数据' (None)."""
    return _change(pct, decimals, "增长", "下降", "%", "上年同期无可比数据")


def fmt_points(change: float | None, decimals: int = 1) -> str:
    """A change of a rate, in percentage points: '同比提高1.2个百分点' / '同比下降0.4个百分点'."""
    return _change(change, decimals, "提高", "下降", "个百分点", "上年同期无可比数据")


def fmt_completion(pct: float | None, decimals: int = 1) -> str:
    """'完成年度目标的52.3%'. Raises ValueError for ``None``: there is no target or no figure."""
    if is_missing(pct):
        raise ValueError("no completion percentage to write (no target or no figure)")
    return f"完成年度目标的{round_half_up(pct, decimals):f}%"


def fmt_month_range(span: Any) -> str:
    """'1—6月' for months 1 to 6, '6月' for a single month, '1—12月' for the whole year.

    ``span`` is an ``aggregate.Span``; the notation is the span's own (:attr:`Span.month_range`),
    so aggregation's labels do not import this module.
    """
    return span.month_range


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
    """1 → 一, 10 → 十, 13 → 十三, 21 → 二十一: heading and category ordinals (never 100 or more)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CHINESE_DIGITS[tens] + "十")
    return head + (CHINESE_DIGITS[ones] if ones else "")
