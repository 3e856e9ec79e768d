"""Read a value as the clerk meant it, where that is unambiguous.

Accepted as numbers:

- JSON/Excel numbers (finite; booleans are not numbers);
- text holding one number, after Unicode NFKC folding (full-width ``１２３．５``, ``－５``, the
  full-width comma and ideographic space become ASCII), with surrounding spaces, ``+``/``-``,
  an optional exponent (``1.2E+03``, as some tools export), thousands separators in their
  proper places (``1,234.5``, ``1，234.5``) and a trailing unit of measure equal to the
  indicator's own (``12.5万元`` for a 万元 indicator, ``12处`` for a 处 indicator).

Everything else is not numeric, and the reason says why: null, blank, true/false, a list or an
object, NaN/Infinity, an uncalculated formula (``=SUM(…)``), another unit (``12.5公里`` for a 万元
indicator), several decimal points (``1.2.3``), misplaced separators (``12,34``) or other text
(``待核实``). The reasons' wording is in ``validation.yaml`` (``messages.numeric_problems``).

Decoding the bytes of a body (UTF-8 or GBK) is :func:`county_reports.collect.protocol.decode`'s job and
happens before a payload gets here.
"""
from __future__ import annotations

import json
import math
import re
import unicodedata
from typing import Any

from county_reports.validate.options import Options, load_options

_MINUS = str.maketrans({"\u2212": "-", "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-"})
_NUMBER = re.compile(r"^([+-]?)\s*([0-9][0-9.,]*|\.[0-9][0-9.,]*)([eE][+-]?[0-9]+)?\s*(.*)$", re.S)
_GROUPED = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?$")
_TEXT_LIMIT = 60


def classify(value: Any, uom: str | None = None,
             uoms: frozenset[str] = frozenset()) -> tuple[float | None, str | None, dict[str, str]]:
    """``(number, None, {})`` or ``(None, problem key, details)``; keys as in validation.yaml."""
    kind = type(value)
    if kind is float:
        return (value, None, {}) if math.isfinite(value) else (None, "not_finite", {})
    if kind is int:
        return _finite(value)
    if value is None:
        return None, "null", {}
    if isinstance(value, bool):
        return None, "boolean", {}
    if isinstance(value, str):
        return _parse_text(value, uom, uoms)
    if isinstance(value, (list, tuple)):
        return None, "list", {}
    if isinstance(value, dict):
        return None, "object", {}
    if isinstance(value, (int, float)):
        return _finite(value)
    return None, "text", {}


def normalize(value: Any, uom: str | None = None, *, uoms: frozenset[str] = frozenset(),
              options: Options | None = None) -> tuple[float | None, str | None]:
    """The value as a number, or ``(None, why not)`` in the words the unit reads.

    ``uom`` is the indicator's unit of measure; ``uoms`` other units worth naming as such when
    found after a number (the catalogue's), besides validation.yaml's ``common_uoms``.
    """
    number, key, details = classify(value, uom, uoms)
    if key is None:
        return number, None
    return None, problem_text(key, details, options or load_options())


def problem_text(key: str, details: dict[str, str], options: Options) -> str:
    return options.fill(options.text("numeric_problems", key), **details)


def as_text(value: Any) -> str:
    """A value as the unit sent it, as text (JSON spelling for null, true/false, lists, objects)."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (bool, list, tuple, dict)):
        try:
            return json.dumps(value, ensure_ascii=False, default=str)
        except (ValueError, TypeError, RecursionError):
            return "[…]" if isinstance(value, (list, tuple)) else "{…}"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(value)
    return str(value)


def shorten(text: str | None, limit: int = _TEXT_LIMIT) -> str:
    """Text for a message: one line, at most ``limit`` characters."""
    if text is None:
        return ""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


def _finite(value: Any) -> tuple[float | None, str | None, dict[str, str]]:
    try:
        number = float(value)
    except (OverflowError, ValueError, TypeError):
        return None, "not_finite", {}
    return (number, None, {}) if math.isfinite(number) else (None, "not_finite", {})


def _parse_text(text: str, uom: str | None, uoms: frozenset[str]) -> tuple[float | None, str | None, dict[str, str]]:
    s = unicodedata.normalize("NFKC", text).translate(_MINUS).strip()
    if not s:
        return None, "empty", {}
    if s.startswith("="):
        return None, "formula", {}
    m = _NUMBER.match(s)
    if not m:
        return None, "text", {}
    sign, digits, exponent, suffix = m.group(1), m.group(2), m.group(3) or "", m.group(4).strip()
    if digits.count(".") > 1:
        return None, "multiple_points", {}
    if "," in digits:
        if not _GROUPED.match(digits):
            return None, "separators", {}
        digits = digits.replace(",", "")
    if suffix:
        wanted = unicodedata.normalize("NFKC", uom or "").strip()
        if suffix != wanted:
            # validation.yaml common_uoms: units a clerk may write (read only when a suffix is there)
            if suffix not in load_options().common_uoms and suffix not in uoms:
                return None, "text", {}
            return None, "wrong_unit", {"found": suffix, "uom": uom or ""}
    try:
        number = float(sign + digits + exponent)
    except (ValueError, OverflowError):
        return None, "text", {}
    if not math.isfinite(number):
        return None, "not_finite", {}
    return number, None, {}
