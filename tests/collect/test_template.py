"""The Excel template a unit fills in: layout, protection, dropdowns, hidden meta, determinism."""
from __future__ import annotations

import hashlib
import zipfile

import pytest
from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from county_reports.collect import template as T
from county_reports.core.catalog import load_catalog
from county_reports.core.config import ConfigError


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def path(catalog, tmp_path_factory):
    return T.write_template(catalog, "TS01", "2025-06", tmp_path_factory.mktemp("tpl") / "TS01.xlsx")


@pytest.fixture
def wb(path):
    # Fresh per test: reading cells beyond the used range creates them in openpyxl.
    return load_workbook(path)


def unlocked(ws) -> set[str]:
    return {c.coordinate for row in ws.iter_rows(min_row=1, max_row=ws.max_row + 2,
                                                 max_col=ws.max_column + 2)
            for c in row if not c.protection.locked}


def resolve_list(wb, formula: str) -> list:
    sheet, ref = formula.split("!")
    min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
    return [c.value for row in wb[sheet].iter_rows(min_row=min_row, max_row=max_row,
                                                     min_col=min_col, max_col=max_col)
            for c in row]


def validation_for(ws, coordinate: str):
    found = [dv for dv in ws.data_validations.dataValidation if coordinate in dv.sqref]
    assert len(found) == 1, f"{coordinate}: {len(found)} data validations"
    return found[0]


def test_sheets_in_order_with_meta_hidden(wb):
    # 重点项目 only for a unit with key projects (tests/collect/test_template_projects.py), 重要事项 always
    assert wb.sheetnames[:3] == ["填报说明", "指标", "工作动态"] and wb.sheetnames[-2:] == ["重要事项", "meta"]
    assert [ws.sheet_state for ws in wb][-1] == "hidden" and {ws.sheet_state for ws in wb.worksheets[:-1]} == {"visible"}
    assert wb.active.title == "填报说明"


def test_indicator_sheet_lists_exactly_the_required_indicators(wb, catalog):
    ws = wb["指标"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("指标代码", "指标名称", "计量单位", "所属工作", "本月数值", "填报要求", "核实说明")
    required = catalog.required_indicators("township_station")
    assert [r[0] for r in rows[1:]] == [i.code for i in required]
    assert "ROAD_MQI" not in [r[0] for r in rows]          # road centre only: not listed
    by_code = {r[0]: r for r in rows[1:]}
    assert by_code["INV_HIGHWAY"] == ("INV_HIGHWAY", "公路建设完成投资", "万元", "交通项目建设与投资",
                                      None, "必报；可填小数；取值0～50000；本月发生数", None)
    assert by_code["BRIDGE_REBUILT"][5] == "必报；整数；取值0～30；本月发生数"
    assert by_code["MAINT_ROUTINE_KM"][5] == "必报；可填小数；取值0～5000；月末数"


def test_guide_names_unit_period_deadline_and_bureau(wb):
    ws = wb["填报说明"]
    facts = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(3, 10)}
    assert facts == {"填报单位": "城关镇交通运输管理站（TS01）", "单位类别": "乡镇交通运输管理站",
                     "报送月份": "2025年6月", "截止日期": "2025年7月5日", "主管部门": "清河县交通运输局",
                     "联系人": None, "联系电话": None}
    assert ws["A1"].value == "清河县交通运输局月度工作情况报表"
    rules = [ws.cell(r, 2).value for r in range(12, ws.max_row + 1) if ws.cell(r, 2).value]
    assert len(rules) >= 5
    assert not any("{" in r or "}" in r for r in rules)     # every placeholder filled
    assert any("2025年7月5日" in r and "TS01.xlsx" in r for r in rules)
    # Text format: a phone number keeps its leading zero.
    assert ws["B9"].number_format == "@"


def test_deadline_follows_the_units_deadline_day(catalog, tmp_path):
    ws = load_workbook(T.write_template(catalog, "RC01", "2025-12", tmp_path / "RC01.xlsx"))["填报说明"]
    assert ws["B6"].value == "2026年1月6日"


def test_only_input_cells_are_unlocked(wb):
    assert wb.security.lockStructure
    for ws in wb:
        assert ws.protection.sheet, ws.title
        assert not ws.protection.password, ws.title
    n = wb["指标"].max_row
    assert unlocked(wb["指标"]) == {f"{c}{r}" for c in "EG" for r in range(2, n + 1)}   # value, 核实说明
    assert unlocked(wb["工作动态"]) == {f"{c}{r}" for c in "ABC" for r in range(2, 17)}
    assert unlocked(wb["填报说明"]) == {"B8", "B9"}
    assert unlocked(wb["meta"]) == set()


