"""The units' narrative items of a span, checked and merged: what the body quotes from.

Items are read from the warehouse's narratives, their numbers checked against each unit's span
figure (``render.items``), then merged by similarity per (kind, line of work)
(``render.merge``). The body asks for the best clusters of a line of work and gets printable
clauses with the figures they carry.
"""
from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Mapping

import pandas as pd

from county_reports.aggregate import Span, unit_values_table
from county_reports.core.catalog import Catalog
from county_reports.render import merge
from county_reports.render.items import Figure, ItemChecker
from county_reports.render.printable import printable


@dataclass(frozen=True)
class Clause:
    text: str                       # no trailing punctuation
    figures: tuple[Figure, ...]
    units: int                      # how many units reported it
    section: str


def unit_span_values(catalog: Catalog, values: pd.DataFrame | None, span: Span,
                     table: pd.DataFrame | None = None) -> dict[tuple[str, str], float]:
    """(unit, indicator) → the unit's figure for the span (its months combined by over_time);
    ``table``: aggregate.unit_values_table of these values when the caller has it already."""
    if values is None or values.empty:
        return {}
    table = unit_values_table(catalog, values, span) if table is None else table
    out = {}
    codes = [c for c in table.columns if c in catalog.indicator_by_code]
    for row in table.itertuples(index=False):
        for code in codes:
            value = getattr(row, code)
            if value is not None and not pd.isna(value):
                out[(row.unit, code)] = float(value)
    return out


def short_name(catalog: Catalog, code: str) -> str:
    """The unit's place (the township of a township transport station); the county's name for a county unit
    (the county road centre), whose items speak of the county by name."""
    unit = catalog.unit_by_code.get(code)
    if unit is None:
        return ""
    short = unit.name.replace(unit.kind_name, "")
    return short if len(short) >= 2 and short != unit.name else catalog.bureau.county


class ItemPool:
    def __init__(self, catalog: Catalog, wording: Mapping, narratives: pd.DataFrame,
                 unit_values: Mapping[tuple[str, str], float],
                 county_values: Mapping[str, float] | None = None):
        self.catalog = catalog
        cfg = wording.get("merge") or {}
        self.threshold = float(cfg.get("threshold", 62))
        self.scorer = cfg.get("scorer", merge.DEFAULT_SCORER)
        if self.scorer not in merge.SCORERS:
            from county_reports.core.config import ConfigError
            raise ConfigError("wording.yaml", "merge.scorer",
                              f"{self.scorer!r} is not one of {', '.join(merge.SCORERS)}")
        item_cfg = wording.get("items") or {}
        marks = wording["marks"]
        # A merged item loses its own closing mark (the composer adds its own) and a leading
        # mark left where a unit's name was taken out.
        self.trailing_marks = marks["full_stop"] + marks["semicolon"] + ";" + marks["comma"]
        self.leading_marks = marks["comma"] + marks["enumeration"] + marks["semicolon"]
        checker = ItemChecker(catalog, unit_values, item_cfg)
        skip = tuple(item_cfg.get("skip_phrases") or ())
        self.unit_values = unit_values
        self.county_words = tuple(item_cfg.get("county_subjects") or ())
        # the words that speak for the document's whole area (a county's 全县; a city's 全市, never
        # a county's 全县, which speaks for that county even when it alone reports the figure)
        self.own_words = tuple(item_cfg.get("own_subjects", self.county_words) or ())
        self.own_area = item_cfg.get("own_area", "")
        self.county_values = county_values or {}
        self.names = {u.code: (u.name, short_name(catalog, u.code)) for u in catalog.units}
        groups: dict[tuple[str, str], list[merge.Item]] = {}
        if narratives is not None and not narratives.empty:
            frame = narratives.sort_values(["period", "unit", "kind", "section", "text"], kind="stable")
            for row in frame.itertuples(index=False):
                text = printable(str(row.text)).strip()
                if not text or any(p in text for p in skip):
                    continue
                checked = checker.check(row.unit, text, self.names.get(row.unit, ()))
                if checked is None:
                    continue
                printed, figures = checked
                groups.setdefault((row.kind, row.section), []).append(merge.Item(
                    row.unit, row.period, row.kind, row.section, printed, figures, text,
                    strip=self.names.get(row.unit, ())))
        self.clusters = {key: merge.cluster(items, threshold=self.threshold, scorer=self.scorer)
                         for key, items in sorted(groups.items())}

    def ranked(self, kind: str, section: str) -> list[merge.Cluster]:
        return self.clusters.get((kind, section), [])

    def clauses(self, kind: str, section: str, limit: int, *, figures: bool,
                exclude: set[int] | None = None, avoid: set | None = None) -> list[Clause]:
        """The best ``limit`` clusters as printable clauses.

        ``figures``: a clause may carry a unit's figure, and then names that unit as its subject;
        without, members carrying figures are left out (problems and plans speak for the bureau)
        and unit names are removed.
        """
        out = []
        for group in self.ranked(kind, section):
            if len(out) >= limit:
                break
            if exclude is not None and id(group) in exclude:
                continue
            clause = self.clause(group, figures=figures, avoid=avoid)
            if clause is not None:
                out.append(clause)
                if avoid is not None:
                    avoid.update((f.unit, f.text) for f in clause.figures if f.indicator)
        return out

    def clause(self, group: merge.Cluster, *, figures: bool, avoid: set | None = None) -> Clause | None:
        """``avoid``: (unit, printed figure) already said nearby, not to be said twice."""
        if avoid:
            members = [m for m in group.members
                       if not any((f.unit, f.text) in avoid for f in m.figures if f.indicator)]
            if not members:
                return None
            group = merge.Cluster(members)
        if not figures:
            members = [m for m in group.members if not any(f.indicator for f in m.figures)]
            if not members:
                return None
            group = merge.Cluster(members)
        item = merge.representative(group, self._weight)
        text = item.text.rstrip(self.trailing_marks)
        name, short = self.names.get(item.unit, (item.unit, ""))
        carries = any(f.indicator for f in item.figures)
        if carries:
            county = next((w for w in self.county_words if text.startswith(w)), None)
            if county is not None and county not in self.own_words:
                # a county's 全县 in a city's summary: that county, by name
                text = name + text[len(county):]
            elif county is not None and not self._county_wide(item):
                # the unit's own figure is not the county's: it speaks for its own area
                text = name + self.own_area + text[len(county):]
            elif county is None and name not in text:
                text = (name + text) if not short or not text.startswith(short) else text.replace(short, name, 1)
        else:
            text = _without(text, (name, short), self.leading_marks)
            if not text:
                return None
        return Clause(text, item.figures if carries else tuple(f for f in item.figures if not f.indicator),
                      len(group.units), item.section)

    def _county_wide(self, item: merge.Item) -> bool:
        """Every figure of the item is also the county's (the unit is the only one reporting it)."""
        for f in item.figures:
            if f.indicator:
                county = self.county_values.get(f.indicator)
                if county is None or abs(county - (f.value or 0)) > 1e-9:
                    return False
        return True

    def _weight(self, item: merge.Item) -> float:
        return max((f.value or 0.0) for f in item.figures) if item.figures else 0.0


def _without(text: str, names, leading_marks: str) -> str:
    for n in names:
        if n:
            text = text.replace(n, "")
    return text.lstrip(leading_marks).strip()
