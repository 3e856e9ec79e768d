"""Validation settings from ``include/config/validation.yaml``: importance, outlier thresholds, wording.

Checked on load; a problem raises :class:`county_reports.core.config.ConfigError` naming the key.
"""
from __future__ import annotations

import string
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from county_reports.core.catalog import IMPORTANCE, RULE_CHECKS
from county_reports.core.config import ConfigError, config_path, read_config_file
from county_reports.core.config_models.base import validate
from county_reports.core.config_models.texts import OUTLIER_METHODS
from county_reports.validate.narratives import NarrativeLimits, load_limits

FILE = "validation.yaml"
# The checks the catalogue implies, in the order issues are listed to a unit.
BUILTIN_CHECKS = ("UNIT_KNOWN", "PAYLOAD_UNIT", "PAYLOAD_PERIOD", "DUPLICATE", "KNOWN_CODE",
                  "REQUIRED", "NUMERIC", "NEGATIVE", "BOUNDS", "INTEGER", "NARRATIVE_KIND",
                  "NARRATIVE_SECTION", "NARRATIVE_COUNT", "NARRATIVE_LENGTH", "NARRATIVE_TEXT",
                  "OUTLIER")
# Worded but not configurable: SUBMITTED_AT is always a warning, VALIDATION_ERROR always an error.
WORDED = BUILTIN_CHECKS + ("UNREADABLE", "RULE", "SUBMITTED_AT", "VALIDATION_ERROR")
# A unit's answers to OUTLIER warnings (validate/confirmations.py): a bad item, an answered warning.
WORDED += ("CONFIRMATION", "OUTLIER_CONFIRMED")
CONFIRMATION_PROBLEMS = ("not_list", "too_many", "not_item", "indicator", "not_reported", "twice",
                         "reason_empty", "reason_long", "reason_line")
CONFIRMATION_LIMITS = {"max_items": 50, "max_reason_length": 100}
NUMERIC_PROBLEMS = ("null", "empty", "boolean", "list", "object", "not_finite", "formula",
                    "wrong_unit", "multiple_points", "separators", "text")


# Why a value was flagged (worded in messages.checks.OUTLIER.reasons); the count model's and the
# panel's is history.
OUTLIER_REASONS = tuple(m for m in OUTLIER_METHODS if m not in ("count", "panel"))


@dataclass(frozen=True)
class OutlierSettings:
    window: int = 12
    min_history: int = 6
    short_ratio: float = 6.0
    threshold: float = 3.0
    extreme_threshold: float = 4.0
    last_year_factor: float = 2.0
    min_log_spread: float = 0.25
    max_log_spread: float = 10.0
    count_below: float = 30.0
    count_min_rate: float = 0.5
    peers_min: int = 4
    peer_threshold: float = 4.0
    stock_max_change: float = 0.5
    stock_change_threshold: float = 6.0
    stock_min_changes: int = 3
    stock_min_spread: float = 0.005
    ratio_threshold: float = 6.0
    ratio_min_spread: float = 0.05
    ratio_min_months: int = 3
    stale_copy_min: int = 3
    stale_min_steps: float = 20.0
    copy_min_steps: float = 1000.0
    cumulative_from_month: int = 2
    cumulative_factor: float = 2.0
    panel_min_units: int = 4
    panel_threshold: float = 4.5
    panel_prior: float = 4.0
    panel_min_spread: float = 0.05
    explained_threshold: float = 3.5
    fit_threshold: float = 0.75
    neighbour_threshold: float = 1.5
    neighbour_min_months: int = 3
    methods: frozenset[str] = frozenset(OUTLIER_METHODS)


@dataclass(frozen=True)
class Options:
    importance: dict[str, str]
    outliers: OutlierSettings
    messages: dict[str, Any]
    common_uoms: frozenset[str] = frozenset()
    narratives: NarrativeLimits = NarrativeLimits()
    confirmations: dict[str, int] = field(default_factory=lambda: dict(CONFIRMATION_LIMITS))

    def text(self, *path: str) -> str:
        node: Any = self.messages
        for key in path:
            node = node[key]
        return node

    def fill(self, template: str, **values: Any) -> str:
        return template.format_map(_Blank(values))


class _Blank(dict):
    """Placeholders a template uses but a caller did not supply read as empty, never KeyError."""

    def __missing__(self, key: str) -> str:
        return ""


