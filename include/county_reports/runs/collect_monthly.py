"""A run of ``collect_monthly``, task by task: what each task of the DAG does, as plain Python.

The DAG file wires these functions together and passes in what only Airflow has (the IMAP
client, the SMTP sender, the token lookup, the run id and try number); each function here is one
task's body and returns what the task hands on (plain, JSON-able values for XCom). The lines a
task prints go to its log: they are what the admin reads in the run's grid.

It reaches every stage from collection to the late-correction check (deliver), so it sits at the
end of the flow; no stage imports it.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from county_reports.core import paths, periods
from county_reports.core.catalog import Catalog, load_catalog
from county_reports.core.tokens import BatchTokenLookup, CredentialsLookup

# The task log (Airflow captures it); the CLI and the demo print their own output.
log = logging.getLogger(__name__)


def months_of(params: dict, moment: datetime, catalog: Catalog) -> list[str]:
    """The months a run collects: the form's period … through, or the month before the run."""
    return periods.requested(params.get("period"), params.get("through"), moment, catalog.bureau.timezone)


def flatten(batches: Sequence[Sequence[dict]]) -> list[dict]:
    """Mapped results in order. Indexing up to len() avoids the lazy sequence probing one past
    the end, which the task SDK logs as an (harmless but alarming) "XCom not found" error."""
    return [o for i in range(len(batches)) for o in batches[i]]


def safe_name(run_id: str | None) -> str:
    """A run id as a folder name."""
    return paths.safe_name(run_id or "manual")


# --------------------------------------------------------------------------- collect


def fetch_mail(params: dict, moment: datetime, *, has_mailbox: Callable[[str], bool], imap_client,
               smtp_sender: Callable[..., Callable], secret: Callable[[str], str | None],
               data_dir: Path | None = None) -> dict[str, int]:
    """Templates e-mailed to the bureau's mailbox into the inbox; anything else quarantined (or
    held) and the admins told. ``imap_client(conn_id, timeout)`` is a context manager yielding a
    logged-in client; ``secret(conn_id)`` a Connection's password (the template key)."""
    from county_reports.core import mail
    from county_reports.collect import mail_notices, mailbox

    catalog, cfg, data = load_catalog(), mail.load_settings(), data_dir or paths.data_dir()
    if not has_mailbox(cfg.imap_conn_id):
        log.info(f"No mailbox configured (Connection {cfg.imap_conn_id}): e-mail channel skipped.")
        return {}
    key = secret(cfg.template_key_conn_id)
    if not key:        # fail before touching the mailbox: every message stays new for the retry
        raise RuntimeError(f"No template key (Connection {cfg.template_key_conn_id}, its password): "
                           "mailed templates cannot be checked; nothing was read.")
    months = months_of(params, moment, catalog)
    with imap_client(cfg.imap_conn_id, cfg.imap_timeout_seconds) as client:
        fetched = mailbox.fetch(client, catalog, data, months, cfg, template_key=key,
                                accepted=_accepted(catalog, months))
    send = smtp_sender(cfg.smtp_conn_id, cfg.smtp_timeout_seconds)
    mail_notices.notify_admins(data, cfg, send)
    mail_notices.tell_senders(catalog, data, cfg, send)
    log.info(mailbox.summary(fetched))
    return {o: sum(e.outcome == o for e in fetched) for o in {e.outcome for e in fetched}}


def _accepted(catalog: Catalog, months: list[str]) -> set[tuple[str, str]]:
    """(unit, month) pairs the warehouse holds an accepted version of: a mailed workbook for one
    waits for an admin instead of replacing it."""
    from county_reports.core.timeliness import REPORTED
    from county_reports.warehouse import Warehouse

    with Warehouse() as warehouse:
        warehouse.migrate()
        table = warehouse.completeness(catalog, months)
    return {(r.unit, r.period) for r in table.itertuples() if r.status in REPORTED}


def plan(params: dict, moment: datetime, data_dir: Path | None = None) -> list[dict]:
    """Which months and which units, cut into batches for the mapped pulls."""
    from county_reports.collect import pulls, pull_settings

    catalog = load_catalog()
    months = months_of(params, moment, catalog)
    settings = pull_settings.load_settings()
    batches = pulls.plan_pulls(catalog, {month: [u.code for u in pulls.select_units(
        catalog, month, params.get("units") or None)] for month in months}, settings)
    log.info(f"Collecting {', '.join(months)}: {sum(len(b['units']) for b in batches)} unit-months "
             f"in {len(batches)} batches.")
    for month in months:
        strays = pulls.unexpected_inbox_files(data_dir or paths.data_dir(), catalog, month)
        if strays:
            log.warning(f"inbox files for {month} from no unit expected that month (not read): "
                        f"{', '.join(p.name for p in strays)}")
    return batches


