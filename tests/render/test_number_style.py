"""render/number_style.py: the number formats and figure phrases the documents use."""
from __future__ import annotations

import pytest

from county_reports.aggregate import Span
from county_reports.render.number_style import (amount_parts, fmt_amount, fmt_completion,
                                                fmt_month_range, fmt_number, fmt_points,
                                                fmt_span_label, fmt_span_long, fmt_yoy)

H1_2025 = Span.half_year(2025)


def test_amounts_switch_to_yi_yuan_and_use_no_separators():
    assert fmt_amount(52300, "万元", 2) == "5.23亿元"
    assert fmt_amount(1234.5, "万元", 2) == "1234.50万元"
    assert fmt_amount(9999.994, "万元") == "9999.99万元"
    assert fmt_amount(9999.995, "万元") == "1.00亿元"          # rounds to 10000 万元
    assert amount_parts(123456.78, "万元") == ("12.35", "亿元")
    assert fmt_amount(12.25, "公里", 1) == "12.3公里"           # half up, not banker's
    assert fmt_amount(26.0, "座", 0) == "26座"
    assert fmt_amount(None, "万元") == "—" and fmt_number(float("nan"), 2) == "—"
    assert "," not in fmt_amount(98765432.1, "万元")


def test_yoy_completion_and_month_range_phrases():
    assert fmt_yoy(5.25) == "同比增长5.3%"
    assert fmt_yoy(-2.1) == "同比下降2.1%"
    assert fmt_yoy(0.04) == "与上年同期持平" and fmt_yoy(-0.049) == "与上年同期持平"
    assert fmt_yoy(None) == "上年同期无可比数据" and fmt_yoy(float("nan")) == "上年同期无可比数据"
    assert fmt_points(1.24) == "同比提高1.2个百分点"
    assert fmt_completion(52.345) == "完成年度目标的52.3%"
    with pytest.raises(ValueError):
        fmt_completion(None)
    assert fmt_month_range(H1_2025) == "1—6月"
    assert fmt_month_range(Span.full_year(2025)) == "1—12月"
    assert fmt_month_range(Span.month("2025-06")) == "6月"


def test_span_labels():                         # moved from tests/aggregate/test_span.py
    assert fmt_span_label(H1_2025) == "1—6月"
    assert fmt_span_label(Span.full_year(2025)) == "全年"
    assert fmt_span_label(Span.month("2025-06")) == "6月"
    assert fmt_span_label(Span(2025, 1, 9)) == "1—9月"
    assert fmt_span_long(H1_2025) == "2025年1—6月"
