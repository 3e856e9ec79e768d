"""A valid protocol-v1 submission made from the catalogue alone, to show integrators what a unit
sends (``python -m county_reports example-submission``).

The rule, so an integrator can tell where each part comes from:

- ``values``: every indicator the unit's kind reports, in catalogue order, at the middle of its
  bounds (``min + (max - min) / 2``), rounded as it is reported — whole numbers down, otherwise
  to the indicator's decimals — then the catalogue's rules made to hold (``enforce_rules``: a
  total is the sum of its parts, a left side is capped by its right side, …);
- ``narratives``: one placeholder item of each kind in ``example.yaml``, in the line of work of
  the unit's first indicator;
- ``contact``: the placeholders of ``example.yaml``;
- ``submitted_at``: the unit's due day, 09:00 on the bureau's clock.

No simulator, no randomness: the same catalogue gives the same example.
"""
from __future__ import annotations

import math
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from county_reports.core.catalog import Catalog, Indicator
from county_reports.core.config import ConfigError, Fields, config_path, read_config_file
from county_reports.core.config_models.base import validate
from county_reports.collect.protocol import PROTOCOL_VERSION

_BUNDLED = Path(__file__).resolve().parents[2] / "config" / "example.yaml"
SUBMITTED_AT = time(9, 0)


def example_payload(catalog: Catalog, unit_code: str, period: str,
                    config_dir: str | Path | None = None) -> dict[str, Any]:
    """The unit's example submission for ``period``; ValueError for an unknown or inactive unit."""
    unit = catalog.unit_by_code.get(unit_code)
    if unit is None:
        raise ValueError(f"unknown unit {unit_code}")
    if not unit.active_in(period):
        raise ValueError(f"unit {unit_code} does not report for {period}")
    placeholders = load_placeholders(config_dir)
    indicators = catalog.required_indicators(unit.kind)
    values = {i.code: middle_value(i) for i in indicators}
    enforce_rules(catalog, values)
    section = indicators[0].section if indicators else catalog.sections[0].code
    submitted = datetime.combine(unit.due_date(period), SUBMITTED_AT, ZoneInfo(catalog.bureau.timezone))
    return {"protocol": PROTOCOL_VERSION, "unit": unit.code, "period": period,
            "submitted_at": submitted.isoformat(timespec="seconds"), "values": values,
            "narratives": [{"kind": kind, "section": section, "text": text}
                           for kind, text in placeholders["narratives"].items()],
            "contact": dict(placeholders["contact"])}


def middle_value(indicator: Indicator) -> float | int:
    """The middle of the indicator's bounds, rounded as it is reported."""
    middle = indicator.min + (indicator.max - indicator.min) / 2
    if indicator.integer:
        return int(math.floor(middle))
    if indicator.decimals == 0:
        return int(round(middle))
    return round(middle, indicator.decimals)


def enforce_rules(catalog: Catalog, values: dict) -> None:
    """Adjust values in place so every catalogue rule holds (totals recomputed, lefts capped)."""
    for _ in range(3):  # a capped value may feed another rule; three passes settle any chain
        changed = False
        for rule in catalog.rules:
            p = rule.params
            if rule.check == "sum_equals" and p["total"] in values:
                ind = catalog.indicator_by_code[p["total"]]
                parts = sum(values.get(code, 0) for code in p["parts"])
                total = int(round(parts)) if ind.integer or not ind.decimals else round(parts, ind.decimals)
                changed |= values[p["total"]] != total
                values[p["total"]] = total
            elif rule.check == "le" and p["left"] in values and p["right"] in values:
                if values[p["left"]] > values[p["right"]]:
                    values[p["left"]], changed = values[p["right"]], True
            elif rule.check == "requires" and values.get(p["when"], 0) > 0 \
                    and values.get(p["then"], 0) <= 0:
                values[p["when"]], changed = 0, True
        if not changed:
            return


def load_placeholders(config_dir: str | Path | None = None) -> dict[str, dict[str, str]]:
    """``example.yaml``: {narratives: {kind: text}, contact: {name, phone}}. A config directory
    without its own example.yaml (a test catalogue) uses the one shipped with the package."""
    if not config_path("example.yaml", config_dir).is_file():
        config_dir = _BUNDLED.parent
    data = read_config_file("example.yaml", config_dir)
    if not isinstance(data, dict):
        raise ConfigError("example.yaml", "(file)", "expected a mapping with narratives and contact")
    from county_reports.core.config_models.texts import ExampleFile

    validate(ExampleFile, data, "example.yaml")
    out: dict[str, dict[str, str]] = {}
    for name in ("narratives", "contact"):
        part = Fields("example.yaml", name, data.get(name))
        if not part.data:
            raise ConfigError("example.yaml", name, "is empty")
        out[name] = {str(key): part.text(key) for key in part.data}
    return out
