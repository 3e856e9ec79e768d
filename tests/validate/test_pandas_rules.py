"""Every check and rule, with its importance and the words the unit receives (pandas engine: fast;
the GX engine is shown to agree in test_gx_engine.py)."""
from __future__ import annotations

import dataclasses

import pytest
from validate_helpers import DROP, PERIOD, clean_payload, received

from county_reports.validate.feedback import feedback_payload, summary_lines
from county_reports.validate.model import ACCEPTED, ACCEPTED_WITH_WARNINGS, REJECTED
from county_reports.validate.run import validate_period


def one(catalog, unit="TS01", payload=None, options=None, **values):
    payload = payload if payload is not None else clean_payload(catalog, unit, **values)
    [verdict] = validate_period([received(unit, payload)], catalog, engine="pandas", options=options)
    return verdict


def only(verdict, rule):
    found = [i for i in verdict.issues if i.rule == rule]
    assert len(found) == 1, [i.message for i in verdict.issues]
    return found[0]


def says(text, *parts):
    for part in parts:
        assert part in text, (part, text)


def test_clean_submissions_of_every_kind_are_accepted(vcatalog):
    units = [u.code for u in vcatalog.units_active_in(PERIOD)]
    verdicts = validate_period([received(u, clean_payload(vcatalog, u)) for u in units], vcatalog,
                               engine="pandas")
    assert {v.status for v in verdicts} == {ACCEPTED}, [i.message for v in verdicts for i in v.issues]
    assert len({v.unit for v in verdicts}) == len(units)


# --------------------------------------------------------------------------- rules.yaml


def test_le_warning_accepts_with_a_follow_up(vcatalog):
    v = one(vcatalog, HAZARD_FOUND=5, HAZARD_FIXED=7)
    assert v.status == ACCEPTED_WITH_WARNINGS
    issue = only(v, "HAZARD_FIXED_LE_FOUND")
    assert (issue.importance, issue.indicator, issue.value) == ("warning", "HAZARD_FIXED", "7")
    says(issue.message, "城关镇交通运输管理站（TS01）2025年6月报表", "整改安全隐患", "HAZARD_FIXED", "“7”",
         "本月整改隐患数（7处）多于本月排查隐患数（5处）",
         "“整改安全隐患”（HAZARD_FIXED）不能大于“排查安全隐患”（HAZARD_FOUND）", "本月报表已接受", "请核实")


def test_le_error_rejects(vcatalog):
    v = one(vcatalog, "EB01", OVERLOAD_CHECKED=100, OVERLOAD_FOUND=120)
    assert v.status == REJECTED
    issue = only(v, "OVERLOAD_FOUND_LE_CHECKED")
    says(issue.message, "县交通运输综合行政执法大队（EB01）", "查处超限超载车辆（120辆）多于检测货运车辆（100辆次）",
         "OVERLOAD_FOUND", "本月报表未被接受")


def test_le_equal_passes(vcatalog):
    assert one(vcatalog, "QS01", QA_SAMPLES=30, QA_SAMPLES_PASSED=30).status == ACCEPTED


def test_sum_equals_error_with_tolerance(vcatalog):
    v = one(vcatalog, "RC01", INV_HIGHWAY=100.0, INV_TOTAL=101.0)
    issue = only(v, "INVESTMENT_PARTS_SUM")
    assert v.status == REJECTED and issue.indicator == "INV_TOTAL" and issue.value == "101.0"
    says(issue.message, "县公路事务中心（RC01）", "交通建设完成投资合计", "投资合计（101万元）与分项投资之和（100万元）不一致",
         "应等于“公路建设完成投资”（INV_HIGHWAY）、“水运建设完成投资”（INV_WATERWAY）、“场站枢纽建设完成投资”（INV_HUB）之和",
         "允许误差 0.5")
    # Within the tolerance of 0.5, and absent parts (INV_WATERWAY, INV_HUB) count as 0.
    assert one(vcatalog, "RC01", INV_HIGHWAY=100.0, INV_TOTAL=100.4).status == ACCEPTED
    assert one(vcatalog, "RC01", INV_HIGHWAY=0.1, INV_HUB=0.2, INV_TOTAL=0.3).status == ACCEPTED


