"""Does the edited document still follow GB/T 9704? What the edit broke: paragraph, what,
expected, found.

The expected values are the renderer's own — ``layout.STYLE_SPECS`` (fonts, sizes, bold,
alignment, first-line indent, exact line spacing of every style), ``measure`` (page and margins,
line pitch) and ``measure.signature_indents`` — never a second copy. Each paragraph is expected to
look like the style of the draft paragraph it stands for (an added one: the style it has if it is
one of the renderer's, else the heading level its numbering shows, else body text). What it looks
like is resolved as Word does: the run's own properties, then its paragraph's style and the styles
that style is based on, then the document defaults.
"""
from __future__ import annotations

from dataclasses import dataclass

from docx.oxml.ns import qn
from docx.shared import Mm

from county_reports.render import layout, measure
from county_reports.render.review.paragraphs import BODY, TABLE, Para

SPECS = {spec.name: spec for spec in layout.STYLE_SPECS}
HEADING_STYLES = {"heading1": layout.STYLE_HEADING1, "heading2": layout.STYLE_HEADING2,
                  "heading3": layout.STYLE_HEADING3}
TOLERANCE_TWIPS = 20  # 0.35 mm: Word rounds millimetres to twips, WPS to its own units
_OFF = ("0", "false", "off", "none")


@dataclass(frozen=True)
class LayoutBreak:
    paragraph: int | None    # index in the edited document (None: the page)
    what: str
    expected: str
    found: str

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class Resolver:
    """Effective properties of a paragraph or run: own → style chain → document defaults."""

    def __init__(self, document):
        root = document.styles.element
        self.styles = {s.get(qn("w:styleId")): s for s in root.iter(qn("w:style"))}
        defaults = root.find(qn("w:docDefaults"))
        self.rpr_default = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}") if defaults is not None else None
        self.ppr_default = defaults.find(f"{qn('w:pPrDefault')}/{qn('w:pPr')}") if defaults is not None else None

    def chain(self, style_id: str | None) -> list:
        found, seen = [], set()
        while style_id and style_id in self.styles and style_id not in seen and len(found) < 20:
            seen.add(style_id)
            style = self.styles[style_id]
            found.append(style)
            based = style.find(qn("w:basedOn"))
            style_id = based.get(qn("w:val")) if based is not None else None
        return found

    def run_value(self, run, p_style: str | None, tag: str, attr: str | None = "val"):
        rstyle = run.find(f"{qn('w:rPr')}/{qn('w:rStyle')}")
        styles = self.chain(_val(rstyle)) + self.chain(p_style)  # character style, then paragraph's
        holders = [run.find(qn("w:rPr"))] + [s.find(qn("w:rPr")) for s in styles] + [self.rpr_default]
        return _first(holders, tag, attr)

    def para_value(self, p, tag: str, attr: str):
        ppr = p.find(qn("w:pPr"))
        style = ppr.find(qn("w:pStyle")) if ppr is not None else None
        holders = [ppr] + [s.find(qn("w:pPr")) for s in self.chain(_val(style))]
        return _first(holders + [self.ppr_default], tag, attr)


def _val(element) -> str | None:
    return element.get(qn("w:val")) if element is not None else None


def _first(holders, tag: str, attr: str | None):
    for holder in holders:
        if holder is None:
            continue
        element = holder.find(qn(f"w:{tag}"))
        if element is None:
            continue
        if attr is None:  # an on/off property: present means on unless val says off
            return element.get(qn("w:val"), "1") not in _OFF
        value = element.get(qn(f"w:{attr}"))
        if value is not None:
            return value
    return None


def expected_style(para: Para, draft_style: str | None, settings) -> str:
    """The renderer's style this paragraph should have: the draft paragraph's it stands for; for
    an added one, the heading level its numbering shows (a heading typed in body text is still a
    heading), else its own style if it is one of the renderer's, else body text."""
    if draft_style in SPECS:
        return draft_style
    for level, pattern in settings.headings.items():
        if pattern.match(para.text):
            return HEADING_STYLES[level]
    return para.style if para.style in SPECS else layout.STYLE_BODY


def check_page(document, settings) -> list[LayoutBreak]:
    """Page size, margins, odd/even page-number footers, section breaks."""
    words, breaks = settings.words, []
    section = document.sections[-1]
    size = (section.page_width, section.page_height)
    want = (Mm(measure.PAGE_WIDTH_MM), Mm(measure.PAGE_HEIGHT_MM))
    if any(found is None or abs(found.twips - w.twips) > TOLERANCE_TWIPS for found, w in zip(size, want, strict=False)):
        breaks.append(LayoutBreak(None, words("page_size"), _mm_pair(want, words), _mm_pair(size, words)))
    for side, mm in (("top", measure.MARGIN_TOP_MM), ("bottom", measure.MARGIN_BOTTOM_MM),
                     ("left", measure.MARGIN_LEFT_MM), ("right", measure.MARGIN_RIGHT_MM)):
        found = getattr(section, f"{side}_margin")
        if found is None or abs(found.twips - Mm(mm).twips) > TOLERANCE_TWIPS:
            breaks.append(LayoutBreak(None, words("margin", side=settings.layout["sides"][side]),
                                      words("mm", mm=mm), _mm(found, words)))
    if not document.settings.odd_and_even_pages_header_footer:
        breaks.append(LayoutBreak(None, words("odd_even"), words("yes_word"), words("no_word")))
    for which, footer in (("default", section.footer), ("even", section.even_page_footer)):
        if footer.is_linked_to_previous or not _has_page_field(footer._element):
            breaks.append(LayoutBreak(None, words("footer", which=settings.layout["footers"][which]),
                                      words("page_field"), words("missing")))
    return breaks


