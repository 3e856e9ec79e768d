"""The bureau's old workbooks of a past year (2023), as a clerk kept them before this project.

The figures follow the simulator's own 2024 (``data.SubmissionGenerator``): each unit's month of
2023 is its same month of 2024 scaled back by a year's growth with a little noise, then rounded
and made to satisfy ``rules.yaml`` — so a 2024 summary's 同比 is plausible. A township that no
longer exists (东岭乡, merged at the end of 2023) reported in 2023; the park station TS11 did not
exist yet. The labels are the clerk's: one unit and one indicator written differently from the
catalogue (a fuzzy match to confirm), an indicator the catalogue no longer has, a 合计 row.

Three writers, one per old layout: ``write_by_month`` (a sheet per month, units × indicators),
``write_by_indicator`` (a sheet per indicator, units × months) and ``write_county_totals``
(indicators × months, or indicators with the year's total).
"""
from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from county_reports.core import periods
from county_reports.core.catalog import Catalog
from county_reports.collect.example import enforce_rules
from county_reports.simulator.calibration import FLOWS
from county_reports.simulator.data import SubmissionGenerator

YEAR = 2023
GROWTH = 1.07
RETIRED_NAME = "东岭乡交通运输管理站"
RETIRED_LIKE = "TS08"            # its figures are about half of this neighbour's
RENAMED_UNITS = {"TS01": "城关镇交通管理站"}
RENAMED_INDICATORS = {"RURAL_ROAD_KM": "新改建农村公路里程"}
GONE_INDICATOR = ("客运站数量", "个", 3)     # no longer in the catalogue: the admin leaves it out

Figures = dict[tuple[str, int, str], Any]     # (unit label, month, indicator code) → value


def figures(catalog: Catalog, *, seed: int, sizes: dict[str, float] | None = None,
            year: int = YEAR) -> Figures:
    """Every unit's figures for each month of ``year``, keyed by the unit's label as the clerk
    wrote it."""
    gen = SubmissionGenerator(catalog, seed=seed, sizes=sizes)
    rng = random.Random(f"{seed}:history:{year}")
    out: Figures = {}
    for unit in catalog.units:
        later = [p for p in periods.span(f"{year + 1}-01", f"{year + 1}-12") if unit.active_in(p)]
        if not later or unit.active_from > f"{year + 1}-01":
            continue                       # a unit that only started after the year
        label = RENAMED_UNITS.get(unit.code, unit.name)
        for month in range(1, 13):
            source = periods.make(year + 1, month)
            base = gen.payload(unit.code, source if unit.active_in(source) else later[-1])["values"]
            for code, value in _scaled(catalog, base, rng, 1.0).items():
                out[(label, month, code)] = value
    like = catalog.unit_by_code.get(RETIRED_LIKE)
    if like is not None:
        for month in range(1, 13):
            base = gen.payload(like.code, periods.make(year + 1, month))["values"]
            for code, value in _scaled(catalog, base, rng, 0.45).items():
                out[(RETIRED_NAME, month, code)] = value
    return out


def _scaled(catalog: Catalog, values: dict[str, Any], rng: random.Random, share: float) -> dict[str, Any]:
    out = {}
    for code, value in values.items():
        ind = catalog.indicator_by_code[code]
        factor = share * (rng.uniform(0.96, 1.02) / GROWTH if code in FLOWS else rng.uniform(0.97, 1.0))
        number = min(max(float(value) * factor, ind.min), ind.max)
        out[code] = int(round(number)) if ind.integer or not ind.decimals else round(number, ind.decimals)
    if "VILLAGES_WITH_BUS" in out and "VILLAGES_TOTAL" in out:
        out["VILLAGES_WITH_BUS"] = min(out["VILLAGES_WITH_BUS"], out["VILLAGES_TOTAL"])
    enforce_rules(catalog, out)
    return out


def _label(catalog: Catalog, code: str) -> str:
    ind = catalog.indicator_by_code[code]
    return f"{RENAMED_INDICATORS.get(code, ind.name)}（{ind.uom}）"