def test_requires_error(vcatalog):
    v = one(vcatalog, ACCIDENT_DEATHS=1, ACCIDENTS=0)
    issue = only(v, "DEATHS_NEED_ACCIDENT")
    assert v.status == REJECTED and issue.indicator == "ACCIDENT_DEATHS"
    says(issue.message, "事故死亡人数", "ACCIDENT_DEATHS", "填报了事故死亡人数（1人）但事故起数为0",
         "填报了“事故死亡人数”（ACCIDENT_DEATHS）大于 0 时，“行业生产安全事故”（ACCIDENTS）也应大于 0")
    assert one(vcatalog, ACCIDENT_DEATHS=0, ACCIDENTS=0).status == ACCEPTED


def test_rules_skip_values_that_are_not_numbers(vcatalog):
    v = one(vcatalog, HAZARD_FOUND="待核实", HAZARD_FIXED=7)
    assert [i.rule for i in v.issues] == ["NUMERIC"]


# --------------------------------------------------------------------------- catalogue checks


def test_unknown_indicator_code(vcatalog):
    issue = only(one(vcatalog, HAZARD_FOUNDD=3), "KNOWN_CODE")
    assert issue.importance == "error" and issue.value == "3"
    says(issue.message, "指标代码“HAZARD_FOUNDD”（填报值“3”）", "不在本局指标目录中", "请核对指标代码")


def test_required_indicator_missing(vcatalog):
    v = one(vcatalog, HAZARD_FOUND=DROP)
    issue = only(v, "REQUIRED")
    assert v.status == REJECTED and issue.indicator == "HAZARD_FOUND" and issue.value is None
    says(issue.message, "缺少必报指标“排查安全隐患”（HAZARD_FOUND，计量单位：处）",
         "乡镇交通运输管理站每月必须报送此项", "没有发生的请填 0")


def test_optional_indicator_may_be_left_out_or_sent(vcatalog):
    # MAINT_FUNDS is reported by road centres only; a township may still send it.
    assert one(vcatalog, MAINT_FUNDS=12.5).status == ACCEPTED


def test_negative_value(vcatalog):
    v = one(vcatalog, HAZARD_FOUND=-3)
    issue = only(v, "NEGATIVE")
    assert "BOUNDS" not in {i.rule for i in v.issues}          # one message, not two
    says(issue.message, "排查安全隐患", "“-3”是负数", "不能为负数")


def test_out_of_bounds(vcatalog):
    issue = only(one(vcatalog, HAZARD_FOUND=99999, HAZARD_FIXED=5), "BOUNDS")
    says(issue.message, "排查安全隐患", "HAZARD_FOUND", "“99999”超出合理范围", "应在 0处 至 5000处 之间",
         "应以“处”为单位填报")


def test_integer_required(vcatalog):
    issue = only(one(vcatalog, HAZARD_FOUND=12.5, HAZARD_FIXED=5), "INTEGER")
    says(issue.message, "排查安全隐患", "“12.5”不是整数", "只能填写整数")
    assert one(vcatalog, INV_HIGHWAY=12.5, INV_TOTAL=12.5).status == ACCEPTED     # 万元: decimals fine


def test_payload_unit_and_period_must_match_the_endpoint(vcatalog):
    payload = clean_payload(vcatalog, "TS02", period="2025-05")
    [v] = validate_period([received("TS01", payload)], vcatalog, engine="pandas")
    says(only(v, "PAYLOAD_UNIT").message, "单位代码为“TS02”，与本单位代码“TS01”不一致")
    says(only(v, "PAYLOAD_PERIOD").message, "月份为“2025-05”，与本次报送的月份“2025-06”不一致",
         "请使用 2025-06 的模板")


def test_unregistered_unit(vcatalog):
    payload = clean_payload(vcatalog, "TS01", unit="ZZ99")
    payload["unit"] = "ZZ99"
    [v] = validate_period([received("ZZ99", payload)], vcatalog, engine="pandas")
    says(only(v, "UNIT_KNOWN").message, "未登记单位（ZZ99）", "不在本局单位名录中")


def test_two_submissions_of_one_unit_in_a_batch(vcatalog):
    payload = clean_payload(vcatalog, "TS01")
    verdicts = validate_period([received("TS01", payload, sha="a"), received("TS01", payload, sha="b")],
                               vcatalog, engine="pandas")
    for v in verdicts:
        assert v.status == REJECTED
        says(only(v, "DUPLICATE").message, "共收到本单位 2 份报送", "INV_HIGHWAY", "只保留一份")


