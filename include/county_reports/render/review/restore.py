"""Restore the layout of an edited draft: the renderer's styles, page and page numbers back on
the clerk's words, which are not touched.

The renderer's formatting is taken from the generated draft itself — what ``render.layout``
wrote — never re-typed here: its document defaults and the styles of ``layout.STYLE_SPECS`` (and
Normal) replace the edited document's of the same name (Word and WPS may renumber style ids, so
styles are matched by name and references are rewritten to the edited document's ids); the
section's page size, margins and grid, the odd/even setting and the two page-number footers are
the draft's; a section break the clerk inserted is removed. Each paragraph gets the paragraph
properties of the draft paragraph it stands for (an added one: its expected style alone), and its
runs lose their direct formatting (font, size, bold, spacing …; superscripts of note marks stay).

The text of every paragraph (the footers' page numbers aside) is read before and after: if one
differed, the restore raises instead of returning a document with changed words.
"""
from __future__ import annotations

import copy
import io

from docx.oxml.ns import qn

from county_reports.render import layout, ooxml
from county_reports.render.review.paragraphs import BODY, TABLE, Para, paragraphs

KEPT_RUN_PROPERTIES = {qn("w:vertAlign")}  # a footnote mark stays superscript
_REFERENCES = {qn("w:headerReference"), qn("w:footerReference")}
_STYLE_REFS = ("basedOn", "next", "link")


class RestoreError(RuntimeError):
    """The restore would have changed the words: nothing is returned."""


def restore(draft, edited, expected: dict[int, str], draft_of: dict[int, Para]) -> bytes:
    """``edited`` (a python-docx Document, changed in place) with the draft's layout, as bytes.

    ``expected``: edited paragraph index → the renderer's style name it should have;
    ``draft_of``: edited paragraph index → the draft paragraph it stands for."""
    before = _words(edited)
    ids = _restore_styles(draft, edited)
    _restore_section(draft, edited, ids)
    names_to_ids = _ids_by_name(edited)
    for para in paragraphs(edited):
        if para.where in (BODY, TABLE) and para.index in expected:
            _restore_paragraph(para, draft_of.get(para.index), names_to_ids[expected[para.index]], ids)
    after = _words(edited)
    if before != after:
        changed = next((i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b), len(after))
        raise RestoreError(f"restoring the layout would change paragraph {changed}")
    buffer = io.BytesIO()
    edited.save(buffer)
    return ooxml.deterministic_zip(buffer.getvalue(), layout.FIXED_ZIP_TIME)


def _words(document) -> list[str]:
    """Every paragraph's text but the footers' (the page numbers, which the restore puts back)."""
    return [p.text for p in paragraphs(document) if not p.where.startswith("footer")]


def _ids_by_name(document) -> dict[str, str]:
    found = {}
    for style in document.styles.element.iter(qn("w:style")):
        name = style.find(qn("w:name"))
        if name is not None:
            found.setdefault(name.get(qn("w:val")), style.get(qn("w:styleId")))
    return found


def _restore_styles(draft, edited) -> dict[str, str]:
    """The draft's defaults and renderer styles in the edited styles part; returns draft style id
    → edited style id (for rewriting references copied from the draft)."""
    source, target = draft.styles.element, edited.styles.element
    draft_ids, edited_ids = _ids_by_name(draft), _ids_by_name(edited)
    ids = {draft_ids[name]: edited_ids.get(name, draft_ids[name]) for name in draft_ids}
    defaults = source.find(qn("w:docDefaults"))
    old_defaults = target.find(qn("w:docDefaults"))
    if old_defaults is not None:
        target.remove(old_defaults)
    target.insert(0, copy.deepcopy(defaults))
    for name in ["Normal", *(spec.name for spec in layout.STYLE_SPECS)]:
        if name not in draft_ids:
            continue
        fresh = copy.deepcopy(_style(source, draft_ids[name]))
        fresh.set(qn("w:styleId"), ids[draft_ids[name]])
        for tag in _STYLE_REFS:
            ref = fresh.find(qn(f"w:{tag}"))
            if ref is not None:
                ref.set(qn("w:val"), ids.get(ref.get(qn("w:val")), ref.get(qn("w:val"))))
        old = _style(target, ids[draft_ids[name]]) if name in edited_ids else None
        if old is not None:
            old.addprevious(fresh)
            target.remove(old)
        else:
            target.append(fresh)
    return ids


def _style(root, style_id: str):
    return next((s for s in root.iter(qn("w:style")) if s.get(qn("w:styleId")) == style_id), None)


def _restore_section(draft, edited, ids: dict[str, str]) -> None:
    body = edited.element.body
    for ppr in body.iter(qn("w:pPr")):
        for sect in ppr.findall(qn("w:sectPr")):
            ppr.remove(sect)
    sectpr, model = body.find(qn("w:sectPr")), draft.element.body.find(qn("w:sectPr"))
    if sectpr is None:  # Word always writes one; a hand-made file may not
        sectpr = ooxml.OxmlElement("w:sectPr")
        body.append(sectpr)
    for child in list(sectpr):
        if child.tag not in _REFERENCES:
            sectpr.remove(child)
    for child in model:
        if child.tag not in _REFERENCES:
            sectpr.append(copy.deepcopy(child))
    edited.settings.odd_and_even_pages_header_footer = True
    section, source = edited.sections[0], draft.sections[0]
    for footer, model_footer in ((section.footer, source.footer),
                                 (section.even_page_footer, source.even_page_footer)):
        footer.is_linked_to_previous = False
        element = footer._element
        for child in list(element):
            element.remove(child)
        for child in model_footer._element:
            fresh = copy.deepcopy(child)
            for style in fresh.iter(qn("w:pStyle")):
                style.set(qn("w:val"), ids.get(style.get(qn("w:val")), style.get(qn("w:val"))))
            element.append(fresh)


def _restore_paragraph(para: Para, model: Para | None, style_id: str, ids: dict[str, str]) -> None:
    p = para.element
    old = p.find(qn("w:pPr"))
    if model is not None and model.element.find(qn("w:pPr")) is not None:
        fresh = copy.deepcopy(model.element.find(qn("w:pPr")))
        for sect in fresh.findall(qn("w:sectPr")):
            fresh.remove(sect)
    else:
        fresh = ooxml.OxmlElement("w:pPr")
    fresh_style = fresh.find(qn("w:pStyle"))
    if fresh_style is None:
        fresh_style = ooxml.OxmlElement("w:pStyle")
        fresh.insert(0, fresh_style)
    fresh_style.set(qn("w:val"), ids.get(fresh_style.get(qn("w:val")), style_id) if model else style_id)
    if old is not None:
        p.remove(old)
    p.insert(0, fresh)
    for run in p.iter(qn("w:r")):
        if next(run.iterancestors(qn("w:p")), None) is not p:
            continue
        rpr = run.find(qn("w:rPr"))
        if rpr is not None:
            for child in list(rpr):
                if child.tag not in KEPT_RUN_PROPERTIES:
                    rpr.remove(child)
