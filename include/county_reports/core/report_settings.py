"""reports.yaml: report days and hours, the coverage policy, the approval gate and the delivery deadline.

Read by the report DAGs when they are parsed (their schedule, approval time-out, deadline alert), so this module
imports nothing heavy; :mod:`county_reports.render.summaries` re-exports it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from pathlib import Path

from county_reports.core.config import read_config_file
from county_reports.core.config_models.base import validate

HALF_YEAR, ANNUAL = "half_year", "annual"
KINDS = (HALF_YEAR, ANNUAL)
# The report DAGs, one per kind (dags/summary_reports.py builds them; a late correction names them).
DAG_IDS = {HALF_YEAR: "half_year_report", ANNUAL: "annual_report"}
POLICIES = ("refuse", "state_gap")
APPROVALS = ("required", "none")


@dataclass(frozen=True)
class ReportSettings:
    threshold: float
    below_threshold: str
    report_days: dict[str, tuple[int, int]]
    approval: str = "required"             # required | none (see reports.yaml)
    approval_timeout_hours: float = 72.0
    late_run_hours: float = 24.0
    delivery_due_days: int = 10
    run_at: dict[str, time] | None = None  # when each report's DAG runs on its report day (default 08:00)

    def cron(self, kind: str) -> str:
        """The report DAG's schedule: ``run_at`` on the report day, every year."""
        month, day = self.report_days[kind]
        at = (self.run_at or {}).get(kind, time(8, 0))
        return f"{at.minute} {at.hour} {day} {month} *"


def load_settings(config_dir: Path | None = None) -> ReportSettings:
    from county_reports.core.config_models.settings import ReportsFile, time_of_day

    data = read_config_file("reports.yaml", config_dir) or {}
    r = validate(ReportsFile, data, "reports.yaml")
    days = {kind: getattr(r, kind).month_day for kind in KINDS}
    run_at = {kind: time_of_day(getattr(r, kind).run_at) for kind in KINDS}
    return ReportSettings(float(r.completeness_threshold), r.below_threshold, days, r.approval,
                          float(r.approval_timeout_hours), float(r.late_run_hours), r.delivery_due_days, run_at)
