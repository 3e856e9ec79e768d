"""A city's targets per county: ``county_targets.yaml`` (optional), checked against the roster.

A city bureau sets each of its counties (units of a kind that ``reports: all`` in units.yaml) its
own annual targets, beside the city's totals in targets.yaml. The file maps unit code → year →
indicator code → target; a unit that is not a county, an unknown indicator or a target that is
not a number ≥ 0 is a ConfigError naming the file and key. No file: no county has a target.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from county_reports.core.catalog import Catalog
from county_reports.core.config import ConfigError, config_path, read_config_file
from county_reports.core.targets import parse_years

FILE = "county_targets.yaml"


def county_codes(catalog: Catalog) -> tuple[str, ...]:
    """The roster's counties: units of a kind with ``reports: all``, in roster order."""
    return tuple(u.code for u in catalog.units if u.kind in catalog.totals_kinds)


def load(catalog: Catalog, config_dir: str | Path | None = None) -> dict[str, dict[int, dict[str, float]]]:
    """unit → year → indicator code → target; {} when the file is absent."""
    if not config_path(FILE, config_dir).is_file():
        return {}
    data = read_config_file(FILE, config_dir)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(FILE, "(file)", "expected a mapping of county unit code to {year: {indicator: target}}")
    from county_reports.core.config_models.base import validate
    from county_reports.core.config_models.catalog import CountyTargetsFile

    validate(CountyTargetsFile, data, FILE)
    counties = set(county_codes(catalog))
    codes = set(catalog.indicator_by_code) | {d.code for d in catalog.derived}
    return {str(unit): _county(str(unit), years, counties, codes) for unit, years in data.items()}


def _county(unit: str, years: Any, counties: set[str], codes: set[str]) -> dict[int, dict[str, float]]:
    if unit not in counties:
        raise ConfigError(FILE, unit, "not a county of units.yaml (a unit whose kind has reports: all)")
    if not isinstance(years, dict):
        raise ConfigError(FILE, unit, "expected a mapping of year to {indicator: target}")
    return parse_years(years, codes, FILE, prefix=f"{unit}.")
