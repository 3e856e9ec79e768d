"""
### 月度数据采集 · Monthly collection

Pulls every subordinate unit's monthly submission (protocol v1, HTTP) — or reads the Excel
template a unit dropped in the inbox — for **the previous month**, and records one outcome per
unit: *received* (已接收), *missing* (未报送), *refused* (无法读取, with the reason) or
*failed* (获取失败, after retries). Every byte received is archived before it is read.

**Schedule:** 06:00 on the 5th of each month, Asia/Shanghai, collecting the month before.

**Run it by hand** (Trigger DAG ▸ the form):
- `period` — the month to collect, `YYYY-MM` (empty = last month);
- `through` — optional last month of a range, to re-collect several months in one run;
- `units` — optional unit codes to collect only those (e.g. a unit that corrected its figures).

**Backfill** a range of scheduled months:
`airflow backfill create --dag-id collect_monthly --from-date 2024-02-01 --to-date 2025-07-31`.

Concurrent pulls are bounded by the `unit_endpoints` pool (one slot per batch of units) and by
`concurrency` in `include/config/collection.yaml`. The last task prints a table of every unit's
outcome; the full history is in `{data}/collections/{period}.jsonl`.
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import CronTriggerTimetable, Param, dag, task

POOL = "unit_endpoints"


@dag(
    dag_id="collect_monthly",
    schedule=CronTriggerTimetable("0 6 5 * *", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2024, 2, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    tags=["collection", "monthly"],
    doc_md=__doc__,
    default_args={"owner": "县交通运输局办公室", "retries": 2, "retry_delay": timedelta(minutes=2)},
    params={
        "period": Param(None, type=["null", "string"], pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                        title="Month to collect (YYYY-MM)", description="Empty: the previous month."),
        "through": Param(None, type=["null", "string"], pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                         title="Through month (optional)", description="Collect period..through."),
        "units": Param([], type="array", items={"type": "string"}, title="Only these units",
                       description="Unit codes; empty means every unit active in the month."),
    },
)
def collect_monthly():
    @task
    def plan(params=None, logical_date=None, dag_run=None) -> list[dict]:
        """Which months and which units, cut into batches for the mapped pulls."""
        from county_reports import collect, periods
        from county_reports.catalog import load_catalog

        catalog = load_catalog()
        moment = logical_date or dag_run.run_after
        months = periods.requested(params.get("period"), params.get("through"), moment,
                                   catalog.bureau.timezone)
        settings = collect.load_settings()
        batches = []
        for month in months:
            codes = [u.code for u in collect.select_units(catalog, month, params.get("units") or None)]
            batches += [{"period": month, "units": b} for b in collect.plan_batches(codes, settings.batch_size)]
        print(f"Collecting {', '.join(months)}: {sum(len(b['units']) for b in batches)} unit-months "
              f"in {len(batches)} batches.")
        return batches

    @task(pool=POOL, retries=0)
    def pull(batch: dict) -> list[dict]:
        """Pull one batch of units concurrently; never fails for a unit's fault."""
        from airflow.sdk import BaseHook

        from county_reports import collect, settings
        from county_reports.catalog import load_catalog

        catalog = load_catalog()
        units = [catalog.unit_by_code[c] for c in batch["units"]]
        # Tokens are looked up once, here, not from the pulling threads.
        tokens = {}
        for unit in units:
            try:
                tokens[unit.token_conn_id] = BaseHook.get_connection(unit.token_conn_id).password
            except Exception:  # a unit without a connection fails alone, with a clear reason
                tokens[unit.token_conn_id] = None
        return collect.pull_batch(catalog, batch["period"], batch["units"],
                                  data_dir=settings.data_dir(), token_lookup=tokens.get,
                                  settings=collect.load_settings())

    @task
    def record(outcome_batches: list[list[dict]], run_id=None) -> dict:
        """Append every outcome to the ledger and print the per-unit table."""
        from county_reports import ledger, settings
        from county_reports.catalog import load_catalog

        outcomes = [o for batch in outcome_batches for o in batch]
        counts = ledger.record(settings.data_dir(), outcomes, run_id)
        print(ledger.outcome_table(outcomes, load_catalog()))
        return counts

    record(pull.expand(batch=plan()))


collect_monthly()
