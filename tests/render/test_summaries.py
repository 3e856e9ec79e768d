"""The half-year and annual summaries built from a real warehouse, re-opened and checked.

Every figure the document prints is in the sidecar; each is recomputed here independently from
the warehouse's current values (plain pandas, not the aggregate module) and found in the text.
"""
from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn

from county_reports.render import summaries
from county_reports.simulator.seeding import accepted_verdicts
from county_reports.warehouse import Warehouse

def doc_text(document) -> tuple[str, list[list[list[str]]]]:
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    return paragraphs, tables


@pytest.mark.parametrize("kind", ["annual", "half_year"])
def test_layout_of_the_generated_document(built, kind):
    _, out, _ = built
    plan, files = out[kind]
    document = Document(files["docx"])
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert [round(x.mm) for x in (section.top_margin, section.bottom_margin, section.left_margin,
                                  section.right_margin)] == [37, 35, 28, 26]
    body = document.styles["公文正文"]
    assert body.font.size.pt == 16
    assert body.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert document.styles["公文标题"].element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    levels = {"一级标题": "黑体", "二级标题": "楷体_GB2312"}
    for style, font in levels.items():
        assert document.styles[style].element.rPr.rFonts.get(qn("w:eastAsia")) == font
    headings = [p.text for p in document.paragraphs if p.style.name == "一级标题"]
    if kind == "half_year":
        assert headings == ["一、上半年工作开展情况", "二、存在的问题", "三、下半年工作计划"]
    else:
        assert headings == ["一、2024年工作完成情况", "二、存在的问题", "三、2025年工作打算"]
    subheadings = [p.text for p in document.paragraphs if p.style.name == "二级标题"]
    # part 一 by themes (wording.yaml `themes`), not one sub-section per line of work
    assert subheadings[0].startswith("（一）聚焦项目建设，") and 4 <= len(subheadings) <= 7
    # odd pages right, even pages left, both with a PAGE field between em dashes
    assert document.settings.odd_and_even_pages_header_footer
    odd, even = section.footer, section.even_page_footer
    for footer, align in ((odd, "right"), (even, "left")):
        xml = footer._element.xml
        assert "PAGE" in xml and "—" in footer.paragraphs[0].text
        assert footer.paragraphs[0].alignment is not None and align in str(footer.paragraphs[0].alignment).lower()
    # title, signature and date
    text, tables = doc_text(document)
    assert document.paragraphs[0].text.replace("\n", "") == files["title"]
    assert "清河县交通运输局" in text and plan.report_date.strftime("%Y年%-m月%-d日") in text
    # one appendix table (附件2, reporting punctuality, is internal: not in the summary),
    # header as configured; 2024 has no data a year earlier, so the annual has no 上年同期 columns
    assert len(tables) == 1
    if kind == "half_year":
        assert tables[0][0] == ["序号", "指标", "单位", "1—6月", "上年\n同期", "比上年同期\n增减",
                                "年度\n目标", "完成\n进度", "备注"]
    else:
        assert tables[0][0] == ["序号", "指标", "单位", "全年", "年度\n目标", "完成率", "备注"]
    assert len(tables[0]) == 1 + 24 + 7      # 19 targets and 5 key indicators, 7 lines of work


def _county(frame, catalog, code: str, periods: list[str]) -> float | None:
    """Independent recomputation of a county figure from the warehouse's current values."""
    derived = {d.code: d for d in catalog.derived}
    if code in derived:
        names = {n: _county(frame, catalog, n, periods) for n in derived[code].inputs}
        if any(v is None for v in names.values()) or 0 in names.values():
            return None
        return eval(compile(ast.parse(derived[code].formula, mode="eval"), "f", "eval"), {}, names)
    ind = catalog.indicator_by_code[code]
    part = frame[(frame["indicator"] == code) & frame["period"].isin(periods)]
    if part.empty:
        return None
    if ind.over_time == "sum":
        return part["value"].sum()
    if ind.over_time == "last":
        active = {u.code for u in catalog.units_active_in(max(periods))}
        last = part.sort_values("period").groupby("unit")["value"].last()
        return last[last.index.isin(active)].sum()
    monthly = part.groupby("period")["value"].agg("sum" if ind.over_units == "sum" else ind.over_units)
    return monthly.max() if ind.over_time == "max" else monthly.mean()


