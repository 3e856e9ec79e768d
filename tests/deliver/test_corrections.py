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


def _edited_docx(*texts) -> bytes:
    import io

    import docx

    document = docx.Document()
    for text in texts:
        paragraph = document.add_paragraph()
        for piece in (text if isinstance(text, tuple) else (text,)):
            paragraph.add_run(piece)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_a_correction_after_an_edited_delivery_starts_from_the_clerks_text():
    import io

    import docx

    edited = _edited_docx("上半年完成公路投资1,234.50万元，同比增长5.0%。",
                          "6月18日县委主要领导到我局调研，排查隐患12处，已整改。",          # the clerk rewrote it
                          "货运量3.5万吨。", "客运量3.5万吨。",                              # the same text twice
                          ("港口吞吐量", "8.2", "万吨。"))                                    # split across runs
    change = {"where": "一、（一）", "indicator": "X", "measure": "value"}
    changes = [change | {"old": "1,234.50万元", "new": "1,300.00万元"}, change | {"old": "12处", "new": "13处"},
               change | {"old": "3.5万吨", "new": "3.6万吨"}, change | {"old": "8.2万吨", "new": "8.3万吨"},
               change | {"old": "7.7%", "new": "7.9%"}]
    corrected, located = corrections.correct_edited(edited, changes, rewritten=[1])
    assert [c["status"] for c in located] == [corrections.REPLACED, corrections.CHECK, corrections.AMBIGUOUS,
                                              corrections.NOT_FOUND, corrections.NOT_FOUND]
    assert located[1]["paragraph"] == 2 and "县委主要领导" in located[1]["sentence"]
    texts = [p.text for p in docx.Document(io.BytesIO(corrected)).paragraphs]
    assert texts == ["上半年完成公路投资1,300.00万元，同比增长5.0%。", "6月18日县委主要领导到我局调研，排查隐患13处，已整改。",
                     "货运量3.5万吨。", "客运量3.5万吨。", "港口吞吐量8.2万吨。"]    # the clerk's words kept
    notice = corrections.Notice("half_year", 2025, "t", "OFF-1", ["TS03"], ["2025-03"], changes, located)
    assert any("rewritten, paragraph 2" in line for line in notice.log_lines())


def test_a_figure_printed_in_several_places_is_replaced_everywhere_only_when_every_one_changes():
    import io

    import docx

    edited = _edited_docx("公路投资完成年度目标的37.0%，新改建农村公路59.6公里。",
                          "新改建农村公路59.6公里，同比增长5.7%；水运完成年度目标的37.0%。",
                          "客运量同比增长15.7%。", "59.6")
    printed = sidecar(("opening", "INV", "completion_pct", "37.0%"), ("theme", "INV", "completion_pct", "37.0%"),
                      ("opening", "ROAD", "value", "59.6公里"), ("theme", "ROAD", "value", "59.6公里"),
                      ("附件1", "ROAD", "value", "59.6"), ("theme", "ROAD", "yoy_pct", "5.7%"),
                      ("theme", "WATER", "completion_pct", "37.0%"))          # one 37.0% stays 37.0%
    change = {"where": "x", "indicator": "X", "measure": "value"}
    changes = [change | {"old": "37.0%", "new": "37.9%"}, change | {"old": "37.0%", "new": "37.9%"},
               change | {"old": "59.6公里", "new": "60.6公里"}, change | {"old": "59.6公里", "new": "60.6公里"},
               change | {"old": "59.6", "new": "60.6"}, change | {"old": "5.7%", "new": "59.6公里"},
               change | {"old": "—", "new": "437件"}, change | {"old": "329件", "new": "—"}]
    corrected, located = corrections.correct_edited(edited, changes, rewritten=[], printed=printed)
    assert [c["status"] for c in located] == [corrections.AMBIGUOUS] * 2 + [corrections.REPLACED] * 4 + [
        corrections.NEW_FIGURE, corrections.DROPPED]
    assert located[2]["paragraphs"] == [1, 2] and located[4]["paragraphs"] == [4]
    texts = [p.text for p in docx.Document(io.BytesIO(corrected)).paragraphs]
    assert texts == ["公路投资完成年度目标的37.0%，新改建农村公路60.6公里。",         # 37.0% also stands for WATER
                     "新改建农村公路60.6公里，同比增长59.6公里；水运完成年度目标的37.0%。",  # one pass: not again
                     "客运量同比增长15.7%。", "60.6"]                                 # 15.7% is not 5.7%


def test_the_located_figures_go_into_the_admins_mail_and_the_approval_request():
    located = [{"old": "59.6公里", "new": "60.6公里", "status": corrections.REPLACED, "paragraph": 11,
                "sentence": "新改建农村公路59.6公里。"},
               {"old": "59.6公里", "new": "60.6公里", "status": corrections.REPLACED, "paragraph": 11,
                "sentence": "新改建农村公路59.6公里。"},
               {"old": "41.7%", "new": "41.5%", "status": corrections.AMBIGUOUS, "paragraph": 6,
                "sentence": "占全县41.7%<b>"}]
    notice = corrections.Notice("half_year", 2025, "t", "OFF-1", ["TS03"], ["2025-03"], [], located)
    _, body = notice.mail(admins.load_settings().mail["correction"])
    assert "已报送的是办公室修改稿" in body and body.count("59.6公里 → 60.6公里") == 1        # printed twice: once
    assert "第6段：占全县41.7%&lt;b&gt;" in body and "不自动替换" in body
    _, plain = corrections.Notice("half_year", 2025, "t", "OFF-1", ["TS03"], ["2025-03"], []).mail(
        admins.load_settings().mail["correction"])
    assert "修改稿" not in plain
    review = {"correction": {"receipt_id": "OFF-1", "edited_by": "王主任", "located": located}}
    text = corrections.located_markdown(review)
    assert "王主任 修改，原件回执 OFF-1" in text and "- 59.6公里 → 60.6公里：以新数字替换（第11段" in text
    assert corrections.located_markdown({"sha256": "x"}) == "" and corrections.located_markdown(None) == ""
