"""Narrative items a simulated unit sends: sentences from ``config/simulator/phrases.yaml``.

Templates name indicators in braces (``{RURAL_ROAD_KM}``); a unit only uses templates whose
indicators it reports, filled with its own figures of that month, so the text never contradicts
the numbers next to it. A template may have several ``variants`` (the same fact in other words;
each item picks one), its unit's own places (``{place}``, ``{village}``) and the unit ``kinds``
that may say it, so units write like different clerks and only about what their role covers.
"""
from __future__ import annotations

import random
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from collections.abc import Mapping, Sequence

from county_reports.core.catalog import Catalog, Indicator
from county_reports.core.config import ConfigError, read_config_file
from county_reports.collect.protocol import NARRATIVE_KINDS

PHRASES_FILE = "simulator/phrases.yaml"
CONTEXT_SLOTS = frozenset({"unit_name", "year", "month", "next_month", "place", "village"})
PLACES_KEY = "places"
# How many items of each kind one monthly submission carries (inclusive bounds).
ITEM_COUNTS = {"highlight": (1, 3), "problem": (0, 2), "plan": (1, 2)}


@dataclass(frozen=True)
class Template:
    text: str                      # the first wording
    indicators: frozenset[str]
    months: frozenset[int] | None  # None: any month
    variants: tuple[str, ...] = ()  # every wording, the first included
    kinds: frozenset[str] | None = None  # None: any unit kind

    def usable(self, kind: str, values: Mapping[str, Any], month: int,
               unit_kind: str | None = None) -> bool:
        if self.months is not None and month not in self.months:
            return False
        if self.kinds is not None and unit_kind is not None and unit_kind not in self.kinds:
            return False
        if not self.indicators <= values.keys():
            return False
        # A highlight boasting "0 bridges rebuilt" reads wrong; problems and plans may quote zeros.
        return kind != "highlight" or all(values[c] > 0 for c in self.indicators)


class Phrasebook:
    def __init__(self, banks: Mapping[tuple[str, str], Sequence[Template]],
                 villages: Sequence[str] = ()):
        self._banks = {key: tuple(v) for key, v in banks.items()}
        self.villages = tuple(villages)

    def templates(self, section: str, kind: str) -> tuple[Template, ...]:
        return self._banks.get((section, kind), ())

    def sections(self) -> set[str]:
        return {section for section, _ in self._banks}


def load_phrasebook(catalog: Catalog, path: str | Path | None = None) -> Phrasebook:
    name = PHRASES_FILE if path is None else str(path)
    data = read_config_file(PHRASES_FILE, path=path)
    if not isinstance(data, dict):
        raise ConfigError(name, "(file)", "expected a mapping of section code to phrase banks")
    codes = set(catalog.indicator_by_code)
    banks: dict[tuple[str, str], list[Template]] = {}
    places = data.get(PLACES_KEY) or {}
    villages = places.get("villages", []) if isinstance(places, dict) else None
    if not isinstance(villages, list) or not all(isinstance(v, str) and v for v in villages):
        raise ConfigError(name, f"{PLACES_KEY}.villages", "expected a list of village names")
    for section, kinds in data.items():
        if section == PLACES_KEY:
            continue
        if section not in catalog.section_by_code:
            raise ConfigError(name, str(section), "unknown section (sections are in indicators.yaml)")
        if not isinstance(kinds, dict):
            raise ConfigError(name, section, "expected a mapping of highlight/problem/plan to lists")
        for kind, items in kinds.items():
            key = f"{section}.{kind}"
            if kind not in NARRATIVE_KINDS:
                raise ConfigError(name, key, f"{kind!r} is not one of {', '.join(NARRATIVE_KINDS)}")
            if not isinstance(items, list):
                raise ConfigError(name, key, "expected a list of templates")
            banks[section, kind] = [_template(name, f"{key}[{i}]", item, codes, catalog.kinds)
                                    for i, item in enumerate(items)]
    return Phrasebook(banks, villages)


def _template(name: str, key: str, item: Any, codes: set[str], unit_kinds) -> Template:
    months = kinds = None
    texts: list[Any] = [item]
    if isinstance(item, dict):
        if set(item) - {"text", "variants", "months", "kinds"} or ("text" in item) == ("variants" in item):
            raise ConfigError(name, key, "a template mapping has text or variants, and optionally "
                                         "months and kinds")
        if "months" in item:
            raw_months = item.get("months")
            if not isinstance(raw_months, list) or not all(
                    isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= 12 for m in raw_months):
                raise ConfigError(name, f"{key}.months", "expected a list of month numbers 1–12")
            months = frozenset(raw_months)
        if "kinds" in item:
            raw_kinds = item.get("kinds")
            if not isinstance(raw_kinds, list) or not raw_kinds or any(k not in unit_kinds for k in raw_kinds):
                raise ConfigError(name, f"{key}.kinds", "expected a list of unit kinds (units.yaml kinds)")
            kinds = frozenset(raw_kinds)
        texts = item["variants"] if "variants" in item else [item.get("text")]
        if not isinstance(texts, list) or not texts:
            raise ConfigError(name, f"{key}.variants", "expected a non-empty list of sentences")
    indicators = None
    for index, text in enumerate(texts):
        where = key if len(texts) == 1 else f"{key}.variants[{index}]"
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(name, where, "expected a non-empty sentence")
        try:
            slots = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
        except ValueError as exc:
            raise ConfigError(name, where, f"unbalanced braces in {text!r}: {exc}") from None
        unknown = slots - codes - CONTEXT_SLOTS
        if unknown:
            raise ConfigError(name, where, f"unknown slot {{{sorted(unknown)[0]}}} (indicator codes and "
                                           f"{', '.join(sorted(CONTEXT_SLOTS))} are allowed)")
        if indicators is None:
            indicators = frozenset(slots & codes)
        elif frozenset(slots & codes) != indicators:
            raise ConfigError(name, where, "every variant must name the same indicators")
    variants = tuple(t.strip() for t in texts)
    return Template(variants[0], indicators or frozenset(), months, variants, kinds)


def format_value(indicator: Indicator, value: Any) -> str:
    """A figure as a report prints it: whole numbers plain, amounts with the indicator's decimals."""
    if indicator.integer:
        return str(int(value))
    return f"{value:.{indicator.decimals}f}"


def compose(book: Phrasebook, rng: random.Random, *, sections: Sequence[str],
            weights: Sequence[float], values: Mapping[str, Any], context: Mapping[str, str],
            month: int, indicators: Mapping[str, Indicator], unit_kind: str | None = None,
            villages: Sequence[str] = ()) -> list[dict[str, str]]:
    """1–3 highlights, 0–2 problems, 1–2 plans from the unit's sections, never the same fact twice."""
    items: list[dict[str, str]] = []
    used: set[Template] = set()
    for kind in NARRATIVE_KINDS:
        low, high = ITEM_COUNTS[kind]
        for _ in range(rng.randint(low, high)):
            # A few tries: a drawn section may have nothing usable for this unit this month.
            for _attempt in range(8):
                section = rng.choices(sections, weights)[0]
                options = [t for t in book.templates(section, kind)
                           if t not in used and t.usable(kind, values, month, unit_kind)]
                if options:
                    template = rng.choice(options)
                    used.add(template)
                    fill = dict(context)
                    fill["village"] = rng.choice(villages) if villages else context.get("place", "")
                    fill.update((c, format_value(indicators[c], values[c])) for c in template.indicators)
                    text = rng.choice(template.variants) if len(template.variants) > 1 else template.text
                    items.append({"kind": kind, "section": section, "text": text.format_map(fill)})
                    break
    return items
