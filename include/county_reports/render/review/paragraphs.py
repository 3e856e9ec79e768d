"""The paragraphs of a .docx as the reader sees them: index, text, style name, where.

Every ``w:p`` of the body in document order — table cells and text boxes included (a figure in a
text box is a figure), the fallback copy of a text box (``mc:Fallback``) not — then those of the
headers, footers, footnotes and endnotes, so a figure cannot hide there either. A paragraph's text
is its ``w:t`` (with ``w:tab`` as a tab and ``w:br``/``w:cr`` as a line break, as python-docx reads
them) that belong to it and not to a paragraph nested in it. Styles are named by ``w:name``:
Word and WPS may renumber style ids when they save.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from docx.oxml import parse_xml
from docx.oxml.ns import qn

_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_P, _T, _TAB, _BR, _CR, _HYPHEN = (qn(f"w:{t}") for t in ("p", "t", "tab", "br", "cr", "noBreakHyphen"))
_TEXT = {_T: None, _TAB: "\t", _BR: "\n", _CR: "\n", _HYPHEN: "-"}
_PARTS = ("header", "footer", "footnotes", "endnotes")
BODY, TABLE = "body", "table"


@dataclass
class Para:
    index: int
    text: str
    style: str            # the style's name (w:name), "" when none
    where: str            # body | table | the part's name (footer1.xml …)
    element: object = field(repr=False, compare=False, default=None)


def style_names(document) -> dict[str, str]:
    """style id → style name, from the document's styles part."""
    names = {}
    for style in document.styles.element.iter(qn("w:style")):
        name = style.find(qn("w:name"))
        names[style.get(qn("w:styleId"))] = name.get(qn("w:val")) if name is not None else ""
    return names


def paragraphs(document, limit: int | None = None) -> list[Para]:
    """Body paragraphs first, then those of the other story parts. Stops at ``limit`` + 1."""
    names = style_names(document)
    found: list[Para] = []
    stories = [(None, document.element.body)] + _story_parts(document)
    for part_name, root in stories:
        for p in root.iter(_P):
            if _in_fallback(p):
                continue
            where = part_name or (TABLE if _in_table(p, root) else BODY)
            found.append(Para(len(found), text_of(p), names.get(_style_id(p), ""), where, p))
            if limit is not None and len(found) > limit:
                return found
    return found


def _story_parts(document) -> list[tuple[str, object]]:
    """(part name, root element) of the headers, footers, footnotes and endnotes, by name.
    python-docx loads footnotes and endnotes as plain parts: their XML is parsed here with its
    parser (no entities resolved; a DOCTYPE was refused before)."""
    parts = []
    for rel in document.part.rels.values():
        if rel.is_external or rel.reltype.rsplit("/", 1)[-1] not in _PARTS:
            continue
        part = rel.target_part
        root = part.element if hasattr(part, "element") else parse_xml(part.blob)
        parts.append((str(part.partname).rsplit("/", 1)[-1], root))
    return sorted(parts, key=lambda named: named[0])


def text_of(p) -> str:
    pieces = []
    for node in p.iter(*_TEXT):
        if _owner(node) is not p:
            continue
        fixed = _TEXT[node.tag]
        pieces.append(node.text or "" if fixed is None else fixed)
    return "".join(pieces)


def _owner(node):
    for ancestor in node.iterancestors(_P):
        return ancestor
    return None


def _style_id(p) -> str | None:
    ppr = p.find(qn("w:pPr"))
    style = ppr.find(qn("w:pStyle")) if ppr is not None else None
    return style.get(qn("w:val")) if style is not None else None


def _in_fallback(p) -> bool:
    return any(a.tag == _MC_FALLBACK for a in p.iterancestors())


def _in_table(p, root) -> bool:
    for ancestor in p.iterancestors():
        if ancestor is root:
            return False
        if ancestor.tag == qn("w:tc"):
            return True
    return False


def body_paragraphs(paras: list[Para]) -> list[Para]:
    return [p for p in paras if p.where in (BODY, TABLE)]


def title_of(paras: list[Para]) -> str | None:
    """The first body paragraph that says anything: the title."""
    return next((p.text for p in paras if p.where == BODY and p.text.strip()), None)
