"""periods.py: months written YYYY-MM, their arithmetic, deadlines and a run's requested months."""
from __future__ import annotations

from datetime import date, datetime, UTC

import pytest

from county_reports.core import periods


@pytest.mark.parametrize("bad", ["2025-13", "2025-00", "2025-6", "25-06", "2025-06-01", "", None, " 2025-06"])
def test_parse_refuses_anything_but_a_month(bad):
    with pytest.raises(ValueError):
        periods.parse(bad)
    assert not periods.is_period(bad)


def test_parse_and_is_period():
    assert periods.parse("2025-06") == (2025, 6)
    assert periods.is_period("2024-12") and not periods.is_period(202412)


def test_shift_crosses_years_both_ways():
    assert periods.shift("2025-01", -1) == "2024-12"
    assert periods.shift("2024-12", 1) == "2025-01"
    assert periods.shift("2025-06", -18) == "2023-12"
    assert periods.previous("2025-03") == "2025-02"
    assert periods.of_date(date(2025, 7, 31)) == "2025-07"


def test_span_includes_both_ends():
    assert periods.span("2024-11", "2025-02") == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert periods.span("2025-02", "2025-01") == []
    with pytest.raises(ValueError):
        periods.span("2025-01", "2025-1")


def test_due_date_is_in_the_following_month():
    assert periods.due_date("2025-06", 7) == date(2025, 7, 7)
    assert periods.due_date("2024-12", 5) == date(2025, 1, 5)


def test_previous_month_on_the_bureaus_clock():
    # 1 July 00:30 in Shanghai is still 30 June in UTC: the bureau's month decides
    moment = datetime(2025, 6, 30, 16, 30, tzinfo=UTC)
    assert periods.previous_month_of(moment) == "2025-06"
    assert periods.previous_month_of(moment, "UTC") == "2025-05"
    assert periods.previous_month_of(datetime(2025, 3, 5, 6)) == "2025-02"     # naive: as given


def test_requested_months_of_a_run():
    now = datetime(2025, 7, 5, 0, tzinfo=UTC)
    assert periods.requested(None, None, now, "Asia/Shanghai") == ["2025-06"]
    assert periods.requested("2025-01", "2025-03", now, "Asia/Shanghai") == ["2025-01", "2025-02", "2025-03"]
    with pytest.raises(ValueError, match="before"):
        periods.requested("2025-03", "2025-01", now, "Asia/Shanghai")
    with pytest.raises(ValueError):
        periods.requested("2025/03", None, now, "Asia/Shanghai")
