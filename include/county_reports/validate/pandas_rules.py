"""The same checks as the GX suite, written by hand as a vectorised pandas pass.

``validate_period(..., engine="pandas")`` runs it in place of GX. Used to cross-check the GX
run in tests (same verdicts and issues for the same batch) and as the
benchmark baseline. It reads the catalogue and rules.yaml itself — not the generated suite — so
a mistake in suite generation shows up as a difference; the specs only label the results.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from county_reports.core.catalog import Catalog, Rule
from county_reports.collect.protocol import NARRATIVE_KINDS
from county_reports.validate.batch import Batch
from county_reports.validate.narratives import XML_INVALID
from county_reports.validate.suite import CheckResult, Spec

WHOLE_TOLERANCE = 1e-6


def check(batch: Batch, catalog: Catalog, specs: list[Spec]) -> list[CheckResult]:
    limits = batch.narrative_limits
    failing = {**_values(batch.values, catalog), **_submissions(batch.submissions, catalog),
               **_narratives(batch.narratives, catalog, limits.max_length),
               "NARRATIVE_COUNT": (batch.submissions["narrative_count"] > limits.max_items,
                                   len(batch.submissions))}
    results = []
    for spec in specs:
        if spec.check not in failing:
            raise KeyError(f"no pandas check for {spec.check}")
        mask, evaluated = failing[spec.check]
        frame = batch.frames()[spec.frame]
        rows = frame.index[np.asarray(mask, dtype=bool)].tolist() if len(frame) else []
        results.append(CheckResult(spec, int(evaluated), [int(r) for r in rows]))
    return results


def _values(v: pd.DataFrame, catalog: Catalog) -> dict[str, tuple]:
    codes = [i.code for i in catalog.indicators]
    known = v["indicator"].isin(codes)
    value = v["value"]
    has = value.notna()
    low = v["indicator"].map({i.code: i.min for i in catalog.indicators}).astype(float)
    high = v["indicator"].map({i.code: i.max for i in catalog.indicators}).astype(float)
    whole = v["indicator"].isin([i.code for i in catalog.indicators if i.integer])
    n = len(v)
    return {
        "KNOWN_CODE": (~known, n),
        "REQUIRED": (v["raw_value"].isna(), n),
        "NUMERIC": (v["numeric_problem"].notna(), n),
        "NEGATIVE": (has & known & (low >= 0) & (value < 0), has.sum()),
        "BOUNDS": (has & known & ((value < low) | (value > high)), has.sum()),
        "INTEGER": (has & whole & ((value - value.round()).abs() > WHOLE_TOLERANCE), has.sum()),
        "DUPLICATE": (v.duplicated(["unit", "period", "indicator"], keep=False), n),
        "OUTLIER": (v["outlier"].astype(bool), n),
    }


def _submissions(s: pd.DataFrame, catalog: Catalog) -> dict[str, tuple]:
    n = len(s)
    out = {
        "UNIT_KNOWN": (~s["unit"].isin([u.code for u in catalog.units]), n),
        "PAYLOAD_UNIT": (s["payload_unit"].ne(s["unit"]) | s["payload_unit"].isna(), n),
        "PAYLOAD_PERIOD": (s["payload_period"].ne(s["period"]) | s["payload_period"].isna(), n),
    }
    for rule in catalog.rules:
        out[rule.code] = _rule(s, rule) if n else (np.zeros(0, dtype=bool), 0)
    return out


def _rule(s: pd.DataFrame, rule: Rule) -> tuple:
    p = rule.params
    if rule.check == "le":
        left, right = s[p["left"]], s[p["right"]]
        both = left.notna() & right.notna()
        return both & (left > right), both.sum()
    if rule.check == "sum_equals":
        total = s[p["total"]]
        parts = np.zeros(len(s))
        for code in p["parts"]:
            parts = parts + s[code].fillna(0.0).to_numpy(dtype=float)
        usable = total.notna() & ~s[[f"{c}__bad" for c in (p["total"], *p["parts"])]].any(axis=1)
        diff = np.round(np.abs(total.to_numpy(dtype=float) - parts), 9)
        return usable & (diff > p["tolerance"]), usable.sum()
    when, then = s[p["when"]].fillna(0.0), s[p["then"]].fillna(0.0)
    usable = ~s[f"{p['when']}__bad"] & ~s[f"{p['then']}__bad"]
    return usable & (when > 0) & ~(then > 0), usable.sum()


def _narratives(t: pd.DataFrame, catalog: Catalog, max_length: int) -> dict[str, tuple]:
    n = len(t)
    if not n:
        return {c: (np.zeros(0, dtype=bool), 0)
                for c in ("NARRATIVE_KIND", "NARRATIVE_SECTION", "NARRATIVE_LENGTH", "NARRATIVE_TEXT")}
    return {"NARRATIVE_KIND": (~t["kind"].isin(NARRATIVE_KINDS), n),
            "NARRATIVE_SECTION": (~t["section"].isin([s.code for s in catalog.sections]), n),
            "NARRATIVE_LENGTH": (t["text"].str.len() > max_length, n),
            "NARRATIVE_TEXT": (t["text"].str.contains(XML_INVALID, regex=True), n)}