def pull(batch: dict, token: Callable[[str], str | None] | None = None, *, record_as: tuple[str | None, int],
         data_dir: Path | None = None, tokens: BatchTokenLookup | None = None,
         credentials: CredentialsLookup | None = None) -> list[dict]:
    """Pull one batch of units concurrently; never fails for a unit's fault.

    ``tokens(conn_ids)`` looks up the batch's tokens in one call (the DAG's: one mask for the
    batch in the task's log, not one per unit); without it, ``token(conn_id)`` unit by unit.
    ``credentials``: conn_id -> (login, password), for counties pulled from their Airflow (a
    city's roster)."""
    from county_reports.collect import pull_settings, pulls

    catalog = load_catalog()
    units = [catalog.unit_by_code[c] for c in batch["units"]]
    conn_ids = [u.token_conn_id for u in units if u.token_conn_id]
    # Looked up once, here, not from the pulling threads; a unit without one fails alone.
    started = time.monotonic()
    found = dict(tokens(conn_ids)) if tokens else {conn_id: token(conn_id) for conn_id in conn_ids}
    log.info(f"Tokens: {sum(bool(t) for t in found.values())} of {len(found)} connections found "
             f"in {time.monotonic() - started:.1f} s.")
    logins = {u.conn_id: credentials(u.conn_id) for u in units if u.conn_id and credentials}
    context = pull_settings.PullContext(data_dir=data_dir or paths.data_dir(), token_lookup=found.get,
                                        settings=pull_settings.load_settings(), credentials=logins.get,
                                        record_as=record_as)
    return pulls.pull_batch(catalog, batch["period"], batch["units"], context)


# --------------------------------------------------------------------------- validate and store


def validate(outcome_batches: Sequence[Sequence[dict]], run_id: str | None,
             data_dir: Path | None = None) -> dict[str, Any]:
    """Great Expectations, one run per month over every unit's values; verdicts to files."""
    from county_reports.collect import ledger
    from county_reports.validate import intake, key_projects
    from county_reports.warehouse import Warehouse
    from county_reports.warehouse.history import outlier_history
    from county_reports.warehouse.projects import validation_history

    catalog, data = load_catalog(), data_dir or paths.data_dir()
    outcomes = flatten(outcome_batches)
    ledger.record(data, outcomes, run_id)
    months = sorted({o["period"] for o in outcomes})
    with Warehouse() as warehouse:
        warehouse.migrate()
        history = outlier_history(warehouse.engine, intake.history_periods(months))
        projects = validation_history(warehouse.engine, months, key_projects.investment_indicator())
    files = intake.validate_outcomes(outcomes, catalog, data, history=history,
                                     docs_dir=paths.validation_checks(data),
                                     out_dir=paths.verdicts(safe_name(run_id), data), projects=projects)
    log.info(f"Validated {len(files)} month(s); this run's checks in {paths.validation_checks(data)}")
    return {"months": months, "verdict_files": [paths.key(f, data) for f in files],
            "not_received": intake.not_received(outcomes)}


def verdicts_of(validated: dict, data_dir: Path | None = None) -> list:
    from county_reports.validate.model import read_verdicts

    return [v for key in validated["verdict_files"] for v in read_verdicts(paths.at(key, data_dir))]


def store(validated: dict, run_id: str | None, data_dir: Path | None = None) -> list[dict]:
    """Versioned submissions, values, narratives, issues and audit rows in the warehouse.

    A unit whose own rows the warehouse refuses is marked failed and the others are stored; a
    database that refuses everyone (a privilege, read-only, a table missing, down) fails the task
    with ``recording.StoreRefused`` — the admins are alerted by its failure callback — and marks
    no unit."""
    from county_reports.validate.model import read_verdicts
    from county_reports.warehouse import Warehouse
    from county_reports.warehouse.recording import refusals_raised

    stored, failures = [], []
    with Warehouse() as warehouse, refusals_raised():
        warehouse.sync_roster(load_catalog(), run_id)
        for key in validated["verdict_files"]:
            done, failed = warehouse.record_each(read_verdicts(paths.at(key, data_dir)), run_id)  # each unit alone
            stored, failures = stored + done, failures + failed
        for row in validated["not_received"]:
            warehouse.record_not_received(row["unit"], row["period"], row["status"], row["reason"], run_id)
    new = sum(r["outcome"] == "new" for r in stored)
    log.info(f"Stored {new} new submission versions, {len(stored) - new} unchanged duplicates.")
    for f in failures:
        log.warning(f"{f['unit']} {f['period']} NOT stored: {f['reason']}")
    return [{k: r[k] for k in ("unit", "period", "submission_id", "outcome", "status")} for r in stored]


