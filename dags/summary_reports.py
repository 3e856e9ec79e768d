"""
### 工作总结 · Half-year and annual summaries

Writes the bureau's summary from the warehouse and, **after an admin approves it**, sends it to
the county office:

- **half_year_report** — on its `report_day` at `run_at` (`include/config/reports.yaml`; shipped:
  08:00 on 10 July, Asia/Shanghai): 《{year}年上半年工作总结及下半年工作计划》
  for that year's January–June;
- **annual_report** — likewise (shipped: 08:00 on 15 January):
  《{year}年工作总结及{year+1}年工作打算》 for the year before.

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
e-mail. Even with `approval: none`, a report below the threshold, a correction, a forced
re-delivery and a run that starts late (the catch-up run right after unpausing the DAG) wait for an admin.
Only the users in `approvers` (`include/config/admins.yaml`) can answer. The request shows the
.docx's SHA-256; **deliver** decides again from the run's own inputs whether approval was needed
and sends only the approved bytes — a document changed since needs a new approval (clear 审批).

**The office's edited draft.** An edited .docx uploaded on the report's status page (while the
request waits, or for this very draft before the run) replaces the draft in the request: its
SHA-256, who uploaded it, the paragraph diff and every figure changed or added by hand, each with its
sentence. Those not traceable in the warehouse must each be ticked in **确认人工改动的数字**, or nothing
is sent. **deliver** then sends exactly the edited bytes, with a figure sidecar that records which
paragraphs were edited and by whom; an edited file changed after the approval is not sent and the
admins are told.

**Unconfirmed values.** Values flagged as likely typing slips that their units have neither confirmed
nor corrected are listed in the request, largest effect on the county figure first (unit, month,
indicator, as reported, expected, the share of the county figure). The approval task renders the span
without them too (`{data}/reports/{year}/left_out/`, its SHA-256 in the request), and the form asks one
choice, **未核实数据的处理**: **按报送数使用** sends the draft, **剔除后汇总** sends that left-out document,
**暂缓报送** sends nothing and e-mails the admins (trigger again once the units have answered). Approved
without a choice: nothing is sent. With no unconfirmed values the request and the form are as above.

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

import logging
from datetime import timedelta

import pendulum

from _alerts import SETTINGS as ADMINS
from _alerts import deadline_alert, failure_notifier
from _bureau import TIMEZONE, start_date
from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import CronTriggerTimetable, Param, dag, task
from airflow.sdk.bases.notifier import BaseNotifier

from county_reports.core import admins, report_settings
from county_reports.deliver import approval, unconfirmed

log = logging.getLogger(__name__)
NAME = ADMINS.dags.tasks["report_tasks"]

REPORTS = report_settings.load_settings()
TEXTS = ADMINS.approval
FORM = ADMINS.dags.field
APPROVAL_TIMEOUT = timedelta(hours=REPORTS.approval_timeout_hours)
# The admins are reminded (a Deadline Alert on the run's start) when two thirds of the approval
# time have passed and the run is still not done: 48 h into the shipped 72 h.
APPROVAL_REMINDER = APPROVAL_TIMEOUT * 2 / 3
# The run waits for the admin; after that, rendering again and delivering (with its retries) fit in 6 h.
RUN_TIMEOUT = APPROVAL_TIMEOUT + timedelta(hours=6)


def _ui_url() -> str:
    """Airflow's own UI address ([api] base_url), for the links in the request and the e-mail;
    admins.yaml ``ui_url`` only where Airflow has none configured."""
    from airflow.sdk.configuration import conf

    return (conf.get("api", "base_url", fallback=None) or ADMINS.ui_url).rstrip("/")


class AdminsToldOfWaiting(BaseNotifier):
    """The admins' e-mail when a report reaches 审批 (HITLOperator ``notifiers``): the request as
    the approver sees it and the link to its Required Actions page. A mail server that fails is
    logged, not fatal: the request still waits in Required Actions."""

    def notify(self, context):
        import logging

        from _alerts import email_admins

        task, ti = context["task"], context["ti"]
        link = approval.required_actions_url(_ui_url(), ti.dag_id, ti.run_id, ti.task_id)
        subject, html = approval.waiting_mail(ADMINS.mail["approval_waiting"], task.subject, task.body, link)
        try:
            email_admins(subject, html)
        except Exception as exc:        # noqa: BLE001 — SMTP down must not fail the approval
            logging.getLogger(__name__).warning("approval e-mail to the admins failed: %s", exc)


def _tell_admins_of_wait(result: dict, run_id: str, dag_id: str) -> None:
    """暂缓报送: the admins' e-mail listing the values the report waits for (SMTP down: logged)."""
    from _alerts import email_admins

    from county_reports.runs import summary_reports as steps

    subject, html = steps.wait_mail(result, texts=TEXTS, mail=ADMINS.mail["unconfirmed_wait"], run_id=run_id,
                                    dag_id=dag_id)
    try:
        email_admins(subject, html)
    except Exception as exc:        # noqa: BLE001 — the decision is recorded; the mail is a courtesy
        log.warning("the admins' e-mail on 暂缓报送 failed: %s", exc)


