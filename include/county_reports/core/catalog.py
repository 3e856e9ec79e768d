"""The configuration admins edit: bureau, units, indicator catalogue, rules and targets.

Loaded from ``include/config`` (or ``$COUNTY_REPORTS_CONFIG``) and checked on load: a problem raises
:class:`~county_reports.core.config.ConfigError` naming the file, the key and what is wrong.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from county_reports.core import formulas, paths, periods
from county_reports.core.config import ConfigError, Fields, fill_env, read_config_file
from county_reports.core.config_models import model_for, read_checked, validate
from county_reports.core.config_models.catalog import (CHANNELS, IMPORTANCE, KIND_REPORTS, NATURES,
                                                        OVER_TIME, OVER_UNITS, RULE_CHECKS, STYLES)
from county_reports.core.endpoint_policy import plain_http_problem
from county_reports.core.targets import parse_years

# collect_monthly runs on the 5th and again on the 8th: every deadline must fall before the 8th.
LAST_DEADLINE_DAY = 7
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,39}$")
_UNIT_CODE = re.compile(r"^[A-Z0-9]{2,16}$")
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


@dataclass(frozen=True)
class Bureau:
    name: str
    county: str
    timezone: str
    code: str | None = None     # the county's code as a unit of its city (the federation route)


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    kind: str
    kind_name: str
    base_url: str
    token_conn_id: str
    deadline_day: int
    active_from: str
    active_to: str | None = None
    channels: tuple[str, ...] = ("http",)
    # Registered addresses: who may e-mail the unit's template (channel email), and where
    # reminders and the monthly circular go. Lower-case.
    emails: tuple[str, ...] = ()
    airflow_url: str = ""    # a county (city roster): its Airflow's base URL, and the Connection
    conn_id: str = ""        # holding its service account's login and password

    @property
    def channel(self) -> str:
        """The main channel, for reminders: the endpoint when the unit has one."""
        return "http" if "http" in self.channels else "email"

    def active_in(self, period: str) -> bool:
        return self.active_from <= period and (self.active_to is None or period <= self.active_to)

    def due_date(self, period: str) -> date:
        return periods.due_date(period, self.deadline_day)

    def endpoint(self, environ: dict[str, str] | None = None) -> str:
        """The base URL with ``${VAR}`` references filled from the environment; plain http only
        to a loopback host (or one named in ``COUNTY_REPORTS_PLAIN_HTTP_HOSTS``)."""
        key = f"units.{self.code}.base_url"
        url = fill_env(self.base_url, "units.yaml", key, environ).rstrip("/")
        problem = plain_http_problem(url, environ)
        if problem:
            raise ConfigError("units.yaml", key, problem)
        return url


@dataclass(frozen=True)
class Section:
    code: str
    name: str


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    uom: str
    section: str
    nature: str
    over_time: str
    over_units: str
    reported_by: tuple[str, ...]
    min: float
    max: float
    integer: bool = False
    decimals: int = 0
    style: str | None = None


@dataclass(frozen=True)
class DerivedIndicator:
    code: str
    name: str
    uom: str
    section: str
    formula: str
    decimals: int = 1
    style: str | None = None

    @cached_property
    def inputs(self) -> tuple[str, ...]:
        return formulas.names(self.formula)


@dataclass(frozen=True)
class Rule:
    code: str
    check: str
    importance: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def indicators(self) -> tuple[str, ...]:
        p = self.params
        if self.check == "le":
            return (p["left"], p["right"])
        if self.check == "sum_equals":
            return (p["total"], *p["parts"])
        return (p["when"], p["then"])


@dataclass(frozen=True)
class Catalog:
    bureau: Bureau
    kinds: dict[str, str]
    units: tuple[Unit, ...]
    sections: tuple[Section, ...]
    indicators: tuple[Indicator, ...]
    derived: tuple[DerivedIndicator, ...]
    rules: tuple[Rule, ...]
    targets: dict[int, dict[str, float]]
    totals_kinds: tuple[str, ...] = ()     # kinds that report county totals (a city's counties)

    @cached_property
    def indicator_by_code(self) -> dict[str, Indicator]:
        return {i.code: i for i in self.indicators}

    @cached_property
    def unit_by_code(self) -> dict[str, Unit]:
        return {u.code: u for u in self.units}

    @cached_property
    def section_by_code(self) -> dict[str, Section]:
        return {s.code: s for s in self.sections}

    def required_indicators(self, kind: str) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if kind in i.reported_by)

    def units_active_in(self, period: str) -> tuple[Unit, ...]:
        return tuple(u for u in self.units if u.active_in(period))


# --------------------------------------------------------------------------- loading


def load_catalog(config_dir: str | Path | None = None) -> Catalog:
    root = Path(config_dir) if config_dir else paths.config_dir()
    bureau = load_bureau(root)
    kinds, totals_kinds, units = _load_units(read_checked("units.yaml", root))
    sections, indicators, derived = _load_indicators(read_checked("indicators.yaml", root), kinds)
    indicators = tuple(replace(i, reported_by=i.reported_by + totals_kinds) for i in indicators)
    codes = {i.code for i in indicators}
    rules = _load_rules(read_checked("rules.yaml", root), codes)
    targets = parse_years(read_checked("targets.yaml", root), codes | {d.code for d in derived}, "targets.yaml")
    return Catalog(bureau, kinds, units, sections, indicators, derived, rules, targets, totals_kinds)


def _list(file: str, data: Any, key: str, required: bool = True) -> list:
    if not isinstance(data, dict):
        raise ConfigError(file, "(file)", "expected a mapping at the top level")
    value = data.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or (required and not value):
        raise ConfigError(file, key, "missing or not a non-empty list")
    return value


def load_bureau(config_dir: str | Path | None = None) -> Bureau:
    """bureau.yaml alone: cheap enough for DAG parsing (the DAGs' time zone)."""
    data = Fields("bureau.yaml", "bureau", read_config_file("bureau.yaml", config_dir)).data   # a mapping
    b = validate(model_for("bureau.yaml"), data, "bureau.yaml", "bureau")
    return Bureau(name=b.name, county=b.county, timezone=b.timezone, code=b.code)


def _load_units(data: Any) -> tuple[dict[str, str], tuple[str, ...], tuple[Unit, ...]]:
    file = "units.yaml"
    if not isinstance(data, dict) or not isinstance(data.get("kinds"), dict) or not data["kinds"]:
        raise ConfigError(file, "kinds", "missing or not a mapping of kind code to {name: …}")
    kinds = {code: Fields(file, f"kinds.{code}", spec).text("name")
             for code, spec in data["kinds"].items()}
    totals_kinds = tuple(code for code, spec in data["kinds"].items()
                         if Fields(file, f"kinds.{code}", spec).get("reports", str, "listed",
                                                                   choices=KIND_REPORTS) == "all")
    units, seen_codes, seen_conns, seen_emails = [], set(), {}, {}
    for i, raw in enumerate(_list(file, data, "units")):
        key = f"units[{i}]"
        if isinstance(raw, dict) and isinstance(raw.get("code"), str):
            key = f"units.{raw['code']}"
        f = Fields(file, key, raw)
        code = _new_code(f, seen_codes, _UNIT_CODE, "2–16 capital letters or digits", "unit")
        kind = f.get("kind", str, choices=tuple(kinds))
        channels = _channels(f)
        emails = _emails(f, code, seen_emails, required="email" in channels)
        airflow_url, airflow_conn = _county_link(f)
        http = "http" in channels and not airflow_url   # e-mail units and counties: no endpoint, no token
        conn = f.text("token_conn_id") if http else f.get("token_conn_id", str, "").strip()
        if conn and conn in seen_conns:
            raise f.error("token_conn_id", f"{conn!r} is already used by unit {seen_conns[conn]}")
        if conn:
            seen_conns[conn] = code
        base_url = f.text("base_url") if http else f.get("base_url", str, "").strip()
        if base_url and not re.match(r"^(https?://|\$\{)", base_url):
            raise f.error("base_url", f"{base_url!r} must start with http:// or https://")
        if not base_url.startswith("${") and plain_http_problem(base_url):
            raise f.error("base_url", plain_http_problem(base_url))
        deadline = f.get("deadline_day", int, 5)
        if not 1 <= deadline <= LAST_DEADLINE_DAY:
            raise f.error("deadline_day", f"{deadline} must be a day from 1 to {LAST_DEADLINE_DAY} "
                          f"(collect_monthly's catch-up run on the {LAST_DEADLINE_DAY + 1}th must come after it)")
        active_from, active_to = f.period("active_from"), f.period("active_to", None)
        if active_to is not None and active_to < active_from:
            raise f.error("active_to", f"{active_to} is before active_from {active_from}")
        units.append(Unit(code, f.text("name"), kind, kinds[kind], base_url, conn, deadline,
                          active_from, active_to, channels, emails, airflow_url, airflow_conn))
    return kinds, totals_kinds, tuple(units)


def _county_link(f: Fields) -> tuple[str, str]:
    """A county's ``airflow_url`` and ``conn_id``: both, or neither (then it has a base_url)."""
    url, conn = f.get("airflow_url", str, "").strip(), f.get("conn_id", str, "").strip()
    if (conn or url) and not re.match(r"^(https?://|\$\{)", url):
        raise f.error("airflow_url", f"{url!r}: a county needs its Airflow's address, https://…")
    if url and not conn:
        raise f.error("conn_id", "a county needs the Connection of its service account (login, password)")
    return url, conn


def _channels(f: Fields) -> tuple[str, ...]:
    """``channels: [http]``, ``[email]``, ``[inbox]`` or several; ``channel: x`` (one) is read as
    ``[x]``. Default: http (a unit with an endpoint; mail is never read for it)."""
    if "channels" in f.data and "channel" in f.data:
        raise f.error("channels", "give channels or channel, not both")
    if "channels" not in f.data:
        return (f.get("channel", str, "http", choices=CHANNELS),)
    raw = f.get("channels", list)
    if not raw or any(c not in CHANNELS for c in raw) or len(set(raw)) != len(raw):
        raise f.error("channels", f"{raw!r} must list one or more of {', '.join(CHANNELS)}, each once")
    return tuple(raw)



def _emails(f: Fields, code: str, seen: dict[str, str], *, required: bool) -> tuple[str, ...]:
    """A unit's registered addresses: well-formed, lower-cased, each registered to one unit only
    (the sender of a template must say which unit it speaks for)."""
    raw = f.get("emails", list, [] if not required else ...)
    if required and not raw:
        raise f.error("emails", "a unit with channel email needs at least one address")
    out = []
    for n, address in enumerate(raw):
        if not isinstance(address, str) or not _EMAIL.match(address.strip()):
            raise f.error(f"emails[{n}]", f"{address!r} is not an e-mail address like zhan@example.cn")
        address = address.strip().lower()
        if address in seen and seen[address] != code:
            raise f.error(f"emails[{n}]", f"{address} is already registered to unit {seen[address]}")
        seen[address] = code
        out.append(address)
    return tuple(out)


def _load_indicators(data: Any, kinds: dict[str, str]):
    file = "indicators.yaml"
    sections = []
    for i, raw in enumerate(_list(file, data, "sections")):
        f = Fields(file, f"sections[{i}]", raw)
        sections.append(Section(f.text("code"), f.text("name")))
    section_codes = tuple(s.code for s in sections)
    if len(set(section_codes)) != len(section_codes):
        raise ConfigError(file, "sections", "duplicate section code")

    indicators, codes = [], set()
    for i, raw in enumerate(_list(file, data, "indicators")):
        key = f"indicators.{raw['code']}" if isinstance(raw, dict) and isinstance(raw.get("code"), str) \
            else f"indicators[{i}]"
        f = Fields(file, key, raw)
        code = _indicator_code(f, codes)
        reported_by = f.get("reported_by", list)
        for kind in reported_by:
            if kind not in kinds:
                raise f.error("reported_by", f"unknown unit kind {kind!r} (kinds are in units.yaml)")
        low, high = f.get("min", (int, float), 0), f.get("max", (int, float))
        if low > high:
            raise f.error("max", f"max {high} is below min {low}")
        indicators.append(Indicator(
            code=code, name=f.text("name"), uom=f.text("uom"),
            section=f.get("section", str, choices=section_codes),
            nature=f.get("nature", str, choices=NATURES),
            over_time=f.get("over_time", str, choices=OVER_TIME),
            over_units=f.get("over_units", str, choices=OVER_UNITS),
            reported_by=tuple(reported_by), min=float(low), max=float(high),
            integer=f.get("integer", bool, False), decimals=f.get("decimals", int, 0),
            style=f.get("style", str, None, choices=STYLES)))

    derived = []
    for i, raw in enumerate(_list(file, data, "derived", required=False)):
        key = f"derived.{raw['code']}" if isinstance(raw, dict) and isinstance(raw.get("code"), str) \
            else f"derived[{i}]"
        f = Fields(file, key, raw)
        code = _indicator_code(f, codes)
        formula = f.text("formula")
        _check_formula(f, formula, {i.code for i in indicators})
        derived.append(DerivedIndicator(code, f.text("name"), f.text("uom"),
                                        f.get("section", str, choices=section_codes),
                                        formula, f.get("decimals", int, 1),
                                        f.get("style", str, None, choices=STYLES)))
    return tuple(sections), tuple(indicators), tuple(derived)


def _indicator_code(f: Fields, seen: set[str]) -> str:
    return _new_code(f, seen, _CODE, "capital letters, digits and _ (e.g. HAZARD_FOUND)", "indicator")


def _new_code(f: Fields, seen: set[str], pattern: re.Pattern, shape: str, what: str) -> str:
    """``f``'s code: of ``pattern``'s ``shape`` and not one of ``seen`` (it is added there)."""
    code = f.text("code")
    if not pattern.match(code):
        raise f.error("code", f"{code!r} must be {shape}")
    if code in seen:
        raise f.error("code", f"duplicate {what} code {code}")
    seen.add(code)
    return code


def _check_formula(f: Fields, formula: str, codes: set[str]) -> None:
    try:
        used = formulas.names(formula)
    except formulas.FormulaError as exc:
        raise f.error("formula", str(exc)) from None
    for name in used:
        if name not in codes:
            raise f.error("formula", f"unknown indicator {name} in {formula!r}")


def _load_rules(data: Any, codes: set[str]) -> tuple[Rule, ...]:
    file = "rules.yaml"
    rules, seen = [], set()
    for i, raw in enumerate(_list(file, data, "rules", required=False)):
        key = f"rules.{raw['code']}" if isinstance(raw, dict) and isinstance(raw.get("code"), str) \
            else f"rules[{i}]"
        f = Fields(file, key, raw)
        code = f.text("code")
        if code in seen:
            raise f.error("code", f"duplicate rule code {code}")
        seen.add(code)
        check = f.get("check", str, choices=RULE_CHECKS)
        names = {"le": ("left", "right"), "sum_equals": ("total",), "requires": ("when", "then")}[check]
        params: dict[str, Any] = {n: f.text(n) for n in names}
        if check == "sum_equals":
            params["parts"] = f.get("parts", list)
            params["tolerance"] = float(f.get("tolerance", (int, float), 0))
            if params["tolerance"] < 0:
                raise f.error("tolerance", f"{params['tolerance']} must be 0 or more")
        for name in names + (("parts",) if check == "sum_equals" else ()):
            for ref in params[name] if name == "parts" else [params[name]]:
                if ref not in codes:
                    raise f.error(name, f"unknown indicator {ref!r}")
        rules.append(Rule(code, check, f.get("importance", str, choices=IMPORTANCE),
                          f.text("message"), params))
    return tuple(rules)

