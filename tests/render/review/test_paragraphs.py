"""render/review/paragraphs.py: every paragraph a reader sees — body, tables, footers — with its
text, its style's name and where it is; the fallback copy of a text box not."""
from __future__ import annotations

import io

from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from county_reports.render.review.paragraphs import (BODY, TABLE, body_paragraphs, paragraphs, style_names,
                                                     text_of, title_of)


def _read(doc) -> Document:
    out = io.BytesIO()
    doc.save(out)
    return Document(io.BytesIO(out.getvalue()))


def _document():
    doc = Document()
    doc.add_paragraph("")                                  # an empty first line
    doc.add_paragraph("某某县2025年上半年工作总结", style="Title")
    body = doc.add_paragraph("完成投资")
    body.add_run().add_tab()
    body.add_run("12.5万元").add_break()
    body.add_run("同比增长3.2%")
    doc.add_table(rows=1, cols=1).cell(0, 0).text = "表内 8.8 公里"
    doc.sections[0].footer.paragraphs[0].text = "— 1 —"
    return _read(doc)


def test_every_story_in_order_with_text_style_and_place():
    paras = paragraphs(_document())
    assert [(p.text, p.where) for p in paras] == [
        ("", BODY), ("某某县2025年上半年工作总结", BODY), ("完成投资\t12.5万元\n同比增长3.2%", BODY),
        ("表内 8.8 公里", TABLE), ("— 1 —", "footer1.xml")]
    assert paras[1].style == "Title" and [p.index for p in paras] == list(range(5))
    assert [p.text for p in body_paragraphs(paras)] == [p.text for p in paras[:4]]
    assert title_of(paras) == "某某县2025年上半年工作总结"
    assert title_of([]) is None


def test_limit_stops_early():
    assert len(paragraphs(_document(), limit=1)) == 2


def test_style_names_not_ids():
    doc = _document()
    names = style_names(doc)
    assert names["Title"] == "Title"
    # a renamed style id (as WPS may save it) still reads by its name
    style = next(s for s in doc.styles.element.iterchildren() if s.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}styleId") == "Title")
    style.set("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}styleId", "a7")
    doc.paragraphs[1]._p.pPr.pStyle.val = "a7"
    assert paragraphs(doc)[1].style == "Title"


MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def test_text_box_counted_once_and_nested_paragraphs_apart():
    doc = Document()
    p = doc.add_paragraph("外")
    box = parse_xml(
        f'<mc:AlternateContent {nsdecls("w")} xmlns:mc="{MC}"><mc:Choice Requires="wps"><w:r><w:txbxContent>'
        f'<w:p><w:r><w:t>框内 9 处</w:t></w:r></w:p></w:txbxContent></w:r></mc:Choice>'
        f'<mc:Fallback><w:r><w:txbxContent><w:p><w:r><w:t>框内 9 处</w:t></w:r></w:p>'
        f'</w:txbxContent></w:r></mc:Fallback></mc:AlternateContent>')
    p._p.append(box)
    texts = [x.text for x in paragraphs(doc)]
    assert texts == ["外", "框内 9 处"]
    assert text_of(p._p) == "外"                 # the nested paragraph's text is its own
