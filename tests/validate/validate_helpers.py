"""Payload builders for the validation tests (clean values from the catalogue's own bounds)."""
from __future__ import annotations

import copy

from county_reports.core.catalog import Catalog
from county_reports.validate.model import Received

PERIOD = "2025-06"
DROP = object()     # pass as a value to leave that indicator out


def clean_values(catalog: Catalog, unit_code: str) -> dict[str, float]:
    """Every indicator the unit must report, inside its range, satisfying every rule."""
    unit = catalog.unit_by_code[unit_code]
    values: dict[str, float] = {}
    for ind in catalog.required_indicators(unit.kind):
        values[ind.code] = min(ind.max, max(ind.min, 10))
    for rule in catalog.rules:
        p = rule.params
        if rule.check == "sum_equals" and p["total"] in values:
            values[p["total"]] = sum(values.get(c, 0) for c in p["parts"])
    return values


def clean_payload(catalog: Catalog, unit_code: str, period: str = PERIOD, **values) -> dict:
    merged = {**clean_values(catalog, unit_code), **values}
    return {"protocol": 1, "unit": unit_code, "period": period,
            "submitted_at": "2025-07-03T09:12:00+08:00",
            "values": {k: v for k, v in merged.items() if v is not DROP},
            "narratives": [{"kind": "highlight", "section": "safety", "text": "开展安全生产大检查。"},
                           {"kind": "plan", "section": "rural_roads", "text": "推进农村公路建设。"}],
            "contact": {"name": "张三", "phone": "0000-0000000"}}



def received(unit: str, payload: dict | None, period: str = PERIOD, *, reason: str | None = None,
             sha: str | None = None) -> Received:
    return Received(unit, period, sha or f"sha-{unit}", "http", "2025-07-03T09:12:05+08:00",
                    copy.deepcopy(payload) if payload is not None else None, reason)