def _schedule_gap(kind: str, catalog, code: str, now: float, target: float | None, shown) -> float | None:
    """Points behind: the half-year's 50% or the year's 100% of a cumulative target (from the
    printed completion), or a level target (a rate) minus the printed rate."""
    if not target:
        return None
    if code in catalog.indicator_by_code:
        return (50 if kind == "half_year" else 100) - shown(now / target * 100, 1)
    return target - shown(now)


def _number(text: str) -> float:
    if text.endswith("亿元"):
        return float(re.sub(r"[^\d.\-]", "", text)) * 10000
    return float(re.sub(r"[^\d.\-]", "", text))


def _rounding(text: str) -> float:
    """Half a unit of the last printed digit (in 万元 for a figure printed in 亿元)."""
    digits = re.sub(r"[^\d.]", "", text)
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    return 0.5 * 10 ** -decimals * (10000 if text.endswith("亿元") else 1) + 1e-9


@pytest.mark.parametrize("kind", ["annual", "half_year"])
def test_every_printed_figure_equals_the_warehouse(built, catalog, kind):
    warehouse, out, _ = built
    plan, files = out[kind]
    trace = json.loads(Path(files["sidecar"]).read_text(encoding="utf-8"))["figures"]
    text, tables = doc_text(Document(files["docx"]))
    cells = {c for t in tables for row in t for c in row}
    span = list(plan.span.periods)
    last_year = list(plan.span.same_span_last_year().periods)
    values = warehouse.current_values(span + last_year)
    checked = 0
    decimals = {i.code: i.decimals for i in (*catalog.indicators, *catalog.derived)}
    for fig in trace:
        where = fig["where"]
        assert fig["text"] in (cells if where.startswith("附件") else text), fig
        code, measure = fig["indicator"], fig["measure"]
        if "unit" in fig or code is None:    # units' figures and counts: tests/render/test_genre.py
            continue
        if measure == "next_target":
            assert fig["value"] == catalog.targets[plan.year + 1][code]
            continue
        now = _county(values, catalog, code, span)
        base = _county(values, catalog, code, last_year)
        target = catalog.targets.get(plan.year, {}).get(code)
        shown = lambda v, d=decimals[code]: round(round(v, 9) + 1e-12, d)  # noqa: E731 - as printed
        # the appendix's 比上年同期增减 and the prose's differences are computed from the figures as displayed
        expected = {"value": now, "last_year_value": base, "target": target,
                    "yoy_pct": None if not base else (now - base) / base * 100,
                    "yoy_change": None if base is None else now - base,
                    "display_change": None if base is None else shown(now) - shown(base),
                    "remaining": None if not target else shown(target) - shown(now),
                    "schedule_gap": _schedule_gap(plan.kind, catalog, code, now, target, shown),
                    "completion_pct": None if not target else now / target * 100,
                    "change_pct": None if not base or not shown(base) else (shown(now) - shown(base)) / shown(base) * 100,
                    "change_points": None if base is None else shown(now) - shown(base),
                    "change_diff": None if base is None else shown(now) - shown(base)}[measure]
        assert expected is not None and fig["value"] == pytest.approx(expected, rel=1e-9, abs=1e-9), fig
        # and the printed text says that number, rounded
        # (a change prints without its sign: "同比下降30.0%")
        printed = expected if measure not in ("yoy_pct", "yoy_change", "display_change") \
            or fig["text"].startswith("-") else abs(expected)
        assert _number(fig["text"]) == pytest.approx(printed, abs=_rounding(fig["text"]))
        checked += 1
    assert checked > 100      # the appendix is trimmed to about 25 indicators


