"""Bounds on a submission's narrative items (工作动态): how many, how long, which characters.

Three checks of the suite (``validation.yaml`` ``checks``), the same for an HTTP payload and a
workbook, since both become the same payload: NARRATIVE_COUNT (at most ``max_items`` a month),
NARRATIVE_LENGTH (at most ``max_length`` characters an item) and NARRATIVE_TEXT (only
characters an XML document can hold: no control character but tab and line feed/carriage
return — Word's manual line break ``\\v`` pasted into a form is one — no lone surrogate, no
U+FFFE/U+FFFF), so a text the warehouse accepts can always be printed in the summaries. The
limits are ``validation.yaml`` ``narratives``; each message names the item: its number, its
kind and the start of its text, quoted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from county_reports.core.config import ConfigError

FILE = "validation.yaml"
CHECKS = ("NARRATIVE_COUNT", "NARRATIVE_LENGTH", "NARRATIVE_TEXT")
# Characters outside XML 1.0's Char production (lxml refuses them: "All strings must be XML
# compatible"). Written with escapes so the pattern itself is plain text in a GX suite.
XML_INVALID = r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]"
_INVALID = re.compile(XML_INVALID)
_START = 20      # characters of an item's text quoted in a message


@dataclass(frozen=True)
class NarrativeLimits:
    max_items: int = 50        # items a submission may carry
    max_length: int = 1000     # characters an item's text may have


def load_limits(raw: Any) -> NarrativeLimits:
    """``validation.yaml`` ``narratives`` (absent: the defaults), checked."""
    if raw is None:
        return NarrativeLimits()
    if not isinstance(raw, dict):
        raise ConfigError(FILE, "narratives", "not a mapping of max_items and max_length")
    defaults = NarrativeLimits().__dict__
    unknown = sorted(set(raw) - set(defaults))
    if unknown:
        raise ConfigError(FILE, f"narratives.{unknown[0]}", f"unknown setting (known: {', '.join(defaults)})")
    for key, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(FILE, f"narratives.{key}", f"{value!r} must be a whole number of 1 or more")
    return NarrativeLimits(**{**defaults, **raw})


def invalid_at(text: str) -> int | None:
    """The 0-based position of the first character a document cannot hold, or None."""
    found = _INVALID.search(text)
    return found.start() if found else None


def visible(text: str) -> str:
    """``text`` with each character a document cannot hold shown as its code (``U+000B``)."""
    return _INVALID.sub(lambda m: f"U+{ord(m.group()):04X}", text)


def item_fields(item: Any, index: int, kind_label: dict[str, str]) -> dict[str, Any]:
    """The placeholders of a narrative message for one item (1-based ``index``)."""
    item = item if isinstance(item, dict) else {}
    text = item.get("text") if isinstance(item.get("text"), str) else ""
    kind = item.get("kind") if isinstance(item.get("kind"), str) else ""
    at = invalid_at(text)
    return {"index": index, "kind_label": kind_label.get(kind, _short(visible(kind), 10)),
            "start": _short(visible(text), _START), "length": len(text),
            "position": "" if at is None else at + 1,
            "char": "" if at is None else f"U+{ord(text[at]):04X}"}


def _short(text: str, limit: int) -> str:
    # As normalize.shorten (which reads the options, and so cannot be imported here).
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit - 1] + "…"
