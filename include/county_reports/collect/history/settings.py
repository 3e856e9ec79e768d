"""``history.yaml``: how old workbooks are read (headers, month names, limits), checked on load."""
from __future__ import annotations

import re
from datetime import date
from dataclasses import dataclass
from pathlib import Path

from county_reports.core import messages
from county_reports.core.config import ConfigError, Fields, read_config_file
from county_reports.core.config_models.base import validate

FILE = "history.yaml"
COUNTY_TOTAL = "_COUNTY"     # the pseudo-unit of county-only totals: no roster code has "_"
SOURCE = "history_import"    # submissions.source of imported versions
# Keys of messages.yaml's history_import group the importer uses (checked with the file).
MESSAGE_KEYS = ("not_workbook", "too_large", "too_many_sheets", "too_many_rows", "damaged", "no_year",
                "no_layout",
                "mapping_written", "cell", "duplicate", "mixed", "collected", "refused", "stored",
                "unchanged", "ignored_label", "county_name", "year_total", "mapping_help")


@dataclass(frozen=True)
class Settings:
    fuzzy_threshold: float
    months: tuple[re.Pattern, ...]
    year: re.Pattern
    year_total: frozenset[str]
    total_rows: frozenset[str]
    ignored_headers: frozenset[str]
    strip: tuple[re.Pattern, ...]
    max_rows: int
    max_columns: int
    max_sheets: int
    max_bytes: int

    def clean(self, label: object) -> str:
        """A label as matched: text, the strip patterns removed."""
        text, before = ("" if label is None else str(label).strip()), None
        while text != before:          # "名称（MQI）（分）": every bracket at the end goes
            before = text
            for pattern in self.strip:
                text = pattern.sub("", text)
        return text

    def month(self, label: object) -> tuple[int | None, int] | None:
        """(year or None, month) when the label names a month (a date cell: its month)."""
        if isinstance(label, date):
            return label.year, label.month
        text = self.clean(label) if not isinstance(label, str) else re.sub(r"\s+", "", label)
        for pattern in self.months:
            found = pattern.match(text)
            if found:
                year = found.groupdict().get("year")
                return (int(year) if year else None), int(found.group("month"))
        return None

    def find_year(self, text: object) -> int | None:
        found = self.year.search(str(text or ""))
        return int(found.group("year")) if found else None


def _patterns(f: Fields, name: str) -> tuple[re.Pattern, ...]:
    out = []
    for n, text in enumerate(f.get(name, list)):
        try:
            out.append(re.compile(str(text)))
        except re.error as exc:
            raise f.error(f"{name}[{n}]", f"not a regular expression: {exc}") from None
    return tuple(out)


def _words(f: Fields, name: str) -> frozenset[str]:
    return frozenset(str(w).strip() for w in f.get(name, list))


def load_settings(config_dir: str | Path | None = None) -> Settings:
    from county_reports.core.config_models.texts import HistoryFile

    f = Fields(FILE, "history", read_config_file(FILE, config_dir))
    validate(HistoryFile, f.data, FILE, "history")
    threshold = float(f.get("fuzzy_threshold", (int, float)))
    if not 0 < threshold <= 100:
        raise f.error("fuzzy_threshold", f"{threshold} must be above 0 and at most 100")
    months = _patterns(f, "months")
    for n, pattern in enumerate(months):
        if "month" not in pattern.groupindex:
            raise f.error(f"months[{n}]", "needs a named group (?P<month>…)")
    try:
        year = re.compile(f.text("year"))
    except re.error as exc:
        raise f.error("year", f"not a regular expression: {exc}") from None
    if "year" not in year.groupindex:
        raise f.error("year", "needs a named group (?P<year>…)")
    limits = {}
    for name in ("max_rows", "max_columns", "max_sheets", "max_bytes"):
        limits[name] = f.get(name, int)
        if limits[name] < 1:
            raise f.error(name, "must be 1 or more")
    check_messages()
    return Settings(threshold, months, year, _words(f, "year_total"), _words(f, "total_rows"),
                    _words(f, "ignored_headers"), _patterns(f, "strip"), **limits)


def check_messages() -> None:
    """Every messages.yaml text the importer uses is there (a ConfigError names the one that is not)."""
    for key in MESSAGE_KEYS:
        try:
            messages.text("history_import", key)
        except ConfigError as exc:
            if "unknown placeholder" not in exc.problem:
                raise

