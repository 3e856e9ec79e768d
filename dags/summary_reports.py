"""
### 工作总结 · Half-year and annual summaries

Writes the bureau's summary from the warehouse and sends it to the county office:

- **half_year_report** — 08:00 on 10 July (Asia/Shanghai): 《{year}年上半年工作总结及下半年工作计划》
  for that year's January–June;
- **annual_report** — 08:00 on 15 January: 《{year}年工作总结及{year+1}年工作打算》 for the year before.

Steps: **check coverage** (how many unit-months were reported) → **render** the .docx in the
GB/T 9704 layout, a `.figures.json` sidecar tracing every printed figure to its indicator, span
and aggregation, and an .xlsx of the same tables → **deliver** to the county office (channel in
`include/config/delivery.yaml`), once: a second run answers "already delivered" with the first
receipt.

**When coverage is below the threshold** in `include/config/reports.yaml`
(`completeness_threshold`), `below_threshold` decides: `refuse` stops the run with the list of
units that have not reported (nothing is rendered or delivered), `state_gap` renders the report
and says in its opening which units are missing.

**Run it by hand** (Trigger DAG ▸ the form): `year` (empty = the scheduled one), `kind`
(half_year / annual), `dry_run` (render only, deliver nothing), `force_delivery` (send again even
if this report was already delivered — the office gets a second copy with a new receipt).
Documents are written to `{data}/reports/{year}/`.
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import CronTriggerTimetable, Param, dag, task

SCHEDULES = {
    "half_year": ("half_year_report", "0 8 10 7 *", "上半年工作总结及下半年工作计划"),
    "annual": ("annual_report", "0 8 15 1 *", "年度工作总结及下一年工作打算"),
}


def make_report_dag(kind: str):
    dag_id, cron, label = SCHEDULES[kind]

    @dag(
        dag_id=dag_id,
        schedule=CronTriggerTimetable(cron, timezone="Asia/Shanghai"),
        start_date=pendulum.datetime(2024, 7, 1, tz="Asia/Shanghai"),
        catchup=False,
        max_active_runs=1,
        tags=["reports", kind],
        doc_md=__doc__,
        description=label,
        default_args={"owner": "县交通运输局办公室", "retries": 1, "retry_delay": timedelta(minutes=5)},
        params={
            "year": Param(None, type=["null", "integer"], minimum=2000, maximum=2100,
                          title="Year", description="Empty: the year this scheduled run reports on."),
            "kind": Param(kind, enum=["half_year", "annual"], title="Kind of report"),
            "dry_run": Param(False, type="boolean", title="Dry run",
                             description="Render the documents but deliver nothing."),
            "force_delivery": Param(False, type="boolean", title="Force delivery",
                                    description="Deliver again even if this report was delivered before."),
        },
    )
    def report_dag():
        @task
        def check_coverage(params=None, logical_date=None, dag_run=None) -> dict:
            """How complete the span's reporting is, and what reports.yaml says to do about it."""
            from airflow.sdk.exceptions import AirflowFailException

            from county_reports import summaries
            from county_reports.catalog import load_catalog
            from county_reports.warehouse import Warehouse

            import pendulum

            catalog = load_catalog()
            report_settings = summaries.load_settings()
            # A run triggered without a logical date (API, CLI) has only run_after, a datetime.
            moment = pendulum.instance(logical_date or dag_run.run_after).in_timezone(catalog.bureau.timezone)
            year = params.get("year") or summaries.default_year(params["kind"], moment.date())
            plan = summaries.plan(params["kind"], year, report_settings)
            with Warehouse() as warehouse:
                warehouse.migrate()
                cover = summaries.coverage(warehouse, catalog, plan, report_settings)
            print(cover.reason)
            if cover.action == "refuse":
                raise AirflowFailException(f"Refused by reports.yaml (below_threshold: refuse): {cover.reason}")
            due = summaries.last_deadline(catalog, plan)
            today = pendulum.now(catalog.bureau.timezone).date()
            return {"kind": plan.kind, "year": plan.year, "state_gap": cover.action == "state_gap",
                    "rate": cover.rate, "span_open": today <= due, "last_deadline": due.isoformat()}

        @task
        def render(checked: dict) -> dict:
            """Write the .docx, the figure sidecar and the workbook."""
            from county_reports import settings, summaries
            from county_reports.catalog import load_catalog
            from county_reports.warehouse import Warehouse

            catalog = load_catalog()
            plan = summaries.plan(checked["kind"], checked["year"], summaries.load_settings())
            with Warehouse() as warehouse:
                built = summaries.build(warehouse, catalog, plan,
                                        settings.data_dir() / "reports" / str(plan.year),
                                        state_gap=checked["state_gap"])
            print(f"Rendered {built['docx']} ({built['figures']} figures traced in {built['sidecar']})")
            return built

        @task(retries=3, retry_delay=timedelta(minutes=15))
        def deliver(built: dict, checked: dict, params=None) -> dict:
            """Send the document to the county office once, and record the receipt."""
            from pathlib import Path

            from _connections import token

            from county_reports import archive, settings
            from county_reports import deliver as delivery
            from county_reports.catalog import load_catalog
            from county_reports.warehouse import Warehouse

            if params["dry_run"]:
                print(f"Dry run: {built['docx']} rendered, not delivered.")
                return {"status": "dry_run"}
            if checked["span_open"] and not params["force_delivery"]:
                # An early look must not become the delivered report (and block the real one).
                print(f"Not delivered: the last reports of the span are due {checked['last_deadline']}; "
                      f"{built['docx']} is rendered. Trigger with force_delivery to send it anyway.")
                return {"status": "span_open"}
            # What the office gets is kept as sent, under its SHA-256: a later re-render of the
            # report folder never loses the delivered bytes.
            kept = archive.store(settings.data_dir(), Path(built["docx"]).read_bytes())
            print(f"Delivered copy kept at {kept.path}")
            cfg = delivery.load_settings()
            document = delivery.Document(kind=built["kind"], year=built["year"], title=built["title"],
                                         issuer=load_catalog().bureau.name, path=Path(built["docx"]),
                                         extras=(Path(built["xlsx"]), Path(built["sidecar"])))

            with Warehouse() as warehouse:
                result = delivery.deliver(document, cfg, ledger=delivery.WarehouseDeliveryLedger(warehouse.engine),
                                          token_lookup=token, force=params["force_delivery"],
                                          smtp_send=_airflow_smtp_sender(cfg.smtp.conn_id) if cfg.channel == "smtp" else None)
            print(f"Delivery: {result.status} via {result.channel}; receipt {result.receipt_id}"
                  + (f"; {result.note}" if result.note else ""))
            if result.status == "failed":
                # Retryable: the office may be back in 15 minutes; the run shows failed if not.
                raise RuntimeError(f"Delivery failed after {result.attempts} attempts: {result.error}")
            return result.as_dict()

        checked = check_coverage()
        deliver(render(checked), checked)

    return report_dag()


def _airflow_smtp_sender(conn_id: str):
    """deliver()'s smtp_send over Airflow's SMTP provider (host, login and TLS from the Connection)."""
    def send(message):
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        with SmtpHook(smtp_conn_id=conn_id) as hook:
            # The hook's send_email_smtp builds its own MIME; ours is complete, so send it as is.
            hook._smtp_client.send_message(message)
        return str(message["Message-ID"])
    return send


for _kind in SCHEDULES:
    make_report_dag(_kind)