def newly_accepted(stored: list[dict]) -> list[str]:
    """The months that got a new accepted version in this run: what the summary drafts follow."""
    from county_reports.validate.model import ACCEPTED, ACCEPTED_WITH_WARNINGS

    return sorted({r["period"] for r in stored
                   if r["outcome"] == "new" and r["status"] in (ACCEPTED, ACCEPTED_WITH_WARNINGS)})


# --------------------------------------------------------------------------- tell the units


def notify(validated: dict, stored: list[dict], run_id: str | None, token: Callable[[str], str | None],
           data_dir: Path | None = None) -> dict[str, Any]:
    """Tell every rejected or warned unit, once per version; undelivered feedback is tried again."""
    from county_reports.deliver import notify as feedback_out
    from county_reports.warehouse import Warehouse

    ids = {(r["unit"], r["period"]): r["submission_id"] for r in stored}
    with Warehouse() as warehouse:
        context = feedback_out.FeedbackContext(warehouse, load_catalog(), token_for=token,
                                               data_dir=data_dir or paths.data_dir(), run_id=run_id)
        result = feedback_out.send_all(verdicts_of(validated, data_dir), ids, context)
    log.info(f"Feedback delivered to {len(result['sent'])} unit-month(s): {', '.join(result['sent']) or '—'}")
    if result["failed"]:
        log.warning(f"Feedback NOT delivered (tried again next run): {', '.join(result['failed'])}")
    return {"sent": len(result["sent"]), "failed": result["failed"]}


def reply_mail(validated: dict, smtp_sender: Callable[..., Callable],
               data_dir: Path | None = None) -> dict[str, Any]:
    """Answer every e-mailed template, once, with its unit's feedback (a reply to its message)."""
    from county_reports.core import mail
    from county_reports.deliver import notify as feedback_out

    cfg = mail.load_settings()
    result = feedback_out.reply_by_mail(verdicts_of(validated, data_dir), load_catalog(), data_dir or paths.data_dir(),
                                        cfg, smtp_sender(cfg.smtp_conn_id, cfg.smtp_timeout_seconds))
    log.info(f"Replies sent: {', '.join(result['sent']) or '—'}"
             + (f"; NOT sent (tried again next run): {', '.join(result['failed'])}" if result["failed"] else ""))
    return result


# --------------------------------------------------------------------------- the admin's view


def summarise(outcome_batches: Sequence[Sequence[dict]], validated: dict, notified: dict,
              data_dir: Path | None = None) -> dict[str, Any]:
    """The admin's one-screen view: every unit's outcome, the verdicts, the reporting rate; the
    months' validation reports rebuilt over every unit in the warehouse."""
    from county_reports.collect import ledger
    from county_reports.render import status_page
    from county_reports.validate import feedback
    from county_reports.warehouse import Warehouse

    catalog = load_catalog()
    log.info(ledger.outcome_table(flatten(outcome_batches), catalog))
    verdicts = verdicts_of(validated, data_dir)
    log.info("\n".join(feedback.summary_lines(verdicts, catalog)))
    with Warehouse() as warehouse:
        rates = warehouse.reporting_rate(catalog, validated["months"])
        status_page.write_validation_reports(warehouse, catalog, validated["months"],
                                             paths.validation(data_dir))
    log.info(rates.to_string(index=False))
    return {"months": validated["months"], "feedback": notified,
            "statuses": {s: sum(v.status == s for v in verdicts) for s in {v.status for v in verdicts}}}


def check_corrections(stored: list[dict], email_admins: Callable[[str, str], None], mail_template,
                      data_dir: Path | None = None) -> list[dict]:
    """New figures for a month a delivered summary covers: which report, which printed figures;
    each notice e-mailed to the admins (``mail_template``: admins.yaml ``mail.correction``)."""
    from county_reports.deliver import corrections
    from county_reports.core import report_settings
    from county_reports.warehouse import Warehouse

    with Warehouse() as warehouse:
        notices = corrections.check(warehouse, load_catalog(), stored, data_dir or paths.data_dir(),
                                    report_settings.load_settings())
    for notice in notices:
        log.info("\n".join(notice.log_lines()))
        email_admins(*notice.mail(mail_template))
    log.info(f"{len(notices)} delivered report(s) affected by this run's new figures.")
    return [n.as_dict() for n in notices]
