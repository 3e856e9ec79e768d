"""Approval before delivery: what the admin is asked, what the answer means, and the record.

The report DAGs ask an admin (Airflow's human-in-the-loop, Browse ▸ Required Actions) before a
summary leaves. This module holds everything about that gate that is not Airflow:

- :func:`reasons` — why this run must wait for an admin (reports.yaml ``approval: required``; a
  span below the coverage threshold; a late, catch-up run; a correction), or nothing;
- :func:`request` — the subject and the Markdown body: coverage, the units missing, the figures
  behind the time schedule, a link to the draft .docx on the status page;
- :func:`decide` — the admin's answer turned into deliver / rejected / not_confirmed. Without an
  answer nothing is ever delivered: a request with no response is a refusal, not a default;
- :func:`record` and :func:`history` — decisions and deliveries in the warehouse's ``audit``
  table (entity ``report``), with the reason, who, when, and the delivered figure sidecar.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from county_reports import messages
from county_reports.catalog import Catalog

DELIVER, REJECTED, NOT_CONFIRMED, NOT_REQUIRED = "deliver", "rejected", "not_confirmed", "not_required"
ENTITY = "report"
NOTE_PARAM, GAP_PARAM = "note", "confirm_gap"


def reasons(report_settings, checked: dict, *, late: bool, correction: bool) -> list[str]:
    """Why an admin must approve this delivery (codes of admins.yaml approval.reasons)."""
    out = []
    if report_settings.approval == "required":
        out.append("required")
    if checked.get("below"):
        out.append("below_threshold")
    if late:
        out.append("late_run")
    if correction:
        out.append("correction")
    return out


def is_late(scheduled: datetime | None, started: datetime, report_settings) -> bool:
    """A scheduled run that starts long after its time: the catch-up run of an unpaused DAG."""
    if scheduled is None:
        return False
    return started - scheduled > timedelta(hours=report_settings.late_run_hours)


def document_url(ui_url: str, year: int, docx_path: str) -> str:
    """The draft on the status page's document route (under the UI's own base URL)."""
    name = docx_path.replace("\\", "/").rsplit("/", 1)[-1]
    return f"{ui_url.rstrip('/')}/county-reports/documents/{year}/{quote(name)}"


def request(catalog: Catalog, texts: dict, checked: dict, built: dict, *, why: list[str], ui_url: str,
            recipient: str, correction_of: str | None = None) -> dict[str, str]:
    """Subject and Markdown body of the approval request."""
    title = built["title"]
    names = {u.code: u.name for u in catalog.units}
    gaps = checked.get("gaps") or {}
    missing = messages.join(messages.text("approval_words", "gap", code=code, name=names.get(code, ""),
                                          months=_months(months)) for code, months in sorted(gaps.items()))
    rate = checked.get("rate")
    lines = [texts["intro"].format(title=title, recipient=recipient),
             texts["coverage"].format(reported=checked.get("reported", 0), expected=checked.get("expected", 0),
                                      rate=f"{(rate or 0) * 100:.1f}%",
                                      threshold=f"{checked.get('threshold', 0) * 100:.0f}%")]
    if checked.get("below"):
        lines.append(texts["below"])
    lines.append(texts["missing"].format(units=missing) if missing else texts["none_missing"])
    behind = built.get("behind") or []
    lines.append(texts["behind"].format(names=messages.join(behind)) if behind else texts["none_behind"])
    if correction_of:
        lines.append(texts["correction"].format(receipt=correction_of))
    url = document_url(ui_url, built["year"], built["docx"])
    filename = built["docx"].replace("\\", "/").rsplit("/", 1)[-1]
    lines.append(texts["draft"].format(filename=filename, url=url))
    lines.append(texts["why"].format(reasons=messages.join((texts["reasons"][r] for r in why), "clauses")))
    return {"subject": texts["subject"].format(title=title), "body": "\n\n".join(lines),
            "why": why, "below": bool(checked.get("below"))}


def _months(months: list[str]) -> str:
    if len(months) <= 3:
        return messages.join(months)
    return messages.text("approval_words", "months_range", first=months[0], last=months[-1], count=len(months))


@dataclass(frozen=True)
class Decision:
    action: str                      # deliver | rejected | not_confirmed | not_required
    note: str | None = None          # the cover note (approved) or the reason (rejected)
    by: str | None = None
    at: str | None = None

    @property
    def delivers(self) -> bool:
        return self.action in (DELIVER, NOT_REQUIRED)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def decide(asked: dict | None, response: dict | None, texts: dict) -> Decision:
    """The admin's answer: approve (with the gap confirmed when coverage is short) or reject.

    ``asked`` is what :func:`request` returned (None: no approval was needed); ``response`` the
    human-in-the-loop result (chosen_options, params_input, responded_by_user, responded_at).
    """
    if asked is None:
        return Decision(NOT_REQUIRED)
    if not response or not response.get("chosen_options"):
        return Decision(REJECTED, messages.text("approval_words", "no_answer"))   # never a default to deliver
    params = response.get("params_input") or {}
    note = (params.get(NOTE_PARAM) or "").strip() or None
    user = response.get("responded_by_user") or {}
    by = user.get("name") or user.get("id")
    at = response.get("responded_at")
    at = at.isoformat() if isinstance(at, datetime) else (str(at) if at else None)
    if response["chosen_options"][0] != texts["approve"]:
        return Decision(REJECTED, note or messages.text("approval_words", "no_reason"), by, at)
    if asked.get("below") and params.get(GAP_PARAM) is not True:
        return Decision(NOT_CONFIRMED, note, by, at)
    return Decision(DELIVER, note, by, at)


# --------------------------------------------------------------------------- the record


def record(engine, *, kind: str, year: int, action: str, run_id: str | None, **details: Any) -> None:
    """One audit row: a decision (approved, rejected, not_confirmed, timed_out) or a delivery."""
    from county_reports.warehouse import report_audit

    note = json.dumps({"kind": kind, "year": year, **details}, ensure_ascii=False, default=str)
    report_audit.add_event(engine, ENTITY, action, run_id, note)


def history(engine, kind: str | None = None, year: int | None = None) -> list[dict[str, Any]]:
    """Every report decision and delivery, oldest first: action, at, run_id and the details."""
    from county_reports.warehouse import report_audit

    rows = report_audit.events(engine, ENTITY)
    out = []
    for row in rows:
        details = json.loads(row.note or "{}")
        if (kind is None or details.get("kind") == kind) and (year is None or details.get("year") == year):
            out.append({"action": row.to_status, "at": row.at, "run_id": row.run_id, **details})
    return out
