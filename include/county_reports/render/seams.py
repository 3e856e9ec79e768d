"""Assembly seams taken out of a composed body (issue 19): a unit named a second time in one
paragraph. Within a sentence, a clause led by a unit already leading an earlier clause moves to
follow it; the second mention right after that clause becomes wording.yaml ``words.again``
("同时", the clause keeps its subject). A later mention whose unit was the last one named becomes
``words.again_unit``; one that could be read as another unit's stays named (never misattributed).
"""
from __future__ import annotations

import re

from county_reports.render.model import Heading1Section, Heading2Section


class _Once:
    def __init__(self, names: list[str], words: dict, marks: dict):
        self.pattern = re.compile("|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True)))
        self.words, self.stop, self.semicolon = words, marks["full_stop"], marks["semicolon"]
        self.after = marks["semicolon"] + marks["full_stop"] + marks["comma"]

    def paragraph(self, text):
        if not isinstance(text, str):
            return text
        sentences = text.split(self.stop)
        text = self.stop.join(self._grouped(s) for s in sentences)
        seen: set[str] = set()
        last = [""]

        def again(match):
            name, previous = match.group(0), last[0]
            last[0] = name
            if name not in seen:
                seen.add(name)
                return name
            if previous != name:
                return name
            before = text[match.start() - 1] if match.start() else ""
            return self.words["again"] if before in self.after else self.words["again_unit"]
        return self.pattern.sub(again, text)

    def _grouped(self, sentence: str) -> str:
        clauses = sentence.split(self.semicolon)
        out: list[str] = []
        for clause in clauses:
            lead = self.pattern.match(clause)
            at = max((i for i, c in enumerate(out) if lead and c.startswith(lead.group(0))), default=None)
            out.insert(at + 1, clause) if at is not None else out.append(clause)
        return self.semicolon.join(out)


def once_per_paragraph(sections, names: list[str], words: dict, marks: dict) -> list:
    if not names:
        return list(sections)
    once = _Once(names, words, marks)
    out = []
    for section in sections:
        subs = [Heading2Section(s.heading, [once.paragraph(p) for p in s.paragraphs]) for s in section.subsections]
        out.append(Heading1Section(section.heading, [once.paragraph(p) for p in section.paragraphs], subs))
    return out
