"""附件: the main-indicators table a county office reads, built from the simulator's figures.

Rows are the indicators with targets and the configured key ones, under their lines of work;
比上年同期增减 is in one unit per kind of indicator and agrees with the displayed figures;
备注 says what the figures mean; no column is all dashes. The table is then rendered and
converted by LibreOffice to check that no figure wraps.
"""
from __future__ import annotations

import copy
import dataclasses
import re
import subprocess
from datetime import date
from decimal import Decimal

import docx
import pandas as pd
import pytest
from docx.oxml.ns import qn

from county_reports.aggregate import Span, completeness_summary, county_figures
from county_reports.render import appendix, compose, layout, number_style
from county_reports.render.model import Attachment, OfficialDocument
from county_reports.core.report_settings import HALF_YEAR
from county_reports.simulator.seeding import accepted_verdicts


@pytest.fixture(scope="module")
def values(catalog) -> pd.DataFrame:
    rows = [{"unit": v.unit, "period": v.period, "indicator": code, "value": value}
            for v in accepted_verdicts(catalog, "2024-01", "2025-06") for code, value in v.values.items()]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def wording():
    return compose.load_wording()


def inputs(catalog, values, kind: str):
    half = kind == HALF_YEAR
    span = Span.half_year(2025) if half else Span.full_year(2024)
    empty = pd.DataFrame(columns=["unit", "period", "status"])
    return compose.ReportInputs(kind, span, county_figures(catalog, values, span), pd.DataFrame(),
                                completeness_summary(empty, span), {},
                                date(2025, 7, 10) if half else date(2025, 1, 15))


def table(catalog, wording, values, kind, trace=None):
    return appendix.indicator_table(catalog, wording, inputs(catalog, values, kind), [] if trace is None else trace)


def body(attachment: Attachment) -> list[tuple[str, ...]]:
    return [r for i, r in enumerate(attachment.rows) if i not in attachment.group_rows]


def column(attachment: Attachment, header: str) -> int:
    return [c.replace("\n", "") for c in attachment.columns].index(header)


@pytest.mark.parametrize("kind", ["half_year", "annual"])
def test_rows_are_the_targets_and_the_key_indicators_under_their_lines_of_work(catalog, wording, values, kind):
    attachment = table(catalog, wording, values, kind)
    year = 2025 if kind == "half_year" else 2024
    key = wording["attachments"]["indicators"]["key_indicators"]
    names = {i.name: i for i in (*catalog.indicators, *catalog.derived)}
    shown = [re.sub("^" + wording["attachments"]["indicators"]["part_prefix"], "", r[1]) for r in body(attachment)]
    assert {names[n].code for n in shown} == set(catalog.targets[year]) | set(key)
    assert "建制村" not in shown and "通客车建制村" not in shown            # helper rows stay out
    assert 20 <= len(attachment.rows) <= 32                                   # 24 indicators, 7 lines of work
    # group rows: the lines of work in catalogue order, numbered 一、二…; indicators 1…N
    groups = [attachment.rows[i] for i in attachment.group_rows]
    order = [s.name for s in catalog.sections]
    assert [g[1] for g in groups] == sorted((g[1] for g in groups), key=order.index)
    assert [g[0] for g in groups] == [number_style.chinese_number(i) for i in range(1, len(groups) + 1)]
    assert all(not any(g[2:]) for g in groups)
    assert [r[0] for r in body(attachment)] == [str(i) for i in range(1, len(shown) + 1)]
    # every indicator sits under its own line of work
    current = None
    for index, row in enumerate(attachment.rows):
        if index in attachment.group_rows:
            current = row[1]
        else:
            name = re.sub("^其中：", "", row[1])
            assert catalog.section_by_code[names[name].section].name == current, row


def test_a_part_follows_its_total(catalog, wording, values):
    names = [r[1] for r in body(table(catalog, wording, values, "half_year"))]
    rule = next(r for r in catalog.rules if r.check == "sum_equals")
    total = names.index(catalog.indicator_by_code[rule.params["total"]].name)
    parts = [catalog.indicator_by_code[p].name for p in rule.params["parts"]]
    assert names[total + 1] == "其中：" + parts[0]
    assert names[total + 2: total + len(parts) + 1] == parts[1:]


