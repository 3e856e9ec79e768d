"""
### 月度数据采集 · Monthly collection

Pulls every subordinate unit's monthly submission (protocol v1, HTTP) — or reads the Excel
template a unit e-mailed to the bureau's mailbox or dropped in the inbox — for **the previous
month**, and records one outcome per unit: *received* (已接收), *missing* (未报送), *refused*
(无法读取, with the reason) or *failed* (获取失败, after retries). Every byte received is archived before it is read.

**Schedule:** 06:00 on the 5th of each month in the bureau's time zone (`bureau.yaml`;
Asia/Shanghai as shipped), collecting the month before, and again at 06:00 on the **8th** — after
every unit's deadline (the 5th or 6th) — to pick up what arrived since. The second run changes
nothing for units already received (their submissions are recognised as duplicates); a unit that
reported by its deadline is on time either way.

**Run it by hand** (Trigger DAG ▸ the form):
- 采集月份 (`period`) — the month to collect, `YYYY-MM` (empty = last month);
- 截至月份 (`through`) — optional last month of a range, to re-collect several months in one run;
- 只采集这些单位 (`units`) — pick units by name to collect only those (e.g. a unit that corrected
  its figures); empty = every unit expected that month.

**The grid** shows one `pull` per unit ("2025-06 TS03 …"), so one unit's pull can be read,
retried or cleared alone; a run of more than `per_unit_up_to` unit-months
(`include/config/collection.yaml`) pulls in batches of `batch_size` units instead.

**Late corrections.** When a unit's new figures change a month that a delivered summary covers,
`check_corrections` names that report (and its receipt) and every printed figure that would
change, in its log and in an e-mail to the admins; send the corrected version (更正) by
triggering the report DAG with 报送更正版 — it goes out only after approval.

**Drafts.** When a run stores new accepted figures, `announce` names their months in an Asset
event and `summary_drafts` re-renders the summary still open for them (never delivered).

**Alerts.** A failed task e-mails the admins (`include/config/admins.yaml`); so does a run not
finished by `collection_due` (12:00) on the day after it started (an Airflow Deadline Alert).
A run never takes longer than two days, so a hung run on the 5th cannot block the 8th.

**Backfill** a range of scheduled months:
`airflow backfill create --dag-id collect_monthly --from-date 2024-02-01 --to-date 2025-07-31`.

Concurrent pulls are bounded by the `unit_endpoints` pool (one slot per batch of units) and by
`concurrency` in `include/config/collection.yaml`. Each unit gets at most `unit_deadline_seconds`
(connecting, answer, retries and `Retry-After` waits included; then it fails with 超时), so a pull
task has a time limit that follows from those settings. Each outcome is written to
`{data}/collections/{period}.jsonl` the moment its unit finishes; the last task prints a table of
every unit's outcome.

**E-mail:** `fetch_mail` reads new messages of the mailbox Connection (`mail.yaml`); a template
of a unit with channel email, from its registered address, vouched for by the bureau's own mail
server (Authentication-Results) and signed for that unit and month (the template key
Connection), for a month of this run, goes to the inbox; one that would replace accepted figures
is held (`{data}/mailbox/held/`); anything else is quarantined (`{data}/mailbox/quarantine/`) and
the admins get the reason by e-mail. A failed `fetch_mail` never holds the month: `plan` and the
pulls run anyway. `reply_mail` answers each message with the unit's feedback. History:
`{data}/mailbox/messages.jsonl`.
"""
from __future__ import annotations

from datetime import timedelta

from _alerts import SETTINGS as ADMINS
from _alerts import deadline_alert, failure_notifier
from _assets import ACCEPTED_DATA
from _bureau import TIMEZONE, start_date
from airflow.sdk import MultipleCronTriggerTimetable, Param, dag, task

from county_reports.core import admins
from county_reports.collect import pulls, pull_settings  # light: the pull task's time limit follows from its settings
from county_reports.core import mail  # light: the mail tasks' time limit is in mail.yaml
from county_reports.core.catalog import load_catalog as _load_catalog

ROSTER = _load_catalog().units          # the trigger form's pick list: every unit, by name
MAIL_TIMEOUT = mail.task_timeout(mail.load_settings())
NAME = ADMINS.dags.tasks["collect_monthly"]     # the tasks' Chinese names in the grid (admins.yaml)
POOL = "unit_endpoints"


