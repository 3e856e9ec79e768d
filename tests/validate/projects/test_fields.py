"""projects/fields.py: one field of a unit's row read defensively: a value, or one issue naming it."""
from __future__ import annotations

from datetime import date

import pytest

from county_reports.validate.projects.fields import Reader
from county_reports.core.projects.vocabulary import load_vocabulary


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary()


@pytest.fixture
def reader(vocabulary):
    return Reader(vocabulary, "TS03", "城关交通运输管理站", "2025-06")


def test_numbers(reader):
    assert reader.number({"a": "1,234.5"}, "a", "projects[1]", "P1") == 1234.5
    assert reader.number({"a": 3.0}, "a", "projects[1]", "P1", integer=True) == 3
    assert reader.issues == []
    for bad in (-1, "abc", True, float("nan"), "1" * 31, 2.5):
        assert reader.number({"a": bad}, "a", "projects[1]", "P1", integer=True) is None
    assert [i.rule for i in reader.issues] == ["FIELD_NUMBER"] * 6
    issue = reader.issues[0]
    assert (issue.unit, issue.period, issue.indicator) == ("TS03", "2025-06", "projects[1].a")
    assert "城关交通运输管理站" in issue.message and "2025年6月" in issue.message and "-1" in issue.message


def test_a_missing_number_is_an_issue_only_when_required(reader):
    assert reader.number({}, "a", "projects[1]", "P1", required=False) is None
    assert reader.issues == []
    assert reader.number({"a": ""}, "a", "projects[1]", "P1") is None
    assert [i.rule for i in reader.issues] == ["PROJECT_FIELD"]


def test_text_is_bounded(reader, vocabulary):
    assert reader.text({"t": "  说明  "}, "t", "w", "P1") == "说明"
    assert reader.text({"t": "   "}, "t", "w", "P1") is None and reader.issues == []
    limit = vocabulary.limits["text"]
    assert reader.text({"t": "字" * (limit + 1)}, "t", "w", "P1") is None
    assert reader.text({"t": ["not", "text"]}, "t", "w", "P1") is None
    assert [i.rule for i in reader.issues] == ["FIELD_TEXT", "FIELD_TEXT"]
    assert reader.issues[0].value is None        # a long text is not copied into the issue


def test_words_by_code_or_by_name(reader, vocabulary):
    name = vocabulary.name("statuses", "delayed")
    assert reader.word({"s": "delayed"}, "s", "statuses", "w", "P1") == "delayed"
    assert reader.word({"s": f" {name} "}, "s", "statuses", "w", "P1") == "delayed"
    assert reader.word({"s": "late"}, "s", "statuses", "w", "P1") is None
    assert [i.rule for i in reader.issues] == ["FIELD_CHOICE"]
    assert vocabulary.choices("statuses") in reader.issues[0].message


def test_dates(reader):
    assert reader.date("2025-06-18", "d", "w", "P1") == date(2025, 6, 18)
    for bad in ("2025-6-18", "2025-06-31", 20250618, "2025-06-18T00:00:00"):
        assert reader.date(bad, "d", "w", "P1") is None
    assert [i.rule for i in reader.issues] == ["FIELD_DATE"] * 4


def test_items_bounded_and_non_objects_named(reader, vocabulary):
    assert reader.items({}, "projects") == []
    assert reader.items({"projects": [{"a": 1}, "x", {"b": 2}]}, "projects") == [(1, {"a": 1}), (3, {"b": 2})]
    assert [i.indicator for i in reader.issues] == ["projects[2]"]
    assert reader.items({"events": "x"}, "events") == []
    too_many = [{}] * (vocabulary.limits["events"] + 1)
    assert reader.items({"events": too_many}, "events") == []
    assert [i.rule for i in reader.issues] == ["LIST", "LIST", "LIST"]
    assert reader.issues[-1].value == str(len(too_many))