def _expected_kind(catalog, wording, code):
    rules = wording["attachments"]["indicators"]["change"]
    item = catalog.indicator_by_code.get(code) or next(d for d in catalog.derived if d.code == code)
    return item, rules


def test_change_column_has_one_unit_per_kind_of_indicator_from_the_displayed_figures(catalog, wording, values):
    attachment = table(catalog, wording, values, "half_year")
    names = {i.name: i for i in (*catalog.indicators, *catalog.derived)}
    rules = wording["attachments"]["indicators"]["change"]
    now_col, base_col = column(attachment, "1—6月"), column(attachment, "上年同期")
    change_col = column(attachment, "比上年同期增减")
    kinds = set()
    for row in body(attachment):
        item = names[re.sub("^其中：", "", row[1])]
        now, base, change = row[now_col], row[base_col], row[change_col]
        if "—" in (now, base):
            assert change == "—"
            continue
        shown_now, shown_base = Decimal(now), Decimal(base)
        integer = getattr(item, "integer", False)
        if item.uom in rules["points_uoms"]:
            kind, expected = "points", shown_now - shown_base
        elif getattr(item, "over_time", None) in rules["difference_over_time"] or (
                integer and max(abs(shown_now), abs(shown_base)) < rules["difference_below"]):
            kind, expected = "diff", shown_now - shown_base
        else:
            kind, expected = "pct", (shown_now - shown_base) / shown_base * 100
        kinds.add(kind)
        if change == rules["flat"]:
            assert number_style.round_half_up(float(expected), 1 if kind == "pct" else item.decimals) == 0, row
            continue
        suffix = {"points": rules["points_word"], "diff": item.uom, "pct": "%"}[kind]
        assert change.endswith(suffix), row
        number = Decimal(change[: -len(suffix)])
        places = 1 if kind == "pct" else item.decimals
        assert number == number_style.round_half_up(float(expected), places), row
    assert kinds == {"points", "diff", "pct"}
    # the examples: an index and a rate in points, a small count as a difference
    by_name = {re.sub("^其中：", "", r[1]): r for r in body(attachment)}
    assert by_name["公路技术状况指数（MQI）"][change_col].endswith("个百分点")
    assert by_name["隐患整改率"][change_col].endswith("个百分点")
    assert by_name["危旧桥梁改造"][change_col] == "-3座"
    assert by_name["城乡公交线路"][change_col] == "3条"


def test_no_column_is_all_dashes(catalog, wording, values):
    for kind in ("half_year", "annual"):
        attachment = table(catalog, wording, values, kind)
        for index, header in enumerate(attachment.columns):
            cells = [r[index] for r in body(attachment)]
            assert any(c not in ("—", "") for c in cells), (kind, header)
    # no data for 2023: the annual 2024 table has no 上年同期 and no 比上年同期增减
    headers = [c.replace("\n", "") for c in table(catalog, wording, values, "annual").columns]
    assert "上年同期" not in headers and "比上年同期增减" not in headers
    # a county without targets: no 年度目标, no completion column
    untargeted = dataclasses.replace(catalog, targets={})
    attachment = appendix.indicator_table(untargeted, wording, inputs(untargeted, values, "half_year"), [])
    headers = [c.replace("\n", "") for c in attachment.columns]
    assert "年度目标" not in headers and "完成进度" not in headers
    assert len(body(attachment)) == len(wording["attachments"]["indicators"]["key_indicators"])


