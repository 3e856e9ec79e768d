"""Approval before delivery: what the admin is asked, what the answer means, and the record.

The report DAGs ask an admin (Airflow's human-in-the-loop, Browse ▸ Required Actions) before a
summary leaves. This module holds everything about that gate that is not Airflow:

- :func:`reasons` — why this run must wait for an admin (reports.yaml ``approval: required``; a
  span below the coverage threshold; a late, catch-up run; a correction), or nothing;
- :func:`request` — the subject and the Markdown body: coverage, the units missing, the figures
  behind the time schedule, a link to the draft .docx on the status page;
- :func:`required_actions_url`, :func:`waiting_mail` — the admins' e-mail when a report waits:
  the request's subject and body, and the Required Actions link under Airflow's ``[api] base_url``;
- :func:`document_section` — the request's last part, after :data:`SEPARATOR`: the document the
  approval binds (its SHA-256) and, for the office's edited version, who uploaded it, the paragraph
  diff and every figure changed or added by hand with its sentence; the ones not traceable in the
  warehouse are the choices of the form's ``confirm_figures`` field, each to be confirmed;
- :func:`decide` — the admin's answer turned into deliver / rejected / not_confirmed /
  figures_not_confirmed / unconfirmed_wait (the span's unconfirmed values: wait for the units;
  ``deliver.unconfirmed``), or a refusal: approved with no choice on those values
  (unconfirmed_not_decided), no answer (unanswered: never a default), an answer by
  someone not in admins.yaml ``approvers`` (not_approver), a document whose SHA-256 is not the one
  the admin was shown (stale);
- :func:`record_asked`, :func:`record_answered`, :func:`answer_of` — the approval task writes what
  it asked about (:class:`Asked`: the .docx's SHA-256, the figures to confirm) and the answer
  Airflow resumed it with to the warehouse's audit (entity ``report_gate``); ``deliver`` reads
  them there, never from a task's XCom;
- :func:`record` and :func:`history` — decisions and deliveries in the warehouse's ``audit``
  table (entity ``report``), with the reason, who, when, and the delivered figure sidecar.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from county_reports.core import messages
from county_reports.core.catalog import Catalog

DELIVER, REJECTED, NOT_CONFIRMED, NOT_REQUIRED = "deliver", "rejected", "not_confirmed", "not_required"
FIGURES_NOT_CONFIRMED = "figures_not_confirmed"    # an edited draft's hand-changed figures left unticked
# Unconfirmed values in the span (deliver.unconfirmed): 暂缓报送 chosen; approved without a choice.
UNCONFIRMED_WAIT, UNCONFIRMED_NOT_DECIDED = "unconfirmed_wait", "unconfirmed_not_decided"
# Refusals that sending again cannot cure: no answer in Airflow's record for this run, an answer by
# someone not in admins.yaml approvers, a document whose bytes differ from the one approved.
UNANSWERED, NOT_APPROVER, STALE = "unanswered", "not_approver", "stale"
ENTITY = "report"
GATE = "report_gate"        # audit rows the approval task writes: what it asked, what Airflow recorded
NOTE_PARAM, GAP_PARAM, FIGURES_PARAM = "note", "confirm_gap", "confirm_figures"
SEPARATOR = "\n\n---\n\n"     # the request's body, then the document it binds (replaced when that changes)


def reasons(report_settings, checked: dict, *, late: bool, correction: bool, forced: bool = False) -> list[str]:
    """Why an admin must approve this delivery (codes of admins.yaml approval.reasons).

    A forced re-delivery always asks, ``approval: none`` or not: the office gets a second copy."""
    out = []
    if report_settings.approval == "required":
        out.append("required")
    if checked.get("below"):
        out.append("below_threshold")
    if late:
        out.append("late_run")
    if correction:
        out.append("correction")
    if forced:
        out.append("forced")
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


def required_actions_url(base_url: str, dag_id: str, run_id: str, task_id: str) -> str:
    """The task's Required Actions page under Airflow's ``[api] base_url``, its path kept
    (HITLOperator.generate_link_to_ui keeps only scheme and host: wrong under a path)."""
    return (f"{base_url.rstrip('/')}/dags/{quote(dag_id)}/runs/{quote(run_id, safe='')}"
            f"/tasks/{quote(task_id)}/required_actions?map_index=-1")


def waiting_mail(mail, subject: str, body: str, link: str) -> tuple[str, str]:
    """The admins' e-mail when a report waits (admins.yaml ``mail.approval_waiting``): the request's
    subject and Markdown body as escaped HTML paragraphs, Markdown links made links, and the link
    to the Required Actions page. Every value is escaped: titles and unit names come from config."""
    from html import escape

    def paragraph(text: str) -> str:
        text = escape(text, quote=True)
        text = re.sub(r"\[([^\]]*)\]\((https?://[^)\s]+)\)", r'<a href="\2">\1</a>', text)
        text = re.sub(r"`([^`]*)`", r"<code>\1</code>", text)
        text = re.sub(r"[*][*]([^*]+)[*][*]", r"<b>\1</b>", text)
        return f"<p>{text}</p>"

    request = "\n".join(paragraph(p) for p in body.split("\n\n") if p.strip())
    html = mail.body.replace("{request}", request).replace("{link}", escape(link, quote=True))
    return mail.subject.replace("{subject}", subject), html


def request(catalog: Catalog, texts: dict, checked: dict, built: dict, *, why: list[str], ui_url: str,
            recipient: str, correction_of: str | None = None, unconfirmed: str = "") -> dict[str, str]:
    """Subject and Markdown body of the approval request; ``unconfirmed``: the listing of the
    span's unconfirmed values (``deliver.unconfirmed.listing``), empty when there are none."""
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
    if unconfirmed:
        lines.append(unconfirmed)
    if correction_of:
        lines.append(texts["correction"].format(receipt=correction_of))
    url = document_url(ui_url, built["year"], built["docx"])
    filename = built["docx"].replace("\\", "/").rsplit("/", 1)[-1]
    lines.append(texts["draft"].format(filename=filename, url=url))
    lines.append(texts["why"].format(reasons=messages.join((texts["reasons"][r] for r in why), "clauses")))
    return {"subject": texts["subject"].format(title=title), "body": "\n\n".join(lines),
            "why": why, "below": bool(checked.get("below"))}


