"""A run of ``reporting_circular``, task by task: write the month's circular, then mail it.

The DAG passes the run's moment (in the bureau's time zone) and the SMTP sender; the circular
itself is :mod:`county_reports.render.circular`.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from county_reports.core import paths, periods
from county_reports.core.catalog import Catalog, load_catalog

# The task log (Airflow captures it); the CLI and the demo print their own output.
log = logging.getLogger(__name__)


def write(params: dict, moment: datetime, data_dir: Path | None = None, *,
          named: Sequence[str] = ()) -> dict[str, Any] | None:
    """The circular .docx and its counts, from the warehouse's completeness query, for the form's
    month; else for the newest month ``named`` by the Asset events (see :func:`month_due`; None:
    none is due); else for the month before ``moment``."""
    from county_reports.render import circular
    from county_reports.core import mail
    from county_reports.warehouse import Warehouse

    catalog = load_catalog()
    period = params.get("period") or (month_due(named, moment.date(), catalog, data_dir) if named
                                      else periods.previous_month_of(moment, catalog.bureau.timezone))
    if period is None:
        return None
    with Warehouse() as warehouse:
        warehouse.migrate()
        built = circular.build(warehouse, catalog, period, data_dir or paths.data_dir(), mail.load_settings(),
                               day=moment.date())
    c = built["counts"]
    log.info(f"{built['docx']}: {c['reported']}/{c['expected']} reported, on time {c['on_time']}, "
             f"late {c['late']}, rejected {c['rejected']}, missing {c['missing']}")
    return paths.keyed(built, ("docx",), data_dir)


def month_due(named: Sequence[str], today: date, catalog: Catalog, data_dir: Path | None = None) -> str | None:
    """The month a run started by new figures writes: the newest month the events name, once every
    unit's deadline for it has passed (the 5th's collection names a month still open: no circular
    yet) and only while its circular has not been sent (what was sent stays what is on disk)."""
    from county_reports.render import circular

    period = max(named)
    last_deadline = max((u.due_date(period) for u in catalog.units_active_in(period)), default=today)
    if today <= last_deadline:
        log.info(f"No circular yet: the reports for {period} are due up to {last_deadline}.")
        return None
    if (circular.folder(data_dir or paths.data_dir(), period) / circular.SENT).is_file():
        log.info(f"The circular for {period} was sent before: not written again (trigger with period to rewrite).")
        return None
    return period


def send(built: dict, params: dict, smtp_sender: Callable[[str], Callable],
         data_dir: Path | None = None) -> dict[str, Any]:
    """To every active unit's registered addresses and the admins, once per month; not at all
    with the form's ``send: false``."""
    from county_reports.render import circular
    from county_reports.core import mail

    if not params.get("send", True):
        log.info("Not sent (send: false).")
        return {"status": "not_sent"}
    cfg = mail.load_settings()
    result = circular.send(paths.located(built, ("docx",), data_dir), load_catalog(), data_dir or paths.data_dir(),
                           cfg, smtp_sender(cfg.smtp_conn_id))
    log.info(f"Circular {result['status']}: {len(result['to'])} addresses")
    return result