def test_completion_only_for_cumulative_targets_and_remarks_say_what_figures_mean(catalog, wording, values):
    remarks = wording["attachments"]["indicators"]["remarks"]
    for kind in ("half_year", "annual"):
        attachment = table(catalog, wording, values, kind)
        frame = inputs(catalog, values, kind).figures.set_index("name")
        done = column(attachment, "完成进度" if kind == "half_year" else "完成率")
        remark = column(attachment, "备注")
        seen = set()
        for row in body(attachment):
            fig = frame.loc[re.sub("^其中：", "", row[1])]
            words = row[remark].split(remarks["separator"]) if row[remark] else []
            if fig["target_basis"] == "cumulative":
                pct = Decimal(row[done].rstrip("%"))
                table_words = remarks[kind]
                if kind == "annual":
                    want = table_words["exceeded"] if pct > 100 else table_words["done"] if pct == 100 \
                        else table_words["missed"]
                else:
                    want = table_words["done"] if pct >= 100 else table_words["on_schedule"] \
                        if pct >= 50 else table_words["behind"]
                assert want in words, row
                seen.add(want)
            else:
                assert row[done] == "—", row              # no 完成比例 for a rate or a level
            if fig["target_basis"] == "level":
                assert remarks["level"]["met" if Decimal(row[3]) >= Decimal(str(fig["target"]))
                                        else "missed"] in words, row
            if fig["aggregation"] == "last":
                assert ("截至6月底" if kind == "half_year" else "截至年底") in words, row
            if fig["aggregation"] == "mean":
                assert ("1—6月平均" if kind == "half_year" else "全年平均") in words, row
        if kind == "annual":
            assert {remarks["annual"]["exceeded"], remarks["annual"]["missed"]} <= seen
        else:
            assert {remarks["half_year"]["behind"], remarks["half_year"]["on_schedule"]} <= seen


def test_an_exactly_met_annual_target_is_done_not_exceeded(catalog, wording, values):
    data = inputs(catalog, values, "annual")
    figures = data.figures.copy()
    at = figures.index[figures["code"] == "BRIDGE_REBUILT"][0]
    figures.loc[at, ["value", "completion_pct"]] = [figures.loc[at, "target"], 100.0]
    rows = appendix.indicator_rows(catalog, wording, figures, data.span, "annual")
    assert next(r for r in rows if r.code == "BRIDGE_REBUILT").remark == wording["attachments"]["indicators"][
        "remarks"]["annual"]["done"]


def test_key_indicators_come_from_the_wording(catalog, wording, values):
    changed = copy.deepcopy(wording)
    changed["attachments"]["indicators"]["key_indicators"] = ["FREIGHT_VOLUME"]
    attachment = table(catalog, changed, values, "half_year")
    names = [r[1] for r in attachment.rows]
    assert "道路货运量" in names and "货运与物流" in names and "城乡公交线路" not in names


def test_every_figure_is_traced(catalog, wording, values):
    trace: list[dict] = []
    attachment = table(catalog, wording, values, "half_year", trace)
    traced = {(f["where"], f["text"]) for f in trace}
    count = 0
    for index, row in enumerate(attachment.rows):
        for cell in row[3:]:
            if re.search(r"\d", re.sub(r"\d{1,2}—\d{1,2}月|\d{1,2}月", "", cell)):
                assert (f"附件1:{index}", cell) in traced, (index, cell)
                count += 1
    assert count == len(trace) > 100
    change = next(f for f in trace if f["measure"] == "change_points")
    assert len(change["from"]) == 2     # the displayed figures the change is computed from


def test_roster_changes_are_noted(catalog, wording, values):
    half = table(catalog, wording, values, "half_year").notes
    annual = table(catalog, wording, values, "annual").notes
    ts09, ts11 = catalog.unit_by_code["TS09"].name, catalog.unit_by_code["TS11"].name
    assert any(ts09 in n and "2024年9月" in n and "上年同期数据含该单位" in n for n in half)
    assert any(ts11 in n and "2024年7月" in n and "上年同期数据不含该单位" in n for n in half)
    assert any(ts09 in n and "不计入2024年底合计" in n for n in annual)
    assert any(ts11 in n and "自2024年7月起报送" in n for n in annual)
    # numbered notes; the change column's note only where that column is shown
    assert half[0].startswith("注：1.") and half[1].startswith("2.比上年同期增减")
    assert not any("比上年同期增减" in n for n in annual)
    steady = dataclasses.replace(catalog, units=tuple(dataclasses.replace(u, active_from="2024-01", active_to=None)
                                                     for u in catalog.units))
    assert appendix.roster_notes(steady, wording["attachments"]["indicators"]["roster"], Span.half_year(2025)) == []


