"""Warnings ranked by their effect on the county total (issue 20 part 4): the status page (a unit's
page and the month's validation report) and the monthly circular list the largest first, whatever
the catalogue's order of the indicators."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from county_reports.render import circular, status_page
from county_reports.core import mail
from county_reports.validate.model import Issue, Verdict
from county_reports.warehouse import Warehouse

PERIOD = "2025-06"


def _warning(unit, code, value, effect, words):
    return Issue(unit, PERIOD, code, value, "OUTLIER", "warning", f"{unit} {code} {words}", effect=effect,
                 expected=1.0)


@pytest.fixture
def wh(tmp_path, catalog):
    # INV_HIGHWAY comes before RURAL_ROAD_KM in the catalogue; the effects say the opposite.
    small = _warning("TS01", "INV_HIGHWAY", "1060", 0.02, "小影响的警告")
    large = _warning("TS01", "RURAL_ROAD_KM", "95", 0.61, "大影响的警告")
    middle = _warning("TS02", "INV_HIGHWAY", "5000", 0.3, "中等影响的警告")
    verdicts = [Verdict(u, PERIOD, f"{n:064x}", "http", "2025-07-03T10:00:00+08:00", None, "accepted_with_warnings",
                        {i.indicator: float(i.value) for i in issues}, {i.indicator: i.value for i in issues},
                        issues=issues)
                for n, (u, issues) in enumerate((("TS01", (small, large)), ("TS02", (middle,)))) ]
    with Warehouse(f"sqlite:///{tmp_path / 'wh.db'}") as warehouse:
        warehouse.migrate()
        warehouse.record_verdicts([replace(verdicts[0], confirmations={"RURAL_ROAD_KM": "新增两条通村路"}),
                                   verdicts[1]], "run")
        yield warehouse


def _order(text: str, *needles: str) -> list[int]:
    return [text.index(n) for n in needles]


def test_the_units_page_and_the_months_report_list_warnings_largest_effect_first(wh, catalog):
    unit = status_page.unit_page(wh, catalog, catalog.unit_by_code["TS01"])
    large, small = _order(unit, "大影响的警告", "小影响的警告")
    assert large < small
    assert "61.0%" in unit and "2.0%" in unit                          # the effect shown beside it
    month = status_page.month_page(wh, catalog, PERIOD)
    large, small = _order(month, "大影响的警告", "小影响的警告")
    assert large < small


def test_the_circular_lists_flagged_values_largest_effect_first(wh, catalog):
    facts = circular.facts(wh, catalog, PERIOD, mail.load_settings())
    document = circular.compose(facts, catalog, circular.load_wording(), date(2025, 7, 8))
    [flagged] = [s for s in document.sections[1].subsections if s.heading.startswith("（五）")]
    assert flagged.heading == "（五）需核实的数值（3项，按对全县合计的影响由大到小）"
    [text] = flagged.paragraphs
    names = catalog.unit_by_code["TS01"].name, catalog.unit_by_code["TS02"].name
    assert text.startswith(f"{names[0]}“新改建农村公路”填报95公里（影响全县合计约61.0%，单位已核实无误）；")
    first, second, third = _order(text, "填报95公里", "填报5000万元", "填报1060万元")
    assert first < second < third
    assert "影响全县合计约30.0%，待单位核实" in text and "影响全县合计约2.0%，待单位核实" in text
