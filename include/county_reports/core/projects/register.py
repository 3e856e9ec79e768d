"""projects.yaml: the key projects admins register, versioned by year (重点项目登记).

A project's standing facts (code, official name, category, level, scale, townships, owner and
reporting unit, total investment and its funding, the county share in hand, start and planned
completion) hold for every year; ``years`` gives what changes each year: the nature (新建, 续建,
前期), the annual plan, the monthly schedule behind 序时进度, and the year's milestones. A project
continues across years by keeping its code. Everything is checked on load against units.yaml and
ledger.yaml; a problem is ``projects.yaml: key: problem``. A county without the file has an empty
register (its data and documents are as before).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from county_reports.core.catalog import Catalog
from county_reports.core.config import Fields, config_path, read_config_file
from county_reports.core.config_models.base import validate
from county_reports.core.projects.vocabulary import Vocabulary, load_vocabulary, only_keys

FILE = "projects.yaml"
PROJECT_KEYS = {"code", "name", "category", "level", "scale", "reporting_unit", "owner", "townships", "land",
                "total_investment", "funding", "county_in_place", "start", "completion", "years"}
YEAR_KEYS = {"nature", "plan", "schedule", "milestones", "level"}
TOLERANCE = 0.5      # 万元: funding adds up to the total within this


@dataclass(frozen=True)
class Milestone:
    name: str
    planned: date


@dataclass(frozen=True)
class ProjectYear:
    year: int
    nature: str
    plan: float                       # 年度计划投资, 万元
    schedule: tuple[float, ...]       # cumulative % of the plan due by the end of each month
    milestones: tuple[Milestone, ...]
    level: str | None = None          # the year's level when it differs from the project's

    def due(self, month: int) -> float:
        """The plan's part due by the end of ``month`` (序时进度), 万元."""
        return round(self.plan * self.schedule[month - 1] / 100, 2) if self.schedule else 0.0


@dataclass(frozen=True)
class Project:
    code: str
    name: str
    category: str
    level: str
    scale: str
    reporting_unit: str
    owner: str
    townships: tuple[str, ...]
    land_acres: float | None
    land_households: int | None
    total_investment: float
    funding: dict[str, float]
    county_in_place: float
    start: str
    completion: str
    years: dict[int, ProjectYear] = field(default_factory=dict)

    @property
    def county_share(self) -> float:
        return self.funding.get("county", 0.0)

    @property
    def county_gap(self) -> float:
        """The county share not yet in hand (配套资金缺口), 万元."""
        return round(max(0.0, self.county_share - self.county_in_place), 2)


@dataclass(frozen=True)
class Register:
    projects: tuple[Project, ...] = ()

    @property
    def by_code(self) -> dict[str, Project]:
        return {p.code: p for p in self.projects}

    def in_year(self, year: int) -> tuple[Project, ...]:
        return tuple(p for p in self.projects if year in p.years)

    def reported_by(self, unit: str, year: int) -> tuple[Project, ...]:
        return tuple(p for p in self.in_year(year) if p.reporting_unit == unit)

    def land_for(self, unit: str, year: int) -> tuple[Project, ...]:
        """Projects whose land acquisition and demolition this township station reports."""
        return tuple(p for p in self.in_year(year)
                     if unit in p.townships and p.land_acres is not None and p.reporting_unit != unit)


def load_register(catalog: Catalog, config_dir: str | Path | None = None,
                  vocabulary: Vocabulary | None = None) -> Register:
    """The register of projects.yaml, checked against the roster and the vocabularies; empty when
    the county keeps no register."""
    if not config_path(FILE, config_dir).is_file():
        return Register()
    vocabulary = vocabulary or load_vocabulary(config_dir)
    from county_reports.core.config_models.texts import ProjectsFile

    data = read_config_file(FILE, config_dir)
    top = Fields(FILE, "(top)", data if data is not None else {})
    validate(ProjectsFile, top.data, FILE, top="(top)")  # keys and types; the roster checks follow
    raw = top.get("projects", list, [])
    projects, seen = [], set()
    for i, item in enumerate(raw):
        code = item.get("code") if isinstance(item, dict) else None
        f = Fields(FILE, f"projects.{code if isinstance(code, str) and code.strip() else f'[{i}]'}", item)
        project = _project(f, catalog, vocabulary)
        if project.code in seen:
            raise f.error("code", f"{project.code!r} is registered twice")
        seen.add(project.code)
        projects.append(project)
    return Register(tuple(projects))


