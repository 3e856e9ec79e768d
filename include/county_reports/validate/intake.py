"""From collection outcomes to what validation checks: read each archived payload back.

Received and refused outcomes both become :class:`Received` items (a refused one carries its
reason and no payload, so the unit is told and the version is kept in quarantine); missing and
failed outcomes have nothing to check.
"""
from __future__ import annotations

import logging
from datetime import datetime, UTC
from pathlib import Path
from typing import Any

from county_reports.core import archive, messages, paths
from county_reports.collect import protocol
from county_reports.validate.model import Received

ARRIVED = ("received", "refused")
OUTLIER = "OUTLIER"   # the check whose flagged values stay out of the history
log = logging.getLogger(__name__)


def received_from_outcomes(outcomes: list[dict[str, Any]], data_dir: Path) -> list[Received]:
    """Each arrival read back from the archive. One that cannot be read back (its archive file
    unreadable, a surprise in the bytes) becomes a refused arrival with the reason, alone."""
    items = []
    for o in outcomes:
        if o["status"] not in ARRIVED:
            continue
        payload, reason = None, o.get("reason")
        received_at = o.get("received_at") or o.get("recorded_at") or _now()
        if o["status"] == "received":
            try:
                raw = archive.read(data_dir, o["payload_sha256"])
                if o.get("content_type") == protocol.XLSX_MEDIA_TYPE:
                    payload = protocol.loads(raw.decode("utf-8"))
                else:
                    payload = protocol.parse_json_payload(raw, o.get("content_type"))
            except protocol.Unreadable as exc:
                payload, reason = None, exc.reason
            except (OSError, ValueError, TypeError, KeyError) as exc:
                log.exception("reading back %s %s from the archive failed", o["unit"], o["period"])
                payload, reason = None, messages.text("refused", "unexpected", detail=type(exc).__name__)
        items.append(Received(unit=o["unit"], period=o["period"], sha256=o.get("sha256") or "",
                              source=o["source"], received_at=received_at,
                              payload=payload, unreadable_reason=None if payload else reason))
    return items


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def not_received(outcomes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Missing and failed outcomes, as the warehouse records them."""
    return [{k: o[k] for k in ("unit", "period", "status", "reason")}
            for o in outcomes if o["status"] not in ARRIVED]


def history_periods(periods: list[str], months: int | None = None) -> list[str]:
    """The months whose accepted values the outlier checks of ``periods`` look at: the
    configured window (validation.yaml outliers.window) and the same month a year before."""
    from county_reports.core import periods as months_of
    from county_reports.validate.options import load_options

    if months is None:
        months = max(load_options().outliers.window, 12) + 1
    first = months_of.shift(min(periods), -months)
    return months_of.span(first, months_of.previous(max(periods)))


def validate_outcomes(outcomes: list[dict[str, Any]], catalog, data_dir: Path, *, history,
                      docs_dir: Path | None, out_dir: Path, projects=None) -> list[str]:
    """Validate every period's arrivals, oldest first; write one verdict file per period.

    One GX run per period. Each period's outlier checks see the warehouse history passed in
    plus the accepted values of the earlier periods of this same run (a re-collected quarter
    is checked month by month against what came before it). ``projects``
    (``key_projects.ProjectHistory``) likewise gets each month's accepted ledger rows and
    investment before the next month's ledger checks.
    """
    import pandas as pd

    from county_reports.validate import key_projects, model

    projects = projects if projects is not None else key_projects.ProjectHistory()
    arrivals = received_from_outcomes(outcomes, data_dir)
    files = []
    months = sorted({r.period for r in arrivals})
    for period in months:
        verdicts = validate_each([r for r in arrivals if r.period == period], catalog,
                                 history=history, docs_dir=docs_dir, projects=projects)
        projects.add(verdicts, key_projects.investment_indicator())
        path = paths.location(out_dir) / f"{period}.json"
        model.write_verdicts(path, verdicts)
        files.append(str(path))
        if period == months[-1]:
            break   # no later month of this run reads its values (a province month: 450,000 rows)
        accepted = history_rows(verdicts)
        if accepted:
            history = pd.concat([history, pd.DataFrame(accepted)], ignore_index=True)
    return files


def history_rows(verdicts) -> list[dict[str, Any]]:
    """The values of ``verdicts`` that later months' outlier checks may trust: those of accepted
    submissions without an unconfirmed OUTLIER warning (a flagged value counts once the unit confirms it;
    a slip kept in the history would make the same slip a year later look ordinary)."""
    from county_reports.validate import model

    rows = []
    for v in verdicts:
        if v.status == model.REJECTED:
            continue
        flagged = {i.indicator for i in v.issues if i.rule == OUTLIER} - set(v.confirmations)
        rows += [{"unit": v.unit, "period": v.period, "indicator": code, "value": value}
                 for code, value in v.values.items() if code not in flagged]
    return rows


def validate_each(arrivals: list[Received], catalog, *, history, docs_dir: Path | None, projects=None):
    """One period's verdicts. If the batch run raises, each submission is validated alone, and
    one whose validation still raises is rejected with the reason: never the month for the others."""
    from county_reports.validate import run
    from county_reports.validate.options import load_options

    try:
        return run.validate_period(arrivals, catalog, history=history, docs_dir=docs_dir, projects=projects)
    except Exception:   # a surprise in one submission must not cost the others their verdicts
        log.exception("validating %s as a batch failed; validating each submission alone",
                      arrivals[0].period if arrivals else "?")
    options, verdicts = load_options(), []
    for rec in arrivals:
        try:
            [verdict] = run.validate_period([rec], catalog, history=history, docs_dir=None,
                                            projects=projects)
        except Exception as exc:
            log.exception("validating %s %s failed", rec.unit, rec.period)
            verdict = run.failed_verdict(rec, catalog, options, type(exc).__name__)
        verdicts.append(verdict)
    return verdicts
