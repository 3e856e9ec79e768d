"""
### 报送提醒与督办 · Reminders and escalation

Every morning, for the month whose reports are due this month:

- **reminders** — `days_before` days (`include/config/mail.yaml`) before a unit's deadline and up
  to the deadline, every unit with nothing accepted in the warehouse gets one reminder through
  its channel: an e-mail to its registered addresses (`units.yaml` `emails`, channel `email`) or
  `POST {base_url}/reminders/{period}` (channel `http`). Once per unit and month;
- **escalation** — after a unit's deadline, if it still has nothing accepted, the admins
  (`admins.yaml`) get one e-mail listing every such unit with its contacts, to phone them.

What was sent is in `{data}/reminders/{period}.jsonl`. Trigger by hand with `day` (YYYY-MM-DD)
to act as on that day. Units that reported over HTTP are known once `collect_monthly` has run
(the 5th); earlier reminders go to every unit with nothing stored yet.
"""
from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pendulum

# The shared Airflow glue (_alerts, _mail) sits beside this file; a DagBag that is not a bundle
# (tests, `airflow dags list`) does not put this folder on sys.path by itself.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
from _alerts import SETTINGS as ADMINS  # noqa: E402
from _alerts import deadline_alert, failure_notifier  # noqa: E402
from airflow.sdk import Param, dag, task  # noqa: E402

from county_reports import admins  # noqa: E402


@dag(
    dag_id="unit_reminders",
    schedule="0 9 * * *",
    start_date=pendulum.datetime(2024, 2, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=6),
    # 09:00 daily: reminders out by noon, or the admins are told.
    deadline=deadline_alert(timedelta(hours=3), "unit_reminders"),
    dag_display_name=ADMINS.dags.display_name["unit_reminders"],
    tags=["collection", "daily"],
    doc_md=__doc__,
    default_args={"owner": ADMINS.dags.owner, "retries": 2, "retry_delay": timedelta(minutes=5),
                  "on_failure_callback": failure_notifier()},
    params={"day": Param(None, type=["null", "string"], pattern=r"^\d{4}-\d{2}-\d{2}$",
                         **ADMINS.dags.field("unit_reminders", "day"))},
)
def unit_reminders():
    @task(execution_timeout=admins.mail_timeout())
    def remind(params=None, logical_date=None, dag_run=None) -> dict:
        """Reminders before each unit's deadline; the admins' list of units overdue."""
        from _connections import token
        from _mail import smtp_sender

        from county_reports import reminder_run
        from county_reports.catalog import load_catalog

        moment = pendulum.instance(logical_date or dag_run.run_after).in_timezone(load_catalog().bureau.timezone)
        return reminder_run.remind(params, moment, smtp_sender=smtp_sender, token=token)

    remind()


unit_reminders()
