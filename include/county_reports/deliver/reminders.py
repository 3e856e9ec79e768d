"""Reminders before the deadline and the admins' list of units still missing after it.

:func:`run` is one day's work of the ``unit_reminders`` DAG for the month whose reports are due
this month (on the 3rd of August: July):

- ``days_before`` (mail.yaml) days before a unit's deadline, up to the deadline itself, every
  active unit with nothing accepted for the month gets one reminder through its channel: an
  e-mail to its registered addresses (channel email), or ``POST {base_url}/reminders/{period}``
  (channel http);
- the day after a unit's deadline, if it still has nothing accepted, it goes on the admins' list
  (one e-mail per day listing every such unit with its contacts), once per unit and month.

"Accepted" is what the warehouse holds (its completeness query), so a unit that reported is
never reminded. What was sent is recorded in ``{data}/reminders/{period}.jsonl``; a reminder
that could not be delivered is tried again the next day, until the deadline.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, UTC
from pathlib import Path
from typing import Any

from county_reports.core import atomic, messages, paths, periods as months, timeliness
from county_reports.core.catalog import Catalog, Unit
from county_reports.core.mail import MailSettings, SmtpSend, message
from county_reports.core.tokens import TokenLookup
from county_reports.deliver import unit_endpoint

REMINDER, ESCALATION = "reminder", "escalation"


def period_due_in(day: date) -> str:
    """The month whose reports fall due in ``day``'s month."""
    return months.previous(months.of_date(day))


def ledger_path(data_dir: Path, period: str) -> Path:
    return paths.reminders(data_dir) / f"{period}.jsonl"


def sent(data_dir: Path, period: str) -> set[tuple[str, str]]:
    """(kind, unit) pairs already delivered for ``period``."""
    path = ledger_path(data_dir, period)
    if not path.is_file():
        return set()
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {(r["kind"], r["unit"]) for r in rows if r.get("delivered")}


@dataclass(frozen=True)
class ReminderContext:
    """What a day's reminders go through (:func:`run`): the roster, the data folder (the ledger of
    what was sent), mail.yaml's settings, the SMTP sender (None: none configured), the units'
    tokens, and the environment that fills their ``base_url``."""

    catalog: Catalog
    data_dir: Path
    settings: MailSettings
    send: SmtpSend | None
    token_lookup: TokenLookup
    environ: dict[str, str] | None = None


def run(day: date, completeness, context: ReminderContext) -> dict[str, Any]:
    """One day: reminders to the units due soon, the admins' list of units overdue."""
    catalog, data_dir, settings, send = context.catalog, context.data_dir, context.settings, context.send
    period = period_due_in(day)
    status = {row.unit: (row.status, row.collection_status)
              for row in completeness.itertuples() if row.period == period}
    done = sent(data_dir, period)
    result: dict[str, Any] = {"period": period, "reminded": [], "failed": [], "escalated": []}
    overdue = []
    for unit in catalog.units_active_in(period):
        state, collection = status.get(unit.code, ("missing", None))
        if state in timeliness.REPORTED:
            continue
        due = unit.due_date(period)
        if due - timedelta(days=settings.days_before) <= day <= due and (REMINDER, unit.code) not in done:
            outcome = _remind(unit, period, day, context)
            _record(data_dir, period, REMINDER, unit.code, outcome)
            result["reminded" if outcome["delivered"] else "failed"].append(unit.code)
        elif day > due and (ESCALATION, unit.code) not in done:
            overdue.append((unit, state, collection))
    if overdue and send is not None and settings.admins:
        msg = escalation_message(overdue, period, day, catalog, settings)
        try:
            receipt, error = send(msg), None
        except Exception as exc:           # tried again tomorrow
            receipt, error = None, type(exc).__name__
        for unit, _, _ in overdue:
            _record(data_dir, period, ESCALATION, unit.code,
                    {"delivered": receipt is not None, "channel": "email", "receipt": receipt, "error": error})
        if receipt is not None:
            result["escalated"] = [u.code for u, _, _ in overdue]
    return result


def _remind(unit: Unit, period: str, day: date, context: ReminderContext) -> dict[str, Any]:
    send = context.send
    fields = _fields(unit, period, day, context.catalog)
    how = messages.text("reminder", f"how_{unit.channel}", **fields)
    subject = messages.text("reminder", "subject", **fields)
    body = messages.text("reminder", "body", how=how, **fields)
    if unit.channel == "email":
        if send is None or not unit.emails:
            return {"delivered": False, "channel": "email", "error": "no SMTP sender or no address"}
        try:
            receipt = send(message(context.settings, unit.emails, subject, body))
        except Exception as exc:
            return {"delivered": False, "channel": "email", "error": type(exc).__name__}
        return {"delivered": True, "channel": "email", "receipt": receipt, "to": list(unit.emails)}
    payload = {"unit": unit.code, "period": period, "due": fields["due_iso"], "subject": subject, "text": body}
    token = context.token_lookup(unit.token_conn_id)
    return {"channel": "http", **unit_endpoint.post_to_unit(unit, f"reminders/{period}", payload, token,
                                                            environ=context.environ)}


def escalation_message(overdue, period: str, day: date, catalog: Catalog, settings: MailSettings):
    year, month = months.parse(period)
    head = {"year": year, "month": month, "today": _label(day), "count": len(overdue)}
    lines = [messages.text("reminder", "escalation_intro", **head), ""]
    for n, (unit, state, collection) in enumerate(overdue, 1):
        word = "state_failed" if collection == "failed" else f"state_{state}"
        lines.append(messages.text(
            "reminder", "escalation_item", n=n, state=messages.text("reminder", word),
            channel=messages.text("reminder", f"channel_{unit.channel}"),
            emails=messages.join(unit.emails) or messages.text("reminder", "no_email"),
            **_fields(unit, period, day, catalog)))
    lines += ["", catalog.bureau.name]
    return message(settings, settings.admins, messages.text("reminder", "escalation_subject", **head),
                   "\n".join(lines))


def _fields(unit: Unit, period: str, day: date, catalog: Catalog) -> dict[str, Any]:
    year, month = months.parse(period)
    due = unit.due_date(period)
    return {"unit": unit.code, "unit_name": unit.name, "year": year, "month": month,
            "due": _label(due), "due_iso": due.isoformat(), "today": _label(day),
            "bureau": catalog.bureau.name}


def _label(day: date) -> str:
    return messages.day_label(day)


def _record(data_dir: Path, period: str, kind: str, unit: str, outcome: dict[str, Any]) -> None:
    row = {"kind": kind, "unit": unit, "period": period,
           "at": datetime.now(UTC).isoformat(timespec="seconds"), **outcome}
    atomic.append_lines(ledger_path(data_dir, period), [json.dumps(row, ensure_ascii=False, sort_keys=True)])
