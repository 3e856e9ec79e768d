"""The official layout (GB/T 9704-2012) of a rendered document, read back from the .docx."""
from __future__ import annotations

import dataclasses
import zipfile
from datetime import datetime, UTC

import docx
import pytest
from docx.enum.text import WD_LINE_SPACING
from docx.oxml.ns import qn
from lxml import etree

from county_reports.render import layout
from county_reports.render.layout import render_docx
from county_reports.render.model import Attachment, Heading1Section, OfficialDocument

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def model(make_sample):
    return make_sample()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, model):
    path = tmp_path_factory.mktemp("render") / "sample.docx"
    assert render_docx(model, path) == path
    return path


@pytest.fixture(scope="module")
def document(rendered):
    return docx.Document(str(rendered))


def part_xml(path, name):
    with zipfile.ZipFile(path) as package:
        return etree.fromstring(package.read(name))


def style(document, name):
    return document.styles[name]


def east_asian_font(style_obj):
    return style_obj.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))


def ppr_child(element, tag):
    ppr = element.find(qn("w:pPr"))
    return None if ppr is None else ppr.find(qn(f"w:{tag}"))


def paragraphs_with_style(document, name):
    return [p for p in document.paragraphs if p.style.name == name]


# --- page ----------------------------------------------------------------------------------

def test_page_is_a4_with_official_margins(document):
    section = document.sections[0]
    for value, expected in (
        (section.page_width, 210), (section.page_height, 297),
        (section.top_margin, 37), (section.bottom_margin, 35),
        (section.left_margin, 28), (section.right_margin, 26),
    ):
        assert value.mm == pytest.approx(expected, abs=0.5)
    text_height_twips = section.page_height.twips - section.top_margin.twips - section.bottom_margin.twips
    assert 22 * 579 <= text_height_twips < 23 * 579  # exactly 22 lines fit


def test_document_grid_holds_22_lines_of_28_characters(document):
    section = document.sections[0]
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "lines"
    assert grid.get(qn("w:linePitch")) == "579"
    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    spacing = int(defaults.find(qn("w:spacing")).get(qn("w:val")))
    width_pt = (section.page_width.twips - section.left_margin.twips - section.right_margin.twips) / 20
    pitch_pt = 16 + spacing / 20
    assert pitch_pt * 28 <= width_pt < pitch_pt * 29
    assert spacing == layout.condensed_spacing(round(width_pt * 20)) == -5


# --- styles --------------------------------------------------------------------------------

def test_body_text_is_16pt_fangsong_on_exact_579_twip_lines(document, model):
    body = style(document, "公文正文")
    assert body.font.size.pt == 16
    assert east_asian_font(body) == "仿宋_GB2312"
    fmt = body.paragraph_format
    assert fmt.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert fmt.line_spacing.twips == 579
    ind = ppr_child(body.element, "ind")
    assert ind.get(qn("w:firstLineChars")) == "200"
    assert ind.get(qn("w:firstLine")) == "640"
    texts = [p.text for p in paragraphs_with_style(document, "公文正文")]
    assert model.opening[0] in texts


def test_title_is_22pt_xiaobiaosong_centred_then_a_blank_line(document, model):
    title = style(document, "公文标题")
    assert title.font.size.pt == 22
    assert east_asian_font(title) == "方正小标宋简体"
    assert ppr_child(title.element, "jc").get(qn("w:val")) == "center"
    assert ppr_child(title.element, "ind").get(qn("w:firstLineChars")) == "0"
    first, second = document.paragraphs[:2]
    assert first.style.name == "公文标题"
    assert "\n" in model.title and first.text == model.title  # the line break is kept as w:br
    assert second.text == "" and second.style.name == "公文正文"


@pytest.mark.parametrize(
    "name, font, level, example",
    [
        ("一级标题", "黑体", 0, "一、主要工作成效"),
        ("二级标题", "楷体_GB2312", 1, "（一）重点项目建设稳步推进"),
        ("三级标题", "仿宋_GB2312", 2, "1.续建项目加快实施"),
    ],
)
def test_heading_levels(document, name, font, level, example):
    heading = style(document, name)
    assert east_asian_font(heading) == font
    assert heading.font.size.pt == 16
    assert ppr_child(heading.element, "outlineLvl").get(qn("w:val")) == str(level)
    assert heading.paragraph_format.keep_with_next
    assert example in [p.text for p in paragraphs_with_style(document, name)]


