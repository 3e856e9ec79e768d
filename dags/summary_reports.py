"""
### 工作总结 · Half-year and annual summaries

Writes the bureau's summary from the warehouse and, **after an admin approves it**, sends it to
the county office:

- **half_year_report** — 08:00 on 10 July (Asia/Shanghai): 《{year}年上半年工作总结及下半年工作计划》
  for that year's January–June;
- **annual_report** — 08:00 on 15 January: 《{year}年工作总结及{year+1}年工作打算》 for the year before.

Steps: **check coverage** (how many unit-months were reported) → **render** the .docx in the
GB/T 9704 layout, a `.figures.json` sidecar tracing every printed figure, and an .xlsx →
**request approval** → **approve** (审批, waits in Browse ▸ Required Actions) → **deliver** to the
county office (channel in `include/config/delivery.yaml`), once: a second run answers "already
delivered" with the first receipt.

**Approval** (`approval` in `include/config/reports.yaml`, default `required`). The request shows
the coverage, the units missing, the figures behind the time schedule and a link to the draft
.docx. **批准** (optionally with a cover note in 附言或驳回理由) sends it; **驳回** with a reason
sends nothing, records the reason and keeps the draft. When coverage is below the threshold the
admin must also tick **确认缺报情况**, or nothing is sent. No answer within
`approval_timeout_hours`: nothing is sent and the admins (`include/config/admins.yaml`) get an
e-mail. Even with `approval: none`, a report below the threshold, a correction and a run that
starts late (the catch-up run right after unpausing the DAG) wait for an admin.

**When coverage is below the threshold** (`completeness_threshold`), `below_threshold` decides:
`refuse` stops the run with the list of units that have not reported, `state_gap` renders the
report, says in its opening which units are missing and asks the admin to confirm the gap.

**Run it by hand** (Trigger DAG ▸ the form): 年度 (empty = the scheduled one), 只生成不报送
(render only), 强制再次报送 (send again even if delivered before — the office gets a second copy),
报送更正版 (a corrected version, 更正, after a late correction: the office keeps the original's
receipt and gets the second copy marked 更正). Documents are written to `{data}/reports/{year}/`.

**Alerts.** A failed task e-mails the admins; so does a report not delivered by its report day +
`delivery_due_days` (an Airflow Deadline Alert).
"""
from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pendulum

# The shared Airflow glue (_alerts, _connections) sits beside this file; a DagBag that is not a
# bundle (tests, `airflow dags list`) does not put this folder on sys.path by itself.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
from _alerts import SETTINGS as ADMINS  # noqa: E402
from _alerts import deadline_alert, failure_notifier  # noqa: E402
from airflow.providers.standard.operators.hitl import HITLOperator  # noqa: E402
from airflow.sdk import CronTriggerTimetable, Param, dag, task  # noqa: E402

from county_reports import admins, approval, report_settings  # noqa: E402

REPORTS = report_settings.load_settings()
TEXTS = ADMINS.approval
SCHEDULES = {
    "half_year": ("half_year_report", "0 8 10 7 *", "上半年工作总结及下半年工作计划"),
    "annual": ("annual_report", "0 8 15 1 *", "年度工作总结及下一年工作打算"),
}
APPROVAL_TIMEOUT = timedelta(hours=REPORTS.approval_timeout_hours)
# The run waits for the admin; after that, rendering again and delivering (with its retries) fit in 6 h.
RUN_TIMEOUT = APPROVAL_TIMEOUT + timedelta(hours=6)


