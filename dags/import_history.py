"""
### 历史数据导入 · Import past years from old workbooks

A bureau adopting this project has years of figures in old Excel workbooks. Put them in the data
folder's `history/` folder and trigger this DAG with their file names (`files`). It reads the
common old layouts — a sheet per month (units × indicators), a sheet per indicator (units ×
months), or county totals (indicators × months, or a year-total column) — as
`python -m county_reports import-history FILE…` does.

**Two runs.** The first run matches the workbooks' unit and indicator names to `units.yaml` and
`indicators.yaml` (exactly, then by similarity) and writes `history/mapping.yaml`: **nothing is
stored**. Check every entry (fuzzy and unmatched ones above all; a unit that no longer exists is
`status: retired` with a code of its own; an indicator with an empty `code` is left out), set
`confirmed: true`, and trigger again: the figures go through the same validation rules and are
stored in one transaction as versions whose source is `history_import` — or, if any cell is
wrong, nothing is stored and the task fails listing every wrong cell (sheet, cell, unit,
indicator, rule). Importing the same figures again changes nothing. The summaries then compare
with the imported year (同比, the attachment's 上年同期 column).

**Run it by hand only**: Trigger ▸ `files` (names in `history/`), `year` when the sheets and
titles do not say it.
"""
from __future__ import annotations

from datetime import timedelta

from _alerts import SETTINGS as ADMINS
from _alerts import deadline_alert, failure_notifier
from _bureau import start_date
from airflow.sdk import Param, dag, task

NAME = ADMINS.dags.tasks["import_history"]     # the tasks' Chinese names in the grid (admins.yaml)


@dag(
    dag_id="import_history",
    schedule=None,
    start_date=start_date(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=1),
    deadline=deadline_alert(timedelta(hours=1), "import_history", reference="DAGRUN_QUEUED_AT"),
    dag_display_name=ADMINS.dags.display_name["import_history"],
    tags=["history", "admin"],
    doc_md=__doc__,
    # A refused import fails at once: the workbook or the mapping must change first.
    default_args={"owner": ADMINS.dags.owner, "retries": 0, "on_failure_callback": failure_notifier()},
    params={
        "files": Param([], type="array", items={"type": "string", "pattern": r"^[^/\\]+\.xlsx$"},
                       minItems=1, **ADMINS.dags.field("import_history", "files")),
        "year": Param(None, type=["null", "integer"], minimum=1990, maximum=2100,
                      **ADMINS.dags.field("import_history", "year")),
    },
)
def import_history():
    @task(task_display_name=NAME["import_files"], multiple_outputs=False)
    def import_files(params=None, run_id=None) -> dict:
        """Mapping file first; once confirmed, the figures in one transaction."""
        from county_reports.runs import import_history as steps

        return steps.from_dag(params, run_id)

    import_files()


import_history()