def test_styles_have_no_theme_fonts_and_chinese_language(rendered):
    styles = part_xml(rendered, "word/styles.xml")
    for fonts in styles.iter(f"{W}rFonts"):
        for attr in ("asciiTheme", "eastAsiaTheme", "hAnsiTheme", "cstheme"):
            assert fonts.get(f"{W}{attr}") is None
    defaults = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr")
    assert defaults.find(f"{W}lang").get(f"{W}eastAsia") == "zh-CN"
    assert defaults.find(f"{W}rFonts").get(f"{W}eastAsia") == "仿宋_GB2312"
    with zipfile.ZipFile(rendered) as package:
        names = package.namelist()
    assert "word/stylesWithEffects.xml" not in names
    assert "docProps/thumbnail.jpeg" not in names


def test_every_paragraph_has_a_named_style(document):
    named = {spec.name for spec in layout.STYLE_SPECS}
    for paragraph in document.paragraphs:
        assert paragraph.style.name in named


# --- page numbers --------------------------------------------------------------------------

def test_page_numbers_odd_right_even_left(rendered, document):
    settings = part_xml(rendered, "word/settings.xml")
    assert settings.find(f"{W}evenAndOddHeaders") is not None
    assert document.settings.odd_and_even_pages_header_footer

    section = document.sections[0]
    for footer, side in ((section.footer, "right"), (section.even_page_footer, "left")):
        paragraph = footer.paragraphs[0]
        assert paragraph.style.name == "页码"
        assert ppr_child(paragraph._p, "jc").get(qn("w:val")) == side
        assert ppr_child(paragraph._p, "ind").get(qn(f"w:{side}Chars")) == "100"
        instr = "".join(t.text for t in paragraph._p.iter(qn("w:instrText")))
        assert instr.strip() == "PAGE"
        assert [c.get(qn("w:fldCharType")) for c in paragraph._p.iter(qn("w:fldChar"))] == [
            "begin", "separate", "end"]
        assert paragraph.text.startswith("—") and paragraph.text.endswith("—")
    number = style(document, "页码")
    assert number.font.size.pt == 14 and east_asian_font(number) == "宋体"
    assert section.footer_distance.mm == pytest.approx(layout.FOOTER_DISTANCE_MM, abs=0.5)


# --- closing block and attachments ---------------------------------------------------------

def test_attachment_list_signature_and_date(document, model):
    listed = paragraphs_with_style(document, "附件说明")
    assert [p.text for p in listed] == [
        f"附件：1.{model.attachments[0].title}", f"2.{model.attachments[1].title}"]
    signature = paragraphs_with_style(document, "发文机关署名")
    date = paragraphs_with_style(document, "成文日期")
    assert [p.text for p in signature] == [model.signature]
    assert [p.text for p in date] == [model.date_text]
    assert style(document, "发文机关署名").paragraph_format.alignment == 2  # right
    sig_right = int(ppr_child(signature[0]._p, "ind").get(qn("w:rightChars")))
    date_right = int(ppr_child(date[0]._p, "ind").get(qn("w:rightChars")))
    assert (sig_right, date_right) == (400, 200)  # date starts two characters right of signature


def test_signature_indents_follow_the_standard():
    assert layout.signature_indents("某某县某某局", "2025年7月5日") == (4.0, 2.0)
    assert layout.signature_indents("某某县某某某某某某局", "2025年7月5日") == (2.0, 4.0)


def test_each_attachment_starts_on_a_new_page(document, model):
    label_style = style(document, "附件标识")
    assert label_style.paragraph_format.page_break_before
    assert east_asian_font(label_style) == "黑体"
    labels = paragraphs_with_style(document, "附件标识")
    assert [p.text for p in labels] == ["附件1", "附件2"]
    titles = paragraphs_with_style(document, "附件标题")
    assert [p.text for p in titles] == [a.title for a in model.attachments]
    assert ppr_child(style(document, "附件标题").element, "jc").get(qn("w:val")) == "center"
    # label, blank line, title: the title sits on the third line of the page
    body = list(document.element.body.iterchildren(qn("w:p")))
    first = body.index(labels[0]._p)
    assert body[first + 2] is titles[0]._p


