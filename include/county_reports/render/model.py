"""The document model: what an official document says, with nothing about how it looks.

Content stages build these objects; ``render.layout`` turns them into a .docx. Headings carry
their numbering in the text (Chinese ordinal and comma, Chinese ordinal in brackets, "1."),
so the layout never counts and the wording stays in the hands of whoever writes it.

Every class is a frozen dataclass. Sequence fields accept any sequence (a list is the usual
thing to pass) and are stored as tuples, so a model is immutable, hashable and compares by value:
identical models render to byte-identical files.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Iterable, Sequence


def _freeze(owner: object, name: str, items: Iterable, item_types: tuple[type, ...]) -> None:
    if isinstance(items, (str, bytes)):
        raise TypeError(f"{type(owner).__name__}.{name} must be a sequence, not a single string")
    frozen = tuple(items)
    for index, item in enumerate(frozen):
        if not isinstance(item, item_types):
            wanted = " or ".join(t.__name__ for t in item_types)
            raise TypeError(
                f"{type(owner).__name__}.{name}[{index}] must be {wanted}, got {type(item).__name__}"
            )
    object.__setattr__(owner, name, frozen)


def _require_text(owner: object, name: str) -> None:
    value = getattr(owner, name)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{type(owner).__name__}.{name} must be a non-empty string, got {value!r}")


@dataclass(frozen=True)
class Heading3:
    """A third-level heading ("1." level, FangSong), standing on a line of its own."""

    text: str

    def __post_init__(self) -> None:
        _require_text(self, "text")


#: A block inside a section: a body paragraph (plain string) or a "1." level heading.
Block = str | Heading3


@dataclass(frozen=True)
class Heading2Section:
    """A second-level section (bracketed Chinese ordinal, KaiTi): its heading and its blocks."""

    heading: str
    paragraphs: Sequence[Block] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        _require_text(self, "heading")
        _freeze(self, "paragraphs", self.paragraphs, (str, Heading3))


@dataclass(frozen=True)
class Heading1Section:
    """A first-level section (Chinese ordinal, HeiTi): paragraphs under the heading, then its subsections.

    ``paragraphs`` are plain strings in the usual case; a ``Heading3`` is accepted too, for a
    section that goes straight from the first level to "1." without a second level.
    """

    heading: str
    paragraphs: Sequence[Block] = field(default_factory=tuple)
    subsections: Sequence[Heading2Section] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        _require_text(self, "heading")
        _freeze(self, "paragraphs", self.paragraphs, (str, Heading3))
        _freeze(self, "subsections", self.subsections, (Heading2Section,))


ALIGNMENTS = ("", "left", "center", "right")


@dataclass(frozen=True)
class Attachment:
    """An appendix table on pages of its own: its label ("Attachment 1"), a title, a table and notes under it.

    ``group_rows`` are indices of rows that head a group (a line of work): their first cell as
    written, their second spanning the rest of the row; the cells after the second are empty.
    ``column_align`` is empty or gives each column's body alignment: "left", "center", "right"
    (a column of figures, which the layout never lets wrap) or "" (by what each cell holds:
    figures right, text left).
    """

    label: str  # "附件1"; a document with a single attachment may use plain "附件"
    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    notes: Sequence[str] = field(default_factory=tuple)
    group_rows: Sequence[int] = field(default_factory=tuple)
    column_align: Sequence[str] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        _require_text(self, "label")
        _require_text(self, "title")
        _freeze(self, "columns", self.columns, (str,))
        if not self.columns:
            raise ValueError(f"Attachment {self.label!r} has no columns")
        rows = []
        for index, row in enumerate(self.rows):
            if isinstance(row, (str, bytes)):
                raise TypeError(f"Attachment {self.label!r} row {index} must be a sequence of cells")
            cells = tuple(row)
            if len(cells) != len(self.columns):
                raise ValueError(
                    f"Attachment {self.label!r} row {index} has {len(cells)} cells,"
                    f" expected {len(self.columns)} (one per column)"
                )
            if not all(isinstance(cell, str) for cell in cells):
                raise TypeError(f"Attachment {self.label!r} row {index}: every cell must be a string")
            rows.append(cells)
        object.__setattr__(self, "rows", tuple(rows))
        _freeze(self, "notes", self.notes, (str,))
        _freeze(self, "group_rows", self.group_rows, (int,))
        for index in self.group_rows:
            if not 0 <= index < len(rows) or len(self.columns) < 2:
                raise ValueError(f"Attachment {self.label!r} group row {index} is not a row of a"
                                 f" table of two or more columns")
            if any(rows[index][2:]):
                raise ValueError(f"Attachment {self.label!r} group row {index}: only its first two"
                                 f" cells may hold text (the second spans the rest of the row)")
        _freeze(self, "column_align", self.column_align, (str,))
        if self.column_align and len(self.column_align) != len(self.columns):
            raise ValueError(f"Attachment {self.label!r} column_align has {len(self.column_align)}"
                             f" entries, expected {len(self.columns)} (one per column)")
        for value in self.column_align:
            if value not in ALIGNMENTS:
                raise ValueError(f"Attachment {self.label!r} column_align {value!r} is not one of"
                                 f" {', '.join(repr(a) for a in ALIGNMENTS)}")


@dataclass(frozen=True)
class OfficialDocument:
    """A whole document: title, opening paragraphs, first-level sections, signature, date, attachments.

    ``date_text`` is written as it should appear, Arabic numerals without zero padding
    (year, month, day in Arabic numerals); the renderer also derives the file's fixed timestamps from it.
    """

    title: str
    opening: Sequence[str] = field(default_factory=tuple)
    sections: Sequence[Heading1Section] = field(default_factory=tuple)
    signature: str = ""
    date_text: str = ""
    attachments: Sequence[Attachment] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        _require_text(self, "title")
        _freeze(self, "opening", self.opening, (str,))
        _freeze(self, "sections", self.sections, (Heading1Section,))
        _freeze(self, "attachments", self.attachments, (Attachment,))
        for name in ("signature", "date_text"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"OfficialDocument.{name} must be a string")