def _codes(catalog: Catalog, data: Figures) -> list[str]:
    present = {code for _, _, code in data}
    return [i.code for i in catalog.indicators if i.code in present]


def _units(data: Figures) -> list[str]:
    return list(dict.fromkeys(unit for unit, _, _ in data))


def write_by_month(path: str | Path, catalog: Catalog, data: Figures, year: int = YEAR) -> Path:
    """Layout (a): a sheet per month ("2023年1月"), a title, 序号 and 单位名称, one column per
    indicator, a 合计 row under the units; the gone indicator in the last column."""
    wb = Workbook()
    wb.remove(wb.active)
    codes, units = _codes(catalog, data), _units(data)
    for month in range(1, 13):
        ws = wb.create_sheet(f"{year}年{month}月")
        ws.append([f"{year}年{month}月各单位交通运输主要指标统计表"])
        ws.append(["序号", "单位名称"] + [_label(catalog, c) for c in codes]
                  + [f"{GONE_INDICATOR[0]}（{GONE_INDICATOR[1]}）"])
        for n, unit in enumerate(units, start=1):
            ws.append([n, unit] + [data.get((unit, month, c)) for c in codes] + [GONE_INDICATOR[2]])
        ws.append(["", "合计"] + [sum(data.get((u, month, c)) or 0 for u in units) for c in codes])
    return _save(wb, path)


def write_by_indicator(path: str | Path, catalog: Catalog, data: Figures, year: int = YEAR) -> Path:
    """Layout (b): a sheet per indicator (named by its label without the unit of measure),
    units × the months 1月 … 12月."""
    wb = Workbook()
    wb.remove(wb.active)
    for code in _codes(catalog, data):
        name = RENAMED_INDICATORS.get(code, catalog.indicator_by_code[code].name)
        ws = wb.create_sheet(name[:31])
        ws.append([f"{year}年{name}分月统计（{catalog.indicator_by_code[code].uom}）"])
        ws.append(["单位"] + [f"{m}月" for m in range(1, 13)])
        for unit in _units(data):
            if any((unit, m, code) in data for m in range(1, 13)):
                ws.append([unit] + [data.get((unit, m, code)) for m in range(1, 13)])
    return _save(wb, path)


def county_totals(catalog: Catalog, data: Figures) -> dict[tuple[int, str], float]:
    """(month, code) → the county's figure, by the indicator's own rule over units."""
    out: dict[tuple[int, str], list[float]] = {}
    for (_unit, month, code), value in data.items():
        out.setdefault((month, code), []).append(float(value))
    rule = {"sum": sum, "max": max, "mean": lambda xs: sum(xs) / len(xs)}
    return {key: round(rule[catalog.indicator_by_code[key[1]].over_units](xs), 6) for key, xs in out.items()}


def write_county_totals(path: str | Path, catalog: Catalog, data: Figures, *, by_month: bool = True,
                        year: int = YEAR) -> Path:
    """Layout (c): last year's summary table — indicators × 1月 … 12月 (``by_month``), or each
    indicator with its 全年 figure (and a 上年同期 column the import leaves alone)."""
    totals = county_totals(catalog, data)
    wb = Workbook()
    ws = wb.active
    ws.title = "全县汇总"
    ws.append([f"{year}年全县交通运输主要指标完成情况表"])
    ws.append(["指标", "单位"] + ([f"{m}月" for m in range(1, 13)] if by_month else ["全年", "上年同期"]))
    for code in _codes(catalog, data):
        ind = catalog.indicator_by_code[code]
        months = [totals.get((m, code)) for m in range(1, 13)]
        if by_month:
            row = months
        else:
            present = [v for v in months if v is not None]
            total = {"sum": sum, "max": max, "mean": lambda xs: sum(xs) / len(xs),
                     "last": lambda xs: xs[-1]}[ind.over_time](present)
            row = [round(total, 6), None]
        ws.append([RENAMED_INDICATORS.get(code, ind.name), ind.uom] + row)
    return _save(wb, path)


def _save(wb: Workbook, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
