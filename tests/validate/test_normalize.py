"""Values as the clerk meant them: what reads as a number, and what the unit is told otherwise."""
from __future__ import annotations

import pytest
from validate_helpers import PERIOD, clean_payload, received

from county_reports.validate.model import ACCEPTED, REJECTED
from county_reports.validate.normalize import as_text, normalize
from county_reports.validate.run import validate_period


@pytest.mark.parametrize("value, uom, expected", [
    (12, "处", 12.0),
    (1234.5, "万元", 1234.5),
    (-3, "处", -3.0),                       # a number; NEGATIVE judges it, not NUMERIC
    ("１２３．５", "万元", 123.5),            # full-width digits and point
    ("－５", "处", -5.0),                    # full-width minus
    ("1,234.5", "万元", 1234.5),             # thousands separators
    ("1，234.5", "万元", 1234.5),            # full-width comma as separator
    ("1,234,567", "个", 1234567.0),
    ("  12.5  ", "万元", 12.5),              # surrounding spaces
    ("\u3000８\u3000", "个", 8.0),           # ideographic spaces
    ("12.5万元", "万元", 12.5),              # trailing uom equal to the indicator's
    ("12.5 万元", "万元", 12.5),
    ("12处", "处", 12.0),
    ("12％", "%", 12.0),
    ("1.2E+03", "万元", 1200.0),             # exported by some tools
    (".5", "万元", 0.5),
    ("+3", "个", 3.0),
])
def test_numbers_read_as_meant(value, uom, expected, voptions):
    assert normalize(value, uom, options=voptions) == (expected, None)


@pytest.mark.parametrize("value, uom, why", [
    ("待核实", "万元", "无法识别为数字"),
    ("12.5公里", "万元", "带有计量单位“公里”，与本指标的计量单位“万元”不符"),
    ("12.5元", "万元", "计量单位“元”"),
    ("12待核实", "万元", "无法识别为数字"),
    ("1.2.3", "万元", "多个小数点"),
    ("12,34", "万元", "千位分隔符"),
    (True, "个", "是/否"),
    (False, "个", "是/否"),
    ([1, 2], "个", "列表"),
    ({"v": 1}, "个", "对象"),
    (None, "个", "空值"),
    ("", "个", "空白"),
    ("   ", "个", "空白"),
    ("=SUM(E2:E3)", "个", "公式"),
    (float("nan"), "个", "有限"),
    (float("inf"), "个", "有限"),
    (10 ** 400, "个", "有限"),
    ("NaN", "个", "无法识别"),
    ("Infinity", "个", "无法识别"),
])
def test_not_numeric_says_why(value, uom, why, voptions):
    number, problem = normalize(value, uom, options=voptions)
    assert number is None
    assert why in problem


def test_as_text_keeps_what_was_sent():
    assert as_text("１２３．５") == "１２３．５"
    assert as_text(12) == "12"
    assert as_text(12.5) == "12.5"
    assert as_text(None) == "null"
    assert as_text(True) == "true"
    assert as_text([1, "中"]) == '[1, "中"]'


def test_messy_but_valid_values_are_accepted_and_stored_normalised(vcatalog):
    payload = clean_payload(vcatalog, "TS01", INV_HIGHWAY="１２３．５万元", INV_TOTAL=" 123.5 ",
                            HAZARD_FOUND="1,234", HAZARD_FIXED="12处", ENF_PATROLS="１，２００")
    [verdict] = validate_period([received("TS01", payload)], vcatalog, engine="pandas")
    assert verdict.status == ACCEPTED, [i.message for i in verdict.issues]
    assert verdict.values["INV_HIGHWAY"] == 123.5
    assert verdict.values["HAZARD_FOUND"] == 1234.0
    assert verdict.values["ENF_PATROLS"] == 1200.0
    assert verdict.raw_values["INV_HIGHWAY"] == "１２３．５万元"     # as sent, for the record
    assert verdict.raw_values["HAZARD_FIXED"] == "12处"


@pytest.mark.parametrize("value, words", [
    ("待核实", "含有无法识别为数字的文字或符号"),
    ("12.5公里", "带有计量单位“公里”，与本指标的计量单位“万元”不符"),
    ("1.2.3", "含有多个小数点"),
    (True, "是“是/否”值"),
    ([12.5], "是列表"),
    (None, "是空值（null）"),
])
def test_numeric_message_names_everything_the_unit_needs(vcatalog, value, words):
    payload = clean_payload(vcatalog, "TS01", INV_HIGHWAY=value)
    [verdict] = validate_period([received("TS01", payload)], vcatalog, engine="pandas")
    assert verdict.status == REJECTED
    [issue] = [i for i in verdict.issues if i.rule == "NUMERIC"]
    assert issue.indicator == "INV_HIGHWAY" and issue.importance == "error"
    assert issue.value == as_text(value)
    text = issue.message
    for part in ("城关镇交通运输管理站", "TS01", "2025年6月", "公路建设完成投资", "INV_HIGHWAY",
                 f"“{as_text(value)}”", words, "规则：只能填写数字，计量单位为万元", "请只填写数字",
                 "本月报表未被接受"):
        assert part in text, (part, text)
    # Not numeric: no second, confusing issue about the same value or the sum rule.
    assert [i.rule for i in verdict.issues] == ["NUMERIC"]
    assert verdict.period == PERIOD
