"""The simulated units' key-projects ledger: rows consistent with their 交通建设完成投资.

:class:`ProjectSimulator` gives, for a (unit, month), the ``projects`` and ``events`` lists a
protocol-1 submission may carry (:meth:`ProjectSimulator.lists`). The register is projects.yaml
for the demo county, or one made up from the roster (:func:`synthetic_register`) for a county
that keeps none (the 300-unit county of the tests).

Consistency, by construction: in every month a project invests a fixed share of its reporting
unit's INV_TOTAL of that month (its plan over the unit's year, times how well it goes), and the
shares of a unit's projects add up to at most ``MAX_SHARE`` — so for any span the projects'
investment is at most the unit's indicator. Each year one project stalls and one falls behind,
from a month drawn by seed, with a cause and a sentence; milestones are reached near their planned
date (late for a project behind, never after it stalls). Deterministic by seed.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from county_reports.core import periods
from county_reports.core.catalog import Catalog
from county_reports.core.projects.register import Milestone, Project, ProjectYear, Register
from county_reports.simulator import project_words as words
from county_reports.simulator.data import SubmissionGenerator

INDICATOR = "INV_TOTAL"
MAX_SHARE = 0.95          # of a unit's monthly investment its key projects may take together


@dataclass(frozen=True)
class _Trouble:
    status: str           # delayed | stalled
    since: int            # month it starts
    cause: str
    text: str


class ProjectSimulator:
    def __init__(self, catalog: Catalog, generator: SubmissionGenerator, register: Register | None = None,
                 years: tuple[int, ...] = (2024, 2025)):
        self.catalog, self.generator, self.seed = catalog, generator, generator.seed
        self.register = register if register is not None and register.projects else \
            synthetic_register(catalog, generator, years)
        self._indicator: dict[tuple[str, int], list[float]] = {}
        self._months: dict[tuple[str, int], list[dict]] = {}
        self._troubles: dict[int, dict[str, _Trouble]] = {}

    # ------------------------------------------------------------------ public

    def lists(self, unit: str, period: str) -> tuple[list[dict], list[dict]]:
        """The ``projects`` and ``events`` lists of ``unit``'s submission for ``period``."""
        from county_reports.simulator.project_events import events_for

        return self.ledger(unit, period), events_for(self.catalog, self.seed, unit, period)

    def keys_for(self, body: dict, unit: str, period: str) -> dict[str, list[dict]]:
        """The ``projects``/``events`` keys to add to ``body`` (none when the unit has neither). A
        revised body's INV_TOTAL may be up to 15% below the first version the ledger was drawn
        from: the month's investment is then scaled down with it (the cumulative figures by the
        same amount), so the projects still fit the figure sent."""
        rows, events = self.lists(unit, period)
        year, month = periods.parse(period)
        drawn = self.indicator(unit, year)[month - 1]
        sent = body.get("values", {}).get(INDICATOR)
        if isinstance(sent, (int, float)) and 0 <= sent < drawn:
            rows = [_scaled(row, sent / drawn) for row in rows]
        return {k: v for k, v in (("projects", rows), ("events", events)) if v}

    def ledger(self, unit: str, period: str) -> list[dict]:
        year, month = periods.parse(period)
        rows = [dict(self._months_of(p, year)[month - 1]) for p in self.register.reported_by(unit, year)]
        rows += [self._land(p, unit, year, month) for p in self.register.land_for(unit, year)]
        return rows

    def indicator(self, unit: str, year: int) -> list[float]:
        """The unit's INV_TOTAL of each month of ``year`` (0 when it does not report)."""
        key = (unit, year)
        if key not in self._indicator:
            u = self.catalog.unit_by_code[unit]
            self._indicator[key] = [
                float(self.generator.payload(unit, p)["values"].get(INDICATOR, 0.0)) if u.active_in(p) else 0.0
                for p in (periods.make(year, m) for m in range(1, 13))]
        return self._indicator[key]

    # ------------------------------------------------------------------ progress rows

    def _shares(self, unit: str, year: int) -> dict[str, float]:
        """Each of the unit's projects' share of its monthly investment, together ≤ MAX_SHARE."""
        annual = sum(self.indicator(unit, year)) or 1.0
        shares = {}
        for p in self.register.reported_by(unit, year):
            luck = random.Random(f"{self.seed}:{p.code}:{year}:luck").uniform(0.88, 1.08)
            shares[p.code] = p.years[year].plan / annual * luck
        total = sum(shares.values())
        scale = MAX_SHARE / total if total > MAX_SHARE else 1.0
        return {code: share * scale for code, share in shares.items()}

    def troubles(self, year: int) -> dict[str, _Trouble]:
        """The year's stalled and delayed projects (one each when there are two to choose from)."""
        if year not in self._troubles:
            rng = random.Random(f"{self.seed}:troubles:{year}")
            candidates = sorted(p.code for p in self.register.in_year(year)
                                if p.years[year].plan > 0 and p.years[year].nature != "preliminary"
                                and periods.parse(p.completion) > (year, 6))
            rng.shuffle(candidates)
            found = {}
            for code, status in zip(candidates, ("stalled", "delayed"), strict=False):
                project = self.register.by_code[code]
                cause = rng.choice(words.CAUSES[status])
                found[code] = _Trouble(status, rng.randint(3, 6), cause,
                                       words.cause_text(rng, cause, project, self.catalog))
            self._troubles[year] = found
        return self._troubles[year]

    def _months_of(self, project: Project, year: int) -> list[dict]:
        key = (project.code, year)
        if key not in self._months:
            self._months[key] = self._make_months(project, year)
        return self._months[key]

    def _make_months(self, project: Project, year: int) -> list[dict]:
        plan = project.years[year]
        share = self._shares(project.reporting_unit, year)[project.code]
        trouble = self.troubles(year).get(project.code)
        opening = self._opening(project, year)
        rng = random.Random(f"{self.seed}:{project.code}:{year}:months")
        end_year, end_month = periods.parse(project.completion)
        done, rows = 0.0, []
        for month, base in enumerate(self.indicator(project.reporting_unit, year), 1):
            finished = (year, month) > (end_year, end_month)
            weight = 0.0 if finished else share
            if trouble and month >= trouble.since:
                weight *= 0.0 if trouble.status == "stalled" else 0.45
            invest = round(base * weight, 2)
            done = round(done + invest, 2)
            status = _status(finished, trouble, month, done, plan.due(month))
            row = {"code": project.code, "month_investment": invest, "year_investment": done,
                   "total_investment": round(opening + done, 2),
                   "progress": words.progress(rng, project, plan, (opening + done) / project.total_investment),
                   "status": status}
            if status in ("delayed", "stalled"):
                row.update(cause=trouble.cause, cause_text=trouble.text)
            reached = self._reached(project, plan, trouble, year, month)
            if reached:
                row["milestones"] = reached
            rows.append(row)
        return rows

    def _opening(self, project: Project, year: int) -> float:
        """What the project invested in the years before ``year`` that the register holds."""
        return round(sum(self._months_of(project, y)[-1]["year_investment"]
                         for y in project.years if y < year), 2)

    def _reached(self, project: Project, plan: ProjectYear, trouble: _Trouble | None, year: int,
                 month: int) -> list[dict]:
        out = []
        for m in plan.milestones:
            rng = random.Random(f"{self.seed}:{project.code}:{m.name}")
            late = rng.randint(-6, 12)
            if trouble:
                stop = date(year, trouble.since, 1)
                if m.planned >= stop and trouble.status == "stalled":
                    continue
                late += rng.randint(25, 60) if m.planned >= stop else 0
            day = m.planned + timedelta(days=late)
            if day.year == year and day.month == month:
                out.append({"name": m.name, "date": day.isoformat()})
        return out

    # ------------------------------------------------------------------ land rows

    def _land(self, project: Project, unit: str, year: int, month: int) -> dict:
        """A township's cumulative land acquisition and demolition for an upper-level project."""
        townships = [t for t in project.townships if t != project.reporting_unit]
        part = 1 / len(townships)
        start = periods.parse(project.start)
        trouble = self.troubles(year).get(project.code)
        if trouble and trouble.cause == "land":
            month = min(month, trouble.since)       # acquisition stands still while it is the cause
        elapsed = (year - start[0]) * 12 + month - start[1] + 3          # acquisition starts before works
        progress = min(1.0, max(0.0, elapsed / 9))
        acres = round(project.land_acres * part * progress, 1)
        households = int((project.land_households or 0) * part * progress)
        return {"code": project.code, "land_acres": acres, "land_households": households}


