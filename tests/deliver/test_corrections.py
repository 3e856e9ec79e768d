"""Late corrections: which printed figures a new version changes, compared with what was sent."""
from __future__ import annotations

from county_reports.core import admins
from county_reports.deliver import corrections


def sidecar(*items):
    return {"figures": [dict(zip(("where", "indicator", "measure", "text"), item, strict=False)) for item in items]}


def test_changed_figures_are_named_by_place_old_and_new():
    delivered = sidecar(("一、（一）", "ROAD_INVEST", "value", "1,234.50"), ("一、（一）", "ROAD_INVEST", "yoy_pct", "5.0%"),
                        ("附件1", "HAZARD_FOUND", "value", "12"))
    current = sidecar(("一、（一）", "ROAD_INVEST", "value", "1,300.00"), ("一、（一）", "ROAD_INVEST", "yoy_pct", "5.0%"),
                      ("附件1", "HAZARD_FIXED", "value", "11"))
    changes = corrections.changed_figures(delivered, current)
    assert [(c["where"], c["indicator"], c["old"], c["new"]) for c in changes] == [
        ("一、（一）", "ROAD_INVEST", "1,234.50", "1,300.00"),
        ("附件1", "HAZARD_FOUND", "12", "—"),
        ("附件1", "HAZARD_FIXED", "—", "11"),
    ]
    assert corrections.changed_figures(delivered, delivered) == []


def test_the_notice_names_report_receipt_units_and_figures():
    notice = corrections.Notice("annual", 2024, "清河县交通运输局2024年工作总结及2025年工作打算", "OFF-2025-000003",
                                ["TS03"], ["2024-03"], [{"where": "一、（一）", "indicator": "ROAD_INVEST",
                                                         "measure": "value", "old": "1,234.50", "new": "1,300.00"}])
    subject, body = notice.mail(admins.load_settings().mail["correction"])
    assert subject == "【报表系统】已报送的《清河县交通运输局2024年工作总结及2025年工作打算》所涉数据有更正"
    assert "OFF-2025-000003" in body and "TS03" in body and "2024-03" in body
    assert "<li>一、（一）：1,234.50 → 1,300.00</li>" in body and "annual_report" in body
    assert "1,234.50 → 1,300.00" in "\n".join(notice.log_lines())