def document_section(texts: dict, filename: str, sha256: str, review: dict | None) -> tuple[str, list[str]]:
    """The request's part about the document it binds (Markdown), and the figures the admin must
    confirm one by one (the ``confirm_figures`` choices): none for the generated draft; for the
    office's edited version every hand-changed figure not traceable in the warehouse."""
    if review is None:
        return texts["document"].format(filename=filename, sha256=sha256), []
    edit = review.get("sidecar_record") or {}
    ops = [item.get("op") for item in review.get("diff") or []]
    lines = [texts["edited"].format(filename=filename, sha256=sha256, by=edit.get("edited_by") or "",
                                    draft_sha256=review.get("draft_sha256") or ""),
             texts["edited_changes"].format(added=ops.count("added"), changed=ops.count("changed"),
                                            removed=ops.count("removed")),
             review.get("diff_markdown") or ""]
    figures = review.get("figures") or []
    labelled = [(f["label"], bool(f.get("needs_confirmation"))) for f in figures]
    confirm = list(dict.fromkeys(label for label, needed in labelled if needed))
    lines += [texts["edited_figure_confirm" if needed else "edited_figure_traced"].format(label=label)
              for label, needed in labelled] or [texts["edited_no_figures"]]
    if review.get("layout"):
        lines.append(texts["edited_layout"].format(count=len(review["layout"])))
    return "\n\n".join(line for line in lines if line), confirm


def figures_field(texts: dict, confirm: list[str]) -> dict[str, Any]:
    """The form's ``confirm_figures`` field (an Airflow Param's schema): a multi-select of the
    figures to confirm; optional ("null"), so the generated draft's form asks nothing of it."""
    field = {"type": ["null", "array"], "items": {"type": "string"}, "title": texts["figures_title"],
             "description": texts["figures_description"]}
    return field | ({"examples": list(confirm)} if confirm else {})


