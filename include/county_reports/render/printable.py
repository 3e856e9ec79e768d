"""Stored text made printable: where a unit's text enters a document, characters it cannot hold go.

Validation refuses them now (NARRATIVE_TEXT), but a narrative an older version accepted may
still hold one — Word's manual line break ``\\v`` pasted into a form is enough — and one such
item must not stop the county's summary (lxml: "All strings must be XML compatible"). Used by
the item pool (every stored narrative the summaries quote) and by ``ooxml.add_text_runs`` (every
text written into a .docx: the summaries, the circular); the .xlsx beside a summary holds no
unit's text.
"""
from __future__ import annotations

import re

from county_reports.validate.narratives import XML_INVALID

_INVALID = re.compile(XML_INVALID)


def printable(text: str) -> str:
    """``text`` without the characters an XML document cannot hold (vertical tab, form feed and
    the other C0 controls but tab and line breaks, lone surrogates, U+FFFE, U+FFFF)."""
    return _INVALID.sub("", text)
