"""A month's ledger rows checked against the register and the month before: each rule refuses
what it should, in Chinese naming the unit, the project, the field and the rule — and lets the
right row through (so no rule passes by refusing everything)."""
from __future__ import annotations

import pytest

from county_reports.validate.projects import ledger
from county_reports.core.projects.register import load_register
from county_reports.core.projects.vocabulary import load_vocabulary

RC = {"unit": "RC01", "unit_name": "县公路事务中心", "period": "2025-06"}


@pytest.fixture(scope="module")
def words():
    return load_vocabulary()


@pytest.fixture(scope="module")
def register(catalog, words):
    return load_register(catalog, vocabulary=words)


def good(**change):
    row = {"code": "QH2024-01", "month_investment": 820.5, "year_investment": 3310.0,
           "total_investment": 8010.0, "progress": "路基完成85%，桥涵完成60%", "status": "normal",
           "milestones": [{"name": "路基完工", "date": "2025-06-18"}]}
    row.update(change)
    return {k: v for k, v in row.items() if v is not None}


def check(register, words, rows, previous=None, **where):
    return ledger.check_rows({"projects": rows}, register=register, vocabulary=words, previous=previous,
                             **{**RC, **where})


def test_a_right_row_passes_and_is_read(register, words):
    rows, issues = check(register, words, [good(status="正常")])     # the Chinese name is read too
    assert issues == []
    assert rows[0].status == "normal" and rows[0].milestones[0][1].isoformat() == "2025-06-18"


def test_a_submission_without_projects_is_as_before(register, words):
    assert ledger.check_rows({"values": {}}, register=register, vocabulary=words, **RC) == ([], [])


def test_a_project_the_unit_does_not_report_is_refused(register, words):
    rows, issues = check(register, words, [good(code="QH2024-06")])       # TS04's
    assert rows == [] and [i.rule for i in issues] == ["PROJECT_NOT_OWNED"]
    assert "县公路事务中心2025年6月" in issues[0].message and "龙泉镇自然村组道路硬化工程" in issues[0].message
    assert "不由本单位报送" in issues[0].message


def test_an_unregistered_code_or_one_not_in_the_year_is_refused(register, words):
    _, issues = check(register, words, [good(code="QH2099-01"), good(code="QH2024-03")])  # 03 ended 2024
    assert [i.rule for i in issues] == ["PROJECT_UNKNOWN", "PROJECT_UNKNOWN"]
    assert "2025年重点项目登记" in issues[1].message


def test_a_township_reports_only_land_of_projects_crossing_it(register, words):
    land = {"code": "QH2024-01", "land_acres": 40.5, "land_households": 6}
    rows, issues = check(register, words, [land], unit="TS03", unit_name="石桥镇交通运输管理站")
    assert issues == [] and rows[0].kind == "land" and rows[0].land_households == 6
    _, issues = check(register, words, [land], unit="TS05", unit_name="白沙乡交通运输管理站")
    assert [i.rule for i in issues] == ["PROJECT_NOT_OWNED"]


@pytest.mark.parametrize("field", ["year_investment", "total_investment"])
def test_cumulative_figures_that_fall_are_refused(register, words, field):
    before, _ = check(register, words, [good(milestones=None)], period="2025-05")
    falls = good(**{field: good()[field] - 100})
    _, issues = check(register, words, [falls], previous={"QH2024-01": before[0]})
    assert [i.rule for i in issues] == ["PROJECT_CUMULATIVE"]
    assert issues[0].indicator == f"projects.QH2024-01.{field}"
    assert "不应减少" in issues[0].message and f"{good()[field] - 100:g}万元" in issues[0].message
    # the same figure, or within the tolerance, is no fall
    assert check(register, words, [good(**{field: good()[field] - 0.4})],
                 previous={"QH2024-01": before[0]})[1] == []


def test_the_years_figure_starts_again_in_january_but_not_the_since_start(register, words):
    december, _ = check(register, words, [good(milestones=None)], period="2024-12")
    january = good(year_investment=100.0, month_investment=100.0, milestones=None)
    assert check(register, words, [january], period="2025-01", previous={"QH2024-01": december[0]})[1] == []
    _, issues = check(register, words, [dict(january, total_investment=10.0)], period="2025-01",
                      previous={"QH2024-01": december[0]})
    assert [i.indicator for i in issues] == ["projects.QH2024-01.total_investment"]


