"""Deterministic monthly submissions of the simulated units (protocol v1 payloads).

Every figure comes from ``random.Random(f"{seed}:{unit}:{period}:{revision}")`` plus static
per-unit facts, so one (unit, month) is generated without generating any other. Flows follow a
seasonal profile (little building around Spring Festival, a year-end push) and are calibrated
so the county's yearly totals land near ``targets.yaml``; stocks are a per-unit level with a
slow drift by month index. Clean payloads satisfy every rule of ``rules.yaml``.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any
from collections.abc import Mapping

from county_reports.core import periods
from county_reports.core.catalog import Catalog, Indicator, Unit
from county_reports.collect.example import enforce_rules  # the rules made to hold: one way, the example's
from county_reports.simulator.calibration import (BASE_YEAR, FLOWS, RATIOS, SEASONS, SPECIAL, STOCKS, Flow,
                                                  Stock)
from county_reports.simulator.narratives import Phrasebook, compose, load_phrasebook

PROTOCOL = 1
CST = timezone(timedelta(hours=8))
GROWTH = 1.07               # yearly growth of a flow that has no target for the year
OVERACHIEVE = 1.03          # bureaus tend to report a little above their targets

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐韩冯邓曹彭曾肖田董潘袁蔡蒋余"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂华建国红梅志文斌宇鹏晓东海燕玉兰春林"


@dataclass(frozen=True)
class _KindFacts:
    """What all units of one kind share: computed once per generator."""
    required: tuple[Indicator, ...]
    required_codes: frozenset[str]
    needed: tuple[str, ...]         # required codes and the parents their ratios derive from
    sections: tuple[str, ...]       # where its narrative items may come from …
    weights: tuple[float, ...]      # … and how often


@dataclass(frozen=True)
class _UnitFacts:
    """What never changes for a unit: computed on its first request, then every request is cheap."""
    unit: Unit
    size: float
    kind: _KindFacts
    stock_bases: dict[str, float]
    bus_gap_until: int              # month index until which one village still has no bus
    place: str = ""                 # its own place name ({place} in the phrase bank)
    villages: tuple[str, ...] = ()  # its villages ({village})


class SubmissionGenerator:
    """Payloads for every unit of one catalogue, seed and set of unit sizes."""

    def __init__(self, catalog: Catalog, *, seed: int, sizes: Mapping[str, float] | None = None,
                 phrasebook: Phrasebook | None = None):
        self.catalog, self.seed, self.sizes = catalog, seed, dict(sizes or {})
        self.phrasebook = phrasebook or load_phrasebook(catalog)
        self._facts: dict[str, _UnitFacts] = {}
        self._kinds = {kind: self._kind_facts(kind) for kind in catalog.kinds}
        self._monthly: dict[tuple[str, str, int], float] = {}
        self._weights: dict[int, dict[tuple[str, str], float]] = {}
        catalog.unit_by_code  # noqa: B018 - warm the cached lookup before threads share it

    # ------------------------------------------------------------------ public

    def payload(self, unit_code: str, period: str, *, revision: int = 0,
                late: bool = False) -> dict[str, Any]:
        unit = self.catalog.unit_by_code.get(unit_code)
        if unit is None:
            raise KeyError(f"unknown unit {unit_code!r}")
        year, month = periods.parse(period)
        if not unit.active_in(period):
            raise ValueError(f"unit {unit_code} does not report for {period}")
        facts = self._unit_facts(unit)
        rng = random.Random(f"{self.seed}:{unit_code}:{period}:0")
        fix = random.Random(f"{self.seed}:{unit_code}:{period}:{revision}") if revision else None
        submitted = self._submitted_at(unit, period, rng, fix, revision, late)
        values = self._values(facts, year, month, rng)
        if fix is not None:
            self._correct(facts, values, fix)
        values = self._finish(facts, values)
        context = {"unit_name": unit.name, "year": str(year), "month": str(month),
                   "next_month": str(month % 12 + 1), "place": facts.place}
        # a separate stream: the items' wording must not shift the figures drawn above
        words = random.Random(f"{self.seed}:{unit_code}:{period}:words")
        narratives = compose(self.phrasebook, words, sections=facts.kind.sections,
                             weights=facts.kind.weights,
                             values=values, context=context, month=month,
                             indicators=self.catalog.indicator_by_code, unit_kind=unit.kind,
                             villages=facts.villages)
        return {"protocol": PROTOCOL, "unit": unit_code, "period": period,
                "submitted_at": submitted.isoformat(timespec="seconds"), "values": values,
                "narratives": narratives, "contact": self._contact(unit_code, year)}

    def figures(self, unit_code: str, period: str, rng: random.Random) -> dict:
        """One clean draw of the unit's figures for the month from ``rng`` (the payload's own
        draw is the one seeded by seed, unit and month): what else the month could have been."""
        year, month = periods.parse(period)
        facts = self._unit_facts(self.catalog.unit_by_code[unit_code])
        return self._finish(facts, self._values(facts, year, month, rng))

    # ------------------------------------------------------------------ static facts

    def _unit_facts(self, unit: Unit) -> _UnitFacts:
        facts = self._facts.get(unit.code)
        if facts is None:  # a race only computes the same facts twice
            facts = self._facts[unit.code] = self._make_facts(unit)
        return facts

    def _make_facts(self, unit: Unit) -> _UnitFacts:
        size = self.sizes.get(unit.code, 1.0)
        rng = random.Random(f"{self.seed}:{unit.code}:facts")
        kind = self._kinds[unit.kind]
        bases = {}
        for code in kind.needed:
            spec = STOCKS.get(code, {}).get(unit.kind)
            ind = self.catalog.indicator_by_code[code]
            if spec is not None:
                scale = size if spec.scaled else 1.0
                bases[code] = spec.base * scale * rng.uniform(1 - spec.spread, 1 + spec.spread)
            elif ind.nature == "stock":
                bases[code] = (ind.min + (ind.max - ind.min) * 0.1) * size
        bus_gap_until = rng.randint(2, 9) if rng.random() < 0.2 else -1
        words = random.Random(f"{self.seed}:{unit.code}:places")
        bank = list(self.phrasebook.villages)
        villages = tuple(words.sample(bank, min(4, len(bank)))) if bank else ()
        place = unit.name.replace(unit.kind_name, "")
        if len(place) < 2 or place == unit.name:
            place = self.catalog.bureau.county
        return _UnitFacts(unit, size, kind, bases, bus_gap_until, place, villages)

    def _kind_facts(self, kind: str) -> _KindFacts:
        required = self.catalog.required_indicators(kind)
        needed = {i.code for i in required}
        frontier = list(needed)
        while frontier:
            code = frontier.pop()
            parent = RATIOS[code][0] if code in RATIOS else SPECIAL.get(code)
            if parent and parent in self.catalog.indicator_by_code and parent not in needed:
                needed.add(parent)
                frontier.append(parent)
        # Sections of its indicators, plus those without indicators (funding, party building).
        with_indicators = {i.section for i in self.catalog.indicators}
        mine = {i.section for i in required}
        sections = [s.code for s in self.catalog.sections
                    if s.code in mine or s.code not in with_indicators]
        weights = [3.0 if code in mine else 1.0 for code in sections]
        # sorted: the order values are drawn in must not depend on set iteration order
        return _KindFacts(required, frozenset(i.code for i in required), tuple(sorted(needed)),
                          tuple(sections), tuple(weights))

    def _monthly_factor(self, code: str, kind: str, year: int) -> float:
        """County total × kind share ÷ (sizes × active seasonal weight of the kind's units)."""
        key = (code, kind, year)
        factor = self._monthly.get(key)
        if factor is None:
            flow = FLOWS[code]
            weight = self._kind_weights(year).get((kind, flow.season), 0.0)
            total = self._annual_total(code, flow, year)
            factor = self._monthly[key] = total * flow.shares[kind] / weight if weight else 0.0
        return factor

    def _kind_weights(self, year: int) -> dict[tuple[str, str], float]:
        """Σ size × seasonal weight of the months it reports, per (kind, season): one pass a year."""
        weights = self._weights.get(year)
        if weights is None:
            weights = {}
            months = [periods.make(year, m) for m in range(1, 13)]
            for unit in self.catalog.units:
                active = [i for i, p in enumerate(months) if unit.active_in(p)]
                size = self.sizes.get(unit.code, 1.0)
                for name, season in SEASONS.items():
                    key = (unit.kind, name)
                    weights[key] = weights.get(key, 0.0) + size * sum(season[i] for i in active)
            self._weights[year] = weights
        return weights

    def _annual_total(self, code: str, flow: Flow, year: int) -> float:
        targets = self.catalog.targets
        if code in targets.get(year, {}):
            return targets[year][code] * OVERACHIEVE
        years = [y for y in targets if code in targets[y]]
        if years:
            nearest = min(years, key=lambda y: abs(y - year))
            return targets[nearest][code] * OVERACHIEVE * GROWTH ** (year - nearest)
        return flow.total * GROWTH ** (year - BASE_YEAR)

    # ------------------------------------------------------------------ figures

    def _values(self, facts: _UnitFacts, year: int, month: int, rng: random.Random) -> dict:
        kind, index = facts.unit.kind, (year - BASE_YEAR) * 12 + month - 1
        raw: dict[str, float] = {}
        needed = facts.kind.needed
        for code in needed:
            ind = self.catalog.indicator_by_code[code]
            if code in RATIOS or code in SPECIAL:
                continue
            if code in facts.stock_bases:
                spec = STOCKS.get(code, {}).get(kind) or Stock(0, 0, 0, 0)
                level = facts.stock_bases[code] * (1 + spec.trend * index)
                raw[code] = _fit(ind, level * (1 + spec.noise * rng.uniform(-1, 1)), rng)
            elif code in FLOWS and kind in FLOWS[code].shares:
                flow = FLOWS[code]
                mean = self._monthly_factor(code, kind, year) * facts.size * SEASONS[flow.season][month - 1]
                noise = rng.lognormvariate(-flow.sigma ** 2 / 2, flow.sigma) if flow.sigma else 1.0
                raw[code] = _fit(ind, mean * noise, rng)
            else:  # an indicator or kind this module has no calibration for: modest and in range
                raw[code] = _fit(ind, (ind.min + (ind.max - ind.min) * 0.002) * facts.size
                                 * rng.uniform(.7, 1.3), rng)
        for child, (parent, low, high) in RATIOS.items():
            if child in needed:
                ind = self.catalog.indicator_by_code[child]
                raw[child] = _fit(ind, raw.get(parent, 0) * rng.uniform(low, high), rng)
        if "ACCIDENT_DEATHS" in needed:
            # Most accidents in the sector kill no one; deaths never come without an accident.
            dies = rng.random() < 0.35
            raw["ACCIDENT_DEATHS"] = 1 if raw.get("ACCIDENTS", 0) > 0 and dies else 0
        if "VILLAGES_WITH_BUS" in needed:
            total = raw.get("VILLAGES_TOTAL", 0)
            raw["VILLAGES_WITH_BUS"] = max(0, total - (1 if index < facts.bus_gap_until else 0))
        return raw

    def _correct(self, facts: _UnitFacts, values: dict, fix: random.Random) -> None:
        """A revision: the unit corrects one to three of its own flows by a few percent."""
        candidates = sorted(c for c in values if c in FLOWS and c in facts.kind.required_codes)
        for code in fix.sample(candidates, min(len(candidates), fix.randint(1, 3))):
            ind = self.catalog.indicator_by_code[code]
            old = values[code]
            new = _fit(ind, max(old, 1.0) * fix.uniform(0.85, 1.15), fix)
            if new == old:
                step = 1 if ind.integer else 10 ** -ind.decimals
                new = old + step if old + step <= ind.max else old - step
            values[code] = new

    def _finish(self, facts: _UnitFacts, raw: dict) -> dict:
        """Keep the required codes, in catalogue order, then make every rule hold."""
        values = {i.code: raw[i.code] for i in facts.kind.required}
        enforce_rules(self.catalog, values)
        return values

    # ------------------------------------------------------------------ envelope

    def _submitted_at(self, unit: Unit, period: str, rng: random.Random,
                      fix: random.Random | None, revision: int, late: bool) -> datetime:
        # Draw everything every time so `late` does not shift the figures drawn after it.
        days_late, hurry, minute = rng.randint(1, 10), rng.expovariate(0.5), rng.randint(0, 540)
        due = unit.due_date(period)
        if late:
            day = due + timedelta(days=days_late)
        else:  # strictly before the due day, mostly in its last days (clerks report late)
            first = due.replace(day=1)
            room = max(0, (due - first).days - 1)
            day = first + timedelta(days=room - min(room, int(hurry)))
        stamp = datetime.combine(day, time(8, 30), CST) + timedelta(minutes=minute)
        if fix is not None:  # each correction arrives a day (and a few hours) after the last
            stamp += timedelta(days=revision, minutes=fix.randint(0, 600))
        return stamp

    def _contact(self, unit_code: str, year: int) -> dict[str, str]:
        rng = random.Random(f"{self.seed}:{unit_code}:contact:{year}")
        name = rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2)))
        return {"name": name, "phone": f"0000-{rng.randint(1000000, 9999999)}"}


