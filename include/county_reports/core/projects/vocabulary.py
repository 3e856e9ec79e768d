"""ledger.yaml: the vocabularies of the key-projects register and ledger and of the events, and
the messages a unit reads about them. Loaded through ``config.read_config_file``; a problem is a
``ConfigError`` (``ledger.yaml: key: problem``), an unknown key included.

A vocabulary maps a code (what the register and submissions use) to its Chinese name; a
submission may send either (:meth:`Vocabulary.code_of`).
"""
from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from county_reports.core.config import ConfigError, Fields, read_config_file
from county_reports.core.config_models.base import validate

FILE = "ledger.yaml"
WORDS = ("categories", "levels", "natures", "funding_sources", "causes", "event_kinds", "meeting_kinds",
         "honour_levels", "proposal_kinds", "petition_channels", "inspection_kinds")
KEYS = {"investment_indicator", "tolerance", "limits", "statuses", "campaign_counts", "messages",
        "fields", *WORDS}
LIMITS = ("rows", "events", "text", "milestones")
# status and event-kind codes the checks give a meaning to: the file must define them
STATUS_CODES = ("normal", "ahead", "delayed", "stalled", "completed")
EVENT_CODES = ("document", "meeting", "campaign", "honour", "proposal", "petition", "inspection")
# Each message and the placeholders the code fills in it (unit and period: every issue's).
_ISSUE = ("unit", "period")
MESSAGES: dict[str, tuple[str, ...]] = {
    "period": ("year", "month"), "span": ("year", "month"), "separator": (), "project": ("name", "code"),
    "not_a_list": ("field",), "too_many": ("field", "count", "limit"), "not_an_object": ("field", "index"),
    "unknown_project": ("index", "code", "year"), "not_owned": ("project", "owner"), "twice": ("project",),
    "missing_field": ("project", "field"), "bad_number": ("where", "field", "value"),
    "bad_text": ("where", "field", "limit"), "bad_choice": ("where", "field", "value", "choices"),
    "bad_date": ("where", "field", "value"), "cumulative_falls": ("project", "field", "value", "previous"),
    "year_below_month": ("project", "value", "month"), "land_falls": ("project", "field", "value", "previous"),
    "over_indicator": ("span", "field", "projects", "indicator", "reported"),
    "cause_missing": ("project", "status", "causes"), "milestone_unknown": ("project", "milestone", "known"),
    "milestone_after_month": ("project", "milestone", "date"), "document_no_number": ("index", "title"),
    "document_no_title": ("index", "number"), "negative_count": ("index", "name", "field", "value"),
    "part_over_whole": ("index", "name", "part", "value", "whole"),
    "closure_over": ("index", "kind", "closed", "received", "rate"), "date_outside": ("index", "name", "date"),
    "dates_reversed": ("index", "name", "start", "end"), "missing_event_field": ("index", "kind", "field"),
}
_OWN_WORDS = ("period", "span", "separator", "project")      # filled without the issue's unit and period


@dataclass(frozen=True)
class Vocabulary:
    words: dict[str, dict[str, str]]          # vocabulary name → code → Chinese name
    needs_cause: frozenset[str]               # status codes that must come with a cause
    counts: dict[str, tuple[str, str]]        # campaign count code → (name, unit of measure)
    messages: dict[str, str]
    fields: dict[str, str]
    investment_indicator: str
    tolerance: float
    limits: dict[str, int]

    def name(self, vocabulary: str, code: str) -> str:
        return self.words[vocabulary].get(code, code)

    def code_of(self, vocabulary: str, value: Any) -> str | None:
        """The code a sent value stands for (its code or its Chinese name), or None."""
        if not isinstance(value, str):
            return None
        words = self.words[vocabulary]
        value = value.strip()
        if value in words:
            return value
        return next((code for code, name in words.items() if name == value), None)

    def choices(self, vocabulary: str) -> str:
        return self.messages["separator"].join(self.words[vocabulary].values())

    def field(self, name: str) -> str:
        return self.fields.get(name, name)

    def message(self, key: str, **values: Any) -> str:
        return self.messages[key].format(**values)