@dag(
    dag_id="collect_monthly",
    # The 5th as the bureau asked; the 8th catches what arrived up to the deadlines (units.yaml
    # deadline_day is at most 7, checked on load).
    schedule=MultipleCronTriggerTimetable("0 6 5 * *", "0 6 8 * *", timezone=TIMEZONE),
    start_date=start_date(2024, 2, 1),
    catchup=False,
    max_active_runs=1,
    # Shorter than the three days between the 5th and the 8th: a hung run never blocks the next.
    dagrun_timeout=timedelta(days=2),
    deadline=deadline_alert(admins.collection_deadline(ADMINS), "collect_monthly"),
    dag_display_name=ADMINS.dags.display_name["collect_monthly"],
    tags=["collection", "monthly"],
    doc_md=__doc__,
    default_args={"owner": ADMINS.dags.owner, "retries": 2, "retry_delay": timedelta(minutes=2),
                  "on_failure_callback": failure_notifier()},
    params={
        "period": Param(None, type=["null", "string"], pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                        **ADMINS.dags.field("collect_monthly", "period")),
        "through": Param(None, type=["null", "string"], pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                         **ADMINS.dags.field("collect_monthly", "through")),
        "units": Param([], type="array", items={"type": "string", "enum": [u.code for u in ROSTER]},
                       examples=[u.code for u in ROSTER],
                       values_display={u.code: f"{u.code} {u.name}" for u in ROSTER},
                       **ADMINS.dags.field("collect_monthly", "units")),
    },
)
def collect_monthly():
    # Each task is one call into county_reports.runs.collect_monthly; only Airflow's own things
    # (Connections, hooks, the run id and try number) are looked up here and passed in.
    @task(task_display_name=NAME["fetch_mail"], multiple_outputs=False, execution_timeout=MAIL_TIMEOUT)
    def fetch_mail(params=None, logical_date=None, dag_run=None) -> dict:
        """Templates e-mailed to the bureau's mailbox (IMAP Connection in mail.yaml) into the
        inbox; anything else quarantined and the admins told."""
        from _connections import token
        from _mail import connection_exists, imap_client, smtp_sender

        from county_reports.runs import collect_monthly as steps

        return steps.fetch_mail(params, logical_date or dag_run.run_after, has_mailbox=connection_exists,
                                         imap_client=imap_client, smtp_sender=smtp_sender, secret=token)

    # The mail must never hold the month: plan (and every HTTP pull) runs when fetch_mail failed
    # (its failure still alerts the admins), only not before it has finished.
    @task(task_display_name=NAME["plan"], trigger_rule="all_done")
    def plan(params=None, logical_date=None, dag_run=None) -> list[dict]:
        """Which months and which units, cut into batches for the mapped pulls."""
        from county_reports.runs import collect_monthly as steps

        return steps.plan(params, logical_date or dag_run.run_after)

    # Retrying a batch is safe: the archive is content-addressed, and each outcome is appended to
    # the ledger as its unit finishes, keyed by run and attempt (a killed attempt keeps what it
    # learned; the downstream record skips what is there). Every unit has a wall-clock deadline,
    # so the task's time limit follows from collection.yaml.
    @task(task_display_name=NAME["pull"], pool=POOL, retries=2, retry_delay=timedelta(minutes=1),
          execution_timeout=pulls.pull_timeout(pull_settings.load_settings()),
          map_index_template="{{ task.op_kwargs['batch']['label'] }}")
    def pull(batch: dict, run_id=None, ti=None) -> list[dict]:
        """Pull one batch of units concurrently; never fails for a unit's fault."""
        from _connections import credentials, tokens

        from county_reports.runs import collect_monthly as steps

        return steps.pull(batch, tokens=tokens, record_as=(run_id, ti.try_number),
                                   credentials=credentials)

    @task(task_display_name=NAME["validate"], multiple_outputs=False)
    def validate(outcome_batches: list[list[dict]], run_id=None) -> dict:
        """Great Expectations, one run per month over every unit's values; verdicts to files."""
        from county_reports.runs import collect_monthly as steps

        return steps.validate(outcome_batches, run_id)

    @task(task_display_name=NAME["store"])
    def store(validated: dict, run_id=None) -> list[dict]:
        """Versioned submissions, values, narratives, issues and audit rows in the warehouse."""
        from county_reports.runs import collect_monthly as steps

        return steps.store(validated, run_id)

    @task(task_display_name=NAME["notify"], multiple_outputs=False,
          execution_timeout=admins.feedback_timeout(len(ROSTER)))
    def notify(validated: dict, stored: list[dict], run_id=None) -> dict:
        """Tell every rejected or warned unit, in Chinese, once per version: a POST to its
        endpoint, or a feedback file beside its workbook in the inbox. Feedback that could not be
        delivered before is tried again here, on every run."""
        from _connections import token

        from county_reports.runs import collect_monthly as steps

        return steps.notify(validated, stored, run_id, token)

    @task(task_display_name=NAME["reply_mail"], multiple_outputs=False, execution_timeout=MAIL_TIMEOUT)
    def reply_mail(validated: dict, stored: list[dict]) -> dict:
        """Answer every e-mailed template, once, with its unit's feedback (a reply to its message)."""
        from _mail import smtp_sender

        from county_reports.runs import collect_monthly as steps

        return steps.reply_mail(validated, smtp_sender)

    @task(task_display_name=NAME["summarise"], multiple_outputs=False)
    def summarise(outcome_batches: list[list[dict]], validated: dict, notified: dict) -> dict:
        """The admin's one-screen view: every unit's outcome, the validation verdicts, the reporting rate."""
        from county_reports.runs import collect_monthly as steps

        return steps.summarise(outcome_batches, validated, notified)

    @task(task_display_name=NAME["check_corrections"], execution_timeout=admins.mail_timeout())
    def check_corrections(stored: list[dict]) -> list[dict]:
        """New figures for a month a delivered summary covers: which report, which printed figures."""
        from _alerts import email_admins

        from county_reports.runs import collect_monthly as steps

        return steps.check_corrections(stored, email_admins, ADMINS.mail["correction"])

    @task(task_display_name=NAME["announce"], outlets=[ACCEPTED_DATA])
    def announce(stored: list[dict], outlet_events=None) -> list[str]:
        """An Asset event naming the months that got new accepted figures (summary_drafts follows
        it); skipped, so no event, when nothing new was accepted."""
        from airflow.sdk.exceptions import AirflowSkipException

        from county_reports.runs import collect_monthly as steps

        months = steps.newly_accepted(stored)
        if not months:
            raise AirflowSkipException("Nothing new accepted: no event for the summary drafts.")
        outlet_events[ACCEPTED_DATA].extra = {"periods": months}
        return months

    planned = plan()
    fetch_mail() >> planned
    pulled = pull.expand(batch=planned)
    validated = validate(pulled)
    stored = store(validated)
    reply_mail(validated, stored)
    summarise(pulled, validated, notify(validated, stored))
    check_corrections(stored)
    announce(stored)


collect_monthly()