def _has_page_field(element) -> bool:
    """A PAGE field, complex (w:instrText) or simple (w:fldSimple, as WPS may write it)."""
    return any("PAGE" in (t.text or "") for t in element.iter(qn("w:instrText"))) or \
        any("PAGE" in (f.get(qn("w:instr")) or "") for f in element.iter(qn("w:fldSimple")))


def check_paragraphs(document, paras: list[Para], expected: dict[int, str], settings) -> list[LayoutBreak]:
    """Each body paragraph against the renderer's spec of the style it should have."""
    resolver, breaks = Resolver(document), []
    for para in paras:
        if para.where not in (BODY, TABLE) or para.index not in expected:
            continue
        if para.element.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None:
            breaks.append(LayoutBreak(para.index, settings.words("section_break"), settings.words("none"),
                                      settings.words("section_break")))
        want = expected[para.index]
        if para.style != want:
            breaks.append(LayoutBreak(para.index, settings.words("style"), want, para.style or "-"))
        if para.text.strip():
            breaks += _paragraph_breaks(resolver, para, SPECS[want], settings)
    return breaks


def _paragraph_breaks(resolver: Resolver, para: Para, spec, settings) -> list[LayoutBreak]:
    words, out = settings.words, []
    p = para.element
    style = p.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
    style_id = style.get(qn("w:val")) if style is not None else None
    runs = [r for r in p.iter(qn("w:r")) if r.find(qn("w:t")) is not None and _owned(r, p)]
    fonts = {resolver.run_value(r, style_id, "rFonts", "eastAsia") for r in runs}
    sizes = {resolver.run_value(r, style_id, "sz") for r in runs}
    bolds = {bool(resolver.run_value(r, style_id, "b", None)) for r in runs}
    if fonts - {spec.east_asia}:
        out.append(LayoutBreak(para.index, words("font"), spec.east_asia, _join(fonts - {spec.east_asia})))
    want_size = str(round(spec.size * 2))
    if sizes - {want_size}:
        found = _join(words("pt", pt=_pt(s)) for s in sizes - {want_size})
        out.append(LayoutBreak(para.index, words("size"), words("pt", pt=_pt(want_size)), found))
    if bolds - {spec.bold}:
        out.append(LayoutBreak(para.index, words("bold"), words("yes_word" if spec.bold else "no_word"),
                               words("no_word" if spec.bold else "yes_word")))
    out += _spacing_and_alignment(resolver, para, spec, settings)
    return out


def _spacing_and_alignment(resolver: Resolver, para: Para, spec, settings) -> list[LayoutBreak]:
    words, out, p = settings.words, [], para.element
    if spec.exact_lines:
        line = resolver.para_value(p, "spacing", "line")
        rule = resolver.para_value(p, "spacing", "lineRule")
        if line != str(measure.LINE_PITCH_TWIPS) or rule != "exact":
            want = words("exact_spacing", points=measure.LINE_PITCH_TWIPS / 20)
            found = words("exact_spacing", points=int(line) / 20) if rule == "exact" and line and line.isdigit() \
                else f"{rule or 'auto'} {line or '-'}"
            out.append(LayoutBreak(para.index, words("line_spacing"), want, found))
    align = resolver.para_value(p, "jc", "val") or "left"
    if align != spec.align and para.where != TABLE:  # cells carry their own alignment (figures right)
        aligns = settings.layout["aligns"]
        out.append(LayoutBreak(para.index, words("align"), aligns.get(spec.align, spec.align),
                               aligns.get(align, align)))
    if spec.first_line_chars is not None:
        chars = resolver.para_value(p, "ind", "firstLineChars")
        found = int(chars) / 100 if chars and chars.lstrip("-").isdigit() else 0
        if abs(found - spec.first_line_chars) > 0.01:
            out.append(LayoutBreak(para.index, words("first_line"), words("chars", chars=spec.first_line_chars),
                                   words("chars", chars=found)))
    return out


def check_closing(document, paras: list[Para], expected: dict[int, str], signature: str, date_text: str,
                  settings) -> list[LayoutBreak]:
    """The signature and date paragraphs are there, in their styles, saying what the draft said,
    indented from the right as ``measure.signature_indents`` places them (§7.3.5.2)."""
    words, out, resolver = settings.words, [], Resolver(document)
    indents = measure.signature_indents(signature, date_text)
    for style, text, what, indent in ((layout.STYLE_SIGNATURE, signature, "signature", indents[0]),
                                      (layout.STYLE_DATE, date_text, "date", indents[1])):
        if not text:
            continue
        holders = [p for p in paras if expected.get(p.index) == style]
        found = next((p for p in holders if p.text.strip() == text.strip() and p.style == style), None)
        if found is None:
            shown = holders[0].text.strip() if holders else ""
            out.append(LayoutBreak(holders[0].index if holders else None, words(what), text,
                                   shown or words("missing")))
            continue
        right = resolver.para_value(found.element, "ind", "rightChars")
        chars = int(right) / 100 if right and right.lstrip("-").isdigit() else 0
        if abs(chars - indent) > 0.01:
            out.append(LayoutBreak(found.index, words(what), words("chars", chars=indent),
                                   words("chars", chars=chars)))
    return out


def _owned(run, p) -> bool:
    return next(run.iterancestors(qn("w:p")), None) is p


def _join(values) -> str:
    return ", ".join(sorted(str(v) if v is not None else "-" for v in values))


def _pt(half_points) -> str:
    if half_points is None or not str(half_points).isdigit():
        return "-"
    value = int(half_points) / 2
    return f"{value:g}"


def _mm(length, words) -> str:
    return words("mm", mm=f"{length.mm:.1f}") if length is not None else "-"


def _mm_pair(pair, words) -> str:
    return " × ".join(_mm(x, words) for x in pair)
