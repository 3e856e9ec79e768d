"""Payload builders for the validation tests (clean values from the catalogue's own bounds)."""
from __future__ import annotations

import copy

import pandas as pd

from county_reports.core import periods
from county_reports.core.catalog import Catalog
from county_reports.validate import outliers
from county_reports.validate.model import Received
from county_reports.validate.options import OutlierSettings

PERIOD = "2025-06"
DROP = object()     # pass as a value to leave that indicator out
OUTLIER_SETTINGS = OutlierSettings()      # the defaults, as in validation.yaml
# A steady history of about 100 (k months before → value): what outlier tests judge values against.
STEADY = {k: v for k, v in zip(range(1, 13), [100, 104, 98, 101, 97, 103, 99, 102, 100, 96, 105, 100], strict=True)}


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


def history(unit, code, period, by_month):
    """``by_month`` maps k (months before ``period``, 1..12) to a value; None leaves it out."""
    rows = [(unit, periods.shift(period, -k), code, v) for k, v in by_month.items() if v is not None]
    return pd.DataFrame(rows, columns=["unit", "period", "indicator", "value"])


def flag_one(value, by_month, period=PERIOD, code="PASSENGER_VOLUME", unit="SC01", catalog=None,
             settings=OUTLIER_SETTINGS):
    """The outlier columns of one value judged against its own history."""
    values = pd.DataFrame({"unit": [unit], "indicator": [code], "value": [value]})
    return outliers.flag(values, history(unit, code, period, by_month), period, settings, catalog).iloc[0]


def flag_cell(catalog, code, value, by_month, unit="TS01", period=PERIOD, settings=OUTLIER_SETTINGS):
    """``flag_one`` for a township's cell, with the catalogue (stocks, whole numbers, kinds)."""
    return flag_one(value, by_month, period=period, code=code, unit=unit, catalog=catalog, settings=settings)
