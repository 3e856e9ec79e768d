"""One county figure as the office writes it: the value, then a change and a completion only
where they mean something, in the style the catalogue gives the indicator.

Styles (``catalog.STYLES``, else from nature and uom): a flow gets its year-on-year change and its
completion (share of the annual target; in the annual report "exceeded" for 100% or more); a stock
held at the span's end (``over_time: last``) is "as at the end of June …, 3 more than a year
before"; a small count (integer, below ``style.small_count_below``) or ``count`` changes by a
difference ("2 fewer than a year before"); a rate (uom %) and an ``index`` change in points,
computed from the printed values; a ``sanction`` (fines, cases) is stated without growth or
completion. Every number goes through ``trace`` so the sidecar names its indicator, measure and
value.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from collections.abc import Callable

from county_reports.core.catalog import Catalog
from county_reports.render import number_style

RATE, INDEX, STOCK, COUNT, SANCTION, FLOW = "rate", "index", "stock", "count", "sanction", "flow"
ACCIDENT, CASUALTY, DETAIL = "accident", "casualty", "detail"


def missing(value: Any) -> bool:
    return number_style.is_missing(value)


class FigureWriter:
    def __init__(self, catalog: Catalog, wording: dict, kind: str, span, rows: dict,
                 trace: Callable[..., str], fill: Callable[..., str]):
        self.catalog, self.w, self.kind, self.span, self.rows = catalog, wording, kind, span, rows
        self.trace, self.fill = trace, fill
        self.cfg = wording["style"]
        self.comma = wording["marks"]["comma"]
        self.styles = {i.code: i.style for i in catalog.indicators}
        self.styles.update({d.code: d.style for d in catalog.derived})
        self.integer = {i.code: i.integer for i in catalog.indicators}
        self.stock_inputs = {d.code: all(catalog.indicator_by_code[c].over_time == "last"
                                         for c in d.inputs) for d in catalog.derived}

    # ------------------------------------------------------------------ classification
    def style(self, code: str) -> str:
        row = self.rows[code]
        given = self.styles.get(code)
        if given:
            return given
        if row.uom == "%":
            return RATE
        if row.aggregation == "last" or (row.kind == "derived" and self.stock_inputs.get(code)):
            return STOCK
        if self.integer.get(code):
            limit = self.cfg.get("small_count_below", 100)
            if all(missing(v) or abs(v) < limit for v in (row.value, row.last_year_value)):
                return COUNT
        return FLOW

    def is_stock(self, code: str) -> bool:
        row = self.rows[code]
        return row.aggregation == "last" or (row.kind == "derived" and bool(self.stock_inputs.get(code)))

    def has(self, code: str) -> bool:
        row = self.rows.get(code)
        return row is not None and not missing(row.value)

    # ------------------------------------------------------------------ numbers
    def value(self, code: str, where: str) -> str:
        row = self.rows[code]
        return self.trace(self.printed(code), where, code, "value", float(row.value))

    def printed(self, code: str) -> str:
        """The county figure as printed (not traced: see ``value``)."""
        row = self.rows[code]
        if row.uom == "%":
            return number_style.fmt_pct(row.value, int(row.decimals))
        return number_style.fmt_amount(row.value, row.uom, int(row.decimals))

    def named(self, code: str, where: str) -> str:
        """'{name}{value}', or the wording's own template for the indicator."""
        row = self.rows[code]
        template = (self.w["figures"].get("items") or {}).get(code, self.w["figures"]["item"])
        return self.fill(template, name=row.name, value=self.value(code, where))

    def change(self, code: str, where: str) -> str:
        """The comparison with the same span last year, in the indicator's style ('' if none)."""
        row, style = self.rows[code], self.style(code)
        c = self.cfg
        if style in (SANCTION, ACCIDENT, CASUALTY, DETAIL) or missing(row.last_year_value):
            return ""
        decimals = int(row.decimals)
        if style in (RATE, INDEX, STOCK, COUNT):
            diff = number_style.displayed_change(row.value, row.last_year_value, decimals)
            if diff == 0:
                return c["same"]
            up = diff > 0
            if style == RATE:
                words, unit = (c["points_up"] if up else c["points_down"]), c["points"]
            elif style == INDEX:
                words, unit = (c["points_up"] if up else c["points_down"]), row.uom
            elif style == STOCK:
                words, unit = (c["stock_up"] if up else c["stock_down"]), ("" if row.uom == "%" else row.uom)
                if row.uom == "%":
                    words, unit = (c["points_up"] if up else c["points_down"]), c["points"]
            else:
                words, unit = (c["count_up"] if up else c["count_down"]), row.uom
            number = self.trace(number_style.fmt_decimal(diff, decimals), where, code, "display_change",
                                float(diff))
            return words + number + unit
        if missing(row.yoy_pct):
            return ""
        rounded = number_style.round_half_up(row.yoy_pct, 1)
        if rounded == 0:
            return c["same"]
        number = self.trace(number_style.fmt_pct(abs(row.yoy_pct), 1), where, code, "yoy_pct",
                            float(row.yoy_pct))
        return (c["yoy_up"] if rounded > 0 else c["yoy_down"]) + number

    def completion(self, code: str, where: str) -> str:
        """Progress against the annual target, where it means something ('' otherwise)."""
        row, style = self.rows[code], self.style(code)
        if style in (SANCTION, ACCIDENT, CASUALTY, DETAIL) or missing(row.completion_pct):
            return ""
        c = self.cfg
        if getattr(row, "target_basis", None) != "cumulative":
            if style == RATE and not missing(row.target):
                met = number_style.displayed(row.value, int(row.decimals)) >= Decimal(repr(float(row.target)))
                return c["level_met"] if met else ""
            return ""
        pct = number_style.round_half_up(row.completion_pct, 1)
        if pct >= 100:
            return c["beyond"][self.kind]
        return self.fill(c["completion"], pct=self.trace(number_style.fmt_pct(row.completion_pct, 1), where,
                                                          code, "completion_pct",
                                                          float(row.completion_pct)))

    def phrase(self, code: str, where: str, *, change: bool = True, completion: bool = True) -> str | None:
        """Name and value, change, completion (wording ``figures``); stocks prefixed with the span's end."""
        parts = self.phrase_parts(code, where, change=change, completion=completion)
        return None if parts is None else join_phrase(parts, self.comma)

    def phrase_parts(self, code: str, where: str, *, change: bool = True,
                     completion: bool = True) -> tuple[str, str, str] | None:
        """(the span's end for a stock or "", name and value, ending: change and completion)."""
        if not self.has(code):
            return None
        named = self.named(code, where)
        tails = [self.change(code, where) if change else "", self.completion(code, where) if completion else ""]
        as_of = (self.fill(self.cfg["as_of"][self.kind], month=self.span.last_month)
                 if self.is_stock(code) and self.style(code) != INDEX else "")
        return as_of, named, self.comma.join(t for t in tails if t)

    def grouped(self, phrases: list[tuple[str, tuple[str, str, str]]], list_sep: str) -> list[tuple[str, str]]:
        """(code, phrase parts) → (code, text), consecutive phrases with the same ending said once:
        the same words ("与上年同期持平") as style ``grouped.same``, one figure each in the same
        words ("完成年度目标的36.8%") as ``grouped.each`` with the figures listed. A run never
        starts a stock's "as at" after its first phrase (the span's end would not be said).
        Phrases without an ending that start with the same verb (``grouped.verbs``) are listed too."""
        if "grouped" not in self.cfg:        # a wording.yaml from before: every figure its own ending
            return [(code, join_phrase(parts, self.comma)) for code, parts in phrases]
        out: list[tuple[str, str]] = []
        i = 0
        while i < len(phrases):
            j = i + 1
            first = phrases[i][1]
            cfg = self.cfg["grouped"]
            verb = next((v for v in cfg.get("verbs", ()) if first[1].startswith(v)), None)
            while j < len(phrases) and (_joinable(first, phrases[j][1]) or (   # no endings, one verb
                    verb and not first[2] and not phrases[j][1][2] and phrases[j][1][1].startswith(verb)
                    and phrases[j][1][0] in ("", first[0]))):
                j += 1
            run = phrases[i:j]
            if len(run) == 1:
                out.append((run[0][0], join_phrase(first, self.comma)))
            else:
                endings = [p[2] for _, p in run]
                if not endings[0]:
                    ending = ""
                elif len(set(endings)) == 1:
                    ending = self.fill(cfg["same"], ending=endings[0])
                else:
                    numbers = [_NUMBER.search(e).group(0) for e in endings]
                    ending = self.fill(cfg["each"], ending=_NUMBER.sub(list_sep.join(numbers), endings[0], count=1))
                verb = next((v for v in cfg.get("verbs", ()) if all(p[1].startswith(v) for _, p in run)), "")
                heads = list_sep.join(p[1][len(verb):] if k else p[1] for k, (_, p) in enumerate(run))
                out.append((run[0][0], join_phrase((first[0], heads, ending), self.comma)))
            i = j
        return out

    # ------------------------------------------------------------------ the safety record
    def safety_record(self, where: str) -> str | None:
        """"one ordinary work-safety accident, no deaths" from the indicators styled accident / casualty."""
        accidents = next((c for c, s in self.styles.items() if s == ACCIDENT and self.has(c)), None)
        if accidents is None:
            return None
        deaths = next((c for c, s in self.styles.items() if s == CASUALTY and self.has(c)), None)
        cfg = self.cfg["safety"]
        count = self.rows[accidents].value
        if round(count) == 0:
            return cfg["none"]
        text = self.value(accidents, where)
        dead = 0 if deaths is None else self.rows[deaths].value
        if round(dead) == 0:
            return self.fill(cfg["no_deaths"], count=text)
        return self.fill(cfg["deaths"], count=text, deaths=self.value(deaths, where))

    def safety_situation(self, where: str) -> str | None:
        """The safety record told as the span's safety situation (style ``safety.situation``)."""
        record = self.safety_record(where)
        if record is None:
            return None
        _, deaths = self.accidents()
        which = "none" if round(self.accidents()[0]) == 0 else ("deaths" if round(deaths) else "no_deaths")
        situation = self.cfg["safety"].get("situation") or {}
        return self.fill(situation.get(which, "{span_words}" + self.comma + "{record}"), record=record)

    def accidents(self) -> tuple[float, float]:
        """(accidents, deaths) in the span; zeros when the catalogue has no such indicators."""
        out = []
        for style in (ACCIDENT, CASUALTY):
            code = next((c for c, s in self.styles.items() if s == style and self.has(c)), None)
            out.append(0.0 if code is None else float(self.rows[code].value))
        return out[0], out[1]


_NUMBER = re.compile(r"\d+(?:\.\d+)?%?")


def join_phrase(parts: tuple[str, str, str], comma: str) -> str:
    return comma.join(p for p in parts if p)


def _joinable(first: tuple[str, str, str], other: tuple[str, str, str]) -> bool:
    """Same ending (or the same words around one figure each), and no "as at" of its own."""
    if not first[2] or (other[0] and other[0] != first[0]):
        return False
    if first[2] == other[2]:
        return True
    a, b = _NUMBER.findall(first[2]), _NUMBER.findall(other[2])
    return len(a) == len(b) == 1 and _NUMBER.sub("", first[2]) == _NUMBER.sub("", other[2])
