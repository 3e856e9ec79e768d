"""From failing rows (whichever engine found them) to :class:`Finding` objects: codes and the data
their words need (``feedback.word`` words them once the verdicts are built); and the order a
submission's issues are told in (:func:`sort_key`)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import numpy as np

from county_reports.core import messages
from county_reports.core.catalog import Catalog
from county_reports.validate.batch import Batch
from county_reports.validate import narratives as narrative_bounds
from county_reports.validate.model import ERROR, Finding
from county_reports.validate.options import BUILTIN_CHECKS
from county_reports.validate.suite import CheckResult


def issues_by_submission(batch: Batch, results: list[CheckResult], catalog: Catalog) -> dict[int, list[Finding]]:
    """Findings by submission number (index into ``batch.received``)."""
    out: dict[int, list[Finding]] = defaultdict(list)
    failing = {r.spec.check: r for r in results if r.rows}
    negative = set(failing["NEGATIVE"].rows) if "NEGATIVE" in failing else set()
    subs, narratives = batch.submissions, batch.narratives
    rules = {r.code: r for r in catalog.rules}
    for check, result in failing.items():
        spec = result.spec
        if check in narrative_bounds.CHECKS:
            _narrative_issues(batch, result, out)
        elif spec.frame == "values":
            if check == "DUPLICATE":
                _duplicates(batch, result, out)
                continue
            _value_issues(batch, result, catalog, negative, out)
        elif spec.frame == "submissions":
            for row in result.rows:
                sub = int(subs.at[row, "sub"])
                unit, period = subs.at[row, "unit"], subs.at[row, "period"]
                if check in rules:
                    out[sub].append(_rule_issue(batch, sub, rules[check], spec.importance))
                else:
                    value = subs.at[row, "payload_unit" if check == "PAYLOAD_UNIT" else "payload_period"] \
                        if check.startswith("PAYLOAD_") else None
                    out[sub].append(_issue(check, spec.importance, unit, period, None, value))
        else:
            column = "kind" if check == "NARRATIVE_KIND" else "section"
            for row in result.rows:
                item = narratives.loc[row]
                out[int(item["sub"])].append(_issue(
                    check, spec.importance, item["unit"], item["period"], None, item[column],
                    index=int(item["index"])))
    return out


def _value_issues(batch: Batch, result: CheckResult, catalog: Catalog, negative: set,
                  out: dict[int, list[Finding]]) -> None:
    """One issue per failing value row (a BOUNDS row that is also NEGATIVE is told once)."""
    check, spec = result.spec.check, result.spec
    rows = [r for r in result.rows if not (check == "BOUNDS" and r in negative)]
    cols = batch.values.loc[rows, ["sub", "unit", "period", "indicator", "raw_value", "numeric_problem",
                                   "hist_median", "last_year", "last_month", "outlier_reason", "effect"]]
    for row in cols.itertuples(index=False):
        extra = {}
        if check == "NUMERIC":
            extra["problem"] = row.numeric_problem
        elif check == "OUTLIER":
            extra = {"median": row.hist_median, "last_year": row.last_year, "reason": row.outlier_reason,
                     "uom": catalog.indicator_by_code[row.indicator].uom, "last_month": row.last_month}
        issue = _issue(check, spec.importance, row.unit, row.period, row.indicator, row.raw_value, **extra)
        if check == "OUTLIER" and np.isfinite(row.effect):
            issue = replace(issue, effect=round(float(row.effect), 6))
        if check == "OUTLIER" and np.isfinite(row.hist_median):
            issue = replace(issue, expected=float(row.hist_median))
        out[int(row.sub)].append(issue)


def _narrative_issues(batch: Batch, result: CheckResult, out: dict[int, list[Finding]]) -> None:
    """NARRATIVE_COUNT names the first item over the limit; LENGTH and TEXT the item itself."""
    from county_reports.collect.template_wording import load_layout

    labels = load_layout().narrative_kinds
    check = result.spec.check
    for row in result.rows:
        if check == "NARRATIVE_COUNT":
            sub = int(batch.submissions.at[row, "sub"])
            items = batch.received[sub].payload["narratives"]
            index = batch.narrative_limits.max_items + 1
            extra = {**narrative_bounds.item_fields(items[index - 1], index, labels), "count": len(items)}
        else:
            item = batch.narratives.loc[row]
            sub, index = int(item["sub"]), int(item["index"])
            extra = narrative_bounds.item_fields(batch.received[sub].payload["narratives"][index - 1],
                                                 index, labels)
        rec = batch.received[sub]
        out[sub].append(_issue(check, result.spec.importance, rec.unit, rec.period, None, extra["start"],
                               max_items=batch.narrative_limits.max_items,
                               max_length=batch.narrative_limits.max_length, **extra))


def _issue(check: str, importance: str, unit: str, period: str, indicator: str | None, value: str | None,
           **data) -> Finding:
    value = None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    return Finding(unit, period, indicator, value, check, importance, check, data)


def _rule_issue(batch: Batch, sub: int, rule, importance: str) -> Finding:
    """A rules.yaml rule, told with the rule's own message filled with the submission's numbers."""
    a, b = batch.offsets[sub], batch.offsets[sub + 1]
    rows = batch.values.iloc[a:b]
    rows = rows[rows["sent"] & rows["indicator"].isin(rule.indicators)]
    numbers = {c: float(v) for c, v in zip(rows["indicator"], rows["value"], strict=False) if not np.isnan(v)}
    raws = dict(zip(rows["indicator"], rows["raw_value"], strict=False))
    main = rule.indicators[0]
    rec = batch.received[sub]
    return Finding(rec.unit, rec.period, main, raws.get(main), rule.code, importance, "RULE", {"numbers": numbers})


def _duplicates(batch: Batch, result: CheckResult, out: dict[int, list[Finding]]) -> None:
    """One issue per duplicated submission (not one per value), naming a few repeated codes."""
    rows = batch.values.loc[result.rows, ["sub", "unit", "period", "indicator", "sent"]]
    copies = batch.submissions.groupby(["unit", "period"])["sub"].count()
    for sub, group in rows.groupby("sub"):
        first = group.iloc[0]
        codes = [c for c, s in zip(group["indicator"], group["sent"], strict=False) if s] or list(group["indicator"])
        shown = messages.join(codes[:5])
        count = int(copies.get((first["unit"], first["period"]), 1))
        out[int(sub)].append(_issue("DUPLICATE", result.spec.importance, first["unit"], first["period"], None, None,
                                    count=count, codes=shown))


def sort_key(catalog: Catalog):
    """Errors first, whole-submission issues before indicators, indicators in catalogue order;
    warnings with an effect on the county total before the others, the largest first (issue 20).
    For findings and worded issues alike."""
    position = {i.code: n for n, i in enumerate(catalog.indicators)}
    checks = {c: n for n, c in enumerate(("UNREADABLE",) + BUILTIN_CHECKS)}
    rules = {r.code: len(checks) + n for n, r in enumerate(catalog.rules)}

    def key(issue) -> tuple:
        where = -1 if issue.indicator is None else position.get(issue.indicator, len(position))
        rank = -issue.effect if issue.importance != ERROR and issue.effect is not None else 0.0
        return (issue.importance != ERROR, rank, where, checks.get(issue.rule, rules.get(issue.rule, 999)))

    return key
