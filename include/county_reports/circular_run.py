"""A run of ``reporting_circular``, task by task: write the month's circular, then mail it.

The DAG passes the run's moment (in the bureau's time zone) and the SMTP sender; the circular
itself is :mod:`county_reports.circular`.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from county_reports import paths, periods
from county_reports.catalog import load_catalog


def write(params: dict, moment: datetime, data_dir: Path | None = None) -> dict[str, Any]:
    """The circular .docx and its counts for the form's month (empty: the month before
    ``moment``), from the warehouse's completeness query."""
    from county_reports import circular, mail
    from county_reports.warehouse import Warehouse

    catalog = load_catalog()
    period = params.get("period") or periods.previous_month_of(moment, catalog.bureau.timezone)
    with Warehouse() as warehouse:
        warehouse.migrate()
        built = circular.build(warehouse, catalog, period, data_dir or paths.data_dir(), mail.load_settings(),
                               day=moment.date())
    c = built["counts"]
    print(f"{built['docx']}: {c['reported']}/{c['expected']} reported, on time {c['on_time']}, "
          f"late {c['late']}, rejected {c['rejected']}, missing {c['missing']}")
    return paths.keyed(built, ("docx",), data_dir)


def send(built: dict, params: dict, smtp_sender: Callable[[str], Callable],
         data_dir: Path | None = None) -> dict[str, Any]:
    """To every active unit's registered addresses and the admins, once per month; not at all
    with the form's ``send: false``."""
    from county_reports import circular, mail

    if not params.get("send", True):
        print("Not sent (send: false).")
        return {"status": "not_sent"}
    cfg = mail.load_settings()
    result = circular.send(paths.located(built, ("docx",), data_dir), load_catalog(), data_dir or paths.data_dir(),
                           cfg, smtp_sender(cfg.smtp_conn_id))
    print(f"Circular {result['status']}: {len(result['to'])} addresses")
    return result