def test_narrative_dropdowns_offer_kinds_and_section_names(wb, catalog):
    ws = wb["工作动态"]
    assert [c.value for c in ws[1]] == ["类别", "所属工作", "内容"]
    kinds, sections = validation_for(ws, "A2"), validation_for(ws, "B16")
    assert kinds.type == sections.type == "list"
    assert kinds is validation_for(ws, "A16") and sections is validation_for(ws, "B2")
    assert resolve_list(wb, kinds.formula1) == ["工作亮点", "存在问题", "下步计划"]
    assert resolve_list(wb, sections.formula1) == [s.name for s in catalog.sections]
    assert not [dv for dv in ws.data_validations.dataValidation if "A17" in dv.sqref]


def test_value_cells_warn_outside_the_catalogue_range(wb, catalog):
    ws = wb["指标"]
    for row in range(2, ws.max_row + 1):
        indicator = catalog.indicator_by_code[ws.cell(row, 1).value]
        dv = validation_for(ws, f"E{row}")
        assert dv.type == ("whole" if indicator.integer else "decimal")
        assert (dv.formula1, dv.formula2) == (T._number(indicator.min), T._number(indicator.max))
        assert dv.errorStyle == "warning"       # a warning the clerk can override, not a stop


def test_meta_holds_protocol_unit_period_version_and_fingerprint(wb, catalog):
    meta = {r[0]: r[1] for r in wb["meta"].iter_rows(max_col=2, values_only=True) if r[0]}
    codes = [i.code for i in catalog.required_indicators("township_station")]
    assert meta == {"protocol": 1, "unit": "TS01", "unit_name": "城关镇交通运输管理站",
                    "period": "2025-06", "template_version": T.TEMPLATE_VERSION,
                    "catalog_fingerprint": hashlib.sha256("\n".join(codes).encode()).hexdigest()}


def test_other_kind_gets_its_own_indicators_and_fingerprint(catalog, tmp_path, wb):
    other = load_workbook(T.write_template(catalog, "EB01", "2025-06", tmp_path / "EB01.xlsx"))
    codes = [r[0] for r in other["指标"].iter_rows(min_row=2, values_only=True)]
    assert codes == [i.code for i in catalog.required_indicators("enforcement_brigade")]
    assert other["meta"]["B6"].value != wb["meta"]["B6"].value


def test_layout_is_readable(wb):
    ws = wb["指标"]
    assert all(c.font.b and c.font.name == "宋体" for c in ws[1])
    assert ws["B2"].font.name == "宋体" and ws["E2"].font.name == "宋体"
    assert [ws.column_dimensions[c].width for c in "ABCDEF"] == [22, 30, 11, 24, 14, 40]
    assert ws.freeze_panes == "A2" and wb["工作动态"].freeze_panes == "A2"
    assert wb["工作动态"].column_dimensions["C"].width >= 60
    assert ws["E2"].fill.fgColor.rgb.endswith("FFF2CC")    # input cells stand out


def test_output_is_deterministic_apart_from_core_properties(catalog, tmp_path, path):
    again = T.write_template(catalog, "TS01", "2025-06", tmp_path / "nested" / "TS01.xlsx")
    with zipfile.ZipFile(path) as a, zipfile.ZipFile(again) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            if name != "docProps/core.xml":
                assert a.read(name) == b.read(name), name
    assert [p.name for p in again.parent.iterdir()] == ["TS01.xlsx"]   # no temp file left


@pytest.mark.parametrize("unit, period, words", [
    ("XX99", "2025-06", "unknown unit"),
    ("TS01", "2025-6", "YYYY-MM"),
    ("TS09", "2025-06", "does not report"),     # merged away after 2024-09
    ("TS11", "2024-06", "does not report"),     # started in 2024-07
])
def test_refuses_units_that_do_not_report_that_month(catalog, tmp_path, unit, period, words):
    with pytest.raises(ValueError, match=words):
        T.write_template(catalog, unit, period, tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()


def test_wording_falls_back_to_the_bundled_file_and_checks_placeholders(tmp_path):
    assert T.load_wording(tmp_path)["rules"]                 # no template.yaml there: bundled one
    (tmp_path / "template.yaml").write_text("title: '{nope}表'\nrules: [a]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"title: unknown placeholder \{nope\}"):
        T.render_wording(T.load_wording(tmp_path), {"bureau": "局"})
    (tmp_path / "template.yaml").write_text("title: t\nrules: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="rules"):
        T.load_wording(tmp_path)