def test_rates_change_in_percentage_points(built, catalog):
    _, out, _ = built
    text, tables = doc_text(Document(out["half_year"][1]["docx"]))
    part_one = text.split("一、上半年工作开展情况")[1]        # (the opening gives the level only)
    sentence = part_one.split("隐患整改率达到")[1].split("；")[0].split("。")[0]
    assert "个百分点" in sentence or "持平" in sentence, sentence
    row = next(r for r in tables[0] if r[1] == "隐患整改率")
    change = row[tables[0][0].index("比上年同期\n增减")]
    assert change.endswith("个百分点") or change in ("—", "持平")


@pytest.mark.parametrize("kind", ["annual", "half_year"])
def test_every_number_in_the_document_is_in_the_sidecar(built, kind):
    """The other direction: no figure is printed that the sidecar does not trace."""
    warehouse, out, _ = built
    plan, files = out[kind]
    trace = json.loads(Path(files["sidecar"]).read_text(encoding="utf-8"))["figures"]
    document = Document(files["docx"])
    traced_cells = {(f["where"].split(":")[0], f["text"]) for f in trace if f["where"].startswith("附件")}
    for label, table in zip(("附件1", "附件2"), document.tables, strict=False):
        for row in table.rows[1:]:
            for cell in row.cells[1:]:
                if re.search(r"\d", re.sub(r"\d{1,2}—\d{1,2}月|\d{1,2}月", "", cell.text)):
                    assert (label, cell.text) in traced_cells, (label, cell.text)
    text = "\n".join(p.text for p in document.paragraphs)
    quoted = warehouse.current_narratives(list(plan.span.periods))["text"]
    for item in sorted(set(quoted), key=len, reverse=True):   # the units' own words, attributed
        text = text.replace(item.rstrip("。；;"), "")
    text = re.sub(r"\d{4}年(\d{1,2}月(\d{1,2}日)?)?|\d{1,2}—\d{1,2}月|\d{1,2}月|附件[：:]?\s*\d\.|附件\d|"
                  r"\n\d\.|注：\d\.|等\d+个单位|等\d+项指标", "", text)
    prose = {f["text"] for f in trace if not f["where"].startswith("附件")}
    for piece in sorted(prose, key=lambda p: (-len(p), p)):   # whole numbers only: not "7个" in "17个"
        before = r"(?<![\d.])" if piece[:1].isdigit() else ""
        after = r"(?![\d])" if piece[-1:].isdigit() else ""
        text = re.sub(before + re.escape(piece) + after, "", text)
    assert not re.search(r"\d", text), re.findall(r".{0,12}\d.{0,12}", text)[:5]


def test_a_missing_unit_is_reported_missing_not_zero(built, catalog):
    from county_reports.aggregate import completeness_summary
    from county_reports.render import appendix, compose

    warehouse, out, _ = built
    plan, files = out["half_year"]
    # the reporting punctuality table (for the status page and the circular, not the summary)
    reporting = completeness_summary(warehouse.completeness(catalog, list(plan.span.periods)), plan.span,
                                     catalog=catalog)
    table = appendix.reporting_table(catalog, compose.load_wording(), plan.span, reporting)
    row = next(r for r in table.rows if r[0] == catalog.unit_by_code["TS03"].name)
    assert list(row[1:]) == ["6", "5", "0", "1", "0"]
    trace = json.loads(Path(files["sidecar"]).read_text(encoding="utf-8"))["figures"]
    investment = next(f for f in trace if f["indicator"] == "INV_TOTAL" and f["measure"] == "value")
    values = warehouse.current_values(list(plan.span.periods))
    assert investment["value"] == pytest.approx(values[values.indicator == "INV_TOTAL"]["value"].sum())
    assert not ((values.unit == "TS03") & (values.period == "2025-03")).any()


def test_identical_warehouse_gives_byte_identical_files(built, catalog):
    warehouse, out, root = built
    plan, files = out["half_year"]
    again = summaries.write_summary(warehouse, catalog, plan, root / "again")
    assert Path(again["docx"]).read_bytes() == Path(files["docx"]).read_bytes()
    assert Path(again["sidecar"]).read_bytes() == Path(files["sidecar"]).read_bytes()
    assert again["sha256"] == files["sha256"]


