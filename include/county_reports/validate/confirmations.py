"""A unit's answer to a warning: "核实无误", with a one-line reason, for a value flagged as a
likely slip (issue 20: DHIS2's follow-up, made a workflow).

A flagged value (an OUTLIER warning) is stored but *unconfirmed*: it stays out of the outlier
history (``warehouse.history``) and is listed at a report's approval. The unit answers in its
next version of the month: either the corrected figure (simply a new version; the flag goes when
the check no longer fires) or the same figure with a confirmation — protocol 1's optional key
``confirmations: [{"indicator": "ROAD_INVEST", "reason": "…"}]``, or the template's 核实说明
column beside the value. The confirmation is part of the version (its content hash), stored like
any other; the value is then *confirmed*: it enters the history and its warning tells the unit
the answer was taken.

Every byte is hostile: at most ``confirmations.max_items`` items are read, a reason is one line of
at most ``max_reason_length`` characters without control characters, an indicator must be one the
version reports; a bad item is a warning naming its number and the rule, and is ignored alone.
"""
from __future__ import annotations

import unicodedata
from dataclasses import replace
from typing import Any

from county_reports.validate.model import WARNING, Finding
from county_reports.validate.normalize import shorten
from county_reports.validate.options import Options

KEY = "confirmations"
CHECK = "CONFIRMATION"
CONFIRMED = "OUTLIER_CONFIRMED"   # the wording of an OUTLIER warning the unit has answered


def read(payload: dict[str, Any], values: dict[str, Any], unit: str, period: str,
         options: Options) -> tuple[dict[str, str], tuple[Finding, ...]]:
    """(indicator → reason, warnings for the items that could not be taken)."""
    raw = payload.get(KEY)
    if raw is None:
        return {}, ()
    limits = options.confirmations
    if not isinstance(raw, list):
        return {}, (_warning(unit, period, 0, None, "not_list"),)
    found: dict[str, str] = {}
    bad: list[Finding] = []
    if len(raw) > limits["max_items"]:
        bad.append(_warning(unit, period, limits["max_items"] + 1, None, "too_many",
                            max_items=limits["max_items"], count=len(raw)))
    for index, item in enumerate(raw[:limits["max_items"]], start=1):
        problem, code, reason = _item(item, values, found, limits["max_reason_length"])
        if problem:
            bad.append(_warning(unit, period, index, code, problem, max_length=limits["max_reason_length"]))
        else:
            found[code] = reason
    return found, tuple(bad)


def _item(item: Any, values: dict[str, Any], found: dict[str, str], max_length: int):
    """(problem or None, indicator, reason) of one item."""
    if not isinstance(item, dict):
        return "not_item", None, None
    code, reason = item.get("indicator"), item.get("reason")
    if not isinstance(code, str) or not code.strip() or len(code) > 60:
        return "indicator", None, None
    code = code.strip()
    if code not in values:
        return "not_reported", code, None
    if code in found:
        return "twice", code, None
    if not isinstance(reason, str) or not reason.strip():
        return "reason_empty", code, None
    reason = reason.strip()
    if len(reason) > max_length:
        return "reason_long", code, None
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in reason):
        return "reason_line", code, None
    return None, code, reason


def _warning(unit: str, period: str, index: int, code: str | None, problem: str, **limits: Any) -> Finding:
    """An item not taken: ``problem`` names its words (validation.yaml ``confirmation_problems``),
    ``limits`` fill them."""
    return Finding(unit, period, code, None, CHECK, WARNING, CHECK, {"index": index, "problem": problem,
                                                                    "limits": limits})


def answer(findings: tuple[Finding, ...], confirmations: dict[str, str]) -> tuple[Finding, ...]:
    """The OUTLIER warnings the unit confirmed, to be worded as answered (rule, effect and expected
    kept: the warning stays on the version, ranked, but no longer asks anything)."""
    if not confirmations:
        return findings
    return tuple(replace(f, wording=CONFIRMED, data={"reason": shorten(confirmations[f.indicator])})
                 if f.rule == "OUTLIER" and f.indicator in confirmations else f for f in findings)