def load_options(config_dir: str | Path | None = None) -> Options:
    path = config_path(FILE, config_dir)
    if not path.is_file():
        raise ConfigError(FILE, "(file)", f"file not found in {path.parent}")
    return _load(str(path.parent), path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _load(config_dir: str, _mtime: int) -> Options:
    data = read_config_file(FILE, config_dir)
    if not isinstance(data, dict):
        raise ConfigError(FILE, "(file)", "expected a mapping at the top level")
    from county_reports.core.config_models.texts import ValidationFile

    validate(ValidationFile, data, FILE)
    return Options(_importance(data.get("checks")), _outliers(data.get("outliers")),
                   _messages(data.get("messages")), _common_uoms(data.get("common_uoms")),
                   narratives=load_limits(data.get("narratives")),
                   confirmations=_confirmations(data.get("confirmations")))


def _confirmations(raw: Any) -> dict[str, int]:
    """``confirmations:`` (optional): max_items, max_reason_length, whole numbers from 1."""
    if raw is None:
        return dict(CONFIRMATION_LIMITS)
    if not isinstance(raw, dict):
        raise ConfigError(FILE, "confirmations", "not a mapping")
    found = {**CONFIRMATION_LIMITS, **raw}
    for key, value in found.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000:
            raise ConfigError(FILE, f"confirmations.{key}", f"{value!r} is not a whole number from 1 to 10000")
    return found


def _importance(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise ConfigError(FILE, "checks", "missing or not a mapping of check to error/warning")
    out = {}
    for check in BUILTIN_CHECKS:
        value = raw.get(check)
        if value not in IMPORTANCE:
            raise ConfigError(FILE, f"checks.{check}", f"{value!r} is not one of {', '.join(IMPORTANCE)}")
        out[check] = value
    if out["OUTLIER"] != "warning":
        raise ConfigError(FILE, "checks.OUTLIER", "outliers are follow-up flags: must be warning")
    return out


def _outliers(raw: Any) -> OutlierSettings:
    if not isinstance(raw, dict):
        raise ConfigError(FILE, "outliers", "missing or not a mapping")
    defaults = OutlierSettings().__dict__
    values: dict[str, Any] = {"methods": _methods(raw.get("methods", sorted(OUTLIER_METHODS)))}
    for name, default in defaults.items():
        if name == "methods":
            continue
        value = raw.get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ConfigError(FILE, f"outliers.{name}", f"{value!r} must be a number above 0")
        if isinstance(default, int) and value != int(value):
            raise ConfigError(FILE, f"outliers.{name}", f"{value!r} must be a whole number")
        values[name] = type(default)(value)
    _check_outliers(values)
    return OutlierSettings(**values)


def _methods(raw: Any) -> frozenset[str]:
    if not isinstance(raw, list) or not all(isinstance(m, str) for m in raw):
        raise ConfigError(FILE, "outliers.methods", f"must be a list of {', '.join(OUTLIER_METHODS)}")
    unknown = sorted(set(raw) - set(OUTLIER_METHODS))
    if unknown:
        raise ConfigError(FILE, "outliers.methods", f"unknown method {unknown[0]!r} "
                                                    f"(known: {', '.join(OUTLIER_METHODS)})")
    return frozenset(raw)


def _check_outliers(values: dict[str, Any]) -> None:
    if values["min_history"] > values["window"]:
        raise ConfigError(FILE, "outliers.min_history", "cannot exceed window")
    if values["last_year_factor"] < 1:
        raise ConfigError(FILE, "outliers.last_year_factor", "must be 1 or more")
    if values["window"] < 12:
        raise ConfigError(FILE, "outliers.window", "must be 12 or more (it holds last year's month)")
    if values["extreme_threshold"] < values["threshold"]:
        raise ConfigError(FILE, "outliers.extreme_threshold", "cannot be below threshold")
    if not 2 <= values["cumulative_from_month"] <= 12:
        raise ConfigError(FILE, "outliers.cumulative_from_month", "must be a month from 2 to 12")
    if values["short_ratio"] <= 1:
        raise ConfigError(FILE, "outliers.short_ratio", "must be above 1 (a ratio: ×/÷ that much)")
    if values["peers_min"] < 3:
        raise ConfigError(FILE, "outliers.peers_min", "must be 3 or more (a median of fewer says little)")
    if values["panel_min_units"] < 3:
        raise ConfigError(FILE, "outliers.panel_min_units", "must be 3 or more (a median of fewer says little)")
    if values["fit_threshold"] >= values["explained_threshold"]:
        raise ConfigError(FILE, "outliers.fit_threshold", "must be below explained_threshold "
                                                          "(an explanation must fit better than the value)")


def _common_uoms(raw: Any) -> frozenset[str]:
    if not isinstance(raw, list) or not all(isinstance(u, str) and u for u in raw):
        raise ConfigError(FILE, "common_uoms", "missing or not a list of units of measure")
    return frozenset(raw)


def _messages(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ConfigError(FILE, "messages", "missing or not a mapping")
    required: list[tuple[str, ...]] = [("head",), ("no_value",), *(("outcome", i) for i in IMPORTANCE)]
    required += [("checks", c, part) for c in WORDED for part in ("text", "todo")]
    required += [("checks", "OUTLIER", "last_year"), ("checks", "OUTLIER", "no_last_year")]
    required += [("checks", "OUTLIER", "reasons", r) for r in OUTLIER_REASONS]
    required += [("checks", "OUTLIER", "outcome")]
    required += [("confirmation_problems", p) for p in CONFIRMATION_PROBLEMS]
    required += [("rule_words", c) for c in RULE_CHECKS]
    required += [("numeric_problems", p) for p in NUMERIC_PROBLEMS]
    required += [("offline", k) for k in ("accepted", "accepted_with_warnings", "rejected",
                                           "and_warnings", "unreadable", "bad_period",
                                           "history_used", "history_none", "history_unavailable",
                                           "projects_used", "projects_none", "projects_unavailable")]
    required += [("message",), ("unknown_unit_name",), ("part_name",), ("unreadable_default",),
                 ("summary", "period"), ("summary", "unit"), ("descriptions", "many_items")]
    required += [("descriptions", c) for c in BUILTIN_CHECKS]
    for keys in required:
        node: Any = raw
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, str):
            raise ConfigError(FILE, "messages." + ".".join(keys), "missing or not text")
        try:
            list(string.Formatter().parse(node))
        except ValueError as exc:
            raise ConfigError(FILE, "messages." + ".".join(keys), f"bad {{placeholder}}: {exc}") from None
    return raw