def make_report_dag(kind: str):
    dag_id, cron, label = SCHEDULES[kind]

    @dag(
        dag_id=dag_id,
        dag_display_name=f"工作总结：{label}",
        schedule=CronTriggerTimetable(cron, timezone="Asia/Shanghai"),
        start_date=pendulum.datetime(2024, 7, 1, tz="Asia/Shanghai"),
        catchup=False,
        max_active_runs=1,
        dagrun_timeout=RUN_TIMEOUT,
        deadline=deadline_alert(timedelta(days=REPORTS.delivery_due_days), "report"),
        tags=["reports", kind],
        doc_md=__doc__,
        description=label,
        default_args={"owner": "县交通运输局办公室", "retries": 1, "retry_delay": timedelta(minutes=5),
                      "on_failure_callback": failure_notifier()},
        params={
            "year": Param(None, type=["null", "integer"], minimum=2000, maximum=2100,
                          title="年度", description="留空：本次计划运行所对应的年度。"),
            "dry_run": Param(False, type="boolean", title="只生成不报送",
                             description="生成文件但不报送，也不请求审批。"),
            "force_delivery": Param(False, type="boolean", title="强制再次报送",
                                    description="即使本报告已报送过也再次报送（仍须审批）；县政府办会收到第二份。"),
            "correction": Param(False, type="boolean", title="报送更正版",
                                description="数据更正后报送更正版（更正）：经审批后报送，原件回执仍保留。"),
        },
    )
    def report_dag():
        @task
        def check_coverage(params=None, logical_date=None, dag_run=None) -> dict:
            """How complete the span's reporting is, and what reports.yaml says to do about it."""
            from airflow.sdk.exceptions import AirflowFailException

            from county_reports import dispatch, summaries
            from county_reports.catalog import load_catalog
            from county_reports.warehouse import Warehouse

            import pendulum

            catalog = load_catalog()
            report_settings = summaries.load_settings()
            # A run triggered without a logical date (API, CLI) has only run_after, a datetime.
            moment = pendulum.instance(logical_date or dag_run.run_after).in_timezone(catalog.bureau.timezone)
            year = params.get("year") or summaries.default_year(kind, moment.date())
            plan = summaries.plan(kind, year, report_settings)  # the DAG's own kind, never a form field
            with Warehouse() as warehouse:
                warehouse.migrate()
                cover = summaries.coverage(warehouse, catalog, plan, report_settings)
                original = dispatch.previous_receipt(warehouse.engine, plan.kind, plan.year)
            print(cover.reason)
            if cover.action == "refuse":
                raise AirflowFailException(f"Refused by reports.yaml (below_threshold: refuse): {cover.reason}")
            if params.get("correction") and not original:
                raise AirflowFailException(f"Nothing to correct: {plan.kind} {plan.year} was never delivered.")
            due = summaries.last_deadline(catalog, plan)
            today = pendulum.now(catalog.bureau.timezone).date()
            return {"kind": plan.kind, "year": plan.year, "state_gap": cover.action == "state_gap",
                    "rate": cover.rate, "span_open": today <= due, "last_deadline": due.isoformat(),
                    "expected": cover.expected, "reported": cover.reported, "gaps": cover.gaps,
                    "threshold": report_settings.threshold,
                    "below": cover.rate is not None and cover.rate < report_settings.threshold,
                    "delivered_receipt": original,
                    "correction_of": original if params.get("correction") else None}

        @task
        def render(checked: dict) -> dict:
            """Write the .docx, the figure sidecar and the workbook."""
            from county_reports import settings, summaries
            from county_reports.catalog import load_catalog
            from county_reports.warehouse import Warehouse

            catalog = load_catalog()
            plan = summaries.plan(checked["kind"], checked["year"], summaries.load_settings())
            with Warehouse() as warehouse:
                built = summaries.write_summary(warehouse, catalog, plan,
                                        settings.data_dir() / "reports" / str(plan.year),
                                        state_gap=checked["state_gap"])
            print(f"Rendered {built['docx']} ({built['figures']} figures traced in {built['sidecar']})")
            return built

        @task.branch
        def request_approval(built: dict, checked: dict, params=None, dag_run=None, ti=None) -> list[str]:
            """Decide whether an admin must approve, and write what the admin will read."""
            from county_reports import deliver as delivery
            from county_reports.catalog import load_catalog

            again = params["force_delivery"] or checked["correction_of"]
            if params["dry_run"] or (checked["span_open"] and not params["force_delivery"]) \
                    or (checked["delivered_receipt"] and not again):
                return ["deliver"]                   # nothing will be sent: nothing to approve
            # A run whose logical date lies long before its start is a catch-up (e.g. right after unpausing).
            late = approval.is_late(dag_run.logical_date, pendulum.now("UTC"), REPORTS)
            why = approval.reasons(REPORTS, checked, late=late, correction=bool(checked["correction_of"]))
            if not why:
                print("No approval needed (reports.yaml approval: none, coverage above the threshold).")
                return ["deliver"]
            asked = approval.request(load_catalog(), TEXTS, checked, built, why=why, ui_url=ADMINS.ui_url,
                                     recipient=delivery.load_settings().recipient,
                                     correction_of=checked["correction_of"])
            ti.xcom_push(key="request", value=asked)
            print(f"Waiting for an admin: {ADMINS.ui_url}/dags/{dag_run.dag_id}/runs/{dag_run.run_id}"
                  f"/tasks/approve/required_actions\n{asked['body']}")
            return ["approve", "deliver"]          # deliver waits for the answer

        approve = HITLOperator(
            task_id="approve",
            task_display_name="审批",
            subject="{{ ti.xcom_pull(task_ids='request_approval', key='request')['subject'] }}",
            body="{{ ti.xcom_pull(task_ids='request_approval', key='request')['body'] }}",
            options=[TEXTS["approve"], TEXTS["reject"]],
            # The note is optional ("null" in the type: Airflow's form marks every other field required).
            params={approval.NOTE_PARAM: Param("", type=["null", "string"], title=TEXTS["note_title"],
                                               description=TEXTS["note_description"]),
                    approval.GAP_PARAM: Param(False, type="boolean", title=TEXTS["gap_title"],
                                              description=TEXTS["gap_description"])},
            response_timeout=APPROVAL_TIMEOUT,
            # No defaults: an unanswered request fails this task (nothing is sent) and e-mails the admins.
            on_failure_callback=failure_notifier("approval_timeout"),
            retries=0,
        )

        @task(retries=3, retry_delay=timedelta(minutes=15), execution_timeout=admins.delivery_timeout(),
              trigger_rule="none_failed_min_one_success")
        def deliver(built: dict, checked: dict, params=None, ti=None, run_id=None) -> dict:
            """Send the approved document to the county office once, and record the receipt."""
            from airflow.sdk.exceptions import AirflowFailException
            from _connections import token
            from _mail import smtp_sender

            from county_reports import dispatch, settings
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
            asked = ti.xcom_pull(task_ids="request_approval", key="request")
            decision = approval.decide(asked, ti.xcom_pull(task_ids="approve") if asked else None, TEXTS)
            with Warehouse() as warehouse:
                if asked:
                    approval.record(warehouse.engine, kind=built["kind"], year=built["year"], run_id=run_id,
                                    action="approved" if decision.delivers else decision.action,
                                    note=decision.note, by=decision.by, at=decision.at, docx=built["docx"],
                                    why=asked["why"])
                print(f"Approval: {decision.action}" + (f" by {decision.by}" if decision.by else "")
                      + (f": {decision.note}" if decision.note else ""))
                if decision.action == approval.NOT_CONFIRMED:
                    raise AirflowFailException("Approved without confirming the coverage gap (确认缺报情况): "
                                               f"nothing sent; {built['docx']} is kept.")
                if not decision.delivers:
                    print(f"Not delivered; the draft is kept: {built['docx']}")
                    return {"status": decision.action, "reason": decision.note}
                result = dispatch.send(built, load_catalog(), warehouse, decision=decision,
                                       force=params["force_delivery"], correction_of=checked["correction_of"],
                                       data_dir=settings.data_dir(), run_id=run_id, token_lookup=token,
                                       smtp_sender=smtp_sender, state_gap=checked["state_gap"])
            print(f"Delivery: {result['status']} via {result['channel']}; receipt {result['receipt_id']}"
                  + (f"; {result['note']}" if result.get("note") else "") + f"; delivered copy {result['kept']}")
            if result["status"] == "failed":
                # Retryable: the office may be back in 15 minutes; the run shows failed if not.
                raise RuntimeError(f"Delivery failed after {result['attempts']} attempts: {result['error']}")
            return result

        checked = check_coverage()
        built = render(checked)
        gate = request_approval(built, checked)
        gate >> approve
        done = deliver(built, checked)
        gate >> done
        approve >> done

    return report_dag()


for _kind in SCHEDULES:
    make_report_dag(_kind)