def test_reporting_table_is_kept_for_the_admins(catalog, wording):
    span = Span.half_year(2025)
    completeness = pd.DataFrame([{"unit": u.code, "period": p, "status": "late" if u.code == "TS03" else "on_time"}
                                 for p in span.periods for u in catalog.units_active_in(p)])
    trace: list[dict] = []
    attachment = appendix.reporting_table(catalog, wording, span, completeness_summary(completeness, span,
                                                                                        catalog=catalog), trace)
    row = next(r for r in attachment.rows if r[0] == catalog.unit_by_code["TS03"].name)
    assert row[1:] == ("6", "0", "6", "0", "0")
    assert attachment.columns[0] == "单位" and len(trace) == 5 * len(attachment.rows)


def test_model_checks_group_rows_and_alignment():
    with pytest.raises(ValueError, match="group row 0: only its first two"):
        Attachment("附件", "表", ["a", "b", "c"], [["一", "甲", "x"]], group_rows=[0])
    with pytest.raises(ValueError, match="group row 3"):
        Attachment("附件", "表", ["a", "b"], [["一", "甲"]], group_rows=[3])
    with pytest.raises(ValueError, match="column_align has 1"):
        Attachment("附件", "表", ["a", "b"], [["1", "2"]], column_align=["left"])
    with pytest.raises(ValueError, match="'middle' is not one of"):
        Attachment("附件", "表", ["a", "b"], [["1", "2"]], column_align=["left", "middle"])


# --- rendered ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rendered(tmp_path_factory, catalog, wording, values):
    attachment = table(catalog, wording, values, "half_year")
    doc = OfficialDocument(title="附件测试", attachments=[attachment])
    return attachment, layout.render_docx(doc, tmp_path_factory.mktemp("appendix") / "appendix.docx")


def test_group_rows_span_the_table_and_keep_with_their_first_row(rendered):
    attachment, path = rendered
    tbl = docx.Document(str(path)).tables[0]._tbl
    rows = tbl.tr_lst[1:]
    for index, tr in enumerate(rows):
        cells = tr.tc_lst
        if index in attachment.group_rows:
            assert len(cells) == 2
            span = cells[1].tcPr.find(qn("w:gridSpan"))
            assert int(span.get(qn("w:val"))) == len(attachment.columns) - 1
            assert cells[1].find(qn("w:p")).pPr.find(qn("w:keepNext")) is not None
        else:
            assert len(cells) == len(attachment.columns)
    # figures right, 序号 and 单位 centred, names and remarks left
    first = rows[1].tc_lst
    jc = [tc.find(qn("w:p")).pPr.find(qn("w:jc")).get(qn("w:val")) for tc in first]
    assert jc == list(attachment.column_align) == ["center", "left", "center", "right", "right", "right",
                                                   "right", "right", "left"]


def test_figure_columns_are_wide_enough_and_text_columns_give_way(rendered):
    attachment, _ = rendered
    widths = layout.column_widths(attachment, layout.TEXT_WIDTH_TWIPS)
    assert sum(widths) == layout.TEXT_WIDTH_TWIPS
    for index, align in enumerate(attachment.column_align):
        if align == "right":
            widest = max(layout.cell_width_pt(r[index]) for r in body(attachment))
            assert widths[index] / 20 >= widest + layout.CELL_MARGINS_PT - 0.1, attachment.columns[index]
    name = [c.replace("\n", "") for c in attachment.columns].index("指标")
    assert widths[name] / 20 >= 4 * layout.TABLE_PT      # names still get four characters a line


def test_libreoffice_prints_every_figure_on_one_line(rendered, tmp_path, require_tool):
    soffice = require_tool("soffice", "libreoffice")
    pdftotext = require_tool("pdftotext")
    attachment, source = rendered
    done = subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                           "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                          capture_output=True, text=True, timeout=300)
    pdf = tmp_path / "appendix.pdf"
    assert done.returncode == 0 and pdf.exists(), done.stderr
    text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    lines = [re.sub(r"\s+", "", line) for line in text.splitlines()]
    for row in body(attachment):
        for index, align in enumerate(attachment.column_align):
            if align == "right" and row[index] != "—":
                assert any(row[index] in line for line in lines), row[index]
