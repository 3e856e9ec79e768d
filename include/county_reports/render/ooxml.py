"""Low-level WordprocessingML helpers for what python-docx has no API for.

East Asian fonts, character-based indents, outline levels, the document grid, PAGE fields,
table XML, the font table, and a deterministic zip. Nothing here knows about official documents;
``layout`` decides the values.
"""
from __future__ import annotations

import copy
import functools
import io
import zipfile
from pathlib import Path
from collections.abc import Callable, Collection, Iterable, Sequence

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from lxml import etree

from county_reports.core import atomic
from county_reports.render.printable import printable

# Child order of the elements we touch, from the ECMA-376 schema. Word rejects a file whose
# children are out of order, so every insertion goes through ``set_child``.
PPR_ORDER = (  # noqa: SIM905  (a schema's element names, read as words)
    "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers"
    " pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE"
    " autoSpaceDN bidi adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents"
    " suppressOverlap jc textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle"
    " rPr sectPr pPrChange"
).split()
RPR_ORDER = (  # noqa: SIM905  (a schema's element names, read as words)
    "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof"
    " snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd"
    " fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath"
).split()
SECTPR_ORDER = (  # noqa: SIM905  (a schema's element names, read as words)
    "headerReference footerReference footnotePr endnotePr type pgSz pgMar paperSrc pgBorders"
    " lnNumType pgNumType cols formProt vAlign noEndnote titlePg textDirection bidi rtlGutter"
    " docGrid printerSettings sectPrChange"
).split()

THEME_FONT_ATTRS = ("asciiTheme", "eastAsiaTheme", "hAnsiTheme", "cstheme")
TWIPS_PER_PT = 20
TWIPS_PER_INCH = 1440
MM_PER_INCH = 25.4


def mm_to_twips(mm: float) -> int:
    return round(mm * TWIPS_PER_INCH / MM_PER_INCH)


def twips_to_mm(twips: float) -> float:
    return twips * MM_PER_INCH / TWIPS_PER_INCH


def set_child(parent, tag: str, order: Sequence[str], **attrs: str):
    """Get or create ``w:<tag>`` under ``parent`` in schema order, then set ``w:`` attributes."""
    child = parent.find(qn(f"w:{tag}"))
    if child is None:
        child = OxmlElement(f"w:{tag}")
        later = {qn(f"w:{name}") for name in order[order.index(tag) + 1 :]}
        for index, sibling in enumerate(parent):
            if sibling.tag in later:
                parent.insert(index, child)
                break
        else:
            parent.append(child)
    for name, value in attrs.items():
        child.set(qn(f"w:{name}"), str(value))
    return child


def set_fonts(rpr, east_asia: str, latin: str, hint_east_asia: bool = False) -> None:
    """Fonts for all four scripts: ``latin`` for ascii/hAnsi/cs, ``east_asia`` for CJK."""
    fonts = set_child(rpr, "rFonts", RPR_ORDER)
    for attr in THEME_FONT_ATTRS:
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    if hint_east_asia:
        # Ambiguous characters such as the em dash then take the East Asian font.
        fonts.set(qn("w:hint"), "eastAsia")


def set_size(rpr, points: float) -> None:
    half_points = str(round(points * 2))
    set_child(rpr, "sz", RPR_ORDER, val=half_points)
    set_child(rpr, "szCs", RPR_ORDER, val=half_points)


def set_bold(rpr, bold: bool) -> None:
    for tag in ("b", "bCs"):
        set_child(rpr, tag, RPR_ORDER, val="1" if bold else "0")


def set_lang(rpr, east_asia: str = "zh-CN", latin: str = "en-US", bidi: str = "ar-SA") -> None:
    set_child(rpr, "lang", RPR_ORDER, val=latin, eastAsia=east_asia, bidi=bidi)


def strip_theme_fonts(root) -> int:
    """Remove theme font attributes under ``root``; return how many were removed."""
    removed = 0
    for fonts in root.iter(qn("w:rFonts")):
        for attr in THEME_FONT_ATTRS:
            if fonts.attrib.pop(qn(f"w:{attr}"), None) is not None:
                removed += 1
    return removed


def set_indent_chars(
    ppr,
    char_twips: int,
    *,
    first_line: float | None = None,
    hanging: float | None = None,
    left: float | None = None,
    right: float | None = None,
) -> None:
    """Indents in characters: ``w:*Chars`` (hundredths of a character, what Word obeys when
    present) plus the twips equivalent for consumers that ignore the Chars form."""
    attrs: dict[str, str] = {}
    requested = (("firstLine", first_line), ("hanging", hanging), ("left", left), ("right", right))
    for name, chars in requested:
        if chars is not None:
            attrs[f"{name}Chars"] = str(round(chars * 100))
            attrs[name] = str(round(chars * char_twips))
    ind = set_child(ppr, "ind", PPR_ORDER)
    if "firstLine" in attrs:  # firstLine and hanging exclude each other
        for stale in ("hanging", "hangingChars"):
            ind.attrib.pop(qn(f"w:{stale}"), None)
    if "hanging" in attrs:
        for stale in ("firstLine", "firstLineChars"):
            ind.attrib.pop(qn(f"w:{stale}"), None)
    for name, value in attrs.items():
        ind.set(qn(f"w:{name}"), value)


