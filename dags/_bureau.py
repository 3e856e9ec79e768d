"""The bureau's time zone for the DAG files (Airflow glue): read once, from bureau.yaml alone
through the package (cheap at parse time), for the schedules, the start dates and the run's moment."""
from __future__ import annotations

import pendulum

from county_reports.core.catalog import load_bureau

TIMEZONE = load_bureau().timezone


def start_date(year: int, month: int, day: int = 1):
    """A DAG's start date at midnight in the bureau's time zone."""
    return pendulum.datetime(year, month, day, tz=TIMEZONE)


def moment(logical_date, dag_run):
    """The run's moment in the bureau's time zone. A run triggered without a logical date (API,
    CLI, an Asset event) has only ``run_after``."""
    return pendulum.instance(logical_date or dag_run.run_after).in_timezone(TIMEZONE)
