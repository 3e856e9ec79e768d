"""Feedback to units: POST the validation messages back to the unit's endpoint (protocol v1),
or, for a unit that reports by Excel, a feedback file beside its workbook in the inbox; a unit
that e-mailed its template gets a reply to its own message (:func:`reply_by_mail`).

``POST {base_url}/submissions/{period}/feedback`` with a JSON list of messages
(``unit_endpoint.post_to_unit``: a redirect is not followed and counts as not delivered). A unit whose
endpoint is down does not stop the run: the result says so and the warehouse records it, so the
next run can try again.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from county_reports.core import atomic, mail, messages, periods
from county_reports.collect import inbox_folders
from county_reports.core.catalog import Catalog, Unit
from county_reports.core.tokens import TokenLookup
from county_reports.deliver import unit_endpoint

log = logging.getLogger(__name__)


def send_feedback(unit: Unit, period: str, messages: list[dict[str, Any]], token: str | None, *,
                  timeout: float = 10.0, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Returns {delivered, http_status, error}; never raises for the unit's fault."""
    return unit_endpoint.post_to_unit(unit, f"submissions/{period}/feedback", messages, token,
                                      timeout=timeout, environ=environ)


def write_inbox_feedback(data_dir: Path, unit_code: str, period: str,
                         messages: list[dict[str, Any]]) -> Path:
    """A unit that reports by Excel reads its feedback beside its workbook, in its own folder
    of the inbox (no other unit can read it there)."""
    atomic.write_text(inbox_folders.feedback_path(data_dir, period, unit_code, ".json"),
                      json.dumps(messages, ensure_ascii=False, indent=1))
    path = inbox_folders.feedback_path(data_dir, period, unit_code, ".txt")
    atomic.write_text(path, "\n".join(f"{n}. {m['text']}" for n, m in enumerate(messages, 1)) + "\n")
    return path


def send(unit: Unit, period: str, messages: list[dict[str, Any]], *, source: str,
         token: str | None, data_dir: Path) -> dict[str, Any]:
    """Feedback the way the submission came: POST for an endpoint, a file for the inbox."""
    if source == "http":
        return send_feedback(unit, period, messages, token)
    path = write_inbox_feedback(data_dir, unit.code, period, messages)
    return {"delivered": True, "http_status": None, "error": None, "file": str(path)}


@dataclass(frozen=True)
class FeedbackContext:
    """Where a run's feedback goes (:func:`send_all`): the warehouse (what is pending, what was
    told), the roster, the units' tokens, the data folder (inbox units' feedback files), the run
    that records it, and how many units are told at once (None: collection.yaml's ``concurrency``)."""

    warehouse: Any
    catalog: Catalog
    token_for: TokenLookup
    data_dir: Path
    run_id: str | None = None
    concurrency: int | None = None


def send_all(verdicts, submission_ids: dict[tuple[str, str], int], context: FeedbackContext) -> dict[str, Any]:
    """Feedback for every warned or rejected verdict not yet told, plus what earlier runs could
    not deliver; each unit on its own: one unit's failure (its endpoint, its token lookup, its
    messages) is recorded for it and tried again next run, the others are told all the same.
    A data folder that refuses the inbox feedback file raises (``DataFolderError``).

    The units are told ``context.concurrency`` at a time (default: collection.yaml's ``concurrency``,
    as the pulls): a province month warns hundreds of units, each a round trip to its endpoint.
    Tokens are looked up and the warehouse written here, in this thread, in order."""
    from concurrent.futures import ThreadPoolExecutor

    from county_reports.collect import pull_settings

    sent, failed = [], []
    catalog, warehouse = context.catalog, context.warehouse
    pending = _pending(context, verdicts, submission_ids, failed)
    items = [(catalog.unit_by_code[item["unit"]], item) for item in pending.values()
             if item["unit"] in catalog.unit_by_code]
    tokens = {}
    for unit, item in items:
        if item["source"] == "http":
            try:
                tokens[item["submission_id"]] = context.token_for(unit.token_conn_id)
            except Exception as exc:   # that unit's token lookup: that unit only
                tokens[item["submission_id"]] = exc
    workers = context.concurrency or pull_settings.load_settings().concurrency
    with ThreadPoolExecutor(max(1, workers)) as pool:
        results = pool.map(lambda pair: _send_one(*pair, tokens.get(pair[1]["submission_id"]), context.data_dir),
                           items)
        for (_, item), result in zip(items, results, strict=False):
            warehouse.record_feedback(item["unit"], item["period"], item["submission_id"], item["messages"],
                                      result["delivered"], result["http_status"], result["error"], context.run_id)
            (sent if result["delivered"] else failed).append(f"{item['unit']} {item['period']}")
    return {"sent": sent, "failed": failed}


