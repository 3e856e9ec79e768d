"""The monthly reporting circular from a real warehouse: the official layout checks of
tests/render/test_layout.py, counts equal to the warehouse's completeness query, sent once."""
from __future__ import annotations

import dataclasses
import importlib.util
from decimal import ROUND_HALF_UP, Decimal
from datetime import date
from pathlib import Path

import docx
import pytest

from county_reports.render import circular
from county_reports.deliver import channels
from county_reports.core import mail
from county_reports.simulator.seeding import accepted_verdicts
from county_reports.warehouse import Warehouse

PERIOD = "2025-06"
MISSING = {("TS03", "2025-03"), ("TS03", PERIOD), ("EB02", PERIOD)}
LATE = {("TS04", PERIOD), ("TS04", "2025-05")}
REJECTED = {("RC01", PERIOD)}
_spec = importlib.util.spec_from_file_location("layout_checks", Path(__file__).parent / "test_layout.py")
layout_checks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(layout_checks)


@pytest.fixture(scope="module")
def built(tmp_path_factory, catalog):
    root = tmp_path_factory.mktemp("circular")
    warehouse = Warehouse(f"sqlite:///{root / 'wh.db'}")
    warehouse.migrate()
    warehouse.sync_roster(catalog, "test")
    verdicts = []
    for v in accepted_verdicts(catalog, "2025-01", PERIOD, skip=MISSING):
        if (v.unit, v.period) in LATE:
            v = dataclasses.replace(v, submitted_at=f"{v.period[:5]}{int(v.period[5:]) + 1:02d}-12T10:00:00+08:00")
        if (v.unit, v.period) in REJECTED:
            v = dataclasses.replace(v, status="rejected")
        verdicts.append(v)
    warehouse.record_verdicts(verdicts, "test")
    result = circular.build(warehouse, catalog, PERIOD, root / "data", mail.load_settings(), day=date(2025, 7, 8))
    model = circular.compose(circular.facts(warehouse, catalog, PERIOD, mail.load_settings()), catalog,
                             circular.load_wording(), date(2025, 7, 8))
    yield warehouse, result, model, root
    warehouse.close()


@pytest.fixture(scope="module")
def document(built):
    return docx.Document(built[1]["docx"])


@pytest.mark.parametrize("check", [
    "test_page_is_a4_with_official_margins", "test_document_grid_holds_22_lines_of_28_characters",
    "test_every_paragraph_has_a_named_style"])
def test_layout_checks_of_the_summaries(built, document, check):
    getattr(layout_checks, check)(document)


def test_styles_page_numbers_tables_and_body(built, document):
    _, result, model, _ = built
    rendered = Path(result["docx"])
    layout_checks.test_styles_have_no_theme_fonts_and_chinese_language(rendered)
    layout_checks.test_page_numbers_odd_right_even_left(rendered, document)
    layout_checks.test_tables_match_the_model(document, model)
    layout_checks.test_body_text_is_16pt_fangsong_on_exact_579_twip_lines(document, model)
    # The title breaks where wording.yaml's title_breaks allow (after 6月份), never inside "2025年6月".
    assert document.paragraphs[0].text == "清河县交通运输局关于2025年6月份\n月度报表报送情况的通报"
    headings = [p.text for p in document.paragraphs if p.style.name == "一级标题"]
    assert headings == ["一、总体情况", "二、各单位报送情况", "三、多次逾期或未报送单位", "四、有关要求"]
    assert [p.text for p in document.paragraphs if p.style.name == "成文日期"] == ["2025年7月8日"]
    assert [p.text for p in document.paragraphs if p.style.name == "附件标识"] == ["附件"]


def test_counts_equal_the_warehouse_completeness_query(built, catalog, document):
    warehouse, result, _, _ = built
    rate = warehouse.reporting_rate(catalog, [PERIOD]).iloc[0]
    counts = result["counts"]
    for key in ("expected", "reported", "on_time", "late", "rejected", "missing"):
        assert counts[key] == int(rate[key]), key
    assert (counts["late"], counts["rejected"], counts["missing"]) == (1, 1, 2)
    text = "\n".join(p.text for p in document.paragraphs)
    assert f"应报送单位{counts['expected']}个，已报送并通过审核{counts['reported']}个" in text
    exact = Decimal(int(rate["reported"]) * 100) / Decimal(int(rate["expected"]))   # half up, as printed
    assert f"报送率{exact.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%" in text
    done = warehouse.completeness(catalog, [PERIOD]).set_index("unit")
    [table] = document.tables
    statuses = {row.cells[0].text: row.cells[3].text for row in table.rows[1:]}
    words = {"on_time": "按时报送", "late": "逾期报送", "rejected": "未通过审核", "missing": "未报送"}
    assert statuses == {catalog.unit_by_code[u].name: words[s] for u, s in done["status"].items()}
    # named in the right groups, and the repeat offenders (TS03 missing twice, TS04 late twice)
    late = next(p.text for p in document.paragraphs if p.text.startswith(catalog.unit_by_code["TS04"].name))
    assert "7月12日报送" in late
    repeated = {r["unit"]: r for r in counts["repeated"]}
    assert set(repeated) == {"TS03", "TS04"} and repeated["TS03"]["missing"] == 2 and repeated["TS04"]["late"] == 2
    assert "石桥镇交通运输管理站（未报送2次）" in text


def test_sent_once_to_every_units_addresses(built, catalog, smtp_inbox):
    _, result, _, root = built
    host, port, received = smtp_inbox
    send = channels.smtplib_sender(host, port, timeout=5)
    cfg = mail.load_settings()
    first = circular.send(result, catalog, root / "data", cfg, send)
    assert first["status"] == "sent"
    [msg] = received.messages
    assert set(msg.rcpt_tos) == {a for u in catalog.units_active_in(PERIOD) for a in u.emails} | set(cfg.admins)
    assert "zfb@qinghe.example" not in msg.rcpt_tos                      # never to the county office
    # the units in Bcc: no unit sees another unit's address in the message it gets
    shown = f"{msg['To']} {msg.get('Cc', '')} {msg.get('Bcc', '')}"
    assert msg["Bcc"] is None and not any(a in shown for u in catalog.units for a in u.emails)
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_content() == Path(result["docx"]).read_bytes()
    assert circular.send(result, catalog, root / "data", cfg, send)["status"] == "already_sent"
    assert len(received.messages) == 1