def test_land_that_falls_is_refused(register, words):
    ts03 = {"unit": "TS03", "unit_name": "石桥镇交通运输管理站"}
    before, _ = check(register, words, [{"code": "QH2024-01", "land_acres": 40, "land_households": 6}], **ts03)
    _, issues = check(register, words, [{"code": "QH2024-01", "land_acres": 41, "land_households": 5}],
                      previous={"QH2024-01": before[0]}, **ts03)
    assert [i.indicator for i in issues] == ["projects.QH2024-01.land_households"]


@pytest.mark.parametrize("status", ["delayed", "滞后", "stalled", "停工"])
@pytest.mark.parametrize("cause", [{}, {"cause": "land"}, {"cause_text": "3户房屋拆迁未完成"}])
def test_a_delayed_or_stalled_project_needs_a_cause_and_a_sentence(register, words, status, cause):
    _, issues = check(register, words, [good(status=status, **cause)])
    assert [i.rule for i in issues] == ["PROJECT_CAUSE"]
    assert "征地拆迁" in issues[0].message        # the unit is told which causes there are
    _, issues = check(register, words, [good(status=status, cause="征地拆迁", cause_text="3户房屋拆迁未完成")])
    assert issues == []


def test_a_cause_outside_the_vocabulary_is_refused(register, words):
    _, issues = check(register, words, [good(status="delayed", cause="运气", cause_text="x")])
    assert [i.rule for i in issues] == ["FIELD_CHOICE"] and "设计变更" in issues[0].message


def test_a_milestone_dated_after_the_month_is_refused(register, words):
    _, issues = check(register, words, [good(milestones=[{"name": "路基完工", "date": "2025-07-01"}])])
    assert [i.rule for i in issues] == ["PROJECT_MILESTONE"] and "2025-07-01" in issues[0].message
    _, issues = check(register, words, [good(milestones=[{"name": "通车", "date": "2025-06-01"}])])
    assert [i.rule for i in issues] == ["PROJECT_MILESTONE"] and "路基完工" in issues[0].message
    _, issues = check(register, words, [good(milestones=[{"name": "路基完工", "date": "六月"}])])
    assert [i.rule for i in issues] == ["FIELD_DATE"]


def test_bad_numbers_missing_fields_and_two_rows_of_one_project(register, words):
    _, issues = check(register, words, [good(month_investment=-5), good(year_investment="很多")])
    assert [i.rule for i in issues] == ["FIELD_NUMBER", "PROJECT_TWICE"]
    _, issues = check(register, words, [good(status=None, total_investment=None)])
    assert sorted(i.indicator for i in issues) == ["projects.QH2024-01.status", "projects.QH2024-01.total_investment"]
    _, issues = check(register, words, [good(year_investment=100.0, month_investment=820.5)])
    assert [i.rule for i in issues] == ["PROJECT_CUMULATIVE"]


def test_hostile_shapes_are_issues_never_exceptions(register, words):
    for projects in ("x", [1, None, "a"], [{"code": ["QH2024-01"]}], [good()] * 61, [{}]):
        _, issues = ledger.check_rows({"projects": projects}, register=register, vocabulary=words, **RC)
        assert issues and all(i.importance == "error" and i.message for i in issues)
    _, issues = check(register, words, [good(progress="进" * 301)])
    assert [i.rule for i in issues] == ["FIELD_TEXT"]


def test_projects_investing_more_than_the_units_indicator_are_refused(register, words):
    rows, _ = check(register, words, [good(), good(code="QH2025-01", year_investment=900.0, month_investment=300.0,
                                               total_investment=900.0, milestones=None)])
    kwargs = dict(unit="RC01", unit_name="县公路事务中心", period="2025-06", vocabulary=words,
                  indicator_name="交通建设完成投资合计")
    assert ledger.check_investment(rows, reported_month=1120.5, reported_year=4210.0, **kwargs) == []
    issues = ledger.check_investment(rows, reported_month=1000.0, reported_year=4000.0, **kwargs)
    assert [i.indicator for i in issues] == ["projects.month_investment", "projects.year_investment"]
    assert "2025年1—6月" in issues[1].message and "4210万元" in issues[1].message
    assert "交通建设完成投资合计4000万元" in issues[1].message
