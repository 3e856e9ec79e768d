"""aggregate/indicator.py: only the current version of a submission counts; the aggregate package
stays clear of the warehouse and Airflow."""
from __future__ import annotations

import subprocess
import sys

import pytest

from aggregate_helpers import figure, values
from county_reports.aggregate import Span, county_figures, current_only


def test_superseded_version_does_not_count(catalog):
    current = values(("RC01", "2025-06", "INV_HIGHWAY", 120.0, 2))
    assert figure(county_figures(catalog, current, Span.month("2025-06")), "INV_HIGHWAY")["value"] == 120
    both = values(("RC01", "2025-06", "INV_HIGHWAY", 100.0, 1), ("RC01", "2025-06", "MAINT_FUNDS", 7.0, 1),
                  ("RC01", "2025-06", "INV_HIGHWAY", 120.0, 2))
    kept = current_only(both)
    assert list(kept["version"]) == [2] and list(kept["value"]) == [120.0]
    out = county_figures(catalog, both, Span.month("2025-06"))
    assert figure(out, "INV_HIGHWAY")["value"] == 120
    assert figure(out, "MAINT_FUNDS")["value"] is None          # not carried over from version 1
    with pytest.raises(ValueError, match="more than one"):
        current_only(values(("RC01", "2025-06", "INV_HIGHWAY", 1.0, 2), ("RC01", "2025-06", "INV_HIGHWAY", 2.0, 2)))


def test_aggregate_does_not_import_the_warehouse():
    code = ("import sys, county_reports.aggregate, county_reports.render.number_style; "
            "bad = [m for m in sys.modules if m.startswith('county_reports.warehouse') or m == 'airflow']; "
            "assert not bad, bad")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
