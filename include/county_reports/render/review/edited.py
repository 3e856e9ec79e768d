"""Check a draft the office's clerk edited in Word or WPS against the generated one (issue 21).

:func:`review_edited` takes the generated draft (.docx bytes and its figure sidecar, as
``summaries.write_summary`` writes them) and the edited .docx bytes, and returns a
:class:`Review`: the paragraph diff, every figure changed or added by hand (with its sentence, the
draft figure it replaced, and whether it is traceable or needs the admin's confirmation), what the
edit broke of the GB/T 9704 layout, and which paragraphs were edited. A file that is not a sound
.docx or not this report raises :class:`EditedRefused` with a Chinese reason for the admin.
:func:`restore_layout` returns the edited document with the renderer's layout re-applied and its
words untouched. Plain package code: the status plugin, the approval gate and the DAGs call it.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from collections.abc import Mapping

from county_reports.render.review import diff as diffs
from county_reports.render.review import figures as figs
from county_reports.render.review import page
from county_reports.render.review.guard import (EditedRefused, check_identity,  # noqa: F401
                                                check_package, open_document)
from county_reports.render.review.paragraphs import BODY, TABLE, paragraphs, title_of
from county_reports.render.review.settings import ReviewSettings, load_settings


@dataclass
class Review:
    title: str
    kind: str
    year: int
    sha256: str                                   # of the edited bytes
    draft_sha256: str
    diff: list[diffs.DiffItem]
    figures: list[figs.FigureEdit]
    layout: list[page.LayoutBreak]
    words: dict = field(repr=False, default_factory=dict)
    label_chars: int = 40                         # of the sentence a figure's label quotes

    @property
    def edited_paragraphs(self) -> list[int]:
        """Indices (in the edited document) of the paragraphs added or changed by hand."""
        return sorted(i.new for i in self.diff if i.op in (diffs.ADDED, diffs.CHANGED))

    @property
    def removed_paragraphs(self) -> list[int]:
        """Indices (in the draft) of the paragraphs the clerk deleted."""
        return sorted(i.old for i in self.diff if i.op == diffs.REMOVED)

    @property
    def to_confirm(self) -> list[figs.FigureEdit]:
        """The figures the approving admin must confirm one by one."""
        return [f for f in self.figures if f.needs_confirmation]

    @property
    def unchanged(self) -> bool:
        return not self.edited_paragraphs and not self.removed_paragraphs

    def confirmation_labels(self) -> list[str]:
        """One line per figure to confirm, for the approval form."""
        return [self.label(edit) for edit in self.to_confirm]

    def label(self, edit: figs.FigureEdit) -> str:
        """A hand-changed figure as the admin reads it: paragraph (from 1), old → new, and the
        sentence, cut to ``label_chars`` (a choice of the approval form is one line)."""
        sentence = edit.sentence if len(edit.sentence) <= self.label_chars \
            else edit.sentence[:self.label_chars - 1] + "…"
        values = dict(index=edit.paragraph + 1, new=edit.new, sentence=sentence)
        return self.words["figure_changed"].format(old=edit.old, **values) if edit.old \
            else self.words["figure_added"].format(**values)

    def diff_html(self) -> str:
        return diffs.to_html(self.diff, self.words)

    def diff_markdown(self) -> str:
        return diffs.to_markdown(self.diff, self.words)

    def sidecar_record(self, edited_by: str) -> dict:
        """What the sidecar records of the edit: by whom, which bytes, which paragraphs."""
        return {"edited_by": edited_by, "sha256": self.sha256, "draft_sha256": self.draft_sha256,
                "edited_paragraphs": self.edited_paragraphs, "removed_paragraphs": self.removed_paragraphs,
                "figures": [f.as_dict() for f in self.figures]}

    def as_dict(self) -> dict:
        return {"title": self.title, "kind": self.kind, "year": self.year, "sha256": self.sha256,
                "draft_sha256": self.draft_sha256, "diff": [i.as_dict() for i in self.diff if i.op != diffs.EQUAL],
                "figures": [f.as_dict() | {"label": self.label(f)} for f in self.figures],
                "layout": [b.as_dict() for b in self.layout],
                "edited_paragraphs": self.edited_paragraphs, "removed_paragraphs": self.removed_paragraphs,
                "to_confirm": len(self.to_confirm)}


@dataclass
class _Opened:
    draft: object
    edited: object
    draft_paras: list
    edited_paras: list
    steps: list
    expected: dict
    draft_of: dict


def _open(draft: bytes, sidecar: dict, edited: bytes, settings: ReviewSettings, config_dir) -> _Opened:
    import docx

    check_package(edited, settings)
    document = open_document(edited, settings)
    limit = settings.limits["max_paragraphs"]
    edited_paras = paragraphs(document, limit)
    if len(edited_paras) > limit:
        raise EditedRefused(settings.says("too_many_paragraphs", count=f"{limit}+", limit=limit))
    chars = sum(len(p.text) for p in edited_paras)
    if chars > settings.limits["max_text_chars"]:  # the diff's cost grows with the text
        raise EditedRefused(settings.says("too_much_text", count=chars, limit=settings.limits["max_text_chars"]))
    check_identity(title_of(edited_paras), sidecar, settings, config_dir)
    draft_doc = docx.Document(io.BytesIO(draft))  # our own file: trusted
    draft_paras = paragraphs(draft_doc)
    steps = diffs.align([p.text for p in draft_paras], [p.text for p in edited_paras])
    draft_of = {s.new: draft_paras[s.old] for s in steps if s.op in (diffs.EQUAL, diffs.CHANGED)}
    expected = {p.index: page.expected_style(p, draft_of[p.index].style if p.index in draft_of else None, settings)
                for p in edited_paras if p.where in (BODY, TABLE)}
    return _Opened(draft_doc, document, draft_paras, edited_paras, steps, expected, draft_of)


def review_edited(draft: bytes, sidecar: dict, edited: bytes, *, traceable: figs.Traceable | None = None,
                  unit_names: Mapping[str, str] | None = None, config_dir=None) -> Review:
    """Check ``edited`` against the generated ``draft`` and its ``sidecar`` (the parsed JSON).

    ``traceable(value, who, span) -> bool``: is this figure in the warehouse for ``who`` (a unit
    code or ``county``) over ``span`` (first, last month)? Without it every listed figure needs
    the admin's confirmation. ``unit_names``: unit name → code, to tell whose an added figure is.
    """
    settings = load_settings(config_dir)
    opened = _open(draft, sidecar, edited, settings, config_dir)
    old = [p.text for p in opened.draft_paras]
    new = [p.text for p in opened.edited_paras]
    reader = figs.Reader(settings, sidecar, config_dir)
    edits = figs.compare(reader, old, new, opened.steps, sidecar, unit_names,
                         [p.where for p in opened.edited_paras])
    figs.check_traceable(reader, edits, traceable, tuple(sidecar.get("span") or ()))
    breaks = page.check_page(opened.edited, settings)
    breaks += page.check_paragraphs(opened.edited, opened.edited_paras, opened.expected, settings)
    signature, date_text = _closing(opened.draft_paras)
    breaks += page.check_closing(opened.edited, opened.edited_paras, opened.expected, signature,
                                 date_text, settings)
    return Review(sidecar["title"], sidecar["kind"], int(sidecar["year"]),
                  hashlib.sha256(edited).hexdigest(), hashlib.sha256(draft).hexdigest(),
                  diffs.diff(old, new, opened.steps), edits, breaks, settings.diff,
                  settings.limits["label_sentence_chars"])


def restore_layout(draft: bytes, sidecar: dict, edited: bytes, *, config_dir=None) -> bytes:
    """The edited document with the renderer's layout re-applied; every paragraph's text as it was.
    The edited bytes are checked first, as for :func:`review_edited`."""
    from county_reports.render.review.restore import restore

    settings = load_settings(config_dir)
    opened = _open(draft, sidecar, edited, settings, config_dir)
    return restore(opened.draft, opened.edited, opened.expected, opened.draft_of)


def _closing(draft_paras) -> tuple[str, str]:
    """The draft's signature and date, read from the paragraphs in those styles."""
    from county_reports.render import layout

    signature = next((p.text for p in draft_paras if p.style == layout.STYLE_SIGNATURE), "")
    date_text = next((p.text for p in draft_paras if p.style == layout.STYLE_DATE), "")
    return signature, date_text
