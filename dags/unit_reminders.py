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

from datetime import timedelta

from _alerts import SETTINGS as ADMINS
from _alerts import deadline_alert, failure_notifier
from _bureau import TIMEZONE, start_date
from airflow.sdk import CronTriggerTimetable, Param, dag, task

from county_reports.core import admins

NAME = ADMINS.dags.tasks["unit_reminders"]     # the tasks' Chinese names in the grid (admins.yaml)


@dag(
    dag_id="unit_reminders",
    schedule=CronTriggerTimetable("0 9 * * *", timezone=TIMEZONE),
    start_date=start_date(2024, 2, 1),
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
    @task(task_display_name=NAME["remind"], multiple_outputs=False, execution_timeout=admins.mail_timeout())
    def remind(params=None, logical_date=None, dag_run=None) -> dict:
        """Reminders before each unit's deadline; the admins' list of units overdue."""
        from _bureau import moment
        from _connections import token
        from _mail import smtp_sender

        from county_reports.runs import unit_reminders as steps

        return steps.remind(params, moment(logical_date, dag_run), smtp_sender=smtp_sender, token=token)

    remind()


unit_reminders()
