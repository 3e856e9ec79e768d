"""Numbers in units' items: matched to the unit's indicator, replaced by its span figure, or dropped."""
from __future__ import annotations

import pytest

from county_reports.render import compose
from county_reports.render.items import ItemChecker


@pytest.fixture(scope="module")
def checker(catalog):
    spans = {("SC01", "INV_HUB"): 2058.32, ("RC01", "INV_TOTAL"): 18908.65,
             ("RC01", "BRIDGE_REBUILT"): 4.0, ("EB01", "OVERLOAD_CHECKED"): 49244.0,
             ("EB01", "OVERLOAD_FOUND"): 412.0}
    return ItemChecker(catalog, spans, compose.load_wording()["items"])


def test_a_single_month_figure_is_replaced_by_the_span_figure(checker):
    text, figures = checker.check("SC01", "本月场站枢纽建设完成投资408.07万元，客运站改造主体工程稳步推进。")
    assert text == "场站枢纽建设完成投资2058.32万元，客运站改造主体工程稳步推进。"
    assert [(f.indicator, f.value, f.text) for f in figures] == [("INV_HUB", 2058.32, "2058.32万元")]


def test_yi_yuan_is_read_as_wan_yuan_and_written_in_the_genre(checker):
    text, figures = checker.check("RC01", "完成交通建设投资1.2亿元，重点项目有序推进。")
    assert text.startswith("完成交通建设投资1.89亿元") and figures[0].indicator == "INV_TOTAL"


def test_each_number_finds_its_own_indicator_by_the_words_around_it(checker):
    text, figures = checker.check("EB01", "检测货运车辆3100辆次，查处超限超载车辆28辆。")
    assert [f.indicator for f in figures] == ["OVERLOAD_CHECKED", "OVERLOAD_FOUND"]
    assert text == "检测货运车辆49244辆次，查处超限超载车辆412辆。"


def test_a_number_that_cannot_be_checked_takes_its_clause_with_it(checker):
    # 召开会议3次: no indicator of the unit is a meeting count; the rest of the item stays
    text, figures = checker.check("RC01", "完成危旧桥梁改造1座，召开推进会议3次。")
    assert text == "完成危旧桥梁改造4座。" and len(figures) == 1
    # …and when it is the main clause, the item goes
    assert checker.check("RC01", "召开推进会议3次，研究部署重点工作。") is None


def test_numbers_the_wording_allows_stay_and_are_traced_as_quoted(checker):
    text, figures = checker.check("RC01", "落实24小时值班制度，确保道路安全畅通。")
    assert text == "落实24小时值班制度，确保道路安全畅通。"
    assert [(f.indicator, f.text) for f in figures] == [(None, "24小时")]


def test_a_unit_without_a_span_figure_has_its_figure_clause_dropped(checker):
    assert checker.check("TS01", "完成新改建农村公路3.5公里，路基路面同步推进。") is None