def _refused(exc: Exception):
    """A refusal is final: retrying the same run cannot change it."""
    from airflow.sdk.exceptions import AirflowFailException

    return AirflowFailException(str(exc))


class ReportApproval(HITLOperator):
    """审批: Airflow's human-in-the-loop task, assigned to admins.yaml ``approvers`` only.

    Asking, it records (in the warehouse, through runs.summary_reports) the SHA-256 of the .docx it asks
    about — the office's edited version of the draft when one was uploaded — and shows it in the
    request, with the edited version's diff and hand-changed figures (those not traceable in the
    warehouse are the choices of ``confirm_figures``, each to be ticked); answered, it records the
    answer Airflow resumes it with — the HITL record's response, packed by the api-server into the
    task instance, not an XCom.
    deliver reads both there; a task's XCom can neither skip nor fake the gate."""

    def __init__(self, *, kind: str, **kwargs):
        super().__init__(**kwargs)
        self.kind = kind

    def execute(self, context):
        from county_reports.runs import summary_reports as steps

        ti = context["ti"]
        shown = steps.ask(self.kind, ti.xcom_pull(task_ids="render"), run_id=context["run_id"],
                          ti_id=str(ti.id), texts=TEXTS)
        self.body = approval.with_document(self.body, shown["text"])
        # the office's edited version: each figure changed by hand and not traceable, to be ticked
        self.params[approval.FIGURES_PARAM] = Param(None, **approval.figures_field(TEXTS, shown["confirm"]))
        if shown["choices"]:       # the span's unconfirmed values: one choice, required (empty; no null in its type)
            self.params[unconfirmed.PARAM] = Param(None, **unconfirmed.field(TEXTS, shown["choices"]))
        try:
            return super().execute(context)          # writes the request, then waits for the answer
        finally:
            # Written: a task resumed by this same object (dag.test) validates its params again, and the
            # required field's empty value would fail there; the choice itself is deliver's to check.
            if unconfirmed.PARAM in self.params:
                self.params[unconfirmed.PARAM] = Param(None, type=["null", "string"])

    def validate_params_input(self, params_input):
        # An answer over the REST API may leave out the optional confirm_figures (nothing to confirm);
        # deliver refuses an approval that leaves a figure to confirm unticked. The unconfirmed field
        # exists only in the form that asked (this resumed task is the DAG's): checked by deliver.
        # The same object may have asked with the field before (dag.test reuses it): an answer
        # without it is then an answer without a choice, which deliver refuses where one is needed.
        if params_input:
            params_input = {approval.FIGURES_PARAM: None} | dict(params_input)
            if unconfirmed.PARAM in params_input and unconfirmed.PARAM not in self.params:
                self.params[unconfirmed.PARAM] = Param(None, type=["null", "string"])
            if unconfirmed.PARAM in self.params:
                params_input.setdefault(unconfirmed.PARAM, None)
        return super().validate_params_input(params_input)

    def execute_complete(self, context, event):
        from county_reports.runs import summary_reports as steps

        result = super().execute_complete(context, event)    # a timeout raises here: nothing recorded
        steps.record_answer(self.kind, run_id=context["run_id"], ti_id=str(context["ti"].id),
                                 response=event)
        return result


