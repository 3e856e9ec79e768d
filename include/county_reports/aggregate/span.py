"""Spans of months within one calendar year: a month, January to month N, the half-year, the year.

How the documents write a span (its months, "the whole year") is rendering's: see
``render.number_style.fmt_month_range``; aggregation only counts months."""
from __future__ import annotations

from dataclasses import dataclass

from county_reports.core import periods


@dataclass(frozen=True, order=True)
class Span:
    """Months ``first_month``..``last_month`` (both included) of ``year``.

    ``Span(2025, 6, 6)`` is June, ``Span(2025, 1, 6)`` January to June (the half-year),
    ``Span(2025, 1, 12)`` the whole year; any run of months inside one year is allowed.
    """

    year: int
    first_month: int = 1
    last_month: int = 12

    def __post_init__(self) -> None:
        for name in ("year", "first_month", "last_month"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"Span.{name} must be a whole number, got {value!r}")
        if not 1 <= self.first_month <= self.last_month <= 12:
            raise ValueError(f"Span months must satisfy 1 ≤ first ≤ last ≤ 12, "
                             f"got {self.first_month}..{self.last_month}")
        if not 1900 <= self.year <= 9999:
            raise ValueError(f"Span.year {self.year} is not a plausible year")

    # ------------------------------------------------------------------ constructors
    @classmethod
    def month(cls, period: str) -> Span:
        """The single month ``'YYYY-MM'``."""
        year, month = periods.parse(period)
        return cls(year, month, month)

    @classmethod
    def through(cls, period: str) -> Span:
        """From January to ``period`` (``'2025-09'`` → January to September 2025)."""
        year, month = periods.parse(period)
        return cls(year, 1, month)

    @classmethod
    def half_year(cls, year: int) -> Span:
        """The first half-year: January to June."""
        return cls(year, 1, 6)

    @classmethod
    def full_year(cls, year: int) -> Span:
        """The whole year: January to December."""
        return cls(year, 1, 12)

    # ------------------------------------------------------------------ properties
    @property
    def periods(self) -> tuple[str, ...]:
        """Every month of the span as ``'YYYY-MM'``, in order."""
        return tuple(periods.make(self.year, m) for m in range(self.first_month, self.last_month + 1))

    @property
    def first(self) -> str:
        return periods.make(self.year, self.first_month)

    @property
    def last(self) -> str:
        return periods.make(self.year, self.last_month)

    @property
    def months(self) -> int:
        return self.last_month - self.first_month + 1

    @property
    def is_single_month(self) -> bool:
        return self.first_month == self.last_month

    @property
    def is_half_year(self) -> bool:
        return (self.first_month, self.last_month) == (1, 6)

    @property
    def is_full_year(self) -> bool:
        return (self.first_month, self.last_month) == (1, 12)

    def contains(self, period: str) -> bool:
        return self.first <= period <= self.last

    def same_span_last_year(self) -> Span:
        return Span(self.year - 1, self.first_month, self.last_month)

    def __str__(self) -> str:
        return f"{self.first}..{self.last}"