def with_document(body: str, section: str) -> str:
    """The request's body with its document part (after :data:`SEPARATOR`) set to ``section``."""
    return body.split(SEPARATOR, 1)[0] + SEPARATOR + section


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
    unconfirmed: str | None = None   # the choice on the span's unconfirmed values (use / leave_out / wait)

    @property
    def leaves_out(self) -> bool:
        """The document to send is the one rendered without the unconfirmed values."""
        return self.action == DELIVER and self.unconfirmed == "leave_out"

    @property
    def delivers(self) -> bool:
        return self.action in (DELIVER, NOT_REQUIRED)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def decide(why: list[str], below: bool, answer: dict | None, texts: dict, *, approvers: frozenset[str],
           sha256: str, left_out_sha256: str | None = None) -> Decision:
    """The admin's answer, as Airflow recorded it, for the document about to be sent.

    ``why``: the reasons recomputed by deliver from the run's own inputs (empty: no approval
    needed); ``answer``: what :func:`answer_of` read from the audit the approval task wrote from
    its HITL record (chosen_options, params_input, by_id, by, at, docx_sha256, to_confirm), or None;
    ``approvers``: admins.yaml's approver ids; ``sha256``: the .docx that would leave now;
    ``left_out_sha256``: the one rendered without the unconfirmed values, as it is now (if any).
    """
    if not why:
        return Decision(NOT_REQUIRED)
    if not answer or not answer.get("chosen_options"):
        return Decision(UNANSWERED, messages.text("approval_words", "no_answer"))   # never a default to deliver
    params = answer.get("params_input") or {}
    note = (params.get(NOTE_PARAM) or "").strip() or None
    by, at = answer.get("by"), answer.get("at")
    if answer.get("by_id") not in approvers:
        return Decision(NOT_APPROVER, note, by, at)
    if answer["chosen_options"][0] != texts["approve"]:
        return Decision(REJECTED, note or messages.text("approval_words", "no_reason"), by, at)
    if below and params.get(GAP_PARAM) is not True:
        return Decision(NOT_CONFIRMED, note, by, at)
    if set(answer.get("to_confirm") or ()) - set(params.get(FIGURES_PARAM) or ()):
        return Decision(FIGURES_NOT_CONFIRMED, note, by, at)     # each hand-changed figure, one by one
    if answer.get("unconfirmed"):
        return _unconfirmed_decided(answer, params, texts, Decision(DELIVER, note, by, at), sha256, left_out_sha256)
    if answer.get("docx_sha256") != sha256:
        return Decision(STALE, note, by, at)
    return Decision(DELIVER, note, by, at)


def _unconfirmed_decided(answer: dict, params: dict, texts: dict, approved: Decision, sha256: str,
                         left_out_sha256: str | None) -> Decision:
    """An approval of a span with unconfirmed values: 暂缓报送 sends nothing; 剔除后汇总 binds the
    document rendered without them (asked about with it); no choice (or 剔除后汇总 where none was
    rendered: the office's edited version) is refused."""
    from dataclasses import replace

    from county_reports.deliver import unconfirmed

    choice = unconfirmed.choice_of(texts, params.get(unconfirmed.PARAM))
    left_out = answer.get("left_out") or {}
    if choice is None or (choice == unconfirmed.LEAVE_OUT and not left_out):
        return replace(approved, action=UNCONFIRMED_NOT_DECIDED)
    if choice == unconfirmed.WAIT:
        return replace(approved, action=UNCONFIRMED_WAIT, unconfirmed=choice)
    bound = left_out.get("sha256") if choice == unconfirmed.LEAVE_OUT else answer.get("docx_sha256")
    now = left_out_sha256 if choice == unconfirmed.LEAVE_OUT else sha256
    return replace(approved, action=DELIVER if bound == now else STALE, unconfirmed=choice)


def fingerprint(path) -> str:
    """SHA-256 of a file, read in blocks (what is approved and what is sent are compared by it)."""
    import hashlib

    digest = hashlib.sha256()
    # a data-folder path may be a bucket's (upath): opened through the path itself, never open()
    with (path.open("rb") if hasattr(path, "open") else open(path, "rb")) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