def _pending(context: FeedbackContext, verdicts, submission_ids, failed: list[str]) -> dict[int, dict]:
    """What to tell, by submission id: earlier runs' undelivered feedback, then this run's."""
    from county_reports.validate import feedback

    warehouse, catalog = context.warehouse, context.catalog
    pending = {p["submission_id"]: p for p in warehouse.undelivered_feedback()}
    for verdict in verdicts:
        submission_id = submission_ids.get((verdict.unit, verdict.period))
        if submission_id is None or not verdict.issues or warehouse.feedback_delivered(submission_id):
            continue
        try:
            messages = feedback.feedback_payload(verdict, catalog)
        except Exception as exc:   # wording that cannot be filled: that unit only
            log.exception("feedback for %s %s could not be composed", verdict.unit, verdict.period)
            failed.append(f"{verdict.unit} {verdict.period} ({type(exc).__name__})")
            continue
        pending[submission_id] = {"submission_id": submission_id, "unit": verdict.unit,
                                  "period": verdict.period, "source": verdict.source, "messages": messages}
    return pending


def _send_one(unit: Unit, item: dict, token, data_dir: Path) -> dict[str, Any]:
    """One unit's feedback; its failure is its result (a full data folder still raises)."""
    label = f"{item['unit']} {item['period']}"
    try:
        if isinstance(token, Exception):
            raise token
        return send(unit, item["period"], item["messages"], source=item["source"], token=token,
                    data_dir=data_dir)
    except atomic.DataFolderError:
        raise
    except Exception as exc:
        log.exception("feedback to %s failed unexpectedly", label)
        return {"delivered": False, "http_status": None, "error": f"{type(exc).__name__} while sending"}


# --------------------------------------------------------------------------- by e-mail


def reply_by_mail(verdicts, catalog: Catalog, data_dir: Path, settings: mail.MailSettings,
                  send: mail.SmtpSend, *, bureau: str | None = None) -> dict[str, list[str]]:
    """Answer every inboxed message whose workbook has a verdict now; once per message.

    A message whose workbook was replaced in the inbox by a later one before it was validated
    is answered by the later message's reply only (recorded as superseded here).
    """
    from county_reports.collect import mailbox
    from county_reports.validate import feedback

    by_key = {(v.unit, v.period): v for v in verdicts}
    result: dict[str, list[str]] = {"sent": [], "failed": [], "superseded": []}
    for entry in mailbox.pending(data_dir, mailbox.INBOXED, "reply"):
        verdict = by_key.get((entry.unit, entry.period))
        if verdict is None:
            continue                       # not validated yet: answered by a later run
        if verdict.sha256 != entry.workbook_sha256:
            later = [e for e in mailbox.entries(data_dir) if e.outcome == mailbox.INBOXED
                     and e.unit == entry.unit and e.period == entry.period
                     and e.workbook_sha256 == verdict.sha256]
            if later:
                mailbox.record_sent(data_dir, "reply", entry.message_id, None, "superseded")
                result["superseded"].append(entry.message_id)
            continue
        try:
            # Built inside the try too: a hostile header (a subject with CR/LF) fails this reply
            # alone, never the replies to the other units.
            msg = reply_message(entry, verdict, feedback.feedback_payload(verdict, catalog), catalog,
                                settings, bureau=bureau)
            receipt = send(msg)
        except Exception as exc:           # tried again on the next run
            log.warning("reply to %s failed: %s", entry.message_id, type(exc).__name__)
            result["failed"].append(f"{entry.unit} {entry.period}")
            continue
        mailbox.record_sent(data_dir, "reply", entry.message_id, receipt, verdict.status)
        result["sent"].append(f"{entry.unit} {entry.period} → {entry.sender}")
    return result


def reply_message(entry, verdict, feedback_messages: list[dict], catalog: Catalog,
                  settings: mail.MailSettings, *, bureau: str | None = None):
    """The reply to ``entry`` (a :class:`county_reports.collect.mailbox.MailEntry`) saying ``verdict``."""
    unit = catalog.unit_by_code[entry.unit]
    year, month = periods.parse(entry.period)
    fields = {"unit": unit.code, "unit_name": unit.name, "year": year, "month": month,
              "filename": entry.filename or "", "bureau": bureau or catalog.bureau.name,
              "subject": mail.one_line(entry.subject)}
    lines = [messages.text("mail_reply", verdict.status, **fields), ""]
    lines += [f"{n}. {m['text']}" for n, m in enumerate(feedback_messages, 1)]
    lines += ["", messages.text("mail_reply", "closing", **fields)]
    subject = mail.one_line(entry.subject)
    if not subject.startswith((messages.text("mail_words", "reply_prefix"), "Re:", "RE:")):
        subject = messages.text("mail_reply", "subject", **fields)
    return mail.message(settings, [entry.sender], subject, "\n".join(lines),
                        in_reply_to=entry.message_id, references=entry.references)