def _fit(ind: Indicator, value: float, rng: random.Random) -> float | int:
    """Clamp into the indicator's range and round as it is reported.

    Counts are rounded at random up or down in proportion (2.3 → 2 or 3, 3 seven times in ten)
    so small expected counts such as accidents stay rare but sum to the right yearly totals.
    """
    value = min(max(value, ind.min), ind.max)
    if ind.integer:
        whole = math.floor(value)
        return int(min(whole + (1 if rng.random() < value - whole else 0), ind.max))
    if ind.decimals == 0:
        return int(round(value))
    return round(value, ind.decimals)


_GENERATORS: dict[tuple, SubmissionGenerator] = {}


def payload(catalog: Catalog, unit_code: str, period: str, *, seed: int,
            sizes: Mapping[str, float] | None = None, revision: int = 0,
            late: bool = False) -> dict[str, Any]:
    """One unit's protocol-v1 submission for one month (see :class:`SubmissionGenerator`)."""
    key = (id(catalog), seed, tuple(sorted((sizes or {}).items())))
    generator = _GENERATORS.get(key)
    if generator is None or generator.catalog is not catalog:  # id() may be reused after GC
        if len(_GENERATORS) > 16:
            _GENERATORS.clear()
        generator = _GENERATORS[key] = SubmissionGenerator(catalog, seed=seed, sizes=sizes)
    return generator.payload(unit_code, period, revision=revision, late=late)
