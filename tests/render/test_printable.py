"""render/printable.py: characters a .docx cannot hold are dropped, the rest kept as is."""
from __future__ import annotations

import io

from docx import Document

from county_reports.render.printable import printable


def test_controls_and_non_characters_go():
    assert printable("第一\v第二\f第三\x00\x1f") == "第一第二第三"
    assert printable("a\ufffeb\uffffc\ud800d") == "abcd"


def test_tab_line_breaks_and_chinese_stay():
    text = "一、\t道路\n二、养护\r\n（1）12.5万元，同比增长3.2%；😀"
    assert printable(text) == text


def test_the_result_goes_into_a_document():
    doc = Document()
    doc.add_paragraph(printable("养护\v完成\x0b率"))
    out = io.BytesIO()
    doc.save(out)
    assert Document(io.BytesIO(out.getvalue())).paragraphs[-1].text == "养护完成率"
