"""validate/report.py: one period's validation as a self-contained HTML page: counts, every
expectation, the issues of rejected units first — the units' text escaped — written atomically."""
from __future__ import annotations

import re

from county_reports.core import messages
from county_reports.validate import report
from county_reports.validate.model import ACCEPTED, ACCEPTED_WITH_WARNINGS, ERROR, REJECTED, WARNING, Issue, Verdict
from county_reports.validate.suite import CheckResult, Spec


def _v(unit, status, *issues):
    return Verdict(unit, "2025-06", unit * 8, "http", "2025-07-05T06:00:00+08:00", None, status, issues=issues)


def _verdicts():
    hostile = Issue("TS02", "2025-06", "ROAD_INVEST", "<b>1</b>", "NUMERIC", ERROR, "<script>x()</script>不是数字")
    return [_v("TS01", ACCEPTED),
            _v("TS03", ACCEPTED_WITH_WARNINGS, Issue("TS03", "2025-06", "A", "9", "OUTLIER", WARNING, "偏离较大")),
            _v("TS02", REJECTED, hostile)]


def _results():
    ok = Spec("values", "KNOWN_CODE", ERROR, "expect_column_values_to_be_in_set", {"value_set": list("abcdef")}, "已知指标")
    bad = Spec("values", "BOUNDS", WARNING, "expect_column_values_to_be_between", {"min_value": 0}, "取值范围")
    return [CheckResult(ok, 40, []), CheckResult(bad, 40, [3, 7])]


def test_counts_expectations_and_issues(catalog):
    page = report.render("2025-06", _results(), _verdicts(), catalog, engine="pandas")
    assert page.startswith("<!DOCTYPE html>") and catalog.bureau.name in page and "pandas" in page
    statuses = messages.group("statuses")
    assert statuses[REJECTED] in page
    counts = re.search(r"<tr><td class='n'>(\d+)</td><td class='n'>(\d+)</td><td class='n'>(\d+)</td>"
                       r"<td class='n'>(\d+)</td></tr>", page).groups()
    assert counts == ("3", "1", "1", "1")
    assert "expect_column_values_to_be_between" in page and "<6>" not in page   # a long list abbreviated, escaped
    assert page.index("TS02") < page.index("TS03")                                 # rejected first
    assert "TS01<br>" not in page                                                  # accepted, no issue: not listed


def test_the_units_text_is_escaped(catalog):
    page = report.render("2025-06", [], _verdicts(), catalog)
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;b&gt;1" in page
    assert "Great Expectations" in page


def test_write_is_whole(tmp_path, catalog):
    path = tmp_path / "validation" / "2025-06.html"
    path.parent.mkdir()
    assert report.write(path, "2025-06", [], [_v("TS01", ACCEPTED)], catalog) == path
    assert path.read_text(encoding="utf-8").endswith("</html>")
    assert [p.name for p in path.parent.iterdir()] == ["2025-06.html"]