def set_exact_line_spacing(ppr, twips: int, before: int = 0, after: int = 0) -> None:
    set_child(ppr, "spacing", PPR_ORDER, before=before, after=after, line=twips, lineRule="exact")


def set_single_line_spacing(ppr, before: int = 0, after: int = 0) -> None:
    set_child(ppr, "spacing", PPR_ORDER, before=before, after=after, line=240, lineRule="auto")


def set_outline_level(ppr, level: int) -> None:
    set_child(ppr, "outlineLvl", PPR_ORDER, val=level)


def set_on_off(ppr, tag: str, on: bool) -> None:
    """A boolean paragraph property written explicitly (``w:val="0"`` overrides a style)."""
    set_child(ppr, tag, PPR_ORDER, val="1" if on else "0")


def set_doc_grid(sectpr, line_pitch: int) -> None:
    """A lines-only grid: 22 lines a page. Characters a line come from condensed spacing."""
    grid = set_child(sectpr, "docGrid", SECTPR_ORDER)
    grid.attrib.clear()
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(line_pitch))


_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def _run(rpr_factory=None, text: str | None = None, tag: str = "w:t", **attrs: str):
    """A ``w:r`` holding one child: text (``w:t`` / ``w:instrText``) or an empty element."""
    run = OxmlElement("w:r")
    if rpr_factory is not None:
        run.append(rpr_factory())
    child = OxmlElement(tag)
    if text is not None:
        child.text = text
        child.set(_XML_SPACE, "preserve")
    for name, value in attrs.items():
        child.set(qn(f"w:{name}"), value)
    run.append(child)
    return run


def add_page_field(paragraph_element, before: str, after: str, rpr_factory=None) -> None:
    """Append ``before`` PAGE ``after`` as a complex field (kept by Word and LibreOffice alike)."""
    for run in (
        _run(rpr_factory, before),
        _run(rpr_factory, tag="w:fldChar", fldCharType="begin"),
        _run(rpr_factory, " PAGE ", tag="w:instrText"),
        _run(rpr_factory, tag="w:fldChar", fldCharType="separate"),
        _run(rpr_factory, "1"),  # shown until the field is updated
        _run(rpr_factory, tag="w:fldChar", fldCharType="end"),
        _run(rpr_factory, after),
    ):
        paragraph_element.append(run)


def add_text_runs(paragraph_element, text: str) -> None:
    """Text with ``\\n`` turned into line breaks (``w:br``) inside one paragraph; characters a
    document cannot hold are dropped (``printable``)."""
    for index, line in enumerate(printable(text).split("\n")):
        if index:
            paragraph_element.append(_run(tag="w:br"))
        if line:
            paragraph_element.append(_run(text=line))


# --- tables --------------------------------------------------------------------------------

def _el(tag: str, **attrs: str):
    element = OxmlElement(f"w:{tag}")
    for name, value in attrs.items():
        element.set(qn(f"w:{name}"), str(value))
    return element


def _paragraph(text: str, style_id: str, align: str | None, keep_next: bool = False):
    p = _el("p")
    ppr = _el("pPr")
    ppr.append(_el("pStyle", val=style_id))
    if keep_next:
        ppr.append(_el("keepNext"))
    if align:
        ppr.append(_el("jc", val=align))
    p.append(ppr)
    add_text_runs(p, text)
    return p


def build_table(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    widths: Sequence[int],
    *,
    header_style_id: str,
    body_style_id: str,
    align: Callable[[str, int], str],
    border_size: int = 4,
    group_rows: Collection[int] = (),
    cell_margin: int = 85,
):
    """A bordered, centred, fixed-layout ``w:tbl``; the header row repeats on every page.

    ``widths`` are twips per column; ``align(text, column)`` gives the ``w:jc`` of a body cell
    ("left", "right", "center"); header cells are centred.
    A row of ``group_rows`` (0-based body rows) heads a group: its second cell spans the rest
    of the row, in the header style, left-aligned. ``cell_margin``: twips left and right of
    each cell's text. Built as raw XML: python-docx's cell API is
    quadratic in rows.
    """
    tbl = _el("tbl")
    tbl.append(_table_properties(widths, border_size, cell_margin))
    grid = _el("tblGrid")
    for width in widths:
        grid.append(_el("gridCol", w=width))
    tbl.append(grid)

    header_row = _table_row(is_header=True)
    for text, width in zip(header, widths, strict=False):
        header_row.append(_table_cell(text, width, header_style_id, "center"))
    tbl.append(header_row)
    groups = set(group_rows)
    for index, cells in enumerate(rows):
        tr = _table_row(is_header=False)
        if index in groups and len(widths) > 1:
            # a group's heading row stays on the page of its first row (keep with next)
            tr.append(_table_cell(cells[0], widths[0], body_style_id, align(cells[0], 0), keep_next=True))
            tr.append(_table_cell(cells[1], sum(widths[1:]), header_style_id, "left", len(widths) - 1,
                                  True))
        else:
            for column, (text, width) in enumerate(zip(cells, widths, strict=False)):
                tr.append(_table_cell(text, width, body_style_id, align(text, column)))
        tbl.append(tr)
    return tbl


