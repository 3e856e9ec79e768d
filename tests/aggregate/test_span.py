"""aggregate/span.py: a span's kind, periods and the same span last year (its labels, which are
wording, are tested in tests/render/test_number_style.py)."""
from __future__ import annotations

import pytest

from aggregate_helpers import H1_2025
from county_reports.aggregate import Span


def test_span_labels_periods_and_last_year():
    assert H1_2025.is_half_year
    assert Span.full_year(2025).is_full_year
    assert Span.month("2025-06").is_single_month
    assert Span.through("2025-09") == Span(2025, 1, 9)
    assert H1_2025.periods == ("2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06")
    assert H1_2025.same_span_last_year() == Span(2024, 1, 6)
    with pytest.raises(ValueError):
        Span(2025, 7, 6)
    with pytest.raises(ValueError):
        Span(2025, 0, 6)
