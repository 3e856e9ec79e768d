"""Old labels → the roster's unit codes and the catalogue's indicator codes, as a file the admin
confirms before anything is stored.

A label is matched exactly first (the roster's name or code, the catalogue's name or code, after
``history.yaml``'s ``strip``), then by similarity: rapidfuzz's ``fuzz.ratio`` on the characters —
the scorer the summaries' item merging uses — at least ``fuzzy_threshold``. A unit label with no
match is proposed as a **retired** unit (a unit that no longer exists: its figures are kept under
a code of its own, ``OLD01`` …, with the kind of the most similar roster unit); an indicator label
with no match is proposed with no code (not imported). Every proposal goes to the mapping file
(YAML, ``{data}/history/mapping.yaml`` by default) with ``confirmed: false``; the admin checks it,
edits codes or statuses, and sets ``confirmed: true``. A workbook with a label the file does not
list puts the new label in, unconfirms the file and stores nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from county_reports.core import atomic, messages, paths
from county_reports.core.catalog import Catalog
from county_reports.core.config import ConfigError, Fields, dump_config_text, parse_config_text, read_config_file
from county_reports.collect.history.settings import Settings

ACTIVE, RETIRED = "active", "retired"
EXACT, FUZZY, NONE = "exact", "fuzzy", "none"
RETIRED_PREFIX = "OLD"
_CODE = re.compile(r"^[A-Z0-9]{2,16}$")


@dataclass
class Entry:
    label: str
    code: str | None
    match: str = NONE
    score: float | None = None
    status: str = ACTIVE          # units only: active | retired
    name: str | None = None       # the roster's or catalogue's name (what the code means)
    kind: str | None = None       # retired units: their kind

    def as_dict(self, unit: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"label": self.label, "code": self.code, "match": self.match}
        if self.score is not None:
            out["score"] = round(self.score, 1)
        if unit:
            out["status"] = self.status
            if self.status == RETIRED:
                out["kind"] = self.kind
        if self.name:
            out["name"] = self.name
        return out


@dataclass
class Mapping:
    confirmed: bool = False
    units: dict[str, Entry] = field(default_factory=dict)
    indicators: dict[str, Entry] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        entries = list(self.units.values()) + list(self.indicators.values())
        return {"labels": len(entries), **{m: sum(e.match == m for e in entries) for m in (EXACT, FUZZY)},
                "unmatched": sum(e.match == NONE for e in entries)}


def label_text(label: Any) -> str:
    """A label as the mapping file keys it: its text, spaces at the ends dropped."""
    return "" if label is None else str(label).strip()


class Matcher:
    """Proposals for labels, against the roster, the catalogue and what the mapping already says."""

    def __init__(self, catalog: Catalog, settings: Settings, mapping: Mapping):
        self.catalog, self.settings, self.mapping = catalog, settings, mapping
        clean = settings.clean
        self._units = {clean(u.name): u.code for u in catalog.units} | {u.code: u.code for u in catalog.units}
        self._indicators = {clean(i.name): i.code for i in catalog.indicators} | \
            {i.code: i.code for i in catalog.indicators}

    def _best(self, text: str, choices: dict[str, str]) -> tuple[str | None, float]:
        if text in choices:
            return choices[text], 100.0
        found = process.extractOne(text, list(choices), scorer=fuzz.ratio)
        return (choices[found[0]], float(found[1])) if found else (None, 0.0)

    def classify(self, label: Any) -> str | None:
        """"unit", "indicator" or None: what the mapping or the best match says the label is."""
        text = label_text(label)
        if text in self.mapping.units:
            return "unit"
        if text in self.mapping.indicators:
            return "indicator"
        clean = self.settings.clean(text)
        if not clean or self.settings.month(text):
            return None
        unit_score = self._best(clean, self._units)[1]
        indicator_score = self._best(clean, self._indicators)[1]
        best = max(unit_score, indicator_score)
        if best < self.settings.fuzzy_threshold or unit_score == indicator_score:
            return None
        return "unit" if unit_score > indicator_score else "indicator"

    def unit(self, label: Any) -> Entry:
        text = label_text(label)
        if text in self.mapping.units:
            return self.mapping.units[text]
        code, score = self._best(self.settings.clean(text), self._units)
        if code is not None and score >= self.settings.fuzzy_threshold:
            entry = Entry(text, code, EXACT if score == 100 else FUZZY, None if score == 100 else score,
                          ACTIVE, self.catalog.unit_by_code[code].name)
        else:
            like = self.catalog.unit_by_code.get(code) if code else None
            entry = Entry(text, self._retired_code(), NONE, None, RETIRED, text,
                          like.kind if like else next(iter(self.catalog.kinds)))
        self.mapping.units[text] = entry
        return entry

    def indicator(self, label: Any) -> Entry:
        text = label_text(label)
        if text in self.mapping.indicators:
            return self.mapping.indicators[text]
        code, score = self._best(self.settings.clean(text), self._indicators)
        if code is not None and score >= self.settings.fuzzy_threshold:
            entry = Entry(text, code, EXACT if score == 100 else FUZZY, None if score == 100 else score,
                          name=self.catalog.indicator_by_code[code].name)
        else:
            entry = Entry(text, None, NONE)
        self.mapping.indicators[text] = entry
        return entry

    def _retired_code(self) -> str:
        taken = set(self.catalog.unit_by_code) | {e.code for e in self.mapping.units.values()}
        n = 1
        while f"{RETIRED_PREFIX}{n:02d}" in taken:
            n += 1
        return f"{RETIRED_PREFIX}{n:02d}"


def default_path(data: Any = None):
    return paths.history(data) / "mapping.yaml"


def write(path, mapping: Mapping) -> None:
    """The mapping file, atomically: a help comment, ``confirmed``, units, indicators."""
    body = {"confirmed": mapping.confirmed,
            "units": [e.as_dict(True) for e in mapping.units.values()],
            "indicators": [e.as_dict(False) for e in mapping.indicators.values()]}
    help_text = messages.text("history_import", "mapping_help")
    text = f"# {help_text}\n" + dump_config_text(body)
    path = paths.location(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path, text)


def read(path, catalog: Catalog) -> Mapping:
    """The mapping file as the admin left it; ConfigError (file: key: problem) when it is wrong.
    No file yet: an empty, unconfirmed mapping."""
    path = paths.location(path)
    if not path.is_file():
        return Mapping()
    name = str(path)
    data = _load(path, name)
    f = Fields(name, "mapping", data)
    mapping = Mapping(confirmed=f.get("confirmed", bool, False))
    for n, raw in enumerate(f.get("units", list, [])):
        entry = _entry(Fields(name, f"units[{n}]", raw), True)
        _check_unit(Fields(name, f"units[{n}]", raw), entry, catalog)
        mapping.units[entry.label] = entry
    for n, raw in enumerate(f.get("indicators", list, [])):
        fields = Fields(name, f"indicators[{n}]", raw)
        entry = _entry(fields, False)
        if entry.code is not None and entry.code not in catalog.indicator_by_code:
            raise fields.error("code", f"{entry.code!r} is not an indicator code of indicators.yaml "
                                       f"(leave it empty not to import the label)")
        mapping.indicators[entry.label] = entry
    return mapping


def _load(path, name: str) -> Any:
    if not paths.is_remote(path):
        return read_config_file(path.name, path=path)
    try:                       # a bucket: read_config_file opens local files only
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(name, "(file)", "not UTF-8 text") from None
    return parse_config_text(text, name)


def _entry(f: Fields, unit: bool) -> Entry:
    label = label_text(f.get("label", (str, int, float)))
    if not label:
        raise f.error("label", "is empty")
    code = f.get("code", str, None)
    score = f.get("score", (int, float), None)
    status = f.get("status", str, ACTIVE, choices=(ACTIVE, RETIRED)) if unit else ACTIVE
    return Entry(label, code.strip() if code else None, f.get("match", str, NONE), score, status,
                 f.get("name", str, None), f.get("kind", str, None) if unit else None)


def _check_unit(f: Fields, entry: Entry, catalog: Catalog) -> None:
    if entry.code is None:
        raise f.error("code", "missing: a unit's figures need a unit code")
    if entry.status == ACTIVE and entry.code not in catalog.unit_by_code:
        raise f.error("code", f"{entry.code!r} is not a unit of units.yaml (a unit that no longer "
                              f"exists: status retired and a code of its own)")
    if entry.status == RETIRED:
        if not _CODE.match(entry.code):
            raise f.error("code", f"{entry.code!r} must be 2–16 capital letters or digits")
        if entry.code in catalog.unit_by_code:
            raise f.error("code", f"{entry.code} is a unit of units.yaml: status active, or another code")
        if entry.kind not in catalog.kinds:
            raise f.error("kind", f"{entry.kind!r} is not a unit kind of units.yaml "
                                  f"({', '.join(catalog.kinds)})")
