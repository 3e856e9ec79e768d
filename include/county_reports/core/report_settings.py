"""reports.yaml: report days and hours, the coverage policy, the approval gate and the delivery deadline.

Read by the report DAGs when they are parsed (their schedule, approval time-out, deadline alert), so this module
imports nothing heavy; :mod:`county_reports.render.summaries` re-exports it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

from county_reports.core.config import ConfigError, read_config_file

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
    file = "reports.yaml"
    data = read_config_file(file, config_dir) or {}
    threshold = data.get("completeness_threshold")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
        raise ConfigError(file, "completeness_threshold", f"{threshold!r} must be a number from 0 to 1")
    policy = data.get("below_threshold")
    if policy not in POLICIES:
        raise ConfigError(file, "below_threshold", f"{policy!r} is not one of {', '.join(POLICIES)}")
    days, run_at = {}, {}
    for kind in KINDS:
        text = str((data.get(kind) or {}).get("report_day", ""))
        try:
            month, day = (int(x) for x in text.split("-"))
            date(2000, month, day)
        except ValueError:
            raise ConfigError(file, f"{kind}.report_day", f"{text!r} must be a day written MM-DD") from None
        days[kind] = (month, day)
        run_at[kind] = _time_of_day(file, f"{kind}.run_at", (data.get(kind) or {}).get("run_at", "08:00"))
    approval = data.get("approval", "required")
    if approval not in APPROVALS:
        raise ConfigError(file, "approval", f"{approval!r} is not one of {', '.join(APPROVALS)}")
    hours = {}
    for key, default in (("approval_timeout_hours", 72), ("late_run_hours", 24), ("delivery_due_days", 10)):
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigError(file, key, f"{value!r} must be a positive number")
        hours[key] = value
    if not isinstance(hours["delivery_due_days"], int):
        raise ConfigError(file, "delivery_due_days", f"{hours['delivery_due_days']!r} must be a whole number of days")
    return ReportSettings(float(threshold), policy, days, approval, float(hours["approval_timeout_hours"]),
                          float(hours["late_run_hours"]), hours["delivery_due_days"], run_at)


def _time_of_day(file: str, key: str, text) -> time:
    try:
        hour, minute = (int(x) for x in str(text).split(":"))
        return time(hour, minute)
    except ValueError:
        raise ConfigError(file, key, f"{text!r} must be a time written HH:MM") from None
