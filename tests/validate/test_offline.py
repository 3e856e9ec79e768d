"""``check_file``: exit code and the unit's feedback for good, messy, bad and garbage files."""
from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook
from validate_helpers import PERIOD, clean_payload

from county_reports.collect.template import write_template
from county_reports.validate.offline import check_file


def write_json(path, payload, encoding="utf-8"):
    path.write_bytes(json.dumps(payload, ensure_ascii=False).encode(encoding))
    return path


def filled_template(catalog, folder, name, values):
    path = write_template(catalog, "TS01", PERIOD, folder / name)
    wb = load_workbook(path)
    ws = wb["指标"]
    rows = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    for code, value in values.items():
        ws.cell(rows[code], 5, value)
    wb.save(path)
    return path


# GX is the default engine, as in the DAG: these three run it (the import is paid once).


def test_good_json_is_accepted(vcatalog, tmp_path):
    code, text = check_file(write_json(tmp_path / "good.json", clean_payload(vcatalog, "TS01")), vcatalog)
    assert code == 0 and text == "城关镇交通运输管理站（TS01）2025年6月报表：校验通过，可以报送。"


def test_messy_but_valid_gbk_json_is_accepted_with_its_warning(vcatalog, tmp_path):
    payload = clean_payload(vcatalog, "TS01", INV_HIGHWAY="１２３．５万元", INV_TOTAL="123.5",
                            HAZARD_FOUND=" 1,234 ", HAZARD_FIXED="1,235处")
    code, text = check_file(write_json(tmp_path / "messy.json", payload, "gbk"), vcatalog)
    assert code == 0
    assert text.splitlines()[0].endswith("校验通过，可以报送；有 1 项需要核实：")
    assert "1. " in text and "本月整改隐患数（1235处）多于本月排查隐患数（1234处）" in text


def test_bad_json_is_rejected_with_the_units_feedback(vcatalog, tmp_path):
    payload = clean_payload(vcatalog, "TS01", INV_HIGHWAY="待核实", HAZARD_FOUND=-3)
    code, text = check_file(write_json(tmp_path / "bad.json", payload), vcatalog)
    assert code == 1
    lines = text.splitlines()
    assert lines[0] == "城关镇交通运输管理站（TS01）2025年6月报表：发现 2 项错误、1 项需要核实，按现在的内容报送将被退回："
    assert lines[1].startswith("1. 城关镇交通运输管理站（TS01）2025年6月报表：指标“公路建设完成投资”（INV_HIGHWAY）填报的“待核实”")
    assert "“-3”是负数" in lines[2]


# The rest use the pandas engine (the same rules, shown equal in test_gx_engine.py) to stay fast.


def test_unit_and_period_default_to_the_files_own_but_can_be_given(vcatalog, tmp_path):
    path = write_json(tmp_path / "TS01.json", clean_payload(vcatalog, "TS01"))
    code, text = check_file(path, vcatalog, unit="TS02", period="2025-07", engine="pandas")
    assert code == 1
    assert "河口镇交通运输管理站（TS02）2025年7月报表" in text
    assert "单位代码为“TS01”，与本单位代码“TS02”不一致" in text and "与本次报送的月份“2025-07”不一致" in text


def test_filled_excel_templates(vcatalog, tmp_path):
    values = clean_payload(vcatalog, "TS01")["values"]
    good = filled_template(vcatalog, tmp_path, "good.xlsx", values)
    assert check_file(good, vcatalog, engine="pandas")[0] == 0
    messy = filled_template(vcatalog, tmp_path, "messy.xlsx", {**values, "HAZARD_FOUND": "1,234",
                                                                 "ENF_PATROLS": "１２次"})
    code, text = check_file(messy, vcatalog, engine="pandas")
    assert code == 0, text
    bad = filled_template(vcatalog, tmp_path, "bad.xlsx", {**values, "ENF_PATROLS": "待核实"})
    code, text = check_file(bad, vcatalog, engine="pandas")
    assert code == 1 and "执法巡查" in text and "ENF_PATROLS" in text and "“待核实”" in text


GARBAGE = {
    "empty.json": b"",
    "blank.json": b"  \n ",
    "binary.json": bytes(range(256)) * 20,
    "array.json": b"[1, 2, 3]",
    "string.json": b'"hello"',
    "truncated.json": b'{"protocol": 1, "unit": "TS01", "values": {"A": 1',
    "deep.json": b"[" * 100_000 + b"]" * 100_000,
    "deep_object.json": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "wrong_protocol.json": json.dumps({"protocol": 2, "unit": "TS01", "period": PERIOD, "values": {}}).encode(),
    "values_list.json": json.dumps({"protocol": 1, "unit": "TS01", "period": PERIOD, "values": [1]}).encode(),
    "narrative_text.json": json.dumps({"protocol": 1, "unit": "TS01", "period": PERIOD, "values": {},
                                       "narratives": [{"kind": "plan", "text": 5}]}).encode(),
    "bad_period.json": json.dumps({"protocol": 1, "unit": "TS01", "period": "2025-13", "values": {}}).encode(),
    "no_period.json": json.dumps({"protocol": 1, "unit": "TS01", "period": None, "values": {}}).encode(),
    "fake.xlsx": b"PK\x03\x04 this is not a zip",
    "old.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512,
    "text.xlsx": "这不是表格".encode(),
}


@pytest.mark.parametrize("name", sorted(GARBAGE))
def test_garbage_is_unreadable_never_a_traceback(vcatalog, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(GARBAGE[name])
    code, text = check_file(path, vcatalog, engine="pandas")
    assert code == 2, text
    assert text.startswith(f"文件 {name} 无法读取：") and "Traceback" not in text


def test_huge_and_missing_files(vcatalog, tmp_path):
    huge = tmp_path / "huge.json"
    with huge.open("wb") as fh:
        fh.truncate(3_000_000)
    code, text = check_file(huge, vcatalog, engine="pandas")
    assert code == 2 and "超过 2000000 字节的上限" in text
    code, text = check_file(tmp_path / "nothing.json", vcatalog, engine="pandas")
    assert code == 2 and "不存在" in text
    assert check_file(tmp_path, vcatalog, engine="pandas")[0] == 2


def test_strange_values_inside_a_readable_file_are_rejected_not_crashed(vcatalog, tmp_path):
    payload = clean_payload(vcatalog, "TS01")
    payload["values"].update({"INV_HIGHWAY": [[[{"a": None}]]], "HAZARD_FOUND": 1e308 * 10,
                              "HAZARD_FIXED": 10 ** 30, "ACCIDENTS": "x" * 100_000, "": 1})
    payload["narratives"] = [{"kind": None, "section": ["x"], "text": "ok"}]
    payload["contact"] = {"name": 5, "phone": None}
    path = tmp_path / "strange.json"
    path.write_text(json.dumps(payload, ensure_ascii=False).replace("Infinity", "1e999"), encoding="utf-8")
    code, text = check_file(path, vcatalog, engine="pandas")
    assert code == 1, text
    assert "是列表" in text and "不是有限的数字" in text and "超出合理范围" in text
    assert max(len(line) for line in text.splitlines()) < 1000       # a 100 kB value is shortened