def _project(f: Fields, catalog: Catalog, vocabulary: Vocabulary) -> Project:
    only_keys(f, PROJECT_KEYS)
    units = catalog.unit_by_code
    reporting, owner = f.text("reporting_unit"), f.text("owner")
    for key, code in (("reporting_unit", reporting), ("owner", owner)):
        if code not in units:
            raise f.error(key, f"{code!r} is not a unit of units.yaml")
    reporting_kind = units[reporting].kind
    if reporting_kind not in catalog.indicator_by_code[vocabulary.investment_indicator].reported_by:
        raise f.error("reporting_unit", f"{reporting} does not report {vocabulary.investment_indicator} "
                                        f"(ledger.yaml investment_indicator), so its projects cannot be checked")
    townships = tuple(f.get("townships", list, []))
    for code in townships:
        if code not in units or units[code].kind != "township_station":
            raise f.error("townships", f"{code!r} is not a township station of units.yaml")
    acres, households = _land(f)
    total = _amount(f, "total_investment")
    funding = _funding(f, vocabulary, total)
    in_place = _amount(f, "county_in_place", 0.0)
    if in_place > funding.get("county", 0.0) + TOLERANCE:
        raise f.error("county_in_place", f"{in_place} is more than the county share funding.county "
                                          f"({funding.get('county', 0.0)})")
    start, completion = f.period("start"), f.period("completion")
    if completion < start:
        raise f.error("completion", f"{completion} is before start {start}")
    years = _years(f, vocabulary)
    return Project(f.text("code"), f.text("name"), _word(f, "category", "categories", vocabulary),
                   _word(f, "level", "levels", vocabulary), f.text("scale"), reporting, owner, townships,
                   acres, households, total, funding, in_place, start, completion, years)


def _word(f: Fields, key: str, vocabulary_name: str, vocabulary: Vocabulary) -> str:
    value = f.text(key)
    code = vocabulary.code_of(vocabulary_name, value)
    if code is None:
        raise f.error(key, f"{value!r} is not one of ledger.yaml {vocabulary_name}: "
                           f"{', '.join(vocabulary.words[vocabulary_name])}")
    return code


def _amount(f: Fields, key: str, default: Any = ...) -> float:
    value = f.get(key, (int, float), default)
    if value < 0:
        raise f.error(key, "must not be negative")
    return float(value)


def _land(f: Fields) -> tuple[float | None, int | None]:
    if f.data.get("land") is None:
        return None, None
    land = Fields(f.file, f"{f.key}.land", f.data["land"])
    only_keys(land, {"acres", "households"})
    return _amount(land, "acres"), int(_amount(land, "households", 0))


def _funding(f: Fields, vocabulary: Vocabulary, total: float) -> dict[str, float]:
    raw = Fields(f.file, f"{f.key}.funding", f.get("funding", dict))
    funding = {}
    for source in raw.data:
        if str(source) not in vocabulary.words["funding_sources"]:
            raise raw.error(str(source), f"not one of ledger.yaml funding_sources: "
                                         f"{', '.join(vocabulary.words['funding_sources'])}")
        funding[str(source)] = _amount(raw, source)
    if abs(sum(funding.values()) - total) > TOLERANCE:
        raise f.error("funding", f"adds up to {sum(funding.values()):g}, not total_investment {total:g}")
    return funding


def _years(f: Fields, vocabulary: Vocabulary) -> dict[int, ProjectYear]:
    raw = Fields(f.file, f"{f.key}.years", f.get("years", dict))
    if not raw.data:
        raise f.error("years", "is empty: a project is registered for at least one year")
    years = {}
    for year in raw.data:
        if not isinstance(year, int) or not 2000 <= year <= 2100:
            raise raw.error(str(year), "a year is written as four digits, e.g. 2025")
        y = Fields(f.file, f"{raw.key}.{year}", raw.data[year])
        only_keys(y, YEAR_KEYS)
        plan = _amount(y, "plan")
        schedule = _schedule(y, plan)
        milestones = []
        for j, m in enumerate(y.get("milestones", list, [])):
            mf = Fields(f.file, f"{y.key}.milestones[{j}]", m)
            only_keys(mf, {"name", "planned"})
            planned = mf.get("planned", date)
            if planned.year != year:
                raise mf.error("planned", f"{planned} is not in {year}")
            milestones.append(Milestone(mf.text("name"), planned))
        level = _word(y, "level", "levels", vocabulary) if "level" in y.data else None
        years[year] = ProjectYear(year, _word(y, "nature", "natures", vocabulary), plan, schedule,
                                  tuple(milestones), level)
    return years


def _schedule(y: Fields, plan: float) -> tuple[float, ...]:
    if plan == 0 and "schedule" not in y.data:
        return ()
    raw = y.get("schedule", list)
    if len(raw) != 12 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw):
        raise y.error("schedule", "expected 12 numbers (cumulative % of the plan by the end of each month)")
    if any(v < 0 or v > 100 for v in raw) or any(b < a for a, b in zip(raw, raw[1:], strict=False)):
        raise y.error("schedule", "percentages between 0 and 100 that never fall")
    if raw[-1] != 100:
        raise y.error("schedule", f"ends at {raw[-1]}: the whole plan is due by December (100)")
    return tuple(float(v) for v in raw)

