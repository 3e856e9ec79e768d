"""Numbers in units' narrative items, checked against the warehouse before they are printed.

A unit writes "this month, investment of 408.07" in its June report; the half-year summary must not
print June's figure as if it were the half-year's. Each number followed by a unit of measure is
matched to one of the unit's own indicators (same uom — hundred-millions count as ten-thousands of
yuan — and the words around it closest to the indicator's name, by rapidfuzz ``partial_ratio``); it
is then replaced by the unit's figure for the whole span (its months combined by the indicator's
``over_time``, as the warehouse gives them), and single-month words ("this month") go. A number
that cannot be matched, or whose indicator the unit has no span figure for, takes its clause with
it. Numbers the wording declares harmless (``items.keep_numbers``, e.g. "24 hours") stay and are
traced as quoted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from collections.abc import Mapping

from rapidfuzz import fuzz

from county_reports.core.catalog import Catalog, Indicator
from county_reports.render import number_style, phrases


@dataclass(frozen=True)
class Figure:
    """A number left in an item: the unit's span figure of one indicator, as printed."""
    text: str
    unit: str
    indicator: str | None     # None: a quoted number the wording allows (keep_numbers)
    value: float | None


class ItemChecker:
    def __init__(self, catalog: Catalog, unit_values: Mapping[tuple[str, str], float],
                 config: Mapping):
        self.catalog = catalog
        self.unit_values = unit_values
        self.min_score = float(config.get("name_score", 60))
        self.month_words = tuple(config.get("month_words", ()))
        self.keep = [re.compile(p) for p in config.get("keep_numbers", ())]
        marks, words = phrases.section("marks"), phrases.section("numbers")
        # A clause ends at a comma, a semicolon or a full stop (wording.yaml marks).
        self.comma, self.stop = marks["comma"], marks["full_stop"]
        self.clause_ends = marks["comma"] + marks["semicolon"] + marks["full_stop"]
        ends = re.escape(self.clause_ends)
        self.clause = re.compile(rf"([^{ends}]+)([{ends}]?)")
        # Hundred-millions of yuan are read as the catalogue's ten-thousands.
        self.wan_yuan, self.yi_yuan = words["wan_yuan"], words["yi_yuan"]
        uoms = {i.uom for i in catalog.indicators} | {self.yi_yuan}
        alternation = "|".join(re.escape(u) for u in sorted(uoms, key=len, reverse=True))
        self.number = re.compile(rf"(\d+(?:\.\d+)?)\s*({alternation})?")
        self.by_uom: dict[str, list[Indicator]] = {}
        for ind in catalog.indicators:
            self.by_uom.setdefault(ind.uom, []).append(ind)

    def check(self, unit: str, text: str, names: tuple[str, ...] = ()) -> tuple[str, tuple[Figure, ...]] | None:
        """(printable text, its figures), or None when nothing verifiable is left. ``names``:
        the unit's own names, ignored when reading which indicator a number is (the county road
        centre's name says "road" but its investment is not necessarily road construction's)."""
        self._names = tuple(n for n in names if n)
        kept, figures = [], []
        for index, (clause, stop) in enumerate(self.clause.findall(text.strip())):
            result = self._clause(unit, clause)
            if result is None:
                if index == 0:      # the main clause carries the subject: without it, nothing
                    return None
                continue
            clause, found = result
            clause = clause.strip()
            if clause:
                kept.append(clause + (stop if stop else self.comma))
                figures.extend(found)
        if not kept:
            return None
        out = "".join(kept).rstrip(self.clause_ends) + self.stop
        return out, tuple(figures)

    def _clause(self, unit: str, clause: str) -> tuple[str, list[Figure]] | None:
        for word in self.month_words:
            clause = clause.replace(word, "")
        found: list[Figure] = []
        pieces, last = [], 0
        for match in self.number.finditer(clause):
            start, end = match.span()
            quoted = next((k for k in self.keep if k.match(clause, start)), None)
            if quoted is not None:
                literal = quoted.match(clause, start).group(0)
                found.append(Figure(literal, unit, None, None))
                continue
            uom = match.group(2)
            if not uom:
                return None
            indicator = self._indicator(unit, uom, clause[max(last, start - 16):start],
                                        clause[end:end + 12])
            if indicator is None:
                return None
            value = self.unit_values.get((unit, indicator.code))
            if number_style.is_missing(value):
                return None
            printed = number_style.fmt_amount(value, indicator.uom, indicator.decimals)
            pieces.append(clause[last:start])
            pieces.append(printed)
            found.append(Figure(printed, unit, indicator.code, float(value)))
            last = end
        pieces.append(clause[last:])
        return "".join(pieces), found

    def _indicator(self, unit: str, uom: str, before: str, after: str) -> Indicator | None:
        for name in getattr(self, "_names", ()):
            before, after = before.replace(name, ""), after.replace(name, "")
        candidates = [i for i in self.by_uom.get(self.wan_yuan if uom == self.yi_yuan else uom, ())
                      if (unit, i.code) in self.unit_values]
        if not candidates:
            return None
        scored = sorted(((fuzz.partial_ratio(i.name, before), i.code, i) for i in candidates),
                        key=lambda s: (-s[0], s[1]))
        if scored[0][0] >= self.min_score:
            return scored[0][2]
        scored = sorted(((fuzz.partial_ratio(i.name, after), i.code, i) for i in candidates),
                        key=lambda s: (-s[0], s[1]))
        return scored[0][2] if scored[0][0] >= self.min_score else None