@dataclass(frozen=True)
class Asked:
    """What one approval task asked about: the document it binds, and the figures to confirm."""

    kind: str
    year: int
    run_id: str
    ti_id: str
    docx: str                       # the data-folder key of the .docx the approval binds
    sha256: str
    draft: str | None = None        # the generated draft's key (the edited version was made from it)
    edited_by: str | None = None    # set: the office's edited version, uploaded by this user
    to_confirm: tuple[str, ...] = ()
    unconfirmed: tuple[tuple[str, str, str], ...] = ()   # (unit, period, indicator) still unconfirmed
    left_out: dict | None = None    # the document without them: docx, sidecar, xlsx (keys) and sha256


def record_asked(engine, asked: Asked) -> None:
    """The approval task (or an upload while it waits) wrote its request to Airflow: which document
    (by hash) it asks about and which figures must be confirmed. The latest row of a task counts."""
    from county_reports.warehouse import report_audit

    note = json.dumps({"kind": asked.kind, "year": asked.year, "ti_id": asked.ti_id, "docx": asked.docx,
                       "docx_sha256": asked.sha256, "draft": asked.draft or asked.docx, "edited_by": asked.edited_by,
                       "to_confirm": list(asked.to_confirm), "unconfirmed": [list(k) for k in asked.unconfirmed],
                       "left_out": asked.left_out}, ensure_ascii=False)
    report_audit.add_event(engine, GATE, "asked", asked.run_id, note)


def waiting(engine, kind: str, draft: str) -> list[dict[str, Any]]:
    """The latest request of every approval task that asked about the draft ``draft`` (a key) and
    has no recorded answer: run_id, ti_id and what it binds (Airflow says whether it still waits)."""
    from county_reports.warehouse import report_audit

    latest: dict[str, dict] = {}
    for row in report_audit.events(engine, GATE):
        details = json.loads(row.note or "{}")
        if details.get("kind") != kind:
            continue
        if row.to_status == "asked" and details.get("draft", details.get("docx")) == draft:
            latest[details.get("ti_id")] = details | {"run_id": row.run_id}
        elif row.to_status == "answered":
            latest.pop(details.get("ti_id"), None)
    return list(latest.values())


def record_answered(engine, *, kind: str, run_id: str, ti_id: str, response: dict) -> None:
    """The answer as Airflow's HITL record holds it (read by the approval task itself)."""
    from county_reports.warehouse import report_audit

    user = response.get("responded_by_user") or {}
    if not isinstance(user, dict):          # a pydantic HITLUser rather than the TypedDict
        user = {"id": getattr(user, "id", None), "name": getattr(user, "name", None)}
    at = response.get("responded_at")
    note = {"kind": kind, "ti_id": ti_id, "chosen_options": list(response.get("chosen_options") or []),
            "params_input": dict(response.get("params_input") or {}), "by_id": str(user.get("id") or ""),
            "by": user.get("name"), "at": at.isoformat() if isinstance(at, datetime) else at}
    report_audit.add_event(engine, GATE, "answered", run_id, json.dumps(note, ensure_ascii=False, default=str))


def answer_of(engine, kind: str, run_id: str) -> dict[str, Any] | None:
    """The latest answer recorded for this run's approval task, with the hash it was asked about;
    None when the task never recorded one (skipped, marked success by hand, XComs forged …)."""
    from county_reports.warehouse import report_audit

    asked: dict[str, dict] = {}
    found = None
    for row in report_audit.events(engine, GATE):
        details = json.loads(row.note or "{}")
        if row.run_id != run_id or details.get("kind") != kind:
            continue
        if row.to_status == "asked":
            asked[details.get("ti_id")] = details
        elif row.to_status == "answered" and details.get("ti_id") in asked:
            bound = asked[details["ti_id"]]
            found = details | {key: bound.get(key) for key in ("docx_sha256", "docx", "to_confirm", "edited_by",
                                                               "unconfirmed", "left_out")}
    return found
