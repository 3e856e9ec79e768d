"""Every number in the edited text against the draft and its figure sidecar.

A number is read with the unit written after it (the longest of the sidecar's own units and
edited.yaml ``figure_units``): "2.15亿元", "37.0%", "18个". Full-width digits count as digits;
"12,345.67" and "12345.67" are the same figure. A number inside a date (wording.yaml's
``numbers`` date templates: 2025年, 1—6月, 7月10日 …) is a date; a list or heading ordinal at
the start of a paragraph ("1." "（2）") is no figure at all.

A figure passes when its sentence is the draft's, word for word (wherever it now stands), or when
the paired draft sentence holds the same figure. Any other figure was changed or added by hand:
it is listed with its paragraph, its sentence, and the draft figure it replaced (with that
figure's sidecar entry). A listed figure is asked of ``traceable(value, who, span)`` — the
warehouse lookup, passed in — with ``value`` in the catalogue's unit (亿元 as 万元), ``who`` a
unit code or ``county``; one that is not traceable, and every date, needs the admin's
confirmation one by one.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from difflib import SequenceMatcher
from collections.abc import Callable, Mapping

from county_reports.render import phrases
from county_reports.render.review.diff import CHANGED, EQUAL, Step

Traceable = Callable[[float, str, tuple], bool]
COUNTY = "county"
WAN_PER_YI = 10_000
DATE_TEMPLATES = ("date", "month_end", "year_month", "year_end", "month_range", "year", "month")
# Full-width digits, point, comma, percent and minus read as their ASCII forms (same length).
_WIDE = {0xFF10 + d: str(d) for d in range(10)} | {0xFF0E: ".", 0xFF0C: ",", 0xFF05: "%",
                                                   0xFF0D: "-", 0x2212: "-"}
_NUMBER = re.compile(r"(?<![\d.,])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,])|(?<![\d.,])-?\d+(?:\.\d+)?(?!\d)")


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str              # the number and its unit, as written
    value: Decimal
    unit: str
    kind: str              # figure | date

    @property
    def key(self) -> tuple:
        return self.value, self.unit, self.kind


@dataclass
class FigureEdit:
    paragraph: int               # index of the paragraph in the edited document
    sentence: str
    new: str                     # the figure as written now
    old: str | None              # the draft's figure it replaced (None: added)
    kind: str                    # figure | date
    who: str                     # county or a unit code
    traced: dict | None = None   # the sidecar's entry behind the replaced figure
    traceable: bool | None = None
    where: str = "body"          # body | table | the header, footer or notes part it is in

    @property
    def needs_confirmation(self) -> bool:
        return not self.traceable

    def as_dict(self) -> dict:
        return asdict(self) | {"needs_confirmation": self.needs_confirmation}


class Reader:
    """Finds the numbers of a text: units from the sidecar and the config, dates from wording."""

    def __init__(self, settings, sidecar: dict, config_dir=None):
        numbers = phrases.section("numbers", config_dir)
        self.yi = numbers["yi_yuan"]
        units = set(settings.figure_units) | {numbers["wan_yuan"], self.yi, numbers["points"]}
        for entry in sidecar.get("figures") or []:
            match = _NUMBER.search(wide(str(entry.get("text", ""))))
            if match and match.start() == 0 and match.end() < len(entry["text"]):
                units.add(entry["text"][match.end():])
        self.units = sorted(units, key=len, reverse=True)
        self.dates = [_template_regex(t) for t in [numbers[key] for key in DATE_TEMPLATES] + list(settings.dates)]
        self.ordinals = settings.ordinals
        self.ends = settings.sentence_ends

    def tokens(self, text: str) -> list[Token]:
        plain = wide(text)
        dated = [(m.start(), m.end()) for rx in self.dates for m in rx.finditer(plain)]
        skip = max((m.end() for rx in self.ordinals for m in [rx.match(text)] if m), default=0)
        found = []
        for match in _NUMBER.finditer(plain):
            if match.end() <= skip:
                continue
            unit = next((u for u in self.units if plain.startswith(u, match.end())), "")
            end = match.end() + len(unit)
            kind = "date" if any(a <= match.start() and match.end() <= b for a, b in dated) else "figure"
            try:
                value = Decimal(match.group().replace(",", ""))
            except InvalidOperation:
                continue
            found.append(Token(match.start(), end, text[match.start():end], value, unit, kind))
        return found

    def sentences(self, text: str) -> list[tuple[int, int]]:
        spans, start = [], 0
        for index, ch in enumerate(text):
            if ch in self.ends:
                spans.append((start, index + 1))
                start = index + 1
        if start < len(text):
            spans.append((start, len(text)))
        return [(a, b) for a, b in spans if text[a:b].strip()]

    def scaled(self, token: Token) -> float:
        return float(token.value * WAN_PER_YI if token.unit == self.yi else token.value)


def wide(text: str) -> str:
    return text.translate(_WIDE)


def _template_regex(template: str) -> re.Pattern:
    parts = re.split(r"(\{[^{}]*\})", template)
    return re.compile("".join(r"\d{1,4}" if p.startswith("{") else re.escape(p) for p in parts))


def compare(reader: Reader, old: list[str], new: list[str], steps: list[Step], sidecar: dict,
            unit_names: Mapping[str, str] | None = None, wheres: list[str] | None = None) -> list[FigureEdit]:
    """The figures of ``new`` (edited paragraphs) not accounted for by ``old`` (the draft's)."""
    draft_sentences = {_squeeze(s) for text in old for s in _sentence_texts(reader, text)}
    by_text = _sidecar_index(sidecar)
    edits: list[FigureEdit] = []
    for step in steps:
        if step.new is None or step.op == EQUAL:
            continue
        before = old[step.old] if step.op == CHANGED else ""
        found = _paragraph_edits(reader, step.new, before, new[step.new], draft_sentences, by_text,
                                 unit_names or {})
        for edit in found:
            edit.where = wheres[step.new] if wheres else edit.where
        edits += found
    return edits


def _paragraph_edits(reader, index, before, after, draft_sentences, by_text, unit_names):
    old_spans = reader.sentences(before)
    old_texts = [before[a:b] for a, b in old_spans]
    new_spans = reader.sentences(after)
    new_texts = [after[a:b] for a, b in new_spans]
    pairs = {j: i for op, i, j in _sentence_pairs(old_texts, new_texts) if op in (EQUAL, CHANGED)}
    edits = []
    for j, sentence in enumerate(new_texts):
        if _squeeze(sentence) in draft_sentences:
            continue  # the draft's sentence, word for word (maybe moved): its figures are the draft's
        old_tokens = reader.tokens(old_texts[pairs[j]]) if j in pairs else []
        for new_token, old_token in _unmatched(old_tokens, reader.tokens(sentence)):
            traced = by_text.get(old_token.text) if old_token else None
            who = (traced or {}).get("unit") or _named_unit(sentence, unit_names) or COUNTY
            edits.append(FigureEdit(index, sentence.strip(), new_token.text,
                                    old_token.text if old_token else None, new_token.kind, who, traced))
    return edits


def _sentence_pairs(old: list[str], new: list[str]):
    from county_reports.render.review.diff import align

    return [(s.op, s.old, s.new) for s in align(old, new)]


def _unmatched(old: list[Token], new: list[Token]) -> list[tuple[Token, Token | None]]:
    """New tokens not in ``old`` (by value, unit and kind), each with the old one it replaced."""
    out = []
    matcher = SequenceMatcher(None, [t.key for t in old], [t.key for t in new], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "insert"):
            replaced = old[i1:i2] if tag == "replace" else []
            for offset, token in enumerate(new[j1:j2]):
                out.append((token, replaced[offset] if offset < len(replaced) else None))
    return out


def _sidecar_index(sidecar: dict) -> dict[str, dict]:
    index: dict[str, dict] = {}
    for entry in sidecar.get("figures") or []:
        index.setdefault(str(entry.get("text", "")), entry)
    return index


def _named_unit(sentence: str, unit_names: Mapping[str, str]) -> str | None:
    return next((code for name, code in sorted(unit_names.items(), key=lambda kv: -len(kv[0]))
                 if name and name in sentence), None)


def _sentence_texts(reader: Reader, text: str) -> list[str]:
    return [text[a:b] for a, b in reader.sentences(text)]


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def check_traceable(reader: Reader, edits: list[FigureEdit], traceable: Traceable | None,
                    span: tuple) -> None:
    """Ask ``traceable`` about each listed figure (never about a date: no warehouse holds it)."""
    for edit in edits:
        if edit.kind != "figure" or traceable is None:
            edit.traceable = False if edit.kind == "date" else None
            continue
        token = reader.tokens(edit.new)
        edit.traceable = bool(token) and bool(traceable(reader.scaled(token[0]), edit.who, span))