def test_workbook_has_the_same_tables(built):
    from openpyxl import load_workbook

    _, out, _ = built
    book = load_workbook(out["half_year"][1]["xlsx"])
    assert book.sheetnames[:2] == ["主要指标", "全县指标"] and book.sheetnames[2].startswith("分单位-")
    _, tables = doc_text(Document(out["half_year"][1]["docx"]))
    names = [row[1] for row in tables[0][1:]]
    assert [c.value for c in book.worksheets[0]["B"][3:3 + len(names)]] == names   # below 3 title rows


def test_gap_policy(built, catalog, tmp_path):
    warehouse, _, _ = built
    strict = summaries.ReportSettings(0.999, "refuse", summaries.load_settings().report_days)
    plan = summaries.plan("half_year", 2025, strict)
    cover = summaries.coverage(warehouse, catalog, plan, strict)
    assert cover.action == "refuse" and "TS03 (1 months)" in cover.reason
    assert cover.reported == cover.expected - 1
    gap = summaries.ReportSettings(0.999, "state_gap", strict.report_days)
    assert summaries.coverage(warehouse, catalog, plan, gap).action == "state_gap"
    files = summaries.write_summary(warehouse, catalog, plan, tmp_path, state_gap=True)
    text, _ = doc_text(Document(files["docx"]))
    assert "尚未完整报送" in text and catalog.unit_by_code["TS03"].name in text.split("现将有关情况")[0]
    lenient = summaries.ReportSettings(0.5, "refuse", strict.report_days)
    assert summaries.coverage(warehouse, catalog, plan, lenient).action == "proceed"


@pytest.mark.parametrize("kind", ["annual", "half_year"])
def test_libreoffice_converts_to_pdf(built, kind, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice or not shutil.which("pdftotext"):
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice (soffice) and pdftotext are required in CI")
        pytest.skip("LibreOffice not installed")
    _, out, _ = built
    _, files = out[kind]
    profile = tmp_path / "profile"
    done = subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                           "--convert-to", "pdf", "--outdir", str(tmp_path), files["docx"]],
                          capture_output=True, text=True, timeout=240)
    pdf = tmp_path / (Path(files["docx"]).stem + ".pdf")
    assert done.returncode == 0 and pdf.is_file(), done.stderr
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    pages = text.count("\f")
    assert pages > 1
    assert re.sub(r"\s+", "", files["title"]) in re.sub(r"\s+", "", text)


def test_a_county_in_a_shared_warehouse_tells_only_its_own_units_events(tmp_path, catalog):
    """_projects reads the span's events of the county's units, not every county's (issue 19)."""
    import dataclasses
    from datetime import date

    from county_reports.core.projects.register import Register
    from county_reports.validate.projects.events import Event
    from county_reports.warehouse import projects as stored

    other = dataclasses.replace(catalog, units=tuple(dataclasses.replace(u, code=f"C001{u.code}")
                                                     for u in catalog.units))
    with Warehouse(f"sqlite:///{tmp_path / 'shared.db'}") as warehouse:
        warehouse.migrate()
        for county, title in ((catalog, "本县的通知"), (other, "邻县的通知")):
            results = warehouse.record_verdicts(accepted_verdicts(county, "2025-06", "2025-06"), "test")
            first = min(results, key=lambda r: r["unit"])
            stored.store_rows(warehouse.engine, first["submission_id"], [],
                              [Event("document", date(2025, 6, 3), title=title, number="清交发〔2025〕1号")])
        report = summaries.plan("half_year", 2025, summaries.load_settings())
        events = summaries._projects(warehouse, catalog, report.span, Register())["events"]
    assert [e["title"] for e in events] == ["本县的通知"]
    assert {e["unit"] for e in events} <= {u.code for u in catalog.units}