def only_keys(f: Fields, allowed: set[str] | tuple) -> None:
    """Refuse a key the file does not define (a misspelt key would otherwise be silently ignored)."""
    unknown = sorted(str(k) for k in f.data if k not in allowed)
    if unknown:
        raise f.error(unknown[0], f"unknown key (expected one of {', '.join(sorted(allowed))})")


def load_vocabulary(config_dir: str | Path | None = None) -> Vocabulary:
    from county_reports.core.config_models.texts import LedgerFile

    data = read_config_file(FILE, config_dir)
    top = Fields(FILE, "(top)", data)
    validate(LedgerFile, data, FILE, top="(top)")  # every key known, of its type (the model of ledger.yaml)
    words = {name: _mapping(data, name) for name in WORDS}
    statuses = Fields(FILE, "statuses", top.get("statuses", dict))
    words["statuses"], needs = {}, set()
    for code in statuses.data:
        entry = Fields(FILE, f"statuses.{code}", statuses.data[code])
        words["statuses"][str(code)] = entry.text("name")
        if entry.get("needs_cause", bool, False):
            needs.add(str(code))
    _require(words["statuses"], STATUS_CODES, "statuses")
    _require(words["event_kinds"], EVENT_CODES, "event_kinds")
    counts = {}
    raw_counts = Fields(FILE, "campaign_counts", top.get("campaign_counts", dict))
    for code in raw_counts.data:
        entry = Fields(FILE, f"campaign_counts.{code}", raw_counts.data[code])
        counts[str(code)] = (entry.text("name"), entry.text("uom"))
    words["campaign_counts"] = {code: name for code, (name, _) in counts.items()}
    messages = _mapping(data, "messages")
    _require(messages, MESSAGES, "messages")
    for key, text in messages.items():
        if key not in MESSAGES:
            raise ConfigError(FILE, f"messages.{key}", f"unknown message (expected one of {', '.join(MESSAGES)})")
        allowed = MESSAGES[key] + (() if key in _OWN_WORDS else _ISSUE)
        _check_template(text, f"messages.{key}", allowed)
    limits_f = Fields(FILE, "limits", top.get("limits", dict))
    limits = {name: limits_f.get(name, int) for name in LIMITS}
    for name, value in limits.items():
        if value < 1:
            raise limits_f.error(name, "must be at least 1")
    tolerance = top.get("tolerance", (int, float))
    if tolerance < 0:
        raise top.error("tolerance", "must not be negative")
    return Vocabulary(words, frozenset(needs), counts, messages, _mapping(data, "fields"),
                      top.text("investment_indicator"), float(tolerance), limits)


def _mapping(data: dict, name: str) -> dict[str, str]:
    raw = Fields(FILE, "(top)", data).get(name, dict)
    out = {}
    for code, text in raw.items():
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(FILE, f"{name}.{code}", "expected a non-empty text")
        out[str(code)] = text
    if not out:
        raise ConfigError(FILE, name, "is empty")
    return out


def _require(words: dict, codes: tuple, name: str) -> None:
    missing = [c for c in codes if c not in words]
    if missing:
        raise ConfigError(FILE, f"{name}.{missing[0]}", "missing (the checks give it a meaning)")


def _check_template(text: str, key: str, allowed: tuple[str, ...]) -> None:
    """A template that formats with what the code fills in: a misspelt ``{placeholder}`` is
    refused here, never a traceback when a unit's row is checked."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise ConfigError(FILE, key, f"not a valid message template: {exc}") from None
    unknown = sorted(names - set(allowed))
    if unknown:
        raise ConfigError(FILE, key, f"unknown placeholder {{{unknown[0]}}} (may use: "
                                     f"{', '.join('{' + a + '}' for a in allowed) or 'none'})")
