"""What units and admins read: complete Chinese sentences, worded in validation.yaml.

Each message names the unit (name and code) and the month, the indicator (name and code) and
the value as sent, the rule in words, what to do, and what became of the submission:
``{head}：{text}{todo}{outcome}``. For the cross-indicator rules of rules.yaml the rule's own
``message`` (filled with the values) is the specific part.

Validation finds issues as codes and data (:class:`~county_reports.validate.model.Finding`);
:func:`word` words them all, once, after the verdicts are built.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace
from typing import Any

from county_reports.core import messages, periods
from county_reports.core.catalog import Catalog, Rule
from county_reports.validate.issues import sort_key
from county_reports.validate.model import (
    ACCEPTED, ACCEPTED_WITH_WARNINGS, REJECTED, Finding, Issue, Verdict)
from county_reports.validate.normalize import shorten
from county_reports.validate.options import Options, load_options


def number(x: Any) -> str:
    """A number as a clerk writes it: 12, 1234.5, never 12.0 or 1.2345e+03."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    x = float(x)
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6f}".rstrip("0").rstrip(".")


def head(options: Options, catalog: Catalog, unit: str, period: str) -> str:
    try:
        year, month = periods.parse(period)
    except ValueError:
        year, month = shorten(period, 20), "?"
    known = catalog.unit_by_code.get(unit)
    return options.fill(options.text("head"), unit=unit, unit_name=known.name if known else
                        options.text("unknown_unit_name"), year=year, month=month)


def compose(options: Options, catalog: Catalog, check: str, importance: str, unit: str,
            period: str, indicator: str | None = None, value: str | None = None,
            **extra: Any) -> str:
    """The full message for one issue. ``check`` is a built-in check code, UNREADABLE, or
    RULE (with ``rule`` and ``rule_message`` / ``rule_words`` in ``extra``)."""
    known = catalog.indicator_by_code.get(indicator or "")
    fields: dict[str, Any] = {
        "unit": unit, "period": period, "indicator": indicator or "",
        "value": options.text("no_value") if value is None else shorten(value),
        "name": known.name if known else (indicator or ""), "uom": known.uom if known else "",
        "min": number(known.min) if known else "", "max": number(known.max) if known else "",
        "window": options.outliers.window, **extra}
    unit_ = catalog.unit_by_code.get(unit)
    fields.setdefault("kind_name", unit_.kind_name if unit_ else "")
    words = options.text("checks", check)
    text = options.fill(words["text"], **fields)
    todo = options.fill(words["todo"], **fields)
    # A check may say what became of the submission itself (OUTLIER: accepted, the value unconfirmed).
    outcome = options.fill(words["outcome"], **fields) if "outcome" in words else options.text("outcome", importance)
    return options.fill(options.text("message"), head=head(options, catalog, unit, period), text=text,
                        todo=todo, outcome=outcome)


def word(verdicts: list[Verdict], catalog: Catalog, options: Options) -> list[Verdict]:
    """The verdicts with every finding worded: each :class:`Finding` becomes the :class:`Issue` a
    unit reads, in the same order with the same codes. An issue already worded (the key-projects
    ledger's, in ledger.yaml's words) is kept as it is."""
    rules = {r.code: r for r in catalog.rules}
    return [replace(v, issues=tuple(_worded(i, catalog, options, rules) for i in v.issues)) for v in verdicts]


def _worded(found: Finding | Issue, catalog: Catalog, options: Options, rules: dict[str, Rule]) -> Issue:
    if isinstance(found, Issue):
        return found
    message = compose(options, catalog, found.wording, found.importance, found.unit, found.period,
                      found.indicator, found.value, **_fields(found, catalog, options, rules))
    return Issue(found.unit, found.period, found.indicator, found.value, found.rule, found.importance, message,
                 found.effect, found.expected)


def _fields(found: Finding, catalog: Catalog, options: Options, rules: dict[str, Rule]) -> dict[str, Any]:
    """What a finding's words are filled with, from its data (most checks: the data itself)."""
    data = found.data
    if found.wording == "OUTLIER":
        return outlier_extra(options, data["median"], data["last_year"], data["uom"], reason=data["reason"],
                             last_month=data["last_month"])
    if found.wording == "RULE":
        return {"rule": found.rule, **rule_texts(options, catalog, rules[found.rule], data["numbers"])}
    if found.wording == "CONFIRMATION":
        words = options.fill(options.text("confirmation_problems", data["problem"]), **data["limits"])
        return {"index": data["index"], "problem": words}
    if found.wording == "UNREADABLE":
        reason = data["reason"] or options.text("unreadable_default")
        return {"reason": reason.rstrip(messages.text("joins", "sentence_end"))}
    return data


