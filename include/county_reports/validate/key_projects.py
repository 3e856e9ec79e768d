"""The key-projects ledger and the events of a month's submissions, checked with its figures.

A submission's ``projects`` and ``events`` (optional keys of protocol 1) go through
``projects.ledger.check_rows`` (against the unit's rows of the month before),
``projects.ledger.check_investment`` (against the unit's 交通建设完成投资 from January to this month)
and ``projects.events.check_events``; the issues join the submission's own, so an error rejects it
like any rule, and the rows read travel in the verdict to the warehouse (``Verdict.projects`` /
``Verdict.events``, as plain JSON-able dicts).

What the checks compare with, :class:`ProjectHistory`, reaches validation the way the outlier
history does: the DAG's validate task reads it from the warehouse
(``warehouse.projects.validation_history``) and passes it in — this stage never imports the
warehouse — and a run over several months adds each month's accepted rows before the next.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from county_reports.core import periods
from county_reports.core.catalog import Catalog
from county_reports.validate.projects.events import Event, check_events
from county_reports.validate.projects.ledger import LedgerRow, check_investment, check_rows
from county_reports.validate.model import REJECTED, Issue

KEYS = ("projects", "events")


@dataclass
class ProjectHistory:
    """By (unit, period): the current accepted ledger rows (by project code) and the accepted
    value of the investment indicator."""
    rows: dict[tuple[str, str], dict[str, LedgerRow]] = field(default_factory=dict)
    invested: dict[tuple[str, str], float] = field(default_factory=dict)

    def add(self, verdicts, indicator: str | None) -> None:
        """Accepted verdicts of a month, for the months after it in the same run."""
        for v in verdicts:
            if v.status == REJECTED:
                continue
            self.rows[(v.unit, v.period)] = {r["code"]: row_from_dict(r) for r in v.projects}
            if indicator is not None and indicator in v.values:
                self.invested[(v.unit, v.period)] = v.values[indicator]

    def year_before(self, unit: str, period: str) -> float | None:
        """The unit's investment from January to the month before ``period``; None when a month
        of it is not known (not collected, or rejected): the year's figure is then not compared."""
        year, month = periods.parse(period)
        months = [self.invested.get((unit, periods.make(year, m))) for m in range(1, month)]
        return None if None in months else sum(months)


@dataclass(frozen=True)
class Checked:
    issues: tuple[Issue, ...] = ()
    projects: tuple[dict, ...] = ()
    events: tuple[dict, ...] = ()


class Checker:
    """Checks a period's submissions; the register and ledger.yaml are read once, when a
    submission first carries a ledger or events."""

    def __init__(self, catalog: Catalog, history: ProjectHistory | None = None):
        self.catalog, self.history = catalog, history or ProjectHistory()
        self._config = None

    def config(self):
        if self._config is None:
            from county_reports.core.projects.register import load_register
            from county_reports.core.projects.vocabulary import load_vocabulary

            vocabulary = load_vocabulary()
            self._config = load_register(self.catalog, vocabulary=vocabulary), vocabulary
        return self._config

    def check(self, payload: dict[str, Any], unit: str, period: str, values: dict[str, float]) -> Checked:
        """The issues of the submission's ledger and events and the rows read (``values``: its
        normalised figures, for the investment rule). Nothing to check: nothing found."""
        if not any(payload.get(k) is not None for k in KEYS):
            return Checked()
        register, vocabulary = self.config()
        unit_obj = self.catalog.unit_by_code.get(unit)
        name = unit_obj.name if unit_obj else unit
        previous = self.history.rows.get((unit, periods.shift(period, -1)))
        rows, issues = check_rows(payload, unit=unit, unit_name=name, period=period, register=register,
                                  vocabulary=vocabulary, previous=previous)
        indicator = vocabulary.investment_indicator
        month = values.get(indicator)
        if rows and month is not None:        # a missing figure is REQUIRED's to name, not ours
            ind = self.catalog.indicator_by_code.get(indicator)
            before = self.history.year_before(unit, period)
            issues += check_investment(rows, unit=unit, unit_name=name, period=period, reported_month=month,
                                       reported_year=math.inf if before is None else before + month,
                                       vocabulary=vocabulary, indicator_name=ind.name if ind else indicator)
        events, event_issues = check_events(payload, unit=unit, unit_name=name, period=period,
                                            vocabulary=vocabulary)
        return Checked(tuple(issues + event_issues), tuple(row_to_dict(r) for r in rows),
                       tuple(event_to_dict(e) for e in events))


def investment_indicator() -> str | None:
    """ledger.yaml's investment indicator; None for a county without ledger.yaml (no ledger)."""
    from county_reports.core.config import config_path
    from county_reports.core.projects.vocabulary import FILE, load_vocabulary

    return load_vocabulary().investment_indicator if config_path(FILE).is_file() else None


# ------------------------------------------------------------------ as JSON (verdict files)


def row_to_dict(row: LedgerRow) -> dict[str, Any]:
    out = asdict(row)
    out["milestones"] = [[name, day.isoformat()] for name, day in row.milestones]
    return out


def row_from_dict(data: dict[str, Any]) -> LedgerRow:
    milestones = tuple((name, date.fromisoformat(day)) for name, day in data.get("milestones") or ())
    return LedgerRow(**{**data, "milestones": milestones})


def event_to_dict(event: Event) -> dict[str, Any]:
    out = asdict(event)
    out["date"] = event.date.isoformat() if event.date else None
    out["end"] = event.end.isoformat() if event.end else None
    out["of_which"] = [list(p) for p in event.of_which]
    return out


def event_from_dict(data: dict[str, Any]) -> Event:
    return Event(**{**data, "date": date.fromisoformat(data["date"]) if data.get("date") else None,
                    "end": date.fromisoformat(data["end"]) if data.get("end") else None,
                    "of_which": tuple(tuple(p) for p in data.get("of_which") or ())})
