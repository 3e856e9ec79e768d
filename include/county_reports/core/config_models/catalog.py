"""Models of the catalogue's files: bureau.yaml, units.yaml, indicators.yaml, rules.yaml,
targets.yaml and (a city's) county_targets.yaml.

They say which keys each mapping has, their types and defaults; what needs more than one file
(a kind named in indicators.yaml is declared in units.yaml, a formula's codes exist, a county of
county_targets.yaml is in the roster) stays with the loaders in :mod:`county_reports.core.catalog`.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, RootModel, field_validator

from county_reports.core.config_models.base import ConfigModel

_UNIT_CODE = re.compile(r"^[A-Z0-9]{2,16}$")
# The catalogue's vocabularies, stated once here (the loaders in core/catalog.py read them).
NATURES = ("flow", "stock")
OVER_TIME = ("sum", "last", "max", "mean")
OVER_UNITS = ("sum", "mean", "max")
RULE_CHECKS = ("le", "sum_equals", "requires")
# How the summaries write an indicator where nature and uom alone do not say it (indicators.yaml
# `style`, optional): index — changes in the index's own points, never a percentage of itself;
# count — a change as a difference ("少2座"), never a percentage; sanction — fines and case counts,
# stated without growth framing or completion; accident / casualty — the safety record; detail — a
# component the prose leaves to the tables.
STYLES = ("index", "count", "sanction", "accident", "casualty", "detail")
IMPORTANCE = ("error", "warning")
# How a unit reports: an HTTP endpoint (protocol v1), its Excel template by e-mail, or a file
# dropped in the inbox folder. Mail and inbox files are read only for a unit that declares them.
CHANNELS = ("http", "email", "inbox")
# units.yaml kinds.<kind>.reports: ``all`` — a county bureau reporting to its city: its county
# totals of every indicator (the kind is added to every indicator's reported_by on load).
KIND_REPORTS = ("listed", "all")
Nature = Literal[NATURES]
OverTime = Literal[OVER_TIME]
OverUnits = Literal[OVER_UNITS]
Style = Literal[STYLES]
Importance = Literal[IMPORTANCE]
Channel = Literal[CHANNELS]


class BureauFile(ConfigModel):
    """bureau.yaml: the issuing bureau."""

    name: str = Field(min_length=1)
    county: str = Field(min_length=1)
    timezone: str = Field("Asia/Shanghai", min_length=1)
    code: str | None = Field(None, description="the county's code as a unit of its city (2–16 capitals or digits)")

    @field_validator("name", "county", "timezone")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("is empty")
        return value

    @field_validator("code")
    @classmethod
    def _code(cls, value: str | None) -> str | None:
        if value is not None and not _UNIT_CODE.match(value):
            raise ValueError(f"{value!r} must be 2–16 capital letters or digits (the city's unit code)")
        return value


class Kind(ConfigModel):
    name: str
    reports: Literal[KIND_REPORTS] = "listed"


class UnitEntry(ConfigModel):
    """One unit of the roster (cross-field checks: catalog._load_units)."""

    code: str
    name: str
    kind: str
    base_url: str = ""
    token_conn_id: str = ""
    deadline_day: int = 5
    active_from: str | date
    active_to: str | date | None = None
    channel: Channel | None = Field(None, description="one channel; same as channels: [channel]")
    channels: list[Channel] | None = Field(None, description="default: [http]")
    emails: list[str] = []
    airflow_url: str = ""
    conn_id: str = ""


class UnitsFile(ConfigModel):
    """units.yaml: unit kinds and the roster."""

    kinds: dict[str, Kind] = Field(min_length=1)
    units: list[UnitEntry] = Field(min_length=1)


class SectionEntry(ConfigModel):
    code: str
    name: str


class IndicatorEntry(ConfigModel):
    code: str
    name: str
    uom: str
    section: str
    nature: Nature
    over_time: OverTime
    over_units: OverUnits
    reported_by: list[str]
    min: float = 0
    max: float
    integer: bool = False
    decimals: int = 0
    style: Style | None = None


class DerivedEntry(ConfigModel):
    code: str
    name: str
    uom: str
    section: str
    formula: str
    decimals: int = 1
    style: Style | None = None


class IndicatorsFile(ConfigModel):
    """indicators.yaml: lines of work, indicators and derived indicators."""

    sections: list[SectionEntry] = Field(min_length=1)
    indicators: list[IndicatorEntry] = Field(min_length=1)
    derived: list[DerivedEntry] = []


class RuleEntry(ConfigModel):
    """One cross-indicator rule: le (left, right), sum_equals (total, parts, tolerance) or
    requires (when, then)."""

    code: str
    check: Literal[RULE_CHECKS]
    importance: Importance
    message: str
    left: str | None = None
    right: str | None = None
    total: str | None = None
    parts: list[str] | None = None
    tolerance: float = 0
    when: str | None = None
    then: str | None = None


class RulesFile(ConfigModel):
    """rules.yaml."""

    rules: list[RuleEntry] = []


def _target(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"target {value!r} must be a number ≥ 0")
    return value


def _year(value: object) -> object:
    if not isinstance(value, int) or isinstance(value, bool) or not 2000 <= value <= 2100:
        raise ValueError("a year like 2025 was expected")
    return value


Target = Annotated[float, BeforeValidator(_target)]
Year = Annotated[int, BeforeValidator(_year)]
Targets = dict[Year, dict[str, Target]]


class TargetsFile(RootModel[Targets]):
    """targets.yaml: year → indicator code → annual target (the codes are checked by the loader)."""

    model_config = {"strict": True}


class CountyTargetsFile(RootModel[dict[str, Targets]]):
    """county_targets.yaml (a city): county unit code → year → indicator code → target."""

    model_config = {"strict": True}
