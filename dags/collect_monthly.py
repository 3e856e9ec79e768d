"""
### 月度数据采集 · Monthly collection

Pulls every subordinate unit's monthly submission (protocol v1, HTTP) — or reads the Excel
template a unit e-mailed to the bureau's mailbox or dropped in the inbox — for **the previous month**, and records one outcome per
unit: *received* (已接收), *missing* (未报送), *refused* (无法读取, with the reason) or
*failed* (获取失败, after retries). Every byte received is archived before it is read.

**Schedule:** 06:00 on the 5th of each month, Asia/Shanghai, collecting the month before, and
again at 06:00 on the **8th** — after every unit's deadline (the 5th or 6th) — to pick up what
arrived since. The second run changes nothing for units already received (their submissions are
recognised as duplicates); a unit that reported by its deadline is on time either way.

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
from a registered address of its unit, for a month of this run, goes to the inbox; anything else
is quarantined (`{data}/mailbox/quarantine/`) and the admins get the reason by e-mail.
`reply_mail` answers each message with the unit's feedback. History: `{data}/mailbox/messages.jsonl`.
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
from airflow.sdk import Asset, MultipleCronTriggerTimetable, Param, dag, task  # noqa: E402

from county_reports import admins  # noqa: E402
from county_reports.catalog import load_catalog as _load_catalog  # noqa: E402

ROSTER = _load_catalog().units          # the trigger form's pick list: every unit, by name

from county_reports import collect   # light: the pull task's time limit follows from its settings

POOL = "unit_endpoints"
# Updated whenever accepted submissions land in the warehouse; the event's extra names the months.
ACCEPTED_DATA = Asset("county_reports_accepted_submissions",
                      uri="county-reports://warehouse/accepted_submissions")


@dag(
    dag_id="collect_monthly",
    # The 5th as the bureau asked; the 8th catches what arrived up to the deadlines (units.yaml
    # deadline_day is at most 7, checked on load).
    schedule=MultipleCronTriggerTimetable("0 6 5 * *", "0 6 8 * *", timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2024, 2, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    # Shorter than the three days between the 5th and the 8th: a hung run never blocks the next.
    dagrun_timeout=timedelta(days=2),
    deadline=deadline_alert(admins.collection_deadline(ADMINS), "collect_monthly"),
    dag_display_name="月度数据采集",
    tags=["collection", "monthly"],
    doc_md=__doc__,
    default_args={"owner": "县交通运输局办公室", "retries": 2, "retry_delay": timedelta(minutes=2),
                  "on_failure_callback": failure_notifier()},
    params={
        "period": Param(None, type=["null", "string"], pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                        title="采集月份（YYYY-MM）", description="留空：上个月。"),
        "through": Param(None, type=["null", "string"], pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                         title="截至月份（可选）", description="填写后采集从“采集月份”到此月份的每个月。"),
        "units": Param([], type="array", items={"type": "string", "enum": [u.code for u in ROSTER]},
                       examples=[u.code for u in ROSTER],
                       values_display={u.code: f"{u.code} {u.name}" for u in ROSTER},
                       title="只采集这些单位", description="留空：该月应报送的全部单位。"),
    },
)
def collect_monthly():
    @task
    def fetch_mail(params=None, logical_date=None, dag_run=None) -> dict:
        """Templates e-mailed to the bureau's mailbox (IMAP Connection in mail.yaml) into the
        inbox; anything else quarantined and the admins told."""
        from _mail import connection_exists, imap_client, smtp_sender

        from county_reports import mail, mailbox, periods, settings
        from county_reports.catalog import load_catalog

        catalog, cfg = load_catalog(), mail.load_settings()
        if not connection_exists(cfg.imap_conn_id):
            print(f"No mailbox configured (Connection {cfg.imap_conn_id}): e-mail channel skipped.")
            return {}
        months = periods.requested(params.get("period"), params.get("through"),
                                   logical_date or dag_run.run_after, catalog.bureau.timezone)
        with imap_client(cfg.imap_conn_id) as client:
            fetched = mailbox.fetch(client, catalog, settings.data_dir(), months, cfg)
        send = smtp_sender(cfg.smtp_conn_id)
        mailbox.notify_admins(settings.data_dir(), cfg, send)
        mailbox.tell_senders(catalog, settings.data_dir(), cfg, send)
        print(mailbox.summary(fetched))
        return {o: sum(e.outcome == o for e in fetched) for o in {e.outcome for e in fetched}}

    @task
    def plan(params=None, logical_date=None, dag_run=None) -> list[dict]:
        """Which months and which units, cut into batches for the mapped pulls."""
        from county_reports import collect, periods
        from county_reports.catalog import load_catalog
        from county_reports.settings import data_dir as settings_dir

        catalog = load_catalog()
        moment = logical_date or dag_run.run_after
        months = periods.requested(params.get("period"), params.get("through"), moment,
                                   catalog.bureau.timezone)
        settings = collect.load_settings()
        batches = collect.plan_pulls(catalog, {month: [u.code for u in collect.select_units(
            catalog, month, params.get("units") or None)] for month in months}, settings)
        print(f"Collecting {', '.join(months)}: {sum(len(b['units']) for b in batches)} unit-months "
              f"in {len(batches)} batches.")
        for month in months:
            strays = collect.unexpected_inbox_files(settings_dir(), catalog, month)
            if strays:
                print(f"WARNING: inbox files for {month} from no unit expected that month (not read): "
                      f"{', '.join(p.name for p in strays)}")
        return batches

    # Retrying a batch is safe: the archive is content-addressed, and each outcome is appended to
    # the ledger as its unit finishes, keyed by run and attempt (a killed attempt keeps what it
    # learned; the downstream record skips what is there). Every unit has a wall-clock deadline,
    # so the task's time limit follows from collection.yaml.
    @task(pool=POOL, retries=2, retry_delay=timedelta(minutes=1),
          execution_timeout=collect.pull_timeout(collect.load_settings()),
          map_index_template="{{ task.op_kwargs['batch']['label'] }}")
    def pull(batch: dict, run_id=None, ti=None) -> list[dict]:
        """Pull one batch of units concurrently; never fails for a unit's fault."""
        from _connections import token

        from county_reports import collect, settings
        from county_reports.catalog import load_catalog

        catalog = load_catalog()
        units = [catalog.unit_by_code[c] for c in batch["units"]]
        # Looked up once, here, not from the pulling threads; a unit without one fails alone.
        tokens = {unit.token_conn_id: token(unit.token_conn_id) for unit in units}
        return collect.pull_batch(catalog, batch["period"], batch["units"],
                                  data_dir=settings.data_dir(), token_lookup=tokens.get,
                                  settings=collect.load_settings(), record_as=(run_id, ti.try_number))

    @task
    def validate(outcome_batches: list[list[dict]], run_id=None) -> dict:
        """Great Expectations, one run per month over every unit's values; verdicts to files."""
        from county_reports import ledger, settings
        from county_reports.catalog import load_catalog
        from county_reports.validate import intake
        from county_reports.warehouse import Warehouse
        from county_reports.warehouse.history import outlier_history

        catalog, data = load_catalog(), settings.data_dir()
        outcomes = _flatten(outcome_batches)
        ledger.record(data, outcomes, run_id)
        months = sorted({o["period"] for o in outcomes})
        with Warehouse() as warehouse:
            warehouse.migrate()
            history = outlier_history(warehouse.engine, intake.history_periods(months))
        files = intake.validate_outcomes(outcomes, catalog, data, history=history,
                                         docs_dir=data / "validation" / "checks",
                                         out_dir=data / "verdicts" / _safe(run_id))
        print(f"Validated {len(files)} month(s); this run's checks in {data / 'validation' / 'checks'}")
        return {"months": months, "verdict_files": files, "not_received": intake.not_received(outcomes)}

    @task
    def store(validated: dict, run_id=None) -> list[dict]:
        """Versioned submissions, values, narratives, issues and audit rows in the warehouse."""
        from county_reports.catalog import load_catalog
        from county_reports.validate.model import read_verdicts
        from county_reports.warehouse import Warehouse

        stored, failures = [], []
        with Warehouse() as warehouse:
            warehouse.sync_roster(load_catalog(), run_id)
            for path in validated["verdict_files"]:
                done, failed = warehouse.record_each(read_verdicts(path), run_id)   # each unit alone
                stored, failures = stored + done, failures + failed
            for row in validated["not_received"]:
                warehouse.record_not_received(row["unit"], row["period"], row["status"], row["reason"], run_id)
        new = sum(r["outcome"] == "new" for r in stored)
        print(f"Stored {new} new submission versions, {len(stored) - new} unchanged duplicates.")
        for f in failures:
            print(f"WARNING: {f['unit']} {f['period']} NOT stored: {f['reason']}")
        return [{k: r[k] for k in ("unit", "period", "submission_id", "outcome", "status")} for r in stored]

    @task(execution_timeout=admins.feedback_timeout(len(ROSTER)))
    def notify(validated: dict, stored: list[dict], run_id=None) -> dict:
        """Tell every rejected or warned unit, in Chinese, once per version: a POST to its
        endpoint, or a feedback file beside its workbook in the inbox. Feedback that could not be
        delivered before is tried again here, on every run."""
        from _connections import token

        from county_reports import notify as feedback_out
        from county_reports import settings
        from county_reports.catalog import load_catalog
        from county_reports.validate.model import read_verdicts
        from county_reports.warehouse import Warehouse

        verdicts = [v for path in validated["verdict_files"] for v in read_verdicts(path)]
        ids = {(r["unit"], r["period"]): r["submission_id"] for r in stored}
        with Warehouse() as warehouse:
            result = feedback_out.send_all(warehouse, load_catalog(), verdicts, ids, token_for=token,
                                           data_dir=settings.data_dir(), run_id=run_id)
        print(f"Feedback delivered to {len(result['sent'])} unit-month(s): {', '.join(result['sent']) or '—'}")
        if result["failed"]:
            print(f"Feedback NOT delivered (tried again next run): {', '.join(result['failed'])}")
        return {"sent": len(result["sent"]), "failed": result["failed"]}

    @task
    def reply_mail(validated: dict, stored: list[dict]) -> dict:
        """Answer every e-mailed template, once, with its unit's feedback (a reply to its message)."""
        from _mail import smtp_sender

        from county_reports import mail, notify, settings
        from county_reports.catalog import load_catalog
        from county_reports.validate.model import read_verdicts

        cfg = mail.load_settings()
        verdicts = [v for path in validated["verdict_files"] for v in read_verdicts(path)]
        result = notify.reply_by_mail(verdicts, load_catalog(), settings.data_dir(), cfg, smtp_sender(cfg.smtp_conn_id))
        print(f"Replies sent: {', '.join(result['sent']) or '—'}"
              + (f"; NOT sent (tried again next run): {', '.join(result['failed'])}" if result["failed"] else ""))
        return result

    @task(outlets=[ACCEPTED_DATA])
    def summarise(outcome_batches: list[list[dict]], validated: dict, notified: dict,
                  outlet_events=None) -> dict:
        """The admin's one-screen view: every unit's outcome, the validation verdicts, the reporting rate."""
        from county_reports import ledger, settings, status_page
        from county_reports.catalog import load_catalog
        from county_reports.validate import feedback
        from county_reports.validate.model import read_verdicts
        from county_reports.warehouse import Warehouse

        catalog = load_catalog()
        outcomes = _flatten(outcome_batches)
        print(ledger.outcome_table(outcomes, catalog))
        verdicts = [v for path in validated["verdict_files"] for v in read_verdicts(path)]
        print("\n".join(feedback.summary_lines(verdicts, catalog)))
        with Warehouse() as warehouse:
            rates = warehouse.reporting_rate(catalog, validated["months"])
            # the month's report over every unit in the warehouse, not only this run's units
            status_page.write_validation_reports(warehouse, catalog, validated["months"],
                                                 settings.data_dir() / "validation")
        print(rates.to_string(index=False))
        outlet_events[ACCEPTED_DATA].extra = {"periods": validated["months"]}
        return {"months": validated["months"], "feedback": notified,
                "statuses": {s: sum(v.status == s for v in verdicts) for s in {v.status for v in verdicts}}}

    @task(execution_timeout=admins.mail_timeout())
    def check_corrections(stored: list[dict]) -> list[dict]:
        """New figures for a month a delivered summary covers: which report, which printed figures."""
        from _alerts import email_admins

        from county_reports import corrections, settings, summaries
        from county_reports.catalog import load_catalog
        from county_reports.warehouse import Warehouse

        with Warehouse() as warehouse:
            notices = corrections.check(warehouse, load_catalog(), stored, settings.data_dir(),
                                        summaries.load_settings())
        for notice in notices:
            print("\n".join(notice.log_lines()))
            email_admins(*notice.mail(ADMINS.mail["correction"]))
        print(f"{len(notices)} delivered report(s) affected by this run's new figures.")
        return [n.as_dict() for n in notices]

    planned = plan()
    fetch_mail() >> planned
    pulled = pull.expand(batch=planned)
    validated = validate(pulled)
    stored = store(validated)
    reply_mail(validated, stored)
    summarise(pulled, validated, notify(validated, stored))
    check_corrections(stored)


def _flatten(batches) -> list[dict]:
    """Mapped results in order. Indexing up to len() avoids the lazy sequence probing one past
    the end, which the task SDK logs as an (harmless but alarming) "XCom not found" error."""
    return [o for i in range(len(batches)) for o in batches[i]]


def _safe(run_id: str | None) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in (run_id or "manual"))


collect_monthly()
