"""Appendix tables measured: which cells hold figures, how wide a line of 10.5 pt table text prints,
and how the text width is shared between the columns so that figures never wrap.

``layout`` lays the tables out with these; they know nothing of the document around them.
"""
from __future__ import annotations

import math
import re

from . import ooxml
from .model import Attachment

TABLE_PT = 10.5  # size 5 in Chinese type sizes
# A table cell is a number (right-aligned) when it reads like one: 1,234.56 / -3 / 12.5% / —.
# (The dashes: em, en, hyphen, full-width hyphen-minus \uff0d, ellipsis.)
_NUMERIC = re.compile(r"^(?:[+\-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\s*%?|[—–\-\uff0d…]+)$")


def is_numeric_cell(text: str) -> bool:
    return bool(_NUMERIC.match(text.strip()))


def cell_alignment(attachment: Attachment, text: str, column: int) -> str:
    """The column's alignment when the attachment gives one, else figures right, text left."""
    if attachment.column_align and attachment.column_align[column]:
        return attachment.column_align[column]
    return "right" if is_numeric_cell(text) else "left"


# Space either side of a table cell's text: 1 mm (Word's default 1.9 mm leaves a nine-column
# table of figures too little room for its names). Both sides, plus 1 pt for rounding:
CELL_MARGIN_TWIPS = 57
CELL_MARGINS_PT = 2 * CELL_MARGIN_TWIPS / ooxml.TWIPS_PER_PT + 1
# Advance widths (em) of the characters figures are made of, the larger of Times New Roman's
# (Word) and DejaVu Serif's (what LibreOffice substitutes for it where Times and its metric
# twin Liberation Serif are not installed), so a figure stays on one line in both. Other
# Latin characters are taken at 0.65 em; Chinese characters are a full em.
LATIN_EM = {**{d: 0.64 for d in "0123456789"}, ".": 0.32, ",": 0.32, " ": 0.32, "%": 0.95,
            "-": 0.34, "+": 0.84, "(": 0.39, ")": 0.39, "/": 0.34, ":": 0.34}


def cell_width_pt(text: str, font_pt: float = TABLE_PT) -> float:
    """Printed width of one line of table text."""
    return sum(LATIN_EM.get(ch, 0.65) if ord(ch) < 0x80 else 1.0 for ch in text) * font_pt


def column_widths(attachment: Attachment, total_twips: int, cap_chars: float = 8) -> list[int]:
    """Twips per column, summing to ``total_twips``: what the widest body cell of each column
    needs at the table's font size, so figures stay on one line; long text (beyond
    ``cap_chars`` characters) and headers wrap instead. At least two characters (a centred
    column of short cells, such as the row number, one and a half). Group rows' spanning cells take no
    part. When the needs exceed the width, the columns of running text give way first, down to
    two characters each: figures and centred columns keep their width.
    """
    groups = set(attachment.group_rows)
    aligns = attachment.column_align or ("",) * len(attachment.columns)
    needs, fixed = [], []
    for index, header in enumerate(attachment.columns):
        cells = [row[index] for i, row in enumerate(attachment.rows)
                 if i not in groups or index == 0] or [header]
        widest = max(cell_width_pt(line) for cell in cells for line in cell.split("\n"))
        least = (1.5 if aligns[index] == "center" else 2) * TABLE_PT
        needs.append(min(max(widest, least), cap_chars * TABLE_PT) + CELL_MARGINS_PT)
        fixed.append(aligns[index] in ("right", "center") if aligns[index] else
                     all(is_numeric_cell(cell) or not cell.strip() for cell in cells))
    total_pt = total_twips / ooxml.TWIPS_PER_PT
    floor = 2 * TABLE_PT + CELL_MARGINS_PT
    room = total_pt - sum(n for n, f in zip(needs, fixed, strict=False) if f)
    text = [n for n, f in zip(needs, fixed, strict=False) if not f]
    if text and sum(needs) > total_pt and room >= floor * len(text):
        # the text columns shrink towards two characters, in proportion to what they exceed it by
        excess = sum(n - floor for n in text)
        scale = (room - floor * len(text)) / excess if excess else 1.0
        needs = [n if f else floor + (n - floor) * scale for n, f in zip(needs, fixed, strict=False)]
    total = sum(needs)
    widths = [math.floor(total_twips * need / total) for need in needs]
    widths[needs.index(max(needs))] += total_twips - sum(widths)
    return widths
