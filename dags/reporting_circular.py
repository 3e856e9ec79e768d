"""
### 月度报表报送情况通报 · Monthly reporting circular

At 10:00 on the **8th** (Asia/Shanghai), after `collect_monthly`'s catch-up run, writes the
circular for the month before: the reporting rate, the units that reported on time, late,
were rejected or did not report, and the units late or missing repeatedly in the last months
(`circular:` in `include/config/mail.yaml` and `wording.yaml`). A Word document in the official
layout, in `{data}/circulars/{period}/`, with its counts beside it as JSON.

It is **internal**: it goes by e-mail to every active unit's registered addresses (`units.yaml`
`emails`) and the admins — never to the county office — once per month.

**Run it by hand:** Trigger ▸ `period` (`YYYY-MM`; empty = last month); `send: false` to write it
without mailing it.
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
    dag_id="reporting_circular",
    schedule="0 10 8 * *",
    start_date=pendulum.datetime(2024, 2, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=6),
    # 10:00 on the 8th: written and sent by the end of that day, or the admins are told.
    deadline=deadline_alert(timedelta(hours=14), "reporting_circular"),
    dag_display_name=ADMINS.dags.display_name["reporting_circular"],
    tags=["reports", "monthly"],
    doc_md=__doc__,
    default_args={"owner": ADMINS.dags.owner, "retries": 2, "retry_delay": timedelta(minutes=5),
                  "on_failure_callback": failure_notifier()},
    params={
        "period": Param(None, type=["null", "string"], pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                        **ADMINS.dags.field("reporting_circular", "period")),
        "send": Param(True, type="boolean", **ADMINS.dags.field("reporting_circular", "send")),
    },
)
def reporting_circular():
    # Each task is one call into county_reports.circular_run.
    @task
    def write(params=None, logical_date=None, dag_run=None) -> dict:
        """The circular .docx and its counts, from the warehouse's completeness query."""
        from county_reports import circular_run
        from county_reports.catalog import load_catalog

        moment = pendulum.instance(logical_date or dag_run.run_after).in_timezone(load_catalog().bureau.timezone)
        return circular_run.write(params, moment)

    @task(execution_timeout=admins.mail_timeout())
    def send(built: dict, params=None) -> dict:
        """To every active unit's registered addresses and the admins, once per month."""
        from _mail import smtp_sender

        from county_reports import circular_run

        return circular_run.send(built, params, smtp_sender)

    send(write())


reporting_circular()
