"""Annual targets as admins write them: year → indicator code → target (a number ≥ 0).

The one reader of that shape: ``targets.yaml`` (the bureau's own targets, read by the catalogue)
and, in a city, each county's block of ``county_targets.yaml``. Errors name the file and the key
(``2025.INV_TOTAL``, or ``CT01.2025.INV_TOTAL`` under a prefix).
"""
from __future__ import annotations

from typing import Any

from county_reports.core.config import ConfigError


def parse_years(data: Any, codes: set[str], file: str, prefix: str = "") -> dict[int, dict[str, float]]:
    """``{year: {code: target}}`` checked against the indicator ``codes``; None is no targets."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(file, prefix.rstrip(".") or "(file)", "expected a mapping of year to {indicator: target}")
    targets: dict[int, dict[str, float]] = {}
    for year, figures in data.items():
        if not isinstance(year, int) or not 2000 <= year <= 2100:
            raise ConfigError(file, f"{prefix}{year}", "a year like 2025 was expected")
        if not isinstance(figures, dict):
            raise ConfigError(file, f"{prefix}{year}", "expected a mapping of indicator code to target")
        for code, value in figures.items():
            if code not in codes:
                raise ConfigError(file, f"{prefix}{year}.{code}", "unknown indicator code")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ConfigError(file, f"{prefix}{year}.{code}", f"target {value!r} must be a number ≥ 0")
        targets[year] = {code: float(v) for code, v in figures.items()}
    return targets
