"""Narrative items a simulated unit sends: sentences from ``config/simulator/phrases.yaml``.

Templates name indicators in braces (``{RURAL_ROAD_KM}``); a unit only uses templates whose
indicators it reports, filled with its own figures of that month, so the text never contradicts
the numbers next to it.
"""
from __future__ import annotations

import random
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence


from county_reports.catalog import Catalog, ConfigError, Indicator, read_config_file

PHRASES_FILE = "simulator/phrases.yaml"
NARRATIVE_KINDS = ("highlight", "problem", "plan")
CONTEXT_SLOTS = frozenset({"unit_name", "year", "month", "next_month"})
# How many items of each kind one monthly submission carries (inclusive bounds).
ITEM_COUNTS = {"highlight": (1, 3), "problem": (0, 2), "plan": (1, 2)}


@dataclass(frozen=True)
class Template:
    text: str
    indicators: frozenset[str]
    months: frozenset[int] | None  # None: any month

    def usable(self, kind: str, values: Mapping[str, Any], month: int) -> bool:
        if self.months is not None and month not in self.months:
            return False
        if not self.indicators <= values.keys():
            return False
        # A highlight boasting "0 bridges rebuilt" reads wrong; problems and plans may quote zeros.
        return kind != "highlight" or all(values[c] > 0 for c in self.indicators)


class Phrasebook:
    def __init__(self, banks: Mapping[tuple[str, str], Sequence[Template]]):
        self._banks = {key: tuple(v) for key, v in banks.items()}

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
    for section, kinds in data.items():
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
            banks[section, kind] = [_template(name, f"{key}[{i}]", item, codes)
                                    for i, item in enumerate(items)]
    return Phrasebook(banks)


def _template(name: str, key: str, item: Any, codes: set[str]) -> Template:
    months = None
    if isinstance(item, dict):
        if set(item) - {"text", "months"}:
            raise ConfigError(name, key, "a template mapping has only text and months")
        raw_months = item.get("months")
        if not isinstance(raw_months, list) or not all(
                isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= 12 for m in raw_months):
            raise ConfigError(name, f"{key}.months", "expected a list of month numbers 1–12")
        months, item = frozenset(raw_months), item.get("text")
    if not isinstance(item, str) or not item.strip():
        raise ConfigError(name, key, "expected a non-empty sentence")
    try:
        slots = {field for _, field, _, _ in string.Formatter().parse(item) if field is not None}
    except ValueError as exc:
        raise ConfigError(name, key, f"unbalanced braces in {item!r}: {exc}") from None
    unknown = slots - codes - CONTEXT_SLOTS
    if unknown:
        raise ConfigError(name, key, f"unknown slot {{{sorted(unknown)[0]}}} (indicator codes and "
                                     f"{', '.join(sorted(CONTEXT_SLOTS))} are allowed)")
    return Template(item.strip(), frozenset(slots & codes), months)


def format_value(indicator: Indicator, value: Any) -> str:
    """A figure as a report prints it: whole numbers plain, amounts with the indicator's decimals."""
    if indicator.integer:
        return str(int(value))
    return f"{value:.{indicator.decimals}f}"


def compose(book: Phrasebook, rng: random.Random, *, sections: Sequence[str],
            weights: Sequence[float], values: Mapping[str, Any], context: Mapping[str, str],
            month: int, indicators: Mapping[str, Indicator]) -> list[dict[str, str]]:
    """1–3 highlights, 0–2 problems, 1–2 plans from the unit's sections, never the same sentence twice."""
    items: list[dict[str, str]] = []
    used: set[Template] = set()
    for kind in NARRATIVE_KINDS:
        low, high = ITEM_COUNTS[kind]
        for _ in range(rng.randint(low, high)):
            # A few tries: a drawn section may have nothing usable for this unit this month.
            for _attempt in range(8):
                section = rng.choices(sections, weights)[0]
                options = [t for t in book.templates(section, kind)
                           if t not in used and t.usable(kind, values, month)]
                if options:
                    template = rng.choice(options)
                    used.add(template)
                    fill = dict(context)
                    fill.update((c, format_value(indicators[c], values[c])) for c in template.indicators)
                    items.append({"kind": kind, "section": section,
                                  "text": template.text.format_map(fill)})
                    break
    return items