def _table_properties(widths: Sequence[int], border_size: int, cell_margin: int):
    """``w:tblPr``: total width, centred, single borders, fixed layout, cell margins."""
    tblpr = _el("tblPr")
    tblpr.append(_el("tblW", w=sum(widths), type="dxa"))
    tblpr.append(_el("jc", val="center"))
    borders = _el("tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(_el(side, val="single", sz=border_size, space=0, color="000000"))
    tblpr.append(borders)
    tblpr.append(_el("tblLayout", type="fixed"))
    margins = _el("tblCellMar")
    for side, twips in (("top", 0), ("left", cell_margin), ("bottom", 0), ("right", cell_margin)):
        margins.append(_el(side, w=twips, type="dxa"))
    tblpr.append(margins)
    tblpr.append(_el("tblLook", val="04A0", firstRow="1", lastRow="0", firstColumn="1",
                     lastColumn="0", noHBand="0", noVBand="1"))
    return tblpr


def _table_row(is_header: bool):
    """An empty ``w:tr`` that never splits across pages; a header row repeats on every page."""
    tr = _el("tr")
    trpr = _el("trPr")
    trpr.append(_el("cantSplit"))
    trpr.append(_el("trHeight", val=454))  # 8 mm: rows of a printed statistics table
    if is_header:
        trpr.append(_el("tblHeader"))
    tr.append(trpr)
    return tr


def _table_cell(text: str, width: int, style_id: str, jc: str, span: int = 1, keep_next: bool = False):
    """A ``w:tc``: a copy of the empty cell of its kind (lxml copies in C), its text added."""
    tc = copy.deepcopy(_empty_cell(width, style_id, jc, span, keep_next))
    add_text_runs(tc[-1], text)
    return tc


@functools.lru_cache(maxsize=256)
def _empty_cell(width: int, style_id: str, jc: str, span: int, keep_next: bool):
    tc = _el("tc")
    tcpr = _el("tcPr")
    tcpr.append(_el("tcW", w=width, type="dxa"))
    if span > 1:
        tcpr.append(_el("gridSpan", val=span))
    tcpr.append(_el("vAlign", val="center"))
    tc.append(tcpr)
    tc.append(_paragraph("", style_id, jc, keep_next))
    return tc


# --- package parts -------------------------------------------------------------------------

_STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"


def drop_template_leftovers(document) -> None:
    """python-docx's template carries a thumbnail of an empty page, Word 2010's
    stylesWithEffects (with theme fonts) and a bibliography customXml: none belong here."""
    part = document.part
    for rid, rel in list(part.rels.items()):
        if rel.reltype in (_STYLES_WITH_EFFECTS, RT.CUSTOM_XML):
            part.drop_rel(rid)
    package_rels = part.package.rels
    for rid, rel in list(package_rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del package_rels[rid]


def declare_fonts(document, fonts: Sequence[tuple[str, str | None, str]]) -> None:
    font_table = document.part.part_related_by(RT.FONT_TABLE)
    # A plain Part: its XML is only reachable as the blob it was loaded with.
    font_table._blob = add_font_declarations(font_table.blob, fonts)


def add_font_declarations(
    font_table_xml: bytes, fonts: Sequence[tuple[str, str | None, str]]
) -> bytes:
    """Declare Chinese fonts in fontTable.xml: (name, altName or None, family).

    With charset 86 (GB2312) and an altName (e.g. FangSong for FangSong_GB2312, which newer Windows
    ships under that name), Word substitutes sensibly where the exact font is missing.
    """
    root = etree.fromstring(font_table_xml)
    known = {font.get(qn("w:name")) for font in root.findall(qn("w:font"))}
    for name, alt_name, family in fonts:
        if name in known:
            continue
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        if alt_name:
            etree.SubElement(font, qn("w:altName")).set(qn("w:val"), alt_name)
        etree.SubElement(font, qn("w:charset")).set(qn("w:val"), "86")
        etree.SubElement(font, qn("w:family")).set(qn("w:val"), family)
        etree.SubElement(font, qn("w:pitch")).set(qn("w:val"), "variable")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# --- deterministic package -----------------------------------------------------------------

def deterministic_zip(package: bytes, date_time=(2020, 1, 1, 0, 0, 0)) -> bytes:
    """An OOXML package (.docx, .xlsx) rewritten with fixed entry timestamps and attributes, in
    the same entry order: python-docx and openpyxl stamp every entry with the current time."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=date_time)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.create_system = 0
            fixed.external_attr = 0
            dst.writestr(fixed, src.read(info.filename), compresslevel=6)
    return out.getvalue()


def write_deterministic_zip(package: bytes, path: Path, date_time=(2020, 1, 1, 0, 0, 0)) -> None:
    """Rewrite a .docx with fixed entry timestamps (:func:`deterministic_zip`), so identical
    models give byte-identical files; written atomically, so a reader never sees half a file."""
    atomic.write_bytes(path, deterministic_zip(package, date_time))
