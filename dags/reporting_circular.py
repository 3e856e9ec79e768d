"""
### 月度报表报送情况通报 · Monthly reporting circular

Writes the circular for a month: the reporting rate, the units that reported on time, late,
were rejected or did not report, and the units late or missing repeatedly in the last months
(`circular:` in `include/config/mail.yaml` and `wording.yaml`). A Word document in the official
layout, in `{data}/circulars/{period}/`, with its counts beside it as JSON.

It is **internal**: it goes by e-mail to every active unit's registered addresses (`units.yaml`
`emails`) and the admins — never to the county office — once per month.

**Schedule:** on the Asset, never by the clock: it starts when `collect_monthly` stores new
accepted figures (`announce`), so it never races a collection still running. Such a run writes
the circular for the **newest month the event names, once every unit's deadline for that month
has passed** (`deadline_day` in `units.yaml`): the run on the 5th names a month still open and
writes nothing; the catch-up run on the 8th writes and sends it. A month whose circular was sent
already is not written again (what the units got stays what is on disk). When the 8th's run
stores nothing new, no event comes: trigger by hand.

**Run it by hand:** Trigger ▸ `period` (`YYYY-MM`; empty = last month); `send: false` to write it
without mailing it.
"""
from __future__ import annotations

from datetime import timedelta

from _alerts import SETTINGS as ADMINS
from _alerts import deadline_alert, failure_notifier
from _assets import ACCEPTED_DATA
from _bureau import start_date
from airflow.sdk import Param, dag, task

from county_reports.core import admins

NAME = ADMINS.dags.tasks["reporting_circular"]     # the tasks' Chinese names in the grid (admins.yaml)


@dag(
    dag_id="reporting_circular",
    # New accepted figures (collect_monthly's announce); which month: see the doc above.
    schedule=[ACCEPTED_DATA],
    start_date=start_date(2024, 2, 1),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=6),
    # A run the Asset starts has no logical date: written and sent within 6 hours of being queued.
    deadline=deadline_alert(timedelta(hours=6), "reporting_circular", reference="DAGRUN_QUEUED_AT"),
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
    # Each task is one call into county_reports.runs.reporting_circular.
    @task(task_display_name=NAME["write"], multiple_outputs=False)
    def write(params=None, logical_date=None, dag_run=None, triggering_asset_events=None) -> dict:
        """The circular .docx and its counts, from the warehouse's completeness query; skipped
        (with send) when the Asset's newest month is not due yet or was sent already."""
        from _assets import months_named
        from _bureau import moment
        from airflow.sdk.exceptions import AirflowSkipException

        from county_reports.runs import reporting_circular as steps

        built = steps.write(params, moment(logical_date, dag_run), named=months_named(triggering_asset_events))
        if built is None:
            raise AirflowSkipException("No month due for a circular: see the log line above.")
        return built

    @task(task_display_name=NAME["send"], multiple_outputs=False, execution_timeout=admins.mail_timeout())
    def send(built: dict, params=None) -> dict:
        """To every active unit's registered addresses and the admins, once per month."""
        from _mail import smtp_sender

        from county_reports.runs import reporting_circular as steps

        return steps.send(built, params, smtp_sender)

    send(write())


reporting_circular()
