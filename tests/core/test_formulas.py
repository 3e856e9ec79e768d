"""formulas.py: derived indicators' formulas are evaluated safely (no names, calls or attributes)."""
from __future__ import annotations

import pytest

from county_reports.core import formulas
from county_reports.core.formulas import FormulaError, evaluate


def test_formula_evaluation_is_safe():
    assert evaluate("A / B * 100", {"A": 1, "B": 4}) == 25.0
    assert evaluate("-A + 2", {"A": 1}) == 1.0
    assert evaluate("A / (B - B)", {"A": 1, "B": 3}) is None
    assert evaluate("A / B", {"A": None, "B": 3}) is None
    for bad in ("__import__('os').system('true')", "A.real", "A ** 2", "[A]", "A if B else 1"):
        with pytest.raises(FormulaError):
            evaluate(bad, {"A": 1, "B": 2})


def test_a_rate_is_read_as_its_two_codes_whichever_sorts_first():
    assert formulas.ratio("HAZARD_FIXED / HAZARD_FOUND * 100") == ("HAZARD_FIXED", "HAZARD_FOUND")
    assert formulas.ratio("VILLAGES_WITH_BUS / VILLAGES_TOTAL * 100") == ("VILLAGES_WITH_BUS", "VILLAGES_TOTAL")
    assert formulas.ratio("A / B") == ("A", "B") and formulas.ratio("100 * A / B") == ("A", "B")
    assert formulas.ratio("A + B") is None and formulas.ratio("(A + C) / B") is None and formulas.ratio("A / 2") is None
