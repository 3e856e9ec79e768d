"""The simulator profile: seed, latency, unit sizes and which (unit, month) misbehaves how.

Read from ``include/config/simulator/profile.yaml`` (through ``paths.config_dir()``) and
checked on load; a problem raises :class:`~county_reports.core.config.ConfigError` naming the file
and the key, like every other config file of the project.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from collections.abc import Mapping


from county_reports.core import periods
from county_reports.core.config import ConfigError, read_config_file

PROFILE_FILE = "simulator/profile.yaml"

# What a unit's endpoint can do wrong, in the order an operator meets them.
# Transport faults change the HTTP exchange; content faults change the JSON a 200 carries.
TRANSPORT_FAULTS = ("missing", "server_error", "flaky", "slow", "truncated",
                    "wrong_content_type", "gbk")
CONTENT_FAULTS = ("late", "invalid_values", "rule_violation", "messy_values", "wrong_unit")
FAULTS = TRANSPORT_FAULTS + CONTENT_FAULTS
# A correction (revise) repairs these: the unit re-sends figures that are now right.
FIXED_BY_REVISION = ("invalid_values", "rule_violation", "messy_values", "wrong_unit")

DEFAULT_SEED = 2024


_KEYS = ("seed", "latency", "slow_seconds", "sizes", "faults")


@dataclass(frozen=True)
class Profile(Mapping):
    """Parsed profile. ``Profile()`` is a clean county: every submission on time and valid.

    Also a read-only mapping of its fields, so ``profile["seed"]`` and
    ``{**profile, "faults": []}`` work; :func:`as_profile` turns such a dict back into a Profile.
    ``faults`` maps (unit, period) → fault.
    """

    seed: int = DEFAULT_SEED
    latency: float = 0.0
    slow_seconds: float = 3.0
    sizes: Mapping[str, float] = field(default_factory=dict)
    faults: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def size(self, unit_code: str) -> float:
        return self.sizes.get(unit_code, 1.0)

    def __getitem__(self, key: str) -> Any:
        if key not in _KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self):
        return iter(_KEYS)

    def __len__(self) -> int:
        return len(_KEYS)


def as_profile(profile: Profile | Mapping[str, Any]) -> Profile:
    """A Profile from a Profile or a dict of the same keys (faults as YAML entries or a mapping)."""
    if isinstance(profile, Profile):
        return profile
    if not isinstance(profile, Mapping):
        raise TypeError(f"a simulator profile is a Profile or a mapping, not {type(profile).__name__}")
    data = dict(profile)
    faults = data.get("faults")
    if isinstance(faults, Mapping):  # already parsed: {(unit, period): fault}
        data["faults"] = [{"unit": unit, "period": period, "fault": fault}
                          for (unit, period), fault in faults.items()]
    return parse_profile(data, "profile")


def load_profile(path: str | Path | None = None) -> Profile:
    """Read and check the profile; ``path`` defaults to ``<config_dir>/simulator/profile.yaml``."""
    name = PROFILE_FILE if path is None else str(path)
    return parse_profile(read_config_file(PROFILE_FILE, path=path), name)


def parse_profile(data: Any, name: str = PROFILE_FILE) -> Profile:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(name, "(file)", "expected a mapping at the top level")
    unknown = set(data) - {"seed", "latency", "slow_seconds", "sizes", "faults"}
    if unknown:
        raise ConfigError(name, sorted(unknown)[0], "unknown key (expected seed, latency, "
                                                    "slow_seconds, sizes, faults)")
    seed = data.get("seed", DEFAULT_SEED)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(name, "seed", f"expected a whole number, got {seed!r}")
    latency = _seconds(name, "latency", data.get("latency", 0.0))
    slow = _seconds(name, "slow_seconds", data.get("slow_seconds", 3.0))
    return Profile(seed, latency, slow, _sizes(name, data.get("sizes")),
                   _faults(name, data.get("faults")))


def _seconds(name: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(name, key, f"expected a number of seconds ≥ 0, got {value!r}")
    return float(value)


def _sizes(name: str, raw: Any) -> dict[str, float]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(name, "sizes", "expected a mapping of unit code to scale factor")
    sizes = {}
    for code, factor in raw.items():
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 < factor <= 100:
            raise ConfigError(name, f"sizes.{code}", f"scale {factor!r} must be a number in (0, 100]")
        sizes[str(code)] = float(factor)
    return sizes


def _faults(name: str, raw: Any) -> dict[tuple[str, str], str]:
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise ConfigError(name, "faults", "expected a list of {unit, period, fault}")
    faults: dict[tuple[str, str], str] = {}
    for i, entry in enumerate(raw):
        key = f"faults[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(name, key, "expected a mapping {unit, period, fault}")
        extra = set(entry) - {"unit", "period", "fault", "note"}
        if extra:
            raise ConfigError(name, f"{key}.{sorted(extra)[0]}", "unknown key")
        unit, fault = entry.get("unit"), entry.get("fault")
        if not isinstance(unit, str) or not unit.strip():
            raise ConfigError(name, f"{key}.unit", "missing unit code")
        if fault not in FAULTS:
            raise ConfigError(name, f"{key}.fault", f"{fault!r} is not one of {', '.join(FAULTS)}")
        for period in _expand_periods(name, f"{key}.period", entry.get("period")):
            if (unit, period) in faults:
                raise ConfigError(name, f"{key}.period",
                                  f"{unit} {period} already has fault {faults[unit, period]}")
            faults[unit, period] = fault
    return faults


def _expand_periods(name: str, key: str, raw: Any) -> list[str]:
    """A period is ``YYYY-MM``, a range ``YYYY-MM..YYYY-MM`` or a list of those."""
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise ConfigError(name, key, "empty list of periods")
    out: list[str] = []
    for item in items:
        if isinstance(item, date):
            item = periods.of_date(item)
        if not isinstance(item, str):
            raise ConfigError(name, key, f"{item!r} is not a month written YYYY-MM")
        first, _, last = item.partition("..")
        last = last or first
        if not (periods.is_period(first) and periods.is_period(last)):
            raise ConfigError(name, key, f"{item!r} is not YYYY-MM or YYYY-MM..YYYY-MM")
        if last < first:
            raise ConfigError(name, key, f"{item!r}: the range ends before it starts")
        out.extend(periods.span(first, last))
    return out
