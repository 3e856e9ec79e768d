"""Where a title too long for one line breaks (GB/T 9704-2012 §7.2: a title that runs over keeps
its words whole, its lines symmetric and of fitting length).

Without a dictionary the engine cannot know every word, so it breaks only where the rules say a
phrase ends: before a conjunction ("and" …) or after a word that closes a phrase ("bureau", "year" …),
each with a rank (lower is better). Among the ways to set the title in the fewest lines that
fit, it takes the lowest total rank, then the most even lines. Only when no rule point fits
does it break elsewhere, evenly, and never inside a run of digits or Latin letters ("2025").

The layout engine measures: ``advance(ch)`` is the width of one character in points and
``capacity`` the width of the line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from collections.abc import Callable, Mapping

from county_reports.core.config import ConfigError

MAX_EXTRA_LINES = 1     # try one line more than the minimum before breaking outside the rules


@dataclass(frozen=True)
class TitleBreaks:
    """Break points: ``before`` words (the line break comes before them) and ``after`` words,
    each mapped to its rank (1 = the best place to break)."""

    before: Mapping[str, int] = field(default_factory=dict)
    after: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_config(cls, data, file: str = "wording.yaml", key: str = "title_breaks") -> TitleBreaks:
        """From ``{before: {word: rank, …}, after: {word: rank, …}}`` (wording.yaml
        ``title_breaks``); None gives no rule points."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise ConfigError(file, key, "must be a mapping with 'before' and/or 'after'")
        unknown = sorted(set(data) - {"before", "after"})
        if unknown:
            raise ConfigError(file, f"{key}.{unknown[0]}", "unknown key (expected before, after)")
        parts = {}
        for side in ("before", "after"):
            words = data.get(side) or {}
            if not isinstance(words, dict):
                raise ConfigError(file, f"{key}.{side}", "must map each word to its rank, e.g. {word: 1}")
            for word, rank in words.items():
                if not isinstance(word, str) or not word.strip():
                    raise ConfigError(file, f"{key}.{side}", f"{word!r} is not a word")
                if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
                    raise ConfigError(file, f"{key}.{side}.{word}", f"rank {rank!r} must be a whole number from 1")
            parts[side] = dict(words)
        return cls(**parts)

    def points(self, text: str) -> dict[int, int]:
        """Break positions (index of the first character of the next line) → best rank there."""
        out: dict[int, int] = {}
        for word, rank in self.before.items():
            start = text.find(word, 1)
            while start != -1:
                out[start] = min(rank, out.get(start, rank))
                start = text.find(word, start + 1)
        for word, rank in self.after.items():
            start = text.find(word)
            while start != -1:
                end = start + len(word)
                if 0 < end < len(text):
                    out[end] = min(rank, out.get(end, rank))
                start = text.find(word, start + 1)
        return {i: r for i, r in out.items() if not _inside_latin_run(text, i)}


def _inside_latin_run(text: str, index: int) -> bool:
    return 0 < index < len(text) and text[index - 1].isascii() and text[index].isascii() \
        and text[index - 1].isalnum() and text[index].isalnum()


def break_title(text: str, rules: TitleBreaks, capacity: float,
                advance: Callable[[str], float]) -> str:
    """``text`` with ``\\n`` where its lines break (unchanged when it fits one line, or when it
    already holds a line break: the author chose)."""
    text = text.strip()
    if "\n" in text or _width(text, advance) <= capacity:
        return text
    widths = [advance(ch) for ch in text]
    prefix = [0.0]
    for w in widths:
        prefix.append(prefix[-1] + w)

    def line_width(start: int, end: int) -> float:
        return prefix[end] - prefix[start]

    fewest = max(2, -int(-prefix[-1] // capacity))
    points = rules.points(text)
    for lines in range(fewest, fewest + 1 + MAX_EXTRA_LINES):
        best = None
        for cut in combinations(sorted(points), lines - 1):
            bounds = (0, *cut, len(text))
            spans = [line_width(a, b) for a, b in zip(bounds, bounds[1:], strict=False)]
            if max(spans) > capacity:
                continue
            score = (sum(points[c] for c in cut), max(spans) - min(spans), cut)
            if best is None or score < best:
                best = score
        if best is not None:
            return _join(text, best[2])
    return _join(text, _even_cuts(text, fewest, capacity, line_width))


def _even_cuts(text: str, lines: int, capacity: float, line_width) -> tuple[int, ...]:
    """No rule point fits: ``lines`` lines as even as possible, never splitting "2025"."""
    allowed = [i for i in range(1, len(text)) if not _inside_latin_run(text, i)]
    while lines <= 3:
        best = None
        for cut in combinations(allowed, lines - 1):
            bounds = (0, *cut, len(text))
            spans = [line_width(a, b) for a, b in zip(bounds, bounds[1:], strict=False)]
            if max(spans) <= capacity and (best is None or (max(spans) - min(spans), cut) < best):
                best = (max(spans) - min(spans), cut)
        if best is not None:
            return best[1]
        lines += 1
    cuts, start = [], 0      # a very long title: fill each line in turn
    while line_width(start, len(text)) > capacity:
        fits = [i for i in allowed if i > start and line_width(start, i) <= capacity]
        start = max(fits) if fits else start + 1
        cuts.append(start)
    return tuple(cuts)


def _join(text: str, cuts: tuple[int, ...]) -> str:
    bounds = (0, *cuts, len(text))
    return "\n".join(text[a:b] for a, b in zip(bounds, bounds[1:], strict=False))


def _width(text: str, advance: Callable[[str], float]) -> float:
    return sum(advance(ch) for ch in text)
