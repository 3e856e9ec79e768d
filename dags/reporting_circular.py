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

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, task


@dag(
    dag_id="reporting_circular",
    schedule="0 10 8 * *",
    start_date=pendulum.datetime(2024, 2, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    tags=["reports", "monthly"],
    doc_md=__doc__,
    default_args={"owner": "县交通运输局办公室", "retries": 2, "retry_delay": timedelta(minutes=5)},
    params={
        "period": Param(None, type=["null", "string"], pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                        title="Month (YYYY-MM)", description="Empty: the previous month."),
        "send": Param(True, type="boolean", title="E-mail it to the units"),
    },
)
def reporting_circular():
    @task
    def write(params=None, logical_date=None, dag_run=None) -> dict:
        """The circular .docx and its counts, from the warehouse's completeness query."""
        from county_reports import circular, mail, periods, settings
        from county_reports.catalog import load_catalog
        from county_reports.warehouse import Warehouse

        catalog = load_catalog()
        moment = pendulum.instance(logical_date or dag_run.run_after).in_timezone(catalog.bureau.timezone)
        period = params.get("period") or periods.previous_month_of(moment, catalog.bureau.timezone)
        with Warehouse() as warehouse:
            warehouse.migrate()
            built = circular.build(warehouse, catalog, period, settings.data_dir(), mail.load_settings(),
                                   day=moment.date())
        c = built["counts"]
        print(f"{built['docx']}: {c['reported']}/{c['expected']} reported, on time {c['on_time']}, "
              f"late {c['late']}, rejected {c['rejected']}, missing {c['missing']}")
        return built

    @task
    def send(built: dict, params=None) -> dict:
        """To every active unit's registered addresses and the admins, once per month."""
        from _mail import smtp_sender

        from county_reports import circular, mail, settings
        from county_reports.catalog import load_catalog

        if not params.get("send", True):
            print("Not sent (send: false).")
            return {"status": "not_sent"}
        cfg = mail.load_settings()
        result = circular.send(built, load_catalog(), settings.data_dir(), cfg, smtp_sender(cfg.smtp_conn_id))
        print(f"Circular {result['status']}: {len(result['to'])} addresses")
        return result

    send(write())


reporting_circular()