def outlier_extra(options: Options, median: float, last_year: float, uom: str, *,
                  reason: str | None = "history", last_month: float = math.nan) -> dict[str, str]:
    """``why``: the reason's sentence (validation.yaml checks.OUTLIER.reasons), with its figures."""
    words = options.text("checks", "OUTLIER")
    if last_year is None or math.isnan(last_year):
        ly_text = options.fill(words["no_last_year"])
    else:
        ly_text = options.fill(words["last_year"], last_year=number(last_year), uom=uom)
    known = last_month is not None and not math.isnan(last_month)
    figures = {"median": number(median), "last_year_text": ly_text, "uom": uom,
               "last_month": number(last_month) if known else options.text("no_value"),
               "window": options.outliers.window,
               "stock_share": f"{options.outliers.stock_max_change:.0%}"}
    why = options.fill(words["reasons"][reason or "history"], **figures)
    return {**figures, "why": why}


def rule_texts(options: Options, catalog: Catalog, rule: Rule, values: dict[str, float]) -> dict[str, str]:
    """``rule_message`` (rules.yaml wording filled with the values) and ``rule_words``."""
    p = rule.params
    names = {c: catalog.indicator_by_code[c].name for c in rule.indicators}
    filled: dict[str, Any] = {"tolerance": number(p.get("tolerance", 0))}
    words: dict[str, Any] = {"tolerance": filled["tolerance"]}
    for role in ("left", "right", "total", "when", "then"):
        if role in p:
            code = p[role]
            filled[role] = number(values.get(code)) or "0"
            words[f"{role}_name"], words[f"{role}_code"] = names[code], code
    if rule.check == "sum_equals":
        filled["parts_sum"] = number(sum(values.get(c, 0.0) for c in p["parts"]))   # absent = 0
        words["parts_names"] = messages.join(options.fill(options.text("part_name"), name=names[c], code=c)
                                             for c in p["parts"])
    return {"rule_message": options.fill(rule.message, **filled).rstrip(messages.text("joins", "sentence_end")),
            "rule_words": options.fill(options.text("rule_words", rule.check), **words)}


# --------------------------------------------------------------------------- for units and logs


def feedback_payload(verdict: Verdict, catalog: Catalog) -> list[dict[str, Any]]:
    """The JSON list POSTed to ``{base_url}/submissions/{period}/feedback`` (empty when clean)."""
    return [{"text": i.message, "indicator": i.indicator, "value": i.value, "rule": i.rule,
             "importance": i.importance}
            for i in sorted(verdict.issues, key=sort_key(catalog))]


def summary_lines(verdicts: list[Verdict], catalog: Catalog, options: Options | None = None) -> list[str]:
    """A few lines per period for the DAG log: counts, then each rejected or warned unit."""
    options = options or load_options()
    lines: list[str] = []
    for period in sorted({v.period for v in verdicts}):
        mine = [v for v in verdicts if v.period == period]
        counts = Counter(v.status for v in mine)
        lines.append(options.fill(options.text("summary", "period"), period=period, total=len(mine),
                                  accepted=counts[ACCEPTED], rejected=counts[REJECTED],
                                  accepted_with_warnings=counts[ACCEPTED_WITH_WARNINGS]))
        for v in sorted(mine, key=lambda v: (v.status != REJECTED, v.unit)):
            if v.status == ACCEPTED:
                continue
            unit = catalog.unit_by_code.get(v.unit)
            rules = Counter(i.rule for i in v.issues)
            detail = messages.join(f"{rule}×{n}" for rule, n in sorted(rules.items()))
            lines.append(options.fill(options.text("summary", "unit"), unit=v.unit,
                                      unit_name=unit.name if unit else options.text("unknown_unit_name"),
                                      status=messages.status_word(v.status), errors=len(v.errors),
                                      warnings=len(v.warnings), detail=detail))
    return lines
