"""Validate a period's submissions: one Great Expectations run per DataFrame of the batch.

``validate_period`` is what the DAG calls (inside a task: it imports great_expectations, ~5 s,
only when called). One :class:`Verdict` comes back per :class:`Received`, in the same order:
unreadable ones are rejected with an UNREADABLE issue carrying the collection's reason; the
others get the issues the suite found. The verdicts are built with findings (codes and data) and
worded for the units in one pass at the end (``feedback.word``).
"""
from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from county_reports.core import paths
from county_reports.core.catalog import Catalog
from county_reports.validate import batch as batch_mod
from county_reports.validate import confirmations, feedback, issues as issues_mod
from county_reports.validate.key_projects import Checker, ProjectHistory
from county_reports.validate.model import (
    ACCEPTED, ACCEPTED_WITH_WARNINGS, ERROR, REJECTED, WARNING, Finding, Received, Verdict)
from county_reports.validate.normalize import as_text
from county_reports.validate.options import Options, load_options
from county_reports.validate.suite import CheckResult, build_specs

ENGINES = ("gx", "pandas")
log = logging.getLogger(__name__)


def validate_period(received: list[Received], catalog: Catalog, *,
                    history: pd.DataFrame | None = None, docs_dir: Path | None = None,
                    options: Options | None = None, engine: str = "gx",
                    projects: ProjectHistory | None = None) -> list[Verdict]:
    """One verdict per submission. ``history`` (unit, period, indicator, value) feeds the outlier
    warnings, ``projects`` the ledger checks (the rows of the month before, the year's investment);
    ``docs_dir`` gets a readable HTML report per period (``{period}.html``)."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}")
    options = options or load_options()
    specs = build_specs(catalog, options)
    checker = Checker(catalog, projects)
    verdicts: dict[int, Verdict] = {}
    by_period: dict[str, list[int]] = {}
    for n, rec in enumerate(received):
        by_period.setdefault(rec.period, []).append(n)
    for period, positions in by_period.items():
        recs = [received[n] for n in positions]
        started = time.perf_counter()
        batch = batch_mod.build_batch(recs, catalog, options, period, history)
        results = _check(batch, catalog, specs, engine, period)
        found = issues_mod.issues_by_submission(batch, results, catalog)
        period_verdicts = feedback.word(_verdicts(recs, batch, found, catalog, options, checker), catalog, options)
        verdicts.update(zip(positions, period_verdicts, strict=False))
        log.info("validated %s: %d submissions, %d rows, %.2f s (%s)", period, len(recs),
                 len(batch.values), time.perf_counter() - started, engine)
        if docs_dir is not None:
            from county_reports.validate import report

            report.write(paths.location(docs_dir) / f"{period}.html", period, results, period_verdicts,
                         catalog, engine=engine)
    return [verdicts[n] for n in range(len(received))]


def _check(batch: batch_mod.Batch, catalog: Catalog, specs, engine: str,
           period: str) -> list[CheckResult]:
    if engine == "pandas":
        from county_reports.validate import pandas_rules

        return pandas_rules.check(batch, catalog, specs)
    from county_reports.validate import gx_engine   # imports great_expectations (~5 s, once)

    return gx_engine.check(batch.frames(), specs, name=period)


def _verdicts(recs: list[Received], batch: batch_mod.Batch, found: dict[int, list[Finding]],
              catalog: Catalog, options: Options, checker: Checker) -> list[Verdict]:
    """One verdict per submission, its issues unworded (findings, and the ledger's issues)."""
    v = batch.values
    codes = v["indicator"].to_numpy(dtype=object)
    raws = v["raw_value"].to_numpy(dtype=object)
    numbers = v["value"].to_numpy(dtype=float)
    sent = v["sent"].to_numpy(dtype=bool)
    keep = sent & v["known"].to_numpy(dtype=bool) & ~np.isnan(numbers)
    order = issues_mod.sort_key(catalog)
    out, s = [], -1
    for rec in recs:
        if rec.payload is None:
            out.append(unreadable(rec))
            continue
        s += 1                          # batch.received holds the readable ones, in this order
        a, b = int(batch.offsets[s]), int(batch.offsets[s + 1])
        raw_values = {c: r for c, r, f in zip(codes[a:b], raws[a:b], sent[a:b], strict=False) if f}
        values = {c: float(x) for c, x, f in zip(codes[a:b], numbers[a:b], keep[a:b], strict=False) if f}
        confirmed, bad = confirmations.read(rec.payload, raw_values, rec.unit, rec.period, options)
        ledger = checker.check(rec.payload, rec.unit, rec.period, values)
        found_here = confirmations.answer(tuple(sorted(found.get(s, ()), key=order)), confirmed) + bad \
            + submitted_at_issue(rec) + ledger.issues
        out.append(replace(_verdict(rec, status(found_here), values, raw_values, found_here),
                           confirmations=confirmed, projects=ledger.projects, events=ledger.events))
    return out


def readable_time(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.strip())
    except ValueError:
        return False
    return True


def submitted_at_issue(rec: Received) -> tuple[Finding, ...]:
    """A warning when ``submitted_at`` is there but cannot be read: timeliness then uses the
    receipt time, and the unit is told so."""
    sent = (rec.payload or {}).get("submitted_at")
    if sent is None or readable_time(sent):
        return ()
    value = as_text(sent)
    return (Finding(rec.unit, rec.period, None, value, "SUBMITTED_AT", WARNING, "SUBMITTED_AT",
                    {"received_at": rec.received_at}),)


def failed_verdict(rec: Received, catalog: Catalog, options: Options, detail: str) -> Verdict:
    """A submission whose validation raised: rejected with the reason, alone (worded)."""
    issue = Finding(rec.unit, rec.period, None, None, "VALIDATION_ERROR", ERROR, "VALIDATION_ERROR",
                    {"detail": detail})
    return feedback.word([_verdict(rec, REJECTED, {}, {}, (issue,))], catalog, options)[0]


def status(found: tuple) -> str:
    if any(i.importance == ERROR for i in found):
        return REJECTED
    return ACCEPTED_WITH_WARNINGS if any(i.importance == WARNING for i in found) else ACCEPTED


def unreadable(rec: Received) -> Verdict:
    """Rejected with the collection's reason (unworded, as every verdict being built)."""
    issue = Finding(rec.unit, rec.period, None, None, "UNREADABLE", ERROR, "UNREADABLE",
                    {"reason": rec.unreadable_reason})
    return _verdict(rec, REJECTED, {}, {}, (issue,))


def _verdict(rec: Received, state: str, values: dict[str, float], raw_values: dict[str, str],
             found: tuple) -> Verdict:
    payload = rec.payload or {}
    submitted = payload.get("submitted_at")
    return Verdict(rec.unit, rec.period, rec.sha256, rec.source, rec.received_at,
                   submitted if readable_time(submitted) else None, state, values, raw_values,
                   _narratives(payload), _contact(payload), found)


def _narratives(payload: dict[str, Any]) -> tuple[dict[str, str], ...]:
    items = payload.get("narratives")
    out = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            out.append({k: _plain(item.get(k)) for k in ("kind", "section", "text")})
    return tuple(out)


def _contact(payload: dict[str, Any]) -> dict[str, str]:
    contact = payload.get("contact")
    if not isinstance(contact, dict):
        return {}
    return {str(k): _plain(v) for k, v in contact.items() if v is not None}


def _plain(value: Any) -> str:
    return "" if value is None else (value.strip() if isinstance(value, str) else as_text(value))
