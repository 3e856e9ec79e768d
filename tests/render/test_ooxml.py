"""render/ooxml.py: WordprocessingML written in schema order, fonts for every script, indents in
characters, text runs without unprintable characters, tables built as XML, packages made
byte-identical. Read back through python-docx."""
from __future__ import annotations

import io
import zipfile

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from county_reports.render import ooxml


def _tags(element):
    return [child.tag.split("}")[1] for child in element]


def test_units():
    assert ooxml.mm_to_twips(156) == 8844 and abs(ooxml.twips_to_mm(8844) - 156) < 0.05


def test_children_in_schema_order_whatever_order_they_are_set():
    rpr = OxmlElement("w:rPr")
    ooxml.set_lang(rpr)
    ooxml.set_size(rpr, 16)
    ooxml.set_bold(rpr, True)
    ooxml.set_fonts(rpr, "仿宋_GB2312", "Times New Roman", hint_east_asia=True)
    assert _tags(rpr) == ["rFonts", "b", "bCs", "sz", "szCs", "lang"]
    assert rpr.find(qn("w:sz")).get(qn("w:val")) == "32"
    ooxml.set_size(rpr, 10.5)                                      # set again: changed, not added
    assert _tags(rpr).count("sz") == 1 and rpr.find(qn("w:sz")).get(qn("w:val")) == "21"
    fonts = rpr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "仿宋_GB2312" and fonts.get(qn("w:ascii")) == "Times New Roman"
    assert fonts.get(qn("w:hint")) == "eastAsia"


def test_theme_fonts_are_removed():
    rpr = OxmlElement("w:rPr")
    fonts = ooxml.set_child(rpr, "rFonts", ooxml.RPR_ORDER, asciiTheme="minorHAnsi", eastAsiaTheme="minorEastAsia")
    assert ooxml.strip_theme_fonts(rpr) == 2 and fonts.get(qn("w:asciiTheme")) is None
    ooxml.set_child(rpr, "rFonts", ooxml.RPR_ORDER, cstheme="minorBidi")
    ooxml.set_fonts(rpr, "黑体", "Arial")
    assert fonts.get(qn("w:cstheme")) is None


def test_indents_in_characters_and_line_spacing():
    ppr = OxmlElement("w:pPr")
    ooxml.set_on_off(ppr, "keepNext", True)
    ooxml.set_indent_chars(ppr, 320, hanging=1)
    ooxml.set_indent_chars(ppr, 320, first_line=2, left=0.5)
    ind = ppr.find(qn("w:ind"))
    assert ind.get(qn("w:firstLineChars")) == "200" and ind.get(qn("w:firstLine")) == "640"
    assert ind.get(qn("w:hanging")) is None and ind.get(qn("w:leftChars")) == "50"
    ooxml.set_exact_line_spacing(ppr, 579)
    ooxml.set_outline_level(ppr, 0)
    assert _tags(ppr) == ["keepNext", "spacing", "ind", "outlineLvl"]
    assert ppr.find(qn("w:spacing")).get(qn("w:lineRule")) == "exact"


def test_doc_grid_lines_only():
    sect = OxmlElement("w:sectPr")
    grid = ooxml.set_child(sect, "docGrid", ooxml.SECTPR_ORDER, charSpace="100")
    ooxml.set_doc_grid(sect, 579)
    assert dict(grid.attrib) == {qn("w:type"): "lines", qn("w:linePitch"): "579"}


def test_text_runs_and_the_page_field_read_back():
    doc = Document()
    p = doc.add_paragraph()
    ooxml.add_text_runs(p._p, "第一行\n第二\v行\n\n")
    page = doc.add_paragraph()
    ooxml.add_page_field(page._p, "— ", " —")
    out = io.BytesIO()
    doc.save(out)
    back = Document(io.BytesIO(out.getvalue()))
    assert back.paragraphs[-2].text == "第一行\n第二行\n\n"
    assert back.paragraphs[-1].text == "— 1 —"
    assert "PAGE" in "".join(t.text for t in page._p.iter(qn("w:instrText")))


def test_a_table_as_xml():
    tbl = ooxml.build_table(["序号", "指标", "数值"], [["一", "道路建设", ""], ["1", "公路", "12.5"]],
                            [600, 3000, 1200], header_style_id="H", body_style_id="B",
                            align=lambda text, col: "right" if col == 2 else "left", group_rows=[0])
    rows = tbl.findall(qn("w:tr"))
    assert len(rows) == 3 and rows[0].find(qn("w:trPr")).find(qn("w:tblHeader")) is not None
    group_cells = rows[1].findall(qn("w:tc"))
    assert len(group_cells) == 2 and group_cells[1].find(qn("w:tcPr")).find(qn("w:gridSpan")).get(qn("w:val")) == "2"
    jcs = [p.find(qn("w:pPr")).find(qn("w:jc")).get(qn("w:val")) for p in rows[2].iter(qn("w:p"))]
    assert jcs == ["left", "left", "right"]
    assert [c.get(qn("w:w")) for c in tbl.find(qn("w:tblGrid"))] == ["600", "3000", "1200"]


def test_packages_are_byte_identical(tmp_path):
    def package():
        doc = Document()
        doc.add_paragraph("同一内容")
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()
    one, two = ooxml.deterministic_zip(package()), ooxml.deterministic_zip(package())
    assert one == two
    with zipfile.ZipFile(io.BytesIO(one)) as z:
        assert {i.date_time for i in z.infolist()} == {(2020, 1, 1, 0, 0, 0)}
    ooxml.write_deterministic_zip(package(), tmp_path / "a.docx")
    assert (tmp_path / "a.docx").read_bytes() == one
