"""The paragraph-level diff of an edited draft against the generated one, as data, as HTML for
the report's page and as Markdown for the approval request.

Paragraphs are aligned with :mod:`difflib` on their whole text; inside a block that differs, an
edited paragraph is paired with the draft paragraph most like it (at least ``SIMILAR`` alike, in
order), so a reworded paragraph is "changed" with its words marked, not "removed" plus "added".
Words are marked character by character (Chinese has no spaces to split on). Every piece of text
is escaped for its output: the clerk's text is hostile like any other input.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

SIMILAR = 0.5
# Pairing compares every paragraph of a differing block with every other: beyond this many pairs
# (a document rewritten wholesale) the block is simply removed and added, in bounded time.
MAX_PAIRINGS = 40_000
MAX_WORD_PAIRS = 4_000_000  # words of the old paragraph × words of the new (two 2 000-word paragraphs)
EQUAL, CHANGED, ADDED, REMOVED = "equal", "changed", "added", "removed"
# What Markdown could read as markup inside a list item's text (each line starts with "- **").
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|>~<])")
# Words for marking changes: a number (with its point, commas, percent), a Latin word, a run of
# spaces, or one character (Chinese words are not delimited).
_WORD = re.compile(r"\d+(?:[.,]\d+)*%?|[A-Za-z]+|\s+|.", re.S)


@dataclass(frozen=True)
class Step:
    op: str                 # equal | changed | added | removed
    old: int | None         # index among the draft's paragraphs
    new: int | None         # index among the edited paragraphs


@dataclass
class DiffItem:
    op: str
    old: int | None
    new: int | None
    old_text: str
    new_text: str
    pieces: list[tuple[str, str]] = field(default_factory=list)  # (equal|insert|delete, text)

    def as_dict(self) -> dict:
        return {"op": self.op, "old": self.old, "new": self.new, "old_text": self.old_text,
                "new_text": self.new_text, "pieces": [list(p) for p in self.pieces]}


def align(old: list[str], new: list[str]) -> list[Step]:
    """Each draft and edited paragraph, once: equal, changed (paired), added or removed."""
    steps: list[Step] = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            steps += [Step(EQUAL, i, j) for i, j in zip(range(i1, i2), range(j1, j2), strict=False)]
        elif tag == "delete":
            steps += [Step(REMOVED, i, None) for i in range(i1, i2)]
        elif tag == "insert":
            steps += [Step(ADDED, None, j) for j in range(j1, j2)]
        else:
            steps += _pair_block(old, new, i1, i2, j1, j2)
    return steps


def _pair_block(old, new, i1, i2, j1, j2) -> list[Step]:
    if i2 - i1 == j2 - j1:  # as many as before: each edited in place (a table cell, a figure)
        return [Step(CHANGED, i, j) for i, j in zip(range(i1, i2), range(j1, j2), strict=False)]
    if (i2 - i1) * (j2 - j1) > MAX_PAIRINGS:
        return [Step(REMOVED, i, None) for i in range(i1, i2)] + [Step(ADDED, None, j) for j in range(j1, j2)]
    steps, i = [], i1
    for j in range(j1, j2):
        best, score = None, SIMILAR
        for k in range(i, i2):
            matcher = SequenceMatcher(None, old[k], new[j], autojunk=False)
            if matcher.quick_ratio() >= score and matcher.ratio() >= score:
                best, score = k, matcher.ratio()
        if best is None:
            steps.append(Step(ADDED, None, j))
            continue
        steps += [Step(REMOVED, k, None) for k in range(i, best)]
        steps.append(Step(CHANGED, best, j))
        i = best + 1
    return steps + [Step(REMOVED, k, None) for k in range(i, i2)]


def diff(old: list[str], new: list[str], steps: list[Step] | None = None) -> list[DiffItem]:
    items = []
    for step in steps if steps is not None else align(old, new):
        old_text = old[step.old] if step.old is not None else ""
        new_text = new[step.new] if step.new is not None else ""
        item = DiffItem(step.op, step.old, step.new, old_text, new_text)
        if step.op == CHANGED:
            item.pieces = word_pieces(old_text, new_text)
        items.append(item)
    return items


def word_pieces(old: str, new: str) -> list[tuple[str, str]]:
    """(equal|delete|insert, text) pieces that turn ``old`` into ``new``, a figure marked whole."""
    a, b = _WORD.findall(old), _WORD.findall(new)
    if len(a) * len(b) > MAX_WORD_PAIRS:  # matching is quadratic at worst: mark the whole paragraph
        return [("delete", old), ("insert", new)]
    pieces = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("delete", "replace"):
            pieces.append(("delete", "".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            pieces.append(("insert", "".join(b[j1:j2])))
        if tag == "equal":
            pieces.append(("equal", "".join(a[i1:i2])))
    return pieces


def to_html(items: list[DiffItem], words: dict) -> str:
    """The differences (equal paragraphs left out) as an HTML fragment, every text escaped.
    Paragraphs are numbered from 1 for people (the data's indices count from 0)."""
    rows = []
    for item in items:
        if item.op == EQUAL:
            continue
        index = item.new if item.new is not None else item.old
        label = html.escape(f"{words[item.op]} {words['paragraph'].format(index=index + 1)}")
        if item.op == CHANGED:
            body = "".join(_html_piece(tag, text) for tag, text in item.pieces)
        else:
            body = _html_piece("insert" if item.op == ADDED else "delete",
                               item.new_text if item.op == ADDED else item.old_text)
        rows.append(f'<p class="diff-{item.op}"><span class="diff-label">{label}</span> {body}</p>')
    if not rows:
        return f'<p class="diff-none">{html.escape(words["none"])}</p>'
    return '<div class="edited-diff">\n' + "\n".join(rows) + "\n</div>"


def _html_piece(tag: str, text: str) -> str:
    escaped = html.escape(text).replace("\n", "<br>")
    return {"insert": f"<ins>{escaped}</ins>", "delete": f"<del>{escaped}</del>"}.get(tag, escaped)


def to_markdown(items: list[DiffItem], words: dict) -> str:
    """The differences as a Markdown list: deleted words struck through, added words in bold."""
    lines = []
    for item in items:
        if item.op == EQUAL:
            continue
        index = item.new if item.new is not None else item.old
        label = f"**{md_escape(words[item.op])}** {md_escape(words['paragraph'].format(index=index + 1))}"
        if item.op == CHANGED:
            body = "".join(_md_piece(tag, text) for tag, text in item.pieces)
        else:
            body = _md_piece("insert" if item.op == ADDED else "delete",
                             item.new_text if item.op == ADDED else item.old_text)
        lines.append(f"- {label} {body}" if body else f"- {label}")
    return "\n".join(lines) if lines else md_escape(words["none"])


def _md_piece(tag: str, text: str) -> str:
    text = md_escape(text.replace("\n", " ")).strip()
    if not text:
        return ""
    return {"insert": f"**{text}**", "delete": f"~~{text}~~"}.get(tag, text)


def md_escape(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
