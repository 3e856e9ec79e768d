"""validate/feedback.py: the sentences a unit reads — unit, month, indicator, value, rule, what to do,
the outcome — numbers as a clerk writes them, errors first, and the log's summary lines."""
from __future__ import annotations

import math

import pytest

from county_reports.validate import feedback as fb
from county_reports.validate.model import (ACCEPTED, ACCEPTED_WITH_WARNINGS, ERROR, REJECTED, WARNING, Finding, Issue,
                                           Verdict)
from county_reports.validate.options import load_options


@pytest.fixture(scope="module")
def options():
    return load_options()


@pytest.mark.parametrize("x, text", [(12.0, "12"), (1234.5, "1234.5"), (1e20, "100000000000000000000"),
                                     (0.1 + 0.2, "0.3"), (-3, "-3"), (None, ""), (math.nan, "")])
def test_numbers_as_a_clerk_writes_them(x, text):
    assert fb.number(x) == text


def test_a_message_names_unit_month_indicator_value_and_outcome(options, catalog):
    unit = catalog.units[0]
    ind = next(i for i in catalog.indicators if unit.kind in i.reported_by and i.max)
    text = fb.compose(options, catalog, "BOUNDS", ERROR, unit.code, "2025-06", ind.code, "99999999")
    for part in (unit.name, unit.code, "2025", "6", ind.name, "99999999", fb.number(ind.max),
                 options.text("outcome", ERROR)):
        assert part in text, part
    warned = fb.compose(options, catalog, "BOUNDS", WARNING, unit.code, "2025-06", ind.code, "1")
    assert options.text("outcome", WARNING) in warned and options.text("outcome", ERROR) not in warned


def test_an_unknown_unit_or_bad_month_still_reads(options, catalog):
    text = fb.head(options, catalog, "ZZ99", "2025/6")
    assert options.text("unknown_unit_name") in text and "ZZ99" in text
    long_value = "9" * 500
    assert len(fb.compose(options, catalog, "NUMERIC", ERROR, "ZZ99", "2025-06", "NOPE", long_value)) < 500


def test_a_rule_is_filled_with_the_values(options, catalog):
    rule = next(r for r in catalog.rules if r.check == "le")
    left, right = rule.params["left"], rule.params["right"]
    texts = fb.rule_texts(options, catalog, rule, {left: 12.0, right: 10.5})
    assert "12" in texts["rule_message"] and "10.5" in texts["rule_message"]
    assert catalog.indicator_by_code[left].name in texts["rule_words"]


def test_outlier_reason_with_or_without_last_year(options):
    extra = fb.outlier_extra(options, 12.0, math.nan, "公里")
    assert extra["median"] == "12" and extra["why"]
    assert "8" in fb.outlier_extra(options, 12.0, 8.0, "公里")["last_year_text"]


def test_findings_are_worded_in_one_pass_after_the_verdict_is_built(options, catalog):
    unit = catalog.units[0]
    ind = next(i for i in catalog.indicators if unit.kind in i.reported_by and i.max)
    rule = next(r for r in catalog.rules if r.check == "le")
    left, right = rule.params["left"], rule.params["right"]
    ledger = Issue(unit.code, "2025-06", "projects[1].status", "x", "FIELD_CHOICE", ERROR, "已按台账用语写好。")
    found = (Finding(unit.code, "2025-06", ind.code, "99999999", "BOUNDS", ERROR, "BOUNDS"),
             Finding(unit.code, "2025-06", None, None, "UNREADABLE", ERROR, "UNREADABLE", {"reason": "不是JSON。"}),
             Finding(unit.code, "2025-06", left, "12", rule.code, ERROR, "RULE", {"numbers": {left: 12.0, right: 10.5}}),
             Finding(unit.code, "2025-06", ind.code, "50", "OUTLIER", WARNING, "OUTLIER",
                     {"median": 12.0, "last_year": math.nan, "uom": ind.uom, "reason": "history",
                      "last_month": math.nan}, effect=0.25, expected=12.0),
             Finding(unit.code, "2025-06", ind.code, None, "CONFIRMATION", WARNING, "CONFIRMATION",
                     {"index": 2, "problem": "twice", "limits": {"max_length": 100}}),
             ledger)
    [worded] = fb.word([Verdict(unit.code, "2025-06", "x", "http", "t", None, REJECTED, issues=found)], catalog, options)
    bounds, unreadable, rule_issue, outlier, confirmation, kept = worded.issues
    assert all(isinstance(i, Issue) for i in worded.issues) and kept is ledger
    assert bounds.message == fb.compose(options, catalog, "BOUNDS", ERROR, unit.code, "2025-06", ind.code, "99999999")
    assert "不是JSON" in unreadable.message and not unreadable.message.count("不是JSON。。")
    assert rule_issue.rule == rule.code and fb.rule_texts(options, catalog, rule, {left: 12.0, right: 10.5})[
        "rule_message"] in rule_issue.message
    assert (outlier.effect, outlier.expected) == (0.25, 12.0) and fb.outlier_extra(
        options, 12.0, math.nan, ind.uom)["why"] in outlier.message
    assert "第2项核实说明" in confirmation.message


def _issue(rule, importance, indicator):
    return Issue("TS01", "2025-06", indicator, "1", rule, importance, f"{rule}-{indicator}")


def test_feedback_errors_first_then_by_place(catalog):
    first, second = catalog.indicators[0].code, catalog.indicators[1].code
    issues = (_issue("OUTLIER", WARNING, first), _issue("BOUNDS", ERROR, second),
              _issue("REQUIRED", ERROR, None), _issue("BOUNDS", ERROR, first))
    v = Verdict("TS01", "2025-06", "x", "http", "t", None, REJECTED, issues=issues)
    payload = fb.feedback_payload(v, catalog)
    assert [p["text"] for p in payload] == ["REQUIRED-None", f"BOUNDS-{first}", f"BOUNDS-{second}", f"OUTLIER-{first}"]
    assert set(payload[0]) == {"text", "indicator", "value", "rule", "importance"}


def test_summary_lines(catalog, options):
    verdicts = [Verdict("TS01", "2025-06", "a", "http", "t", None, ACCEPTED),
                Verdict("TS03", "2025-06", "b", "http", "t", None, ACCEPTED_WITH_WARNINGS,
                        issues=(_issue("OUTLIER", WARNING, "A"),)),
                Verdict("TS02", "2025-06", "c", "http", "t", None, REJECTED,
                        issues=(_issue("BOUNDS", ERROR, "A"), _issue("BOUNDS", ERROR, "B")))]
    lines = fb.summary_lines(verdicts, catalog, options)
    assert len(lines) == 3 and "2025-06" in lines[0]
    assert "TS02" in lines[1] and "BOUNDS×2" in lines[1] and "TS03" in lines[2]
