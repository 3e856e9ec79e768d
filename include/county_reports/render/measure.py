"""How wide text prints on the GB/T 9704-2012 page: the page geometry, the width of a title
character and of body text, the condensed spacing that fits 28 characters a line, where a long
title breaks, and the indents of the signature and date (the layout engine's arithmetic)."""
from __future__ import annotations

import dataclasses
import math

from docx.shared import Mm

from . import ooxml
from .model import OfficialDocument
from .title_lines import TitleBreaks, break_title

# --- geometry (GB/T 9704-2012 §5.2) ------------------------------------------------------
PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210, 297
MARGIN_TOP_MM, MARGIN_BOTTOM_MM = 37, 35
MARGIN_LEFT_MM, MARGIN_RIGHT_MM = 28, 26
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
TEXT_WIDTH_TWIPS = Mm(PAGE_WIDTH_MM).twips - Mm(MARGIN_LEFT_MM).twips - Mm(MARGIN_RIGHT_MM).twips
LINE_PITCH_TWIPS = 579  # 28.95 pt; 22 × 579 = 12 738 twips ≈ 224.7 mm, inside the 225 mm block
BODY_PT, TITLE_PT, PAGE_NUMBER_PT = 16, 22, 14  # point sizes 3, 2 and 4 (tables: tables.TABLE_PT)


def title_advance_pt(ch: str) -> float:
    """Width of one title character (22 pt title font): Chinese a full em, digits and Latin
    letters about half, each less the condensed character spacing every paragraph inherits."""
    em = 0.55 if ord(ch) < 0x80 else 1.0
    return em * TITLE_PT + condensed_spacing(TEXT_WIDTH_TWIPS) / 20


def title_lines(title: str, rules: TitleBreaks) -> str:
    """``title`` with line breaks where GB/T 9704 would have them, for a 156 mm line."""
    return break_title(title, rules, TEXT_WIDTH_TWIPS / ooxml.TWIPS_PER_PT, title_advance_pt)


def with_title_lines(doc: OfficialDocument, rules: TitleBreaks) -> OfficialDocument:
    attachments = [dataclasses.replace(a, title=title_lines(a.title, rules)) for a in doc.attachments]
    return dataclasses.replace(doc, title=title_lines(doc.title, rules), attachments=attachments)


def display_width(text: str) -> float:
    """Width in 16 pt body characters: ASCII is half a character wide, everything else one."""
    return sum(0.5 if ord(ch) < 0x80 else 1.0 for ch in text)


def condensed_spacing(text_width_twips: int, font_pt: float = BODY_PT, chars: int = CHARS_PER_LINE) -> int:
    """Character spacing (``w:spacing``, twentieths of a point, negative = condensed) so that
    exactly ``chars`` characters fit a line: 156 mm / 28 = 15.79 pt per character, so 16 pt
    characters are condensed by 0.25 pt (28 × 15.75 pt fits, 29 does not).

    Why not Word's "lines and characters" grid (docGrid charSpace)? LibreOffice lays such a
    grid out with two cells per character (about 14 characters a line), so a document previewed
    or converted there would be unreadable. Condensed spacing on a lines-only grid gives 28
    characters a line in Word, WPS and LibreOffice alike.
    """
    pitch_pt = text_width_twips / ooxml.TWIPS_PER_PT / chars
    return math.floor((pitch_pt - font_pt) * 20)


def signature_indents(signature: str, date_text: str) -> tuple[float, float]:
    """Right indents (characters) of signature and date, per §7.3.5.2 for unsealed documents:
    the signature two characters in from the right, the date's first character two to the right
    of the signature's; a date longer than that gets two characters and pushes the signature."""
    sig, date = display_width(signature), display_width(date_text)
    sig_right, date_right = 2.0, sig - date
    if date_right < 2:
        date_right = 2.0
        sig_right = date + 4 - sig
    return sig_right, date_right
