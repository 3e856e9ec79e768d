"""render/compose.py on its own: made-up report inputs (every unit reports every indicator it is meant
to, a narrative for every line of work) composed into the document model, checked for structure: the
title, the 一/二/三 sections and their （一） subsections, the attachment, the signature and date, and a
trace entry behind every figure printed."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from county_reports import aggregate
from county_reports.render.number_style import chinese_number
from county_reports.render import compose

H1_2025 = aggregate.Span.half_year(2025)
YEAR_2025 = aggregate.Span.full_year(2025)


def _values(catalog, span):
    """This year 12.0 and last year 10.0 for every indicator, from every unit that reports it."""
    rows = []
    for period in span.periods + span.same_span_last_year().periods:
        for unit in catalog.units_active_in(period):
            for indicator in catalog.indicators:
                if unit.kind in indicator.reported_by:
                    rows.append({"unit": unit.code, "period": period, "indicator": indicator.code,
                                 "value": 12.0 if period.startswith("2025") else 10.0,
                                 "submission_id": 1, "version": 1})
    return pd.DataFrame(rows)


def _inputs(catalog, kind, span, *, missing_unit=None, state_gap=False):
    values = _values(catalog, span)
    if missing_unit:
        values = values[~((values["unit"] == missing_unit) & (values["period"] == span.last))]
    first = catalog.units_active_in(span.last)[0].code
    narratives = pd.DataFrame([{"unit": first, "period": span.last, "kind": item, "section": section.code,
                                "text": f"{section.name}：示例{item}。", "seq": 0}
                               for section in catalog.sections for item in ("highlight", "problem", "plan")])
    status = pd.DataFrame([{"unit": u.code, "period": p,
                            "status": "missing" if (u.code, p) == (missing_unit, span.last) else "on_time",
                            "due": None, "first_accepted_arrived_at": None}
                           for p in span.periods for u in catalog.units_active_in(p)])
    figures = aggregate.county_figures(catalog, values, span, completeness=status)
    summary = aggregate.completeness_summary(status, span, catalog=catalog)
    day = date(2025, 7, 10) if kind == "half_year" else date(2026, 1, 10)
    return compose.ReportInputs(kind, span, figures, narratives, summary, aggregate.completeness_totals(summary),
                                day, state_gap=state_gap, values=values)


@pytest.fixture(scope="module")
def wording():
    return compose.load_wording()


@pytest.fixture(scope="module")
def half_year(catalog, wording):
    inputs = _inputs(catalog, "half_year", H1_2025)
    return inputs, compose.compose(catalog, wording, inputs)


def _body_text(document) -> str:
    parts = list(document.opening)
    for section in document.sections:
        parts += [str(p) for p in section.paragraphs]
        for sub in section.subsections:
            parts += [sub.heading] + [str(p) for p in sub.paragraphs]
    return "\n".join(parts)


def test_title_sections_signature_and_date(catalog, half_year):
    _, composed = half_year
    document = composed.document
    assert document.title == f"{catalog.bureau.name}2025年上半年工作总结及下半年工作计划"
    headings = [s.heading for s in document.sections]
    assert [h[:2] for h in headings] == ["一、", "二、", "三、"]
    assert "存在的问题" in headings[1] and "下半年" in headings[2]
    subsections = document.sections[0].subsections
    assert len(subsections) >= 2
    assert [s.heading[:3] for s in subsections] == [f"（{chinese_number(i + 1)}）" for i in range(len(subsections))]
    assert document.sections[1].paragraphs and document.sections[2].paragraphs
    assert document.signature == catalog.bureau.name and document.date_text == "2025年7月10日"


def test_the_indicator_table_is_the_one_attachment(half_year):
    inputs, composed = half_year
    [table] = composed.document.attachments
    assert table.label == "附件" and table.title == "2025年1—6月主要指标完成情况表"
    assert table.columns[:4] == ("序号", "指标", "单位", "1—6月")
    assert len(table.rows) > 20
    assert composed.tables == {table.title: (list(table.columns), [list(r) for r in table.rows])}


def test_every_printed_figure_has_a_trace_entry_that_agrees_with_the_figures(half_year):
    inputs, composed = half_year
    body, table = _body_text(composed.document), composed.document.attachments[0]
    figures = inputs.figures.set_index("code")
    assert composed.trace
    places = {t["where"] for t in composed.trace}
    assert "opening" in places and any(p.startswith("theme:") for p in places)
    assert any(p.startswith("附件1:") for p in places)
    for entry in composed.trace:
        assert entry["span"] == ["2025-01", "2025-06"], entry
        if entry["where"].startswith("附件1:"):
            assert entry["text"] in table.rows[int(entry["where"].split(":")[1])], entry
        else:
            assert entry["text"] in body, entry
        if entry["measure"] in figures.columns:
            assert entry["value"] == pytest.approx(figures.loc[entry["indicator"], entry["measure"]]), entry
    # every figure in the table's value column is traced
    value_column = table.columns.index("1—6月")
    traced = {(t["where"], t["text"]) for t in composed.trace if t["measure"] == "value"}
    for index, row in enumerate(table.rows):
        if row[value_column] not in ("", "—"):
            assert (f"附件1:{index}", row[value_column]) in traced, (index, row)


def test_the_opening_names_a_unit_that_has_not_reported_only_when_asked(catalog, wording):
    unit = catalog.units_active_in(H1_2025.last)[-1]
    stated = compose.compose(catalog, wording, _inputs(catalog, "half_year", H1_2025, missing_unit=unit.code,
                                                       state_gap=True))
    quiet = compose.compose(catalog, wording, _inputs(catalog, "half_year", H1_2025, missing_unit=unit.code))
    assert unit.name in stated.document.opening[0]
    assert unit.name not in quiet.document.opening[0]


def test_an_annual_report_has_its_own_title_sections_and_span(catalog, wording):
    composed = compose.compose(catalog, wording, _inputs(catalog, "annual", YEAR_2025))
    document = composed.document
    assert document.title == f"{catalog.bureau.name}2025年工作总结及2026年工作打算"
    assert [s.heading for s in document.sections][::2] == ["一、2025年工作完成情况", "三、2026年工作打算"]
    assert document.attachments[0].title == "2025年主要指标完成情况表"
    assert document.date_text == "2026年1月10日"
    assert {tuple(t["span"]) for t in composed.trace} == {("2025-01", "2025-12")}
