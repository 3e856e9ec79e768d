"""A run of ``unit_reminders``: the day's reminders to units and the admins' list of units overdue.

Reads who has reported from the warehouse and hands it to :mod:`county_reports.deliver.reminders`; the
DAG passes the run's moment (in the bureau's time zone), the SMTP sender and the token lookup.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from county_reports.core import paths
from county_reports.core.catalog import load_catalog

# The task log (Airflow captures it); the CLI and the demo print their own output.
log = logging.getLogger(__name__)


def remind(params: dict, moment: datetime, *, smtp_sender: Callable[[str], Callable],
           token: Callable[[str], str | None], data_dir: Path | None = None) -> dict[str, Any]:
    """Reminders before each unit's deadline; after it, the admins' list. Acts as on the form's
    ``day`` (YYYY-MM-DD), or on ``moment``'s day."""
    from county_reports.core import mail
    from county_reports.deliver import reminders
    from county_reports.warehouse import Warehouse

    catalog, cfg = load_catalog(), mail.load_settings()
    day = date.fromisoformat(params["day"]) if params.get("day") else moment.date()
    period = reminders.period_due_in(day)
    with Warehouse() as warehouse:
        warehouse.migrate()
        done = warehouse.completeness(catalog, [period])
    context = reminders.ReminderContext(catalog, data_dir or paths.data_dir(), cfg,
                                        send=smtp_sender(cfg.smtp_conn_id), token_lookup=token)
    result = reminders.run(day, done, context)
    log.info(f"{day} ({period}): reminded {', '.join(result['reminded']) or '—'}; "
             f"admins told about {', '.join(result['escalated']) or '—'}"
             + (f"; reminders NOT delivered (tried tomorrow): {', '.join(result['failed'])}"
                if result["failed"] else ""))
    return result
