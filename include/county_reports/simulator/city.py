"""A simulated city: its counties' monthly county totals and its own units' submissions.

Each county of the city's roster (a unit of a kind with ``reports: all``) is the demo county —
the project's own config folder, its units and profile — simulated with a seed of its own and its
flows scaled by ``simulator/city.yaml`` ``county_scale`` (calibration then lands its year near the
demo's targets × scale). Its month is what the county's warehouse would serve the city: every
active unit's clean submission combined by each indicator's ``over_units`` (sum, mean, max) and
rounded as the catalogue shows it. The first county keeps the demo's seed: with scale 1.0 it is
the demo county itself. The city's own units are simulated as units of their kinds, scaled by
``own_scale``. :func:`city_verdicts` gives accepted verdicts to seed a city warehouse;
:func:`county_units` serves one county's own units over HTTP, for that county's deployment to
collect its month as any county does.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from county_reports.core import paths
from county_reports.core.catalog import Catalog, load_catalog
from county_reports.core.config import Fields, read_config_file
from county_reports.core.county_targets import county_codes
from county_reports.simulator.data import PROTOCOL, SubmissionGenerator
from county_reports.simulator.profile import Profile, load_profile
from county_reports.validate.model import Verdict
from county_reports.simulator.seeding import verdicts_of
from county_reports.simulator.server import SimulatorServer

CITY_FILE = "simulator/city.yaml"
_SEED_STEP = 1000


@dataclass(frozen=True)
class CitySettings:
    county_scale: dict[str, float]
    own_scale: float


def load_settings(catalog: Catalog, config_dir: str | Path | None = None) -> CitySettings:
    """simulator/city.yaml, checked against the city's roster (every county has a scale)."""
    f = Fields(CITY_FILE, "city", read_config_file(CITY_FILE, config_dir))
    scales = f.get("county_scale", dict)
    for code in county_codes(catalog):
        if code not in scales:
            raise f.error(f"county_scale.{code}", "missing: every county of units.yaml needs a scale")
    for code, value in scales.items():
        if code not in county_codes(catalog):
            raise f.error(f"county_scale.{code}", "not a county of units.yaml")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise f.error(f"county_scale.{code}", f"{value!r} must be a number > 0")
    own = f.get("own_scale", (int, float), 1.0)
    if isinstance(own, bool) or own <= 0:
        raise f.error("own_scale", f"{own!r} must be a number > 0")
    return CitySettings({str(k): float(v) for k, v in scales.items()}, float(own))


class CitySimulator:
    """Payloads for a city's counties (county totals) and own units, from the demo county."""

    def __init__(self, city: Catalog, *, county_config: str | Path | None = None,
                 city_config: str | Path | None = None):
        self.city = city
        self.settings = load_settings(city, city_config)
        profile = load_profile()
        county = load_catalog(county_config or paths.PROJECT_ROOT / "include" / "config")
        self.counties = {code: SubmissionGenerator(_scaled(county, scale), sizes=profile.sizes,
                                                   seed=profile.seed + _SEED_STEP * index)
                         for index, (code, scale) in enumerate(
                             (c, self.settings.county_scale[c]) for c in county_codes(city))}
        own = tuple(u for u in city.units if u.kind not in city.totals_kinds)
        self.own = SubmissionGenerator(replace(_scaled(county, self.settings.own_scale), units=own,
                                               kinds=city.kinds, bureau=city.bureau),
                                       seed=profile.seed, sizes={})

    def payload(self, unit_code: str, period: str) -> dict[str, Any]:
        """One unit's protocol-v1 submission: a county's county totals, or an own unit's month."""
        generator = self.counties.get(unit_code)
        if generator is None:
            return self.own.payload(unit_code, period)
        return _county_payload(generator, unit_code, period)


def _scaled(catalog: Catalog, scale: float) -> Catalog:
    """The catalogue with its flow targets × scale (rates stay: a percentage does not grow)."""
    uoms = {i.code: i.uom for i in catalog.indicators} | {d.code: d.uom for d in catalog.derived}
    targets = {year: {code: (value if uoms.get(code) == "%" else value * scale)
                      for code, value in figures.items()} for year, figures in catalog.targets.items()}
    return replace(catalog, targets=targets)


def _county_payload(generator: SubmissionGenerator, code: str, period: str) -> dict[str, Any]:
    county = generator.catalog
    payloads = [generator.payload(u.code, period) for u in county.units_active_in(period)]
    values = {}
    for ind in county.indicators:
        found = [float(p["values"][ind.code]) for p in payloads if ind.code in p["values"]]
        if not found:
            continue
        combined = {"sum": sum(found), "mean": sum(found) / len(found), "max": max(found)}[ind.over_units]
        values[ind.code] = int(round(combined)) if ind.integer else round(combined, max(ind.decimals, 0))
    seen_kinds, narratives = set(), []
    for unit, p in zip(county.units_active_in(period), payloads, strict=False):
        if unit.kind not in seen_kinds:
            seen_kinds.add(unit.kind)
            narratives.extend(p["narratives"])
    return {"protocol": PROTOCOL, "unit": code, "period": period,
            "submitted_at": max(p["submitted_at"] for p in payloads), "values": values,
            "narratives": narratives, "contact": payloads[0]["contact"]}


def city_verdicts(city: Catalog, first: str, last: str, *, skip: set[tuple[str, str]] = frozenset(),
                  county_config: str | Path | None = None,
                  city_config: str | Path | None = None) -> list[Verdict]:
    """Accepted verdicts for every active unit of the city (counties and own units), ``first`` …
    ``last``, except the (unit, month) pairs in ``skip``: what a city warehouse holds after pulls."""
    simulator = CitySimulator(city, county_config=county_config, city_config=city_config)
    return verdicts_of(simulator.payload, city, first, last, skip=skip)


def county_units(city: Catalog, code: str, tokens: Mapping[str, str], *, county_config: str | Path | None = None,
                 city_config: str | Path | None = None) -> SimulatorServer:
    """The units of county ``code`` on the simulator's HTTP server (not started), every one
    reporting cleanly: their submissions are those :class:`CitySimulator` sums into the county's
    month (the county's seed and scale), so a county deployment pulling them holds that month.
    ``tokens``: the county's ``token_conn_id`` → token, as :func:`server.make_tokens` gives them."""
    generator = CitySimulator(city, county_config=county_config, city_config=city_config).counties[code]
    return SimulatorServer(generator.catalog, tokens, profile=Profile(seed=generator.seed, sizes=generator.sizes))


__all__ = ["CitySettings", "CitySimulator", "city_verdicts", "county_units", "load_settings"]
