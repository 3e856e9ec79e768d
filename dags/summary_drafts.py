"""
### 工作总结草稿 · Drafts of the open summary

Whenever `collect_monthly` stores **new accepted figures** (a late report, a correction), it
names their months in the Asset `county_reports_accepted_submissions`, and this DAG re-renders
the summary still open for those months — the half-year summary for January–June until it has
been delivered, otherwise the annual one — as a **draft** in `{data}/drafts/{year}/` (.docx,
figure sidecar, .xlsx). A draft is never approved and never delivered: it shows the admins what
the summary would say today, with any gap in coverage stated in its opening.

A month whose summaries have all been delivered gets no draft: `collect_monthly`'s
`check_corrections` e-mails the admins which printed figures change, and the report DAG sends a
corrected version (更正) after approval.

**Schedule:** on the Asset, never by the clock. Nothing to trigger by hand: to see a draft now,
trigger the report DAG with 只生成不报送 (`dry_run`).
"""
from __future__ import annotations

from datetime import timedelta

from _alerts import SETTINGS as ADMINS
from _alerts import deadline_alert, failure_notifier
from _assets import ACCEPTED_DATA
from _bureau import start_date
from airflow.sdk import dag, task


@dag(
    dag_id="summary_drafts",
    schedule=[ACCEPTED_DATA],
    start_date=start_date(2024, 7, 1),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=2),
    # A run an Asset triggers has no logical date: an hour from being queued, or the admins are told.
    deadline=deadline_alert(timedelta(hours=1), "summary_drafts", reference="DAGRUN_QUEUED_AT"),
    dag_display_name=ADMINS.dags.display_name["summary_drafts"],
    description=ADMINS.dags.description["summary_drafts"],
    tags=["reports", "drafts"],
    doc_md=__doc__,
    default_args={"owner": ADMINS.dags.owner, "retries": 1, "retry_delay": timedelta(minutes=5),
                  "on_failure_callback": failure_notifier()},
)
def summary_drafts():
    @task(task_display_name=ADMINS.dags.tasks["summary_drafts"]["draft"])
    def draft(triggering_asset_events=None) -> list[dict]:
        """Re-render the open summary for the months the events name, into the drafts folder."""
        from _assets import months_named
        from county_reports.runs import summary_reports

        return summary_reports.drafts(months_named(triggering_asset_events))

    draft()


summary_drafts()