def make_report_dag(kind: str):
    dag_id = report_settings.DAG_IDS[kind]

    @dag(
        dag_id=dag_id,
        dag_display_name=ADMINS.dags.display_name[dag_id],
        # The report day and hour of reports.yaml, every year.
        schedule=CronTriggerTimetable(REPORTS.cron(kind), timezone=TIMEZONE),
        start_date=start_date(2024, 7, 1),
        catchup=False,
        max_active_runs=1,
        dagrun_timeout=RUN_TIMEOUT,
        deadline=[deadline_alert(timedelta(days=REPORTS.delivery_due_days), "report"),
                  deadline_alert(APPROVAL_REMINDER, "report", "DAGRUN_QUEUED_AT", mail="approval_reminder")],
        tags=["reports", kind],
        doc_md=__doc__,
        description=ADMINS.dags.description[dag_id],
        default_args={"owner": ADMINS.dags.owner, "retries": 1, "retry_delay": timedelta(minutes=5),
                      "on_failure_callback": failure_notifier()},
        params={
            "year": Param(None, type=["null", "integer"], minimum=2000, maximum=2100,
                          **FORM("report_form", "year")),
            "dry_run": Param(False, type="boolean", **FORM("report_form", "dry_run")),
            "force_delivery": Param(False, type="boolean", **FORM("report_form", "force_delivery")),
            "correction": Param(False, type="boolean", **FORM("report_form", "correction")),
        },
    )
    def report_dag():
        # Each task is one call into county_reports.runs.summary_reports; the run's moment, the admin's
        # answer, Connections and hooks are Airflow's and are passed in.
        @task(task_display_name=NAME["check_coverage"], multiple_outputs=False)
        def check_coverage(params=None, logical_date=None, dag_run=None) -> dict:
            """How complete the span's reporting is, and what reports.yaml says to do about it."""
            from _bureau import moment

            from county_reports.runs import summary_reports as steps

            try:
                return steps.check_coverage(kind, params, moment(logical_date, dag_run),
                                                 pendulum.now(TIMEZONE).date())
            except steps.ReportRefused as exc:
                raise _refused(exc) from None

        @task(task_display_name=NAME["render"], multiple_outputs=False)
        def render(checked: dict) -> dict:
            """Write the .docx, the figure sidecar and the workbook."""
            from county_reports.runs import summary_reports as steps

            return steps.render(checked)

        @task.branch(task_display_name=NAME["request_approval"])
        def request_approval(built: dict, checked: dict, params=None, dag_run=None, ti=None) -> list[str]:
            """Decide whether an admin must approve, and write what the admin will read."""
            from county_reports.runs import summary_reports as steps

            asked = steps.approval_request(built, checked, params, scheduled=dag_run.logical_date,
                                                now=pendulum.now("UTC"), texts=TEXTS, ui_url=_ui_url())
            if asked is None:
                return ["deliver"]
            ti.xcom_push(key="request", value=asked)
            link = approval.required_actions_url(_ui_url(), dag_run.dag_id, dag_run.run_id, "approve")
            log.info(f"Waiting for an admin: {link}\n{asked['body']}")
            return ["approve", "deliver"]          # deliver waits for the answer

        approve = ReportApproval(
            kind=kind,
            task_id="approve",
            # Only these users may answer (the api-server answers 403 to anyone else, Admin role or not).
            assigned_users=[dict(user) for user in ADMINS.approvers],
            task_display_name=TEXTS["task_name"],
            subject="{{ ti.xcom_pull(task_ids='request_approval', key='request')['subject'] }}",
            body="{{ ti.xcom_pull(task_ids='request_approval', key='request')['body'] }}",
            options=[TEXTS["approve"], TEXTS["reject"]],
            # The note is optional ("null" in the type: Airflow's form marks every other field required).
            params={approval.NOTE_PARAM: Param("", type=["null", "string"], title=TEXTS["note_title"],
                                               description=TEXTS["note_description"]),
                    approval.GAP_PARAM: Param(False, type="boolean", title=TEXTS["gap_title"],
                                              description=TEXTS["gap_description"]),
                    approval.FIGURES_PARAM: Param(None, **approval.figures_field(TEXTS, []))},
            response_timeout=APPROVAL_TIMEOUT,
            notifiers=[AdminsToldOfWaiting()],
            # No defaults: an unanswered request fails this task (nothing is sent) and e-mails the admins.
            on_failure_callback=failure_notifier("approval_timeout"),
            retries=0,
        )

        @task(task_display_name=NAME["deliver"], multiple_outputs=False,
              retries=3, retry_delay=timedelta(minutes=15), execution_timeout=admins.delivery_timeout(),
              trigger_rule="none_failed_min_one_success")
        def deliver(built: dict, params=None, logical_date=None, dag_run=None, run_id=None) -> dict:
            """Send the approved document to the county office once, and record the receipt.
            Whether approval is needed is recomputed here; the answer comes from the approval
            task's record, never from an XCom. A failed delivery raises and is retried."""
            from _bureau import moment
            from _connections import token
            from _mail import smtp_sender

            from county_reports.runs import summary_reports as steps

            try:
                result = steps.deliver(built, kind, params, moment=moment(logical_date, dag_run),
                                       today=pendulum.now(TIMEZONE).date(),
                                       scheduled=dag_run.logical_date, started=pendulum.now("UTC"), texts=TEXTS,
                                       approvers=ADMINS.approver_ids, run_id=run_id, token_lookup=token,
                                       smtp_sender=smtp_sender)
            except steps.ReportRefused as exc:
                raise _refused(exc) from None
            if result["status"] == approval.UNCONFIRMED_WAIT:
                _tell_admins_of_wait(result, run_id, dag_run.dag_id)
            return result

        checked = check_coverage()
        built = render(checked)
        gate = request_approval(built, checked)
        gate >> approve
        done = deliver(built)
        gate >> done
        approve >> done

    return report_dag()


for _kind in report_settings.KINDS:
    make_report_dag(_kind)
