"""A month's events checked: each rule refuses what it should (Chinese, naming unit, item and
rule) and a right event of every kind passes and is read."""
from __future__ import annotations

import pytest

from county_reports.validate.projects import events
from county_reports.core.projects.vocabulary import load_vocabulary

WHO = {"unit": "EB01", "unit_name": "县交通运输综合行政执法大队", "period": "2025-06"}
RIGHT = [
    {"kind": "document", "number": "清交执发〔2025〕12号", "title": "关于开展异地交叉执法的通知", "date": "2025-06-03"},
    {"kind": "会议", "meeting": "现场会", "date": "2025-06-19", "topic": "治超工作推进"},
    {"kind": "campaign", "name": "异地交叉执法行动", "start": "2025-05-20", "end": "2025-06-10",
     "counts": {"deployed": 320, "查处违法行为": 46}, "of_which": [{"name": "超限超载", "count": 30}]},
    {"kind": "honour", "title": "全市治超工作考核第一名", "body": "市治超办", "level": "市级"},
    {"kind": "proposal", "subkind": "npc", "received": 4, "closed": 4},
    {"kind": "petition", "channel": "hotline", "received": 38, "closed": 36},
    {"kind": "inspection", "source": "patrol", "issues": 12, "rectified": 9},
]


@pytest.fixture(scope="module")
def words():
    return load_vocabulary()


def check(words, items, **where):
    return events.check_events({"events": items}, vocabulary=words, **{**WHO, **where})


def test_right_events_of_every_kind_pass_and_are_read(words):
    read, issues = check(words, RIGHT)
    assert issues == []
    assert [e.kind for e in read] == ["document", "meeting", "campaign", "honour", "proposal", "petition",
                                      "inspection"]
    assert read[1].subkind == "on_site" and read[2].counts == {"deployed": 320, "found": 46}
    assert read[2].of_which == (("超限超载", 30),) and read[3].subkind == "city"


def test_a_submission_without_events_is_as_before(words):
    assert events.check_events({}, vocabulary=words, **WHO) == ([], [])


@pytest.mark.parametrize("drop, rule_text", [("number", "未填写文号"), ("title", "未填写标题")])
def test_a_document_without_its_number_or_title_is_refused(words, drop, rule_text):
    item = {k: v for k, v in RIGHT[0].items() if k != drop}
    read, issues = check(words, [item])
    assert read == [] and [i.rule for i in issues] == ["EVENT_DOCUMENT"]
    assert rule_text in issues[0].message and "第1条" in issues[0].message
    assert issues[0].indicator == f"events[1].{drop}"


@pytest.mark.parametrize("where", ["counts", "of_which"])
def test_a_campaign_with_a_negative_count_is_refused(words, where):
    item = dict(RIGHT[2])
    if where == "counts":
        item["counts"] = {"deployed": -320, "found": 46}
    else:
        item["of_which"] = [{"name": "超限超载", "count": -1}]
    read, issues = check(words, [item])
    assert read == [] and [i.rule for i in issues] == ["EVENT_COUNT"]
    assert "不能为负数" in issues[0].message and "异地交叉执法行动" in issues[0].message


def test_a_part_larger_than_the_whole_and_an_unknown_count_are_refused(words):
    _, issues = check(words, [dict(RIGHT[2], of_which=[{"name": "超限超载", "count": 47}])])
    assert [i.rule for i in issues] == ["EVENT_COUNT"] and "多于查处总数46宗" in issues[0].message
    _, issues = check(words, [dict(RIGHT[2], counts={"smiles": 3})])
    assert [i.rule for i in issues] == ["FIELD_CHOICE"]


@pytest.mark.parametrize("index", [4, 5, 6])
def test_closure_over_a_hundred_percent_is_refused(words, index):
    item = dict(RIGHT[index])
    whole, part = ("issues", "rectified") if item["kind"] == "inspection" else ("received", "closed")
    item[part] = item[whole] + 1
    read, issues = check(words, [item])
    assert read == [] and [i.rule for i in issues] == ["EVENT_CLOSURE"]
    assert "不能超过100%" in issues[0].message and f"{(item[whole] + 1) / item[whole] * 100:.1f}%" in issues[0].message
    item[part] = item[whole]           # exactly 100% is fine
    assert check(words, [item])[1] == []


@pytest.mark.parametrize("index, field, value", [(0, "date", "2025-07-01"), (1, "date", "2025-05-31"),
                                                 (3, "date", "2024-06-15"), (2, "start", "2025-07-02")])
def test_a_date_outside_the_month_is_refused(words, index, field, value):
    item = dict(RIGHT[index], **{field: value})
    if field == "start":
        item["end"] = "2025-07-20"
    read, issues = check(words, [item])
    assert read == [] and [i.rule for i in issues] == ["EVENT_DATE"], issues
    assert "不在报送月份内" in issues[0].message and value in issues[0].message


def test_campaign_dates_reversed_unreadable_or_missing_are_refused(words):
    _, issues = check(words, [dict(RIGHT[2], start="2025-06-10", end="2025-06-01")])
    assert [i.rule for i in issues] == ["EVENT_DATE"] and "早于开始日期" in issues[0].message
    _, issues = check(words, [dict(RIGHT[1], date="6月19日")])
    assert [i.rule for i in issues] == ["FIELD_DATE"]
    _, issues = check(words, [{k: v for k, v in RIGHT[1].items() if k != "date"}])
    assert [i.rule for i in issues] == ["EVENT_FIELD"] and "日期" in issues[0].message


def test_one_bad_event_never_hides_the_others(words):
    broken = dict(RIGHT[0], number="")
    read, issues = check(words, [broken, *RIGHT[1:], {"kind": "庆典"}, "x", {"title": "无类别"}])
    assert len(read) == len(RIGHT) - 1
    assert sorted(i.rule for i in issues) == ["EVENT_DOCUMENT", "EVENT_FIELD", "FIELD_CHOICE", "LIST"]
    _, issues = events.check_events({"events": [RIGHT[0]] * 61}, vocabulary=words, **WHO)
    assert [i.rule for i in issues] == ["LIST"]
