"""Lay an ``OfficialDocument`` out as a .docx in the GB/T 9704-2012 official layout.

Page: A4, margins 37/35/28/26 mm (top/bottom/left/right), a 156 × 225 mm text block holding
22 lines of 28 characters. Body 16 pt FangSong_GB2312; title 22 pt FZ XiaoBiaoSong; headings
in HeiTi, KaiTi_GB2312 and FangSong_GB2312; page numbers "— N —" in 14 pt SongTi, odd pages
right, even pages left (the fonts' Chinese names are the constants below).

Every paragraph carries a named style (``STYLE_*`` below), so a reader of the file, a person in
Word or a test sees the structure; direct formatting is only used where the value depends on
the text (the indents of the signature, the date and the attachment list).

A title too long for one line breaks where its words end (``title_lines``, rules from
wording.yaml ``title_breaks``); appendix tables get column widths from ``tables``, so figures
never wrap.

Output is deterministic: identical models give byte-identical files.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime, UTC
from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.shared import Mm
from docx.styles.style import StyleFactory

from . import ooxml, phrases
from .model import Attachment, Heading3, OfficialDocument
from .measure import (BODY_PT, CHARS_PER_LINE, LINE_PITCH_TWIPS, LINES_PER_PAGE,  # noqa: F401
                      MARGIN_BOTTOM_MM, MARGIN_LEFT_MM, MARGIN_RIGHT_MM, MARGIN_TOP_MM,
                      PAGE_HEIGHT_MM, PAGE_NUMBER_PT, PAGE_WIDTH_MM, TEXT_WIDTH_TWIPS, TITLE_PT,
                      condensed_spacing, display_width, signature_indents, title_advance_pt,
                      title_lines, with_title_lines)
from .tables import (CELL_MARGIN_TWIPS, CELL_MARGINS_PT, TABLE_PT, cell_alignment,  # noqa: F401
                     cell_width_pt, column_widths, is_numeric_cell)
from .title_lines import TitleBreaks

# --- page (geometry in measure.py) ----------------------------------------------------------
# The standard puts the page number's dash line 7 mm below the text block, i.e. 28 mm above the
# page's bottom edge. Word measures the footer distance to the bottom of the footer line; a
# single-spaced 14 pt line puts the dash about 3 mm above that, so 25 mm lands the dash on 28 mm
# (checked in LibreOffice's PDF: the number's line box is centred 27.6 mm above the bottom edge).
FOOTER_DISTANCE_MM = 25
HEADER_DISTANCE_MM = 15  # no header is printed; only keeps Word's header area inside the margin

# --- type -----------------------------------------------------------------------------------
FANGSONG, KAITI, HEITI, SONGTI = "仿宋_GB2312", "楷体_GB2312", "黑体", "宋体"
XIAOBIAOSONG = "方正小标宋简体"
LATIN = "Times New Roman"  # digits and Latin letters of body text and tables
BODY_CHAR_TWIPS = BODY_PT * ooxml.TWIPS_PER_PT  # one 16 pt body character, the unit of indents
FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
# Core properties are stamped with the document's own date (00:00 UTC, 08:00 Beijing time, the
# same day), or with this when date_text holds no date.
FALLBACK_TIMESTAMP = datetime(2020, 1, 1, tzinfo=UTC)

STYLE_TITLE = "公文标题"
STYLE_BODY = "公文正文"
STYLE_HEADING1 = "一级标题"
STYLE_HEADING2 = "二级标题"
STYLE_HEADING3 = "三级标题"
STYLE_ATTACHMENT_LIST = "附件说明"
STYLE_SIGNATURE = "发文机关署名"
STYLE_DATE = "成文日期"
STYLE_ATTACHMENT_LABEL = "附件标识"
STYLE_ATTACHMENT_TITLE = "附件标题"
STYLE_TABLE_HEADER = "表格表头"
STYLE_TABLE_TEXT = "表格文字"
STYLE_TABLE_NOTE = "表格注释"
STYLE_PAGE_NUMBER = "页码"


@dataclass(frozen=True)
class StyleSpec:
    name: str
    east_asia: str
    latin: str
    size: float
    align: str  # w:jc value: both, center, left, right
    first_line_chars: float | None = None
    outline_level: int | None = None  # 0 = "一、" … shown in Word's navigation pane
    bold: bool = False
    keep_with_next: bool = False
    page_break_before: bool = False
    exact_lines: bool = True  # 579-twip lines; tables and the footer are single-spaced instead
    snap_to_grid: bool = True  # characters on the 28-a-line grid (the 16 pt text only)
    space_before_pt: float = 0
    space_after_pt: float = 0


_OFF_GRID = dict(exact_lines=False, snap_to_grid=False)  # small type: tables and page numbers

STYLE_SPECS = (
    StyleSpec(STYLE_BODY, FANGSONG, LATIN, BODY_PT, "both", first_line_chars=2),
    # The title is centred with no indent, in one font for all scripts so digits match. Its
    # 22 pt characters are kept off the 16 pt character grid (they keep their own width).
    StyleSpec(STYLE_TITLE, XIAOBIAOSONG, XIAOBIAOSONG, TITLE_PT, "center", keep_with_next=True,
              snap_to_grid=False),
    StyleSpec(STYLE_HEADING1, HEITI, HEITI, BODY_PT, "both", 2, outline_level=0, keep_with_next=True),
    StyleSpec(STYLE_HEADING2, KAITI, KAITI, BODY_PT, "both", 2, outline_level=1, keep_with_next=True),
    StyleSpec(STYLE_HEADING3, FANGSONG, LATIN, BODY_PT, "both", 2, outline_level=2, keep_with_next=True),
    StyleSpec(STYLE_ATTACHMENT_LIST, FANGSONG, LATIN, BODY_PT, "left", keep_with_next=True),
    StyleSpec(STYLE_SIGNATURE, FANGSONG, LATIN, BODY_PT, "right", keep_with_next=True),
    StyleSpec(STYLE_DATE, FANGSONG, LATIN, BODY_PT, "right"),
    StyleSpec(STYLE_ATTACHMENT_LABEL, HEITI, HEITI, BODY_PT, "left", keep_with_next=True,
              page_break_before=True),
    # The attachment is a document of its own (§7.3.4 "附件格式要求同正文"), so its title takes
    # the body title's 2号 小标宋 rather than a smaller 黑体 caption; half a line under it keeps
    # the table from touching its descenders.
    StyleSpec(STYLE_ATTACHMENT_TITLE, XIAOBIAOSONG, XIAOBIAOSONG, TITLE_PT, "center",
              keep_with_next=True, snap_to_grid=False, space_after_pt=LINE_PITCH_TWIPS / 40),
    StyleSpec(STYLE_TABLE_HEADER, HEITI, HEITI, TABLE_PT, "center", bold=True, **_OFF_GRID),
    StyleSpec(STYLE_TABLE_TEXT, FANGSONG, LATIN, TABLE_PT, "left", **_OFF_GRID),
    StyleSpec(STYLE_TABLE_NOTE, FANGSONG, LATIN, TABLE_PT, "both", **_OFF_GRID, space_before_pt=3),
    StyleSpec(STYLE_PAGE_NUMBER, SONGTI, SONGTI, PAGE_NUMBER_PT, "right", **_OFF_GRID),
)

# Fonts declared in fontTable.xml so Word substitutes sensibly where one is missing.
FONT_DECLARATIONS = (
    (FANGSONG, "仿宋", "modern"),
    (KAITI, "楷体", "modern"),
    (HEITI, "SimHei", "modern"),
    (SONGTI, "SimSun", "auto"),
    (XIAOBIAOSONG, None, "auto"),
)

# The date line's year, month and day: the first three runs of digits, whatever the words between.
_DATE = re.compile(r"(\d{4})\D+(\d{1,2})\D+(\d{1,2})")


def render_docx(doc: OfficialDocument, path: str | Path, *,
                title_breaks: TitleBreaks | None = None) -> Path:
    """Write ``doc`` to ``path`` as an official-layout .docx and return the path.

    A title (the document's or an attachment's) too long for one line is broken where
    ``title_breaks`` allows (:func:`title_lines`); a title that holds ``\n`` keeps its own breaks.
    """
    doc = with_title_lines(doc, title_breaks or TitleBreaks())
    document = docx.Document()
    ooxml.drop_template_leftovers(document)
    ooxml.declare_fonts(document, FONT_DECLARATIONS)
    text_width = _set_up_page(document)
    styles = _set_up_styles(document)
    _set_up_page_numbers(document, styles)
    _write_main_text(document, doc, styles)
    for attachment in doc.attachments:
        _write_attachment(document, attachment, styles, text_width)
    _set_core_properties(document, doc)
    buffer = io.BytesIO()
    document.save(buffer)
    ooxml.write_deterministic_zip(buffer.getvalue(), path, FIXED_ZIP_TIME)
    return path


# --- package, page, styles ---------------------------------------------------------------

def _set_up_page(document) -> int:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM)
    section.top_margin, section.bottom_margin = Mm(MARGIN_TOP_MM), Mm(MARGIN_BOTTOM_MM)
    section.left_margin, section.right_margin = Mm(MARGIN_LEFT_MM), Mm(MARGIN_RIGHT_MM)
    section.header_distance = Mm(HEADER_DISTANCE_MM)
    section.footer_distance = Mm(FOOTER_DISTANCE_MM)
    section.gutter = 0
    text_width = (section.page_width.twips - section.left_margin.twips - section.right_margin.twips)
    ooxml.set_doc_grid(section._sectPr, LINE_PITCH_TWIPS)

    settings = document.settings
    settings.odd_and_even_pages_header_footer = True
    theme_lang = settings.element.find(ooxml.qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(ooxml.qn("w:eastAsia"), "zh-CN")
    return text_width


def _set_up_styles(document) -> dict[str, object]:
    styles = document.styles
    root = styles.element
    ooxml.strip_theme_fonts(root)

    # Defaults: what every run and paragraph starts from, including those in Word's own styles.
    defaults = root.find(ooxml.qn("w:docDefaults"))
    rpr = defaults.find(ooxml.qn("w:rPrDefault")).find(ooxml.qn("w:rPr"))
    ooxml.set_fonts(rpr, FANGSONG, LATIN)
    ooxml.set_size(rpr, BODY_PT)
    ooxml.set_lang(rpr)
    text_width = (document.sections[0].page_width.twips - document.sections[0].left_margin.twips
                  - document.sections[0].right_margin.twips)
    ooxml.set_child(rpr, "spacing", ooxml.RPR_ORDER, val=condensed_spacing(text_width))
    ppr = defaults.find(ooxml.qn("w:pPrDefault")).find(ooxml.qn("w:pPr"))
    ooxml.set_exact_line_spacing(ppr, LINE_PITCH_TWIPS)
    # Widow control would push lines over and break the 22-lines-a-page grid.
    ooxml.set_on_off(ppr, "widowControl", False)

    normal = styles["Normal"]
    _apply_spec(normal.element, StyleSpec("Normal", FANGSONG, LATIN, BODY_PT, "both"))

    made: dict[str, object] = {}
    for spec in STYLE_SPECS:
        # styles.add_style without its check that the name is new (a scan of the template's ~160
        # styles for each): the template has none of ours
        style = StyleFactory(root.add_style_of_type(spec.name, WD_STYLE_TYPE.PARAGRAPH, False))
        style.base_style = normal
        style.quick_style = True
        _apply_spec(style.element, spec)
        made[spec.name] = style
    for name in (STYLE_TITLE, STYLE_HEADING1, STYLE_HEADING2, STYLE_HEADING3):
        made[name].next_paragraph_style = made[STYLE_BODY]
    return made


def _apply_spec(style_element, spec: StyleSpec) -> None:
    ppr = style_element.get_or_add_pPr()
    if spec.keep_with_next:
        ooxml.set_on_off(ppr, "keepNext", True)
    if spec.page_break_before:
        ooxml.set_on_off(ppr, "pageBreakBefore", True)
    if not spec.snap_to_grid:
        ooxml.set_on_off(ppr, "snapToGrid", False)
    before = round(spec.space_before_pt * ooxml.TWIPS_PER_PT)
    after = round(spec.space_after_pt * ooxml.TWIPS_PER_PT)
    if spec.exact_lines:
        ooxml.set_exact_line_spacing(ppr, LINE_PITCH_TWIPS, before=before, after=after)
    else:
        ooxml.set_single_line_spacing(ppr, before=before, after=after)
    char_twips = round(spec.size * ooxml.TWIPS_PER_PT)
    ooxml.set_indent_chars(ppr, char_twips, first_line=spec.first_line_chars or 0)
    ooxml.set_child(ppr, "jc", ooxml.PPR_ORDER, val=spec.align)
    if spec.outline_level is not None:
        ooxml.set_outline_level(ppr, spec.outline_level)
    rpr = style_element.get_or_add_rPr()
    ooxml.set_fonts(rpr, spec.east_asia, spec.latin)
    ooxml.set_bold(rpr, spec.bold)
    ooxml.set_size(rpr, spec.size)


def _set_up_page_numbers(document, styles) -> None:
    """"— N —" in the 14 pt page-number font: odd pages right, even pages left, one character in
    from the edge."""
    section = document.sections[0]
    one_char = PAGE_NUMBER_PT * ooxml.TWIPS_PER_PT
    for footer, side in ((section.footer, "right"), (section.even_page_footer, "left")):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        paragraph.style = styles[STYLE_PAGE_NUMBER]
        ppr = paragraph._p.get_or_add_pPr()
        ooxml.set_child(ppr, "jc", ooxml.PPR_ORDER, val=side)
        ooxml.set_indent_chars(ppr, one_char, **{side: 1})
        ooxml.add_page_field(paragraph._p, "— ", " —", _page_number_rpr)


def _page_number_rpr():
    rpr = ooxml.OxmlElement("w:rPr")
    ooxml.set_fonts(rpr, SONGTI, SONGTI, hint_east_asia=True)  # full-width em dashes
    return rpr


# --- content -------------------------------------------------------------------------------

def _paragraph(document, style, text: str = ""):
    # The style id is written directly: python-docx's ``style=`` looks up the default style on
    # every call, a scan of all styles that was half of the render time.
    paragraph = document.add_paragraph()
    paragraph._p.get_or_add_pPr().get_or_add_pStyle().val = style.style_id
    ooxml.add_text_runs(paragraph._p, text)
    return paragraph


def _write_main_text(document, doc: OfficialDocument, styles) -> None:
    _paragraph(document, styles[STYLE_TITLE], doc.title)
    _paragraph(document, styles[STYLE_BODY])  # one blank line under the title
    for text in doc.opening:
        _paragraph(document, styles[STYLE_BODY], text)
    for section in doc.sections:
        _paragraph(document, styles[STYLE_HEADING1], section.heading)
        _write_blocks(document, section.paragraphs, styles)
        for subsection in section.subsections:
            _paragraph(document, styles[STYLE_HEADING2], subsection.heading)
            _write_blocks(document, subsection.paragraphs, styles)
    if not (doc.attachments or doc.signature or doc.date_text):
        return
    # The closing block (attachment list, signature, date) never stands alone on a page:
    # it is chained to the last line of the text by keep-with-next (§7.3.5).
    document.paragraphs[-1].paragraph_format.keep_with_next = True
    if doc.attachments:
        _paragraph(document, styles[STYLE_BODY]).paragraph_format.keep_with_next = True
        _write_attachment_list(document, doc.attachments, styles)
    if doc.signature or doc.date_text:
        _paragraph(document, styles[STYLE_BODY]).paragraph_format.keep_with_next = True
        _write_signature(document, doc.signature, doc.date_text, styles)


def _write_blocks(document, blocks, styles) -> None:
    for block in blocks:
        if isinstance(block, Heading3):
            _paragraph(document, styles[STYLE_HEADING3], block.text)
        else:
            _paragraph(document, styles[STYLE_BODY], block)


def _write_attachment_list(document, attachments, styles) -> None:
    """The attachment list (§7.3.4): the lead (wording.yaml ``layout.attachment_lead``), then
    "1." and the name, two characters in; later items and wrapped lines line up under the
    first item's number and name."""
    lead = phrases.section("layout")["attachment_lead"]
    numbered = len(attachments) > 1
    for index, attachment in enumerate(attachments, start=1):
        number = f"{index}." if numbered else ""
        left = 2 + display_width(lead) + display_width(number)
        hanging = left - 2 if index == 1 else display_width(number)
        text = (lead if index == 1 else "") + number + attachment.title
        paragraph = _paragraph(document, styles[STYLE_ATTACHMENT_LIST], text)
        ppr = paragraph._p.get_or_add_pPr()
        ooxml.set_indent_chars(ppr, BODY_CHAR_TWIPS, left=left, hanging=hanging)


