"""Units' narrative items that say the same thing in different words, merged into one.

Similarity is rapidfuzz's ``fuzz.ratio`` (normalised Indel similarity) on the characters,
punctuation removed. ``benchmarks/bench_merge.py`` measured it against token_set/token_sort
ratio on character bigrams (Chinese has no spaces, so two-character windows stand in for
words), partial_ratio and WRatio, on the simulator's paraphrases (2,688 items, 39 groups, two
seeds): ratio scores two wordings of one fact 85–86 on average (5th percentile 56–61) and two
different facts 13 (95th percentile 30); the best F1 over all pairs is at 58 (0.97–0.99), and
leader clustering at 58 reaches pairwise precision 1.000, recall 0.993–0.997. On the phrase
bank's own variants (one item per wording, 76 extra wordings), 58 mixes no two facts and puts
72 of 76 wordings with their fact (50: 4 mixed clusters, all merged; 66: none mixed, 68). token_set_ratio on
bigrams scores paraphrases higher (89–90) but different facts much higher too (36, p95 47:
a shared set of common bigrams like "strengthen"/"manage" lifts unrelated items), F1 0.92–0.94. The
threshold is ``merge.threshold`` in wording.yaml. Before comparing, figures and the unit's own
names are taken out (they differ between units reporting the same fact).

Clustering is "leader" clustering, deterministic: texts are taken most-reported first, and each
joins the first cluster whose leader it resembles, else leads a new one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from collections.abc import Callable, Iterable, Sequence

from rapidfuzz import fuzz, process

_DIGITS = re.compile(r"\d+(?:\.\d+)?")
# Punctuation is no evidence of similarity: full-width comma, full stop, semicolon, enumeration
# comma, colon, exclamation and question marks, curly quotes, brackets and book-title marks, and
# their ASCII counterparts (code points, so the pattern holds no wording).
_PUNCT = re.compile(r"[\uff0c\u3002\uff1b\u3001\uff1a\uff01\uff1f\u201c\u201d\u2018\u2019\uff08\uff09\u300a\u300b"
                    r"\s,.;:!?()\"']")


def bigrams(text: str) -> str:
    """Four characters ABCD → 'AB BC CD' (a single character stays as it is)."""
    text = _PUNCT.sub("", text)
    return " ".join(text[i:i + 2] for i in range(max(1, len(text) - 1)))


def bigram_set_ratio(a: str, b: str, **_: object) -> float:
    return fuzz.token_set_ratio(a, b)


# name → (preprocessing, scorer); what bench_merge.py compares (DEFAULT_SCORER is what merging uses).
SCORERS: dict[str, tuple[Callable[[str], str], Callable]] = {
    "token_set_ratio/bigrams": (bigrams, fuzz.token_set_ratio),
    "token_sort_ratio/bigrams": (bigrams, fuzz.token_sort_ratio),
    "ratio/chars": (lambda t: _PUNCT.sub("", t), fuzz.ratio),
    "partial_ratio/chars": (lambda t: _PUNCT.sub("", t), fuzz.partial_ratio),
    "WRatio/chars": (lambda t: _PUNCT.sub("", t), fuzz.WRatio),
}
DEFAULT_SCORER = "ratio/chars"


@dataclass
class Item:
    """One unit's narrative item, its numbers already checked (see ``render.items``)."""
    unit: str
    period: str
    kind: str
    section: str
    text: str                       # as it may be printed (figures replaced by span figures)
    figures: tuple = ()             # items.Figure, one per number left in ``text``
    original: str = ""
    strip: tuple = ()               # names left out when comparing (the unit's own names)


@dataclass
class Cluster:
    members: list[Item] = field(default_factory=list)

    @property
    def units(self) -> list[str]:
        seen: list[str] = []
        for m in self.members:
            if m.unit not in seen:
                seen.append(m.unit)
        return seen

    @property
    def has_figure(self) -> bool:
        return any(m.figures for m in self.members)

    def rank_key(self) -> tuple:
        """Most units first, then those carrying a figure, then most often reported."""
        return (-len(self.units), not self.has_figure, -len(self.members), self.members[0].text)


def similarity_key(text: str, strip: Sequence[str] = ()) -> str:
    """The text without figures and without the given names (unit and place names)."""
    for name in strip:
        if name:
            text = text.replace(name, "")
    return _DIGITS.sub("", text)


def cluster(items: Iterable[Item], *, threshold: float, scorer: str = DEFAULT_SCORER) -> list[Cluster]:
    """Items merged by similarity, ranked (see :meth:`Cluster.rank_key`)."""
    prepare, score = SCORERS[scorer]
    by_key: dict[str, list[Item]] = {}
    for item in items:
        by_key.setdefault(prepare(similarity_key(item.original or item.text, item.strip)), []).append(item)
    # most-reported wording first: it leads its cluster
    keys = sorted(by_key, key=lambda k: (-len({i.unit for i in by_key[k]}), -len(by_key[k]), k))
    if not keys:
        return []
    matrix = process.cdist(keys, keys, scorer=score, workers=1)
    leaders: list[int] = []
    clusters: list[Cluster] = []
    for index, key in enumerate(keys):
        for slot, leader in enumerate(leaders):
            if matrix[index][leader] >= threshold:
                clusters[slot].members.extend(by_key[key])
                break
        else:
            leaders.append(index)
            clusters.append(Cluster(list(by_key[key])))
    return sorted(clusters, key=Cluster.rank_key)


def representative(group: Cluster, prefer_unit: Callable[[Item], float] | None = None) -> Item:
    """The member to print: one carrying a figure (the unit with the largest figure as the named
    example, when ``prefer_unit`` scores them), else the most common wording, shortest first."""
    with_figures = [m for m in group.members if m.figures]
    if with_figures:
        if prefer_unit is not None:
            return max(with_figures, key=lambda m: (prefer_unit(m), m.unit, m.period))
        return with_figures[0]
    counts: dict[str, int] = {}
    for m in group.members:
        counts[m.text] = counts.get(m.text, 0) + 1
    text = min(counts, key=lambda t: (-counts[t], len(t), t))
    return next(m for m in group.members if m.text == text)
