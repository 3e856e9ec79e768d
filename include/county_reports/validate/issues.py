"""From failing rows (whichever engine found them) to :class:`Issue` objects with their messages."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import numpy as np

from county_reports.core import messages
from county_reports.core.catalog import Catalog
from county_reports.validate import feedback
from county_reports.validate.batch import Batch
from county_reports.validate import narratives as narrative_bounds
from county_reports.validate.model import Issue
from county_reports.validate.options import Options
from county_reports.validate.suite import CheckResult


def issues_by_submission(batch: Batch, results: list[CheckResult], catalog: Catalog,
                         options: Options) -> dict[int, list[Issue]]:
    """Issues by submission number (index into ``batch.received``)."""
    out: dict[int, list[Issue]] = defaultdict(list)
    failing = {r.spec.check: r for r in results if r.rows}
    negative = set(failing["NEGATIVE"].rows) if "NEGATIVE" in failing else set()
    subs, narratives = batch.submissions, batch.narratives
    rules = {r.code: r for r in catalog.rules}
    for check, result in failing.items():
        spec = result.spec
        if check in narrative_bounds.CHECKS:
            _narrative_issues(batch, result, catalog, options, out)
        elif spec.frame == "values":
            if check == "DUPLICATE":
                _duplicates(batch, result, catalog, options, out)
                continue
            _value_issues(batch, result, catalog, options, negative, out)
        elif spec.frame == "submissions":
            for row in result.rows:
                sub = int(subs.at[row, "sub"])
                unit, period = subs.at[row, "unit"], subs.at[row, "period"]
                if check in rules:
                    out[sub].append(_rule_issue(batch, sub, rules[check], catalog, options, spec.importance))
                else:
                    value = subs.at[row, "payload_unit" if check == "PAYLOAD_UNIT" else "payload_period"] \
                        if check.startswith("PAYLOAD_") else None
                    out[sub].append(_issue(options, catalog, check, spec.importance, unit, period,
                                           None, value))
        else:
            column = "kind" if check == "NARRATIVE_KIND" else "section"
            for row in result.rows:
                item = narratives.loc[row]
                out[int(item["sub"])].append(_issue(
                    options, catalog, check, spec.importance, item["unit"], item["period"], None,
                    item[column], index=int(item["index"])))
    return out


def _value_issues(batch: Batch, result: CheckResult, catalog: Catalog, options: Options,
                  negative: set, out: dict[int, list[Issue]]) -> None:
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
            uom = catalog.indicator_by_code[row.indicator].uom
            extra = feedback.outlier_extra(options, row.hist_median, row.last_year, uom,
                                           reason=row.outlier_reason, last_month=row.last_month)
        issue = _issue(options, catalog, check, spec.importance, row.unit, row.period,
                       row.indicator, row.raw_value, **extra)
        if check == "OUTLIER" and np.isfinite(row.effect):
            issue = replace(issue, effect=round(float(row.effect), 6))
        if check == "OUTLIER" and np.isfinite(row.hist_median):
            issue = replace(issue, expected=float(row.hist_median))
        out[int(row.sub)].append(issue)


def _narrative_issues(batch: Batch, result: CheckResult, catalog: Catalog, options: Options,
                      out: dict[int, list[Issue]]) -> None:
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
        out[sub].append(_issue(options, catalog, check, result.spec.importance, rec.unit, rec.period,
                               None, extra["start"], max_items=batch.narrative_limits.max_items,
                               max_length=batch.narrative_limits.max_length, **extra))


def _issue(options: Options, catalog: Catalog, check: str, importance: str, unit: str, period: str,
           indicator: str | None, value: str | None, **extra) -> Issue:
    value = None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    message = feedback.compose(options, catalog, check, importance, unit, period, indicator, value,
                               **extra)
    return Issue(unit, period, indicator, value, check, importance, message)


def _rule_issue(batch: Batch, sub: int, rule, catalog: Catalog, options: Options,
                importance: str) -> Issue:
    a, b = batch.offsets[sub], batch.offsets[sub + 1]
    rows = batch.values.iloc[a:b]
    rows = rows[rows["sent"] & rows["indicator"].isin(rule.indicators)]
    numbers = {c: float(v) for c, v in zip(rows["indicator"], rows["value"], strict=False) if not np.isnan(v)}
    raws = dict(zip(rows["indicator"], rows["raw_value"], strict=False))
    main = rule.indicators[0]
    texts = feedback.rule_texts(options, catalog, rule, numbers)
    rec = batch.received[sub]
    message = feedback.compose(options, catalog, "RULE", importance, rec.unit, rec.period, main,
                               raws.get(main), rule=rule.code, **texts)
    return Issue(rec.unit, rec.period, main, raws.get(main), rule.code, importance, message)


def _duplicates(batch: Batch, result: CheckResult, catalog: Catalog, options: Options,
                out: dict[int, list[Issue]]) -> None:
    """One issue per duplicated submission (not one per value), naming a few repeated codes."""
    rows = batch.values.loc[result.rows, ["sub", "unit", "period", "indicator", "sent"]]
    copies = batch.submissions.groupby(["unit", "period"])["sub"].count()
    for sub, group in rows.groupby("sub"):
        first = group.iloc[0]
        codes = [c for c, s in zip(group["indicator"], group["sent"], strict=False) if s] or list(group["indicator"])
        shown = messages.join(codes[:5])
        count = int(copies.get((first["unit"], first["period"]), 1))
        out[int(sub)].append(_issue(options, catalog, "DUPLICATE", result.spec.importance, first["unit"],
                                    first["period"], None, None, count=count, codes=shown))
