"""simulator/old_workbooks.py: 2023 as the bureau's clerk kept it — the roster of that year (a
retired township in, the later park station out), the clerk's own labels, three layouts, each
read back with openpyxl and adding up."""
from __future__ import annotations

import pytest
from openpyxl import load_workbook

from county_reports.simulator import old_workbooks as ow


@pytest.fixture(scope="module")
def data(catalog):
    return ow.figures(catalog, seed=3)


def test_the_roster_of_that_year(catalog, data):
    units = {u for u, _, _ in data}
    assert ow.RETIRED_NAME in units and ow.RENAMED_UNITS["TS01"] in units
    assert catalog.unit_by_code["TS11"].name not in units                 # started in 2024-07
    assert catalog.unit_by_code["TS01"].name not in units
    assert {m for _, m, _ in data} == set(range(1, 13))
    assert ow.figures(catalog, seed=3) == data and ow.figures(catalog, seed=4) != data


def test_a_sheet_per_month_with_its_total_row(tmp_path, catalog, data):
    path = ow.write_by_month(tmp_path / "a" / "by_month.xlsx", catalog, data)
    wb = load_workbook(path, read_only=True)
    assert wb.sheetnames == [f"2023年{m}月" for m in range(1, 13)]
    rows = list(wb["2023年6月"].iter_rows(values_only=True))
    header, body, total = rows[1], rows[2:-1], rows[-1]
    assert header[:2] == ("序号", "单位名称") and header[-1].startswith(ow.GONE_INDICATOR[0])
    assert total[1] == "合计" and len(body) == len({u for u, _, _ in data})
    for column in range(2, len(header) - 1):
        assert total[column] == pytest.approx(sum(r[column] or 0 for r in body))


def test_a_sheet_per_indicator(tmp_path, catalog, data):
    wb = load_workbook(ow.write_by_indicator(tmp_path / "b.xlsx", catalog, data), read_only=True)
    assert ow.RENAMED_INDICATORS["RURAL_ROAD_KM"] in wb.sheetnames
    rows = list(wb[ow.RENAMED_INDICATORS["RURAL_ROAD_KM"]].iter_rows(values_only=True))
    assert rows[1] == ("单位",) + tuple(f"{m}月" for m in range(1, 13))
    ts01 = next(r for r in rows[2:] if r[0] == ow.RENAMED_UNITS["TS01"])
    assert list(ts01[1:]) == [data[(ow.RENAMED_UNITS["TS01"], m, "RURAL_ROAD_KM")] for m in range(1, 13)]


def test_county_totals_by_each_indicators_rule(tmp_path, catalog, data):
    totals = ow.county_totals(catalog, data)
    units = {u for u, _, _ in data}
    summed = sum(data[(u, 6, "INV_TOTAL")] for u in units if (u, 6, "INV_TOTAL") in data)
    assert totals[(6, "INV_TOTAL")] == pytest.approx(summed)
    mean_code = next(i.code for i in catalog.indicators if i.over_units == "mean" and any(k[2] == i.code for k in data))
    values = [v for (u, m, c), v in data.items() if m == 6 and c == mean_code]
    assert totals[(6, mean_code)] == pytest.approx(sum(values) / len(values))
    wb = load_workbook(ow.write_county_totals(tmp_path / "c.xlsx", catalog, data, by_month=False), read_only=True)
    rows = list(wb["全县汇总"].iter_rows(values_only=True))
    assert rows[1] == ("指标", "单位", "全年", "上年同期")
    inv = next(r for r in rows[2:] if r[0] == catalog.indicator_by_code["INV_TOTAL"].name)
    assert inv[2] == pytest.approx(sum(totals[(m, "INV_TOTAL")] for m in range(1, 13))) and inv[3] is None