def test_narrative_kind_and_section(vcatalog):
    payload = clean_payload(vcatalog, "TS01")
    payload["narratives"].append({"kind": "亮点", "section": "nowhere", "text": "……"})
    [v] = validate_period([received("TS01", payload)], vcatalog, engine="pandas")
    says(only(v, "NARRATIVE_KIND").message, "第3条工作动态的类别为“亮点”")
    says(only(v, "NARRATIVE_SECTION").message, "第3条工作动态的所属工作为“nowhere”")


def test_unreadable_carries_the_reason(vcatalog):
    [v] = validate_period([received("TS03", None, reason="报送内容不是完整的 JSON（第1行第5列）。")],
                          vcatalog, engine="pandas")
    issue = only(v, "UNREADABLE")
    assert v.status == REJECTED and issue.indicator is None
    says(issue.message, "石桥镇交通运输管理站（TS03）2025年6月报表", "报送内容无法读取：报送内容不是完整的 JSON（第1行第5列）。",
         "本月报表未被接受")


def test_importance_of_builtin_checks_comes_from_validation_yaml(vcatalog, voptions):
    relaxed = dataclasses.replace(voptions, importance={**voptions.importance, "BOUNDS": "warning"})
    v = one(vcatalog, HAZARD_FOUND=99999, HAZARD_FIXED=5, options=relaxed)
    assert v.status == ACCEPTED_WITH_WARNINGS
    says(only(v, "BOUNDS").message, "本月报表已接受")


# --------------------------------------------------------------------------- the verdict


def test_verdict_carries_the_submission(vcatalog):
    payload = clean_payload(vcatalog, "TS01", HAZARD_FOUND="1,234", HAZARD_FIXED=5)
    payload["values"]["MAINT_FUNDS"] = "不详"
    [v] = validate_period([received("TS01", payload)], vcatalog, engine="pandas")
    assert (v.unit, v.period, v.sha256, v.source) == ("TS01", PERIOD, "sha-TS01", "http")
    assert v.submitted_at == "2025-07-03T09:12:00+08:00"
    assert v.values["HAZARD_FOUND"] == 1234.0 and "MAINT_FUNDS" not in v.values
    assert v.raw_values["MAINT_FUNDS"] == "不详" and v.raw_values["HAZARD_FOUND"] == "1,234"
    assert v.narratives[0] == {"kind": "highlight", "section": "safety", "text": "开展安全生产大检查。"}
    assert v.contact == {"name": "张三", "phone": "0000-0000000"}


def test_feedback_payload_and_summary_lines(vcatalog):
    payload = clean_payload(vcatalog, "TS01", HAZARD_FOUND=5, HAZARD_FIXED=7, INV_HIGHWAY="待核实",
                            ACCIDENTS=DROP)
    verdicts = validate_period([received("TS01", payload),
                                received("TS02", clean_payload(vcatalog, "TS02"))], vcatalog,
                               engine="pandas")
    items = feedback_payload(verdicts[0], vcatalog)
    assert [set(i) for i in items] == [{"text", "indicator", "value", "rule", "importance"}] * 3
    # Errors first, in the template's (catalogue's) order; the warning last.
    assert [(i["rule"], i["indicator"], i["importance"]) for i in items] == [
        ("NUMERIC", "INV_HIGHWAY", "error"), ("REQUIRED", "ACCIDENTS", "error"),
        ("HAZARD_FIXED_LE_FOUND", "HAZARD_FIXED", "warning")]
    assert items[0]["value"] == "待核实"
    assert feedback_payload(verdicts[1], vcatalog) == []
    lines = summary_lines(verdicts, vcatalog)
    assert lines[0] == "2025-06：共 2 份报送，接受 1 份，接受但有待核实事项 0 份，退回 1 份。"
    says(lines[1], "TS01 城关镇交通运输管理站：退回，错误 2 项、待核实 1 项")


def test_html_report_per_period(vcatalog, tmp_path):
    recs = [received("TS01", clean_payload(vcatalog, "TS01", HAZARD_FOUND=-1)),
            received("TS02", clean_payload(vcatalog, "TS02"))]
    validate_period(recs, vcatalog, engine="pandas", docs_dir=tmp_path)
    html = (tmp_path / f"{PERIOD}.html").read_text(encoding="utf-8")
    says(html, "2025-06 报表校验结果", "expect_indicator_values_to_be_between", "NEGATIVE",
         "HAZARD_FIXED_LE_FOUND", "城关镇交通运输管理站", "“-1”是负数", "未通过")


@pytest.mark.parametrize("engine", ["nope"])
def test_unknown_engine(vcatalog, engine):
    with pytest.raises(ValueError):
        validate_period([], vcatalog, engine=engine)