def _write_signature(document, signature: str, date_text: str, styles) -> None:
    sig_right, date_right = signature_indents(signature, date_text)
    lines = ((signature, STYLE_SIGNATURE, sig_right), (date_text, STYLE_DATE, date_right))
    for text, style, right in lines:
        if text:
            paragraph = _paragraph(document, styles[style], text)
            ooxml.set_indent_chars(paragraph._p.get_or_add_pPr(), BODY_CHAR_TWIPS, right=right)


def _write_attachment(document, attachment: Attachment, styles, text_width: int) -> None:
    # "附件1" on the first line of a new page, the title on the third (§7.3.4, §7.4).
    _paragraph(document, styles[STYLE_ATTACHMENT_LABEL], attachment.label)
    _paragraph(document, styles[STYLE_BODY])
    _paragraph(document, styles[STYLE_ATTACHMENT_TITLE], attachment.title)
    widths = column_widths(attachment, text_width)
    table = ooxml.build_table(
        attachment.columns,
        attachment.rows,
        widths,
        header_style_id=styles[STYLE_TABLE_HEADER].style_id,
        body_style_id=styles[STYLE_TABLE_TEXT].style_id,
        align=lambda text, column: cell_alignment(attachment, text, column),
        group_rows=attachment.group_rows,
        cell_margin=CELL_MARGIN_TWIPS,
    )
    document.element.body.sectPr.addprevious(table)
    for note in attachment.notes:
        _paragraph(document, styles[STYLE_TABLE_NOTE], note)


def document_timestamp(date_text: str) -> datetime:
    match = _DATE.search(date_text)
    if match:
        try:
            return datetime(*(int(part) for part in match.groups()), tzinfo=UTC)
        except ValueError:
            pass
    return FALLBACK_TIMESTAMP


def _set_core_properties(document, doc: OfficialDocument) -> None:
    props = document.core_properties
    stamp = document_timestamp(doc.date_text)
    props.title = doc.title.replace("\n", "")
    props.author = doc.signature
    props.last_modified_by = doc.signature
    props.created = stamp
    props.modified = stamp
    props.revision = 1
    props.language = "zh-CN"
    for name in ("subject", "keywords", "comments", "category"):
        setattr(props, name, "")