def _scaled(row: dict, factor: float) -> dict:
    if row.get("month_investment") is None:
        return row                                  # a land row
    cut = round(row["month_investment"] * (1 - factor), 2)
    return {**row, "month_investment": round(row["month_investment"] - cut, 2),
            "year_investment": round(row["year_investment"] - cut, 2),
            "total_investment": round(row["total_investment"] - cut, 2)}


def _status(finished: bool, trouble: _Trouble | None, month: int, done: float, due: float) -> str:
    if finished:
        return "completed"
    if trouble and month >= trouble.since:
        return trouble.status
    return "ahead" if due > 0 and done > due * 1.1 else "normal"


def synthetic_register(catalog: Catalog, generator: SubmissionGenerator,
                       years: tuple[int, ...] = (2024, 2025)) -> Register:
    """A register for a county that keeps none: a few projects for the units that invest most,
    each planned at a share of its unit's yearly investment."""
    reporting = catalog.indicator_by_code[INDICATOR].reported_by
    units = [u for u in catalog.units if u.kind in reporting and u.active_to is None]
    townships = [u.code for u in catalog.units if u.kind == "township_station" and u.active_to is None]
    rng = random.Random(f"{generator.seed}:register")
    projects, n = [], 0
    for i, unit in enumerate(units):
        how_many = 2 if unit.kind == "road_centre" else 0 if unit.kind == "township_station" and i % 8 else 1
        for _ in range(how_many):
            n += 1
            annual = {y: sum(float(generator.payload(unit.code, periods.make(y, m))["values"].get(INDICATOR, 0))
                             for m in range(1, 13) if unit.active_in(periods.make(y, m))) for y in years}
            projects.append(_made_up(rng, n, unit, annual, townships, catalog))
    return Register(tuple(projects))