def test_tables_match_the_model(document, model):
    section = document.sections[0]
    text_width = section.page_width.twips - section.left_margin.twips - section.right_margin.twips
    assert len(document.tables) == len(model.attachments)
    for table, attachment in zip(document.tables, model.attachments, strict=False):
        tbl = table._tbl
        assert len(table.rows) == len(attachment.rows) + 1
        assert [c.text for c in table.rows[0].cells] == list(attachment.columns)
        assert [[c.text for c in r.cells] for r in table.rows[1:]] == [list(r) for r in attachment.rows]
        header_pr = tbl.tr_lst[0].find(qn("w:trPr"))
        assert header_pr.find(qn("w:tblHeader")) is not None
        widths = [int(col.get(qn("w:w"))) for col in tbl.find(qn("w:tblGrid"))]
        assert sum(widths) == text_width
        assert ooxml_width_mm(sum(widths)) == pytest.approx(156, abs=0.5)
        borders = tbl.find(qn("w:tblPr")).find(qn("w:tblBorders"))
        assert {b.tag.split("}")[1] for b in borders} == {"top", "left", "bottom", "right", "insideH", "insideV"}
        assert all(b.get(qn("w:val")) == "single" for b in borders)
        for cell in table.rows[0].cells:
            assert cell.paragraphs[0].style.name == "表格表头"
        for row in table.rows[1:]:
            for cell in row.cells:
                paragraph = cell.paragraphs[0]
                assert paragraph.style.name == "表格文字"
                expected = "right" if layout.is_numeric_cell(cell.text) else "left"
                assert ppr_child(paragraph._p, "jc").get(qn("w:val")) == expected
    header = style(document, "表格表头")
    assert header.font.bold and east_asian_font(header) == "黑体"
    assert east_asian_font(style(document, "表格文字")) == "仿宋_GB2312"
    notes = [p.text for p in paragraphs_with_style(document, "表格注释")]
    assert notes == [n for a in model.attachments for n in a.notes]


def ooxml_width_mm(twips):
    return twips * 25.4 / 1440


@pytest.mark.parametrize(
    "text, numeric",
    [("1,234.56", True), ("12.5%", True), ("—", True), ("-2.4%", True), ("405", True),
     ("万元", False), ("1—6月", False), ("已完成", False), ("", False)],
)
def test_numeric_cells(text, numeric):
    assert layout.is_numeric_cell(text) is numeric


# --- file properties and determinism -------------------------------------------------------

def test_core_properties_are_fixed(document, model):
    props = document.core_properties
    assert props.title == model.title.replace("\n", "")
    assert props.author == props.last_modified_by == "某某县某某局"
    assert props.created == props.modified == datetime(2025, 7, 5, tzinfo=UTC)
    assert props.revision == 1
    assert props.comments == ""


def test_identical_models_give_identical_bytes(tmp_path, rendered, make_sample):
    again = render_docx(make_sample(), tmp_path / "again.docx")
    assert again.read_bytes() == rendered.read_bytes()
    with zipfile.ZipFile(again) as package:
        assert {info.date_time for info in package.infolist()} == {(2020, 1, 1, 0, 0, 0)}
    changed = render_docx(make_sample(date_text="2025年7月6日"), tmp_path / "changed.docx")
    assert changed.read_bytes() != rendered.read_bytes()


# --- model ---------------------------------------------------------------------------------

def test_model_is_frozen_and_validated(make_sample):
    model = make_sample()
    assert isinstance(model.sections, tuple) and hash(model) == hash(make_sample())
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.title = "x"  # type: ignore[misc]
    with pytest.raises(ValueError, match="row 0 has 1 cells"):
        Attachment(label="附件1", title="表", columns=["甲", "乙"], rows=[["1"]])
    with pytest.raises(TypeError):
        Heading1Section(heading="一、", paragraphs=[1])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        OfficialDocument(title=" ")


def test_minimal_document_renders(tmp_path):
    path = render_docx(OfficialDocument(title="通知"), tmp_path / "min.docx")
    reopened = docx.Document(str(path))
    assert [p.text for p in reopened.paragraphs] == ["通知", ""]
    assert reopened.core_properties.created == layout.FALLBACK_TIMESTAMP
