"""render/phrasing.py: one county figure in the catalogue's style — a flow with 同比 and completion,
a stock "as at", an index in points, a sanction stated bare, the safety record — each number traced.
Real county figures (aggregate.county_figures) and the real composer's trace and fill."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from county_reports import aggregate
from county_reports.render import compose
from county_reports.render.phrasing import COUNT, FLOW, INDEX, RATE, SANCTION, STOCK, FigureWriter

SPAN = aggregate.Span.half_year(2025)


def _writer(catalog, wording, now=12.0, before=10.0, drop=()):
    rows = []
    for period in SPAN.periods + SPAN.same_span_last_year().periods:
        for unit in catalog.units_active_in(period):
            for ind in catalog.indicators:
                if unit.kind in ind.reported_by and ind.code not in drop:
                    rows.append({"unit": unit.code, "period": period, "indicator": ind.code,
                                 "value": now if period.startswith("2025") else before,
                                 "submission_id": 1, "version": 1})
    values = pd.DataFrame(rows)
    status = pd.DataFrame([{"unit": u.code, "period": p, "status": "on_time", "due": None,
                            "first_accepted_arrived_at": None}
                           for p in SPAN.periods for u in catalog.units_active_in(p)])
    figures = aggregate.county_figures(catalog, values, SPAN, completeness=status)
    summary = aggregate.completeness_summary(status, SPAN, catalog=catalog)
    inputs = compose.ReportInputs("half_year", SPAN, figures, pd.DataFrame(), summary,
                                  aggregate.completeness_totals(summary), date(2025, 7, 10), values=values)
    composer = compose._Composer(catalog, wording, inputs)
    return FigureWriter(catalog, wording, "half_year", SPAN, composer.rows, composer.traced, composer.fill), composer


@pytest.fixture(scope="module")
def wording():
    return compose.load_wording()


@pytest.fixture(scope="module")
def writer(catalog, wording):
    return _writer(catalog, wording)


def test_styles_from_the_catalogue_and_the_figures(writer):
    fig, _ = writer
    assert fig.style("INV_TOTAL") == FLOW and fig.style("ENF_CASES") == SANCTION
    assert fig.style("ROAD_MQI") == INDEX and fig.style("PROJ_ONGOING") in (STOCK, COUNT)
    assert fig.style("VILLAGE_BUS_RATE") == RATE and fig.is_stock("BUS_VEHICLES")


def test_a_flow_with_its_change_and_completion_traced(writer, wording):
    fig, composer = writer
    style = wording["style"]
    text = fig.phrase("INV_TOTAL", "opening")
    assert style["yoy_up"] + "20.0%" in text and "完成年度目标的" in text
    measures = {t["measure"] for t in composer.trace if t["indicator"] == "INV_TOTAL"}
    assert measures == {"value", "yoy_pct", "completion_pct"}
    assert all(t["text"] in text for t in composer.trace if t["indicator"] == "INV_TOTAL")


def test_a_stock_is_as_at_the_spans_end(writer, wording):
    fig, _ = writer
    text = fig.phrase("BUS_VEHICLES", "x")
    assert text.startswith(wording["style"]["as_of"]["half_year"].format(month=6))
    assert wording["style"]["yoy_up"] not in text


def test_an_index_moves_in_points_and_a_sanction_is_bare(writer, wording):
    fig, _ = writer
    assert fig.change("ROAD_MQI", "x").startswith(wording["style"]["points_up"])
    assert fig.change("ROAD_MQI", "x").endswith("分")
    assert fig.change("ENF_CASES", "x") == "" and fig.completion("ENF_CASES", "x") == ""


def test_no_change_is_said_as_such_and_a_falling_flow_falls(catalog, wording):
    same, _ = _writer(catalog, wording, now=10.0, before=10.0)
    assert same.change("INV_TOTAL", "x") == wording["style"]["same"]
    down, _ = _writer(catalog, wording, now=8.0, before=10.0)
    assert down.change("INV_TOTAL", "x") == wording["style"]["yoy_down"] + "20.0%"


def test_a_figure_nobody_reported_is_not_phrased(catalog, wording):
    fig, _ = _writer(catalog, wording, drop=("INV_TOTAL",))
    assert not fig.has("INV_TOTAL") and fig.phrase("INV_TOTAL", "x") is None
    assert fig.has("INV_HIGHWAY") and not fig.has("NO_SUCH_CODE")


def test_the_safety_record(catalog, wording):
    fig, _ = _writer(catalog, wording)
    accidents, deaths = fig.accidents()
    assert accidents > 0 and deaths > 0
    assert "死亡" in fig.safety_record("x") and fig.safety_record("x") != wording["style"]["safety"]["none"]
    calm, _ = _writer(catalog, wording, now=0.0)
    assert calm.safety_record("x") == wording["style"]["safety"]["none"]