def _made_up(rng: random.Random, n: int, unit, annual: dict[int, float], townships: list[str],
             catalog: Catalog) -> Project:
    first, last = min(annual), max(annual)
    category, name, scale = words.made_up_project(rng, unit, catalog)
    share = rng.uniform(0.25, 0.4) if unit.kind == "road_centre" else rng.uniform(0.4, 0.7)
    plans = {y: round(annual[y] * share, -1) for y in annual}
    total = round(sum(plans.values()) * rng.uniform(1.0, 1.3), -1)
    county = round(total * rng.uniform(0.2, 0.45), -1)
    start, end = f"{first}-{rng.randint(2, 4):02d}", f"{last}-{rng.randint(10, 12):02d}"
    years = {}
    for y in annual:
        marks = [Milestone(words.START, date(y, int(start[5:]), 15))] if y == first else \
            [Milestone(words.MID, date(y, 6, 30)), Milestone(words.END, date(y, int(end[5:]), 20))]
        years[y] = ProjectYear(y, "new" if y == first else "continuing", plans[y], _schedule(y, start),
                               tuple(marks))
    crossing = tuple(rng.sample(townships, min(2, len(townships)))) if unit.kind == "road_centre" else ()
    return Project(f"SIM{first}-{n:03d}", name, category, rng.choice(("provincial", "city", "county")), scale,
                   unit.code, unit.code, crossing, round(rng.uniform(15, 60), 1) if crossing else None,
                   rng.randint(1, 8) if crossing else None, total,
                   {"provincial": round(total - county, 2), "county": county}, round(county * 0.6, 2),
                   start, end, years)


def _schedule(year: int, start: str) -> tuple[float, ...]:
    first = int(start[5:]) if int(start[:4]) == year else 1
    weights = [0.0 if m < first else (0.6 if m < 3 else 1.0 + m / 12) for m in range(1, 13)]
    total, running, out = sum(weights), 0.0, []
    for w in weights:
        running += w
        out.append(round(running / total * 100, 1))
    out[-1] = 100.0
    return tuple(out)
