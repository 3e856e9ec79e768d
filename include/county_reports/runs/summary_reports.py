"""A run of ``half_year_report`` / ``annual_report``, task by task, as plain Python.

check_coverage → render → approval_request → (an admin answers in Airflow) → deliver. The DAG
file passes in what only Airflow has (the run's moment, the token lookup, the SMTP sender; the
approval task hands over the answer of its own HITL record through :func:`record_answer`) and
maps :class:`ReportRefused` to a failure that is not retried. ``deliver`` trusts no XCom for the
gate: it recomputes the coverage and the reasons to ask, reads the recorded answer, and sends
only the .docx whose SHA-256 the admin was shown. The policy
lives here: a dry run or a span still open renders but sends nothing (an early look must not
become the delivered report and block the real one); a delivered report is sent again only when
forced or as a correction; below the threshold the admin must confirm the gap.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from county_reports.deliver import approval
from county_reports.core import messages, paths, report_settings
from county_reports.core.catalog import load_catalog

# The task log (Airflow captures it); the CLI and the demo print their own output.
log = logging.getLogger(__name__)

DOCUMENT_FILES = ("docx", "sidecar", "xlsx")     # handed on through XCom as data-folder keys


class ReportRefused(Exception):
    """The run stops and sends nothing; running it again unchanged cannot help."""


class DeliveryFailed(RuntimeError):
    """Every delivery attempt failed; the office may be back later (worth a retry)."""


def check_coverage(kind: str, params: dict, moment: datetime, today: date) -> dict[str, Any]:
    """How complete the span's reporting is, and what reports.yaml says to do about it.

    ``moment``: the run's logical date (or, triggered without one, when it was asked to run), in
    the bureau's time zone; ``today``: the bureau's today (is the span's last deadline past?)."""
    from county_reports.deliver import dispatch
    from county_reports.render import summaries
    from county_reports.warehouse import Warehouse

    catalog, settings = load_catalog(), report_settings.load_settings()
    year = params.get("year") or summaries.default_year(kind, moment.date())
    plan = summaries.plan(kind, year, settings)  # the DAG's own kind, never a form field
    with Warehouse() as warehouse:
        warehouse.migrate()
        cover = summaries.coverage(warehouse, catalog, plan, settings)
        original = dispatch.previous_receipt(warehouse.engine, plan.kind, plan.year)
    log.info(cover.reason)
    if cover.action == "refuse":
        raise ReportRefused(f"Refused by reports.yaml (below_threshold: refuse): {cover.reason}")
    if params.get("correction") and not original:
        raise ReportRefused(f"Nothing to correct: {plan.kind} {plan.year} was never delivered.")
    due = summaries.last_deadline(catalog, plan)
    return {"kind": plan.kind, "year": plan.year, "state_gap": cover.action == "state_gap",
            "rate": cover.rate, "span_open": today <= due, "last_deadline": due.isoformat(),
            "expected": cover.expected, "reported": cover.reported, "gaps": cover.gaps,
            "threshold": settings.threshold,
            "below": cover.rate is not None and cover.rate < settings.threshold,
            "delivered_receipt": original,
            "correction_of": original if params.get("correction") else None}


def render(checked: dict, data_dir: Path | None = None) -> dict[str, Any]:
    """Write the .docx, the figure sidecar and the workbook in ``{data}/reports/{year}/``; for a
    correction of a delivered edited version, also the corrected edited version (uploaded against
    this draft, so the approval binds it: ``corrections.start_from_edited``)."""
    from county_reports.deliver import corrections
    from county_reports.render import summaries
    from county_reports.warehouse import Warehouse

    plan = summaries.plan(checked["kind"], checked["year"], report_settings.load_settings())
    with Warehouse() as warehouse:
        built = summaries.write_summary(warehouse, load_catalog(), plan, paths.reports(plan.year, data_dir),
                                state_gap=checked["state_gap"])
        log.info(f"Rendered {built['docx']} ({built['figures']} figures traced in {built['sidecar']})")
        try:
            corrected = corrections.start_from_edited(warehouse, load_catalog(), built, data_dir or paths.data_dir()) \
                if checked.get("correction_of") else None
        except corrections.CorrectionRefused as exc:
            raise ReportRefused(str(exc)) from None
    if corrected:
        log.info("The delivered version was the office's edited one: the correction starts from it, "
                 f"{corrected['sha256'][:12]}…\n" + corrections.located_markdown(corrected))
    return paths.keyed(built, DOCUMENT_FILES, data_dir)


def held_back(checked: dict, params: dict) -> str | None:
    """Why this run sends nothing whatever the admin says: ``dry_run``, ``span_open``, or None."""
    if params.get("dry_run"):
        return "dry_run"
    if checked["span_open"] and not params.get("force_delivery"):
        return "span_open"
    return None


def approval_reasons(checked: dict, params: dict, *, scheduled: datetime | None, started: datetime) -> list[str]:
    """Why this run must wait for an admin; empty when nothing will be sent or nothing needs asking.

    Computed the same way by ``request_approval`` (what the admin is asked) and by ``deliver``
    (which recomputes ``checked`` itself and trusts no task's XCom)."""
    again = params.get("force_delivery") or checked["correction_of"]
    if held_back(checked, params) or (checked["delivered_receipt"] and not again):
        return []                            # nothing will be sent: nothing to approve
    settings = report_settings.load_settings()
    # A run whose logical date lies long before its start is a catch-up (e.g. right after unpausing).
    return approval.reasons(settings, checked, late=approval.is_late(scheduled, started, settings),
                            correction=bool(checked["correction_of"]),
                            forced=bool(params.get("force_delivery") and checked["delivered_receipt"]))


def approval_request(built: dict, checked: dict, params: dict, *, scheduled: datetime | None,
                     now: datetime, texts: dict, ui_url: str) -> dict[str, str] | None:
    """What the admin is asked (subject, body, reasons), or None when nothing waits for an admin.

    ``now``: the task's start. deliver, later, may find the run late where this did not (a
    delivery more than late_run_hours after its scheduled time): it then refuses for want of an
    answer rather than send unasked — the safe side (dag.test's start_date is the logical date,
    so the run's own start cannot serve both)."""
    from county_reports.deliver import office_settings

    why = approval_reasons(checked, params, scheduled=scheduled, started=now)
    if not why:
        log.info("No approval needed (nothing will be sent, or reports.yaml approval: none and no reason to ask).")
        return None
    from county_reports.deliver import unconfirmed

    catalog = load_catalog()
    return approval.request(catalog, texts, checked, built, why=why, ui_url=ui_url,
                            recipient=office_settings.load_settings().recipient,
                            correction_of=checked["correction_of"],
                            unconfirmed=unconfirmed.listing(texts, catalog, unconfirmed.span_values(checked["kind"],
                                                                                               checked["year"])))


def ask(kind: str, built: dict, *, run_id: str, ti_id: str, texts: dict,
        data_dir: Path | None = None) -> dict[str, Any]:
    """The approval task is about to write its request: record the document it binds (the office's
    edited version of this draft when one was uploaded, else the draft; by SHA-256) and the figures
    to confirm; return the request's document part (``text``) and those figures (``confirm``); for
    a corrected edited version, where each changed figure was found in the office's text. With
    unconfirmed values in the span, also the span rendered without them (what 剔除后汇总 sends; not
    for the edited version) and the choices of the form's ``unconfirmed`` field."""
    from county_reports.deliver import corrections, edited_drafts, unconfirmed
    from county_reports.warehouse import Warehouse

    bound = edited_drafts.bound(built["year"], built["docx"], built["sidecar"], data_dir)
    text, confirm = approval.document_section(texts, paths.at(bound.docx, data_dir).name, bound.sha256,
                                              bound.review)
    text = "\n\n".join(part for part in (text, corrections.located_markdown(bound.review)) if part)
    keys = tuple(unconfirmed.key(v) for v in unconfirmed.span_values(kind, built["year"]))
    left_out = unconfirmed.render_without(kind, built["year"], keys, data_dir) if keys and not bound.edited else None
    if keys:
        text += "\n\n" + (unconfirmed.document(texts, paths.at(left_out["docx"], data_dir).name, left_out["sha256"])
                           if left_out else texts["unconfirmed_edited"])
    with Warehouse() as warehouse:
        warehouse.migrate()
        approval.record_asked(warehouse.engine, asked_about(kind, built["year"], bound, confirm, run_id, ti_id,
                                                            unconfirmed=keys, left_out=left_out))
    return {"text": text, "confirm": confirm,
            "choices": unconfirmed.choices(texts, edited=bound.edited) if keys else []}


def asked_about(kind: str, year: int, bound, confirm: list[str], run_id: str, ti_id: str, *,
                unconfirmed: tuple = (), left_out: dict | None = None) -> approval.Asked:
    """The audit's record of a request binding ``bound`` (an ``edited_drafts.Bound``)."""
    by = ((bound.review or {}).get("sidecar_record") or {}).get("edited_by") if bound.edited else None
    return approval.Asked(kind, year, run_id, ti_id, bound.docx, bound.sha256, draft=bound.draft, edited_by=by,
                          to_confirm=tuple(confirm), unconfirmed=tuple(tuple(k) for k in unconfirmed),
                          left_out=None if bound.edited else left_out)


def record_answer(kind: str, *, run_id: str, ti_id: str, response: dict) -> None:
    """The approval task's own HITL record (read through the Task SDK), kept for deliver."""
    from county_reports.warehouse import Warehouse

    with Warehouse() as warehouse:
        approval.record_answered(warehouse.engine, kind=kind, run_id=run_id, ti_id=ti_id, response=response)


def deliver(built: dict, kind: str, params: dict, *, moment: datetime, today: date,
            scheduled: datetime | None, started: datetime, texts: dict, approvers: frozenset[str],
            run_id: str, token_lookup: Callable[[str], str | None] | None,
            smtp_sender: Callable | None, data_dir: Path | None = None) -> dict[str, Any]:
    """Send the approved document to the county office once, and record the decision and receipt.

    Whether approval is needed is computed again here from the run's own inputs (the form, the
    warehouse, reports.yaml); the answer is the one the approval task recorded from Airflow's
    HITL record; only the approved bytes leave. ``built`` names the files (XCom), nothing more."""
    checked = check_coverage(kind, params, moment, today)
    held = held_back(checked, params)
    if held:
        log.info(f"Dry run: {built['docx']} rendered, not delivered." if held == "dry_run" else
                 f"Not delivered: the last reports of the span are due {checked['last_deadline']}; "
                 f"{built['docx']} is rendered. Trigger with force_delivery to send it anyway.")
        return {"status": held}
    from county_reports.deliver import edited_drafts

    why = approval_reasons(checked, params, scheduled=scheduled, started=started)
    # What would leave now: the office's edited version of this draft if one was uploaded, else the draft.
    bound = edited_drafts.bound(built["year"], built["docx"], built["sidecar"], data_dir)
    return _decided_then_sent(bound.files(built), checked, params, why, bound, texts=texts, approvers=approvers,
                              run_id=run_id, token_lookup=token_lookup, smtp_sender=smtp_sender, data_dir=data_dir)


def _decided_then_sent(built: dict, checked: dict, params: dict, why: list[str], bound, *, texts: dict,
                       approvers: frozenset[str], run_id: str, token_lookup, smtp_sender,
                       data_dir: Path | None) -> dict[str, Any]:
    from county_reports.deliver import office
    from county_reports.deliver import dispatch
    from county_reports.warehouse import Warehouse

    kind, year = checked["kind"], checked["year"]
    with Warehouse() as warehouse:
        answer = approval.answer_of(warehouse.engine, kind, run_id) if why else None
        decision, built, sha = _decision(built, checked, why, bound, answer, texts, approvers, data_dir)
        audit = dict(kind=kind, year=year, run_id=run_id, by=decision.by, at=decision.at, docx=built["docx"],
                     docx_sha256=sha, approved_sha256=_approved_sha(answer, decision), why=why,
                     **_edit_details(bound, answer), **_unconfirmed_details(answer, decision))
        if why:
            approval.record(warehouse.engine, action="approved" if decision.delivers else decision.action,
                            note=decision.note, **audit)
        log.info(f"Approval: {decision.action}" + (f" by {decision.by}" if decision.by else "")
                 + (f": {decision.note}" if decision.note else ""))
        _refuse_unless_approved(decision, built, sha, answer, texts)
        if bound.edited and not why:        # an edited version never leaves unasked (approval: none)
            raise ReportRefused(f"{built['docx']} is the office's edited version and this run asked no admin: "
                                f"nothing sent; trigger the report with an approval.")
        if not decision.delivers:
            log.info(f"Not delivered; the draft is kept: {built['docx']}")
            return {"status": decision.action, "reason": decision.note} | (
                _waiting(built, checked, decision, answer) if decision.action == approval.UNCONFIRMED_WAIT else {})
        try:
            result = dispatch.send(paths.located(built, DOCUMENT_FILES, data_dir), load_catalog(), warehouse,
                                   decision=decision, force=bool(params.get("force_delivery")),
                                   correction_of=checked["correction_of"],
                                   data_dir=data_dir or paths.data_dir(), run_id=run_id, token_lookup=token_lookup,
                                   smtp_sender=smtp_sender, state_gap=checked["state_gap"],
                                   approved_sha256=sha if why else None)
        except office.DocumentChanged as exc:
            approval.record(warehouse.engine, action=approval.STALE, note=str(exc), **audit)
            raise ReportRefused(f"{exc}; approve it again (clear the run's approve task).") from None
    log.info(f"Delivery: {result['status']} via {result['channel']}; receipt {result['receipt_id']}"
             + (f"; {result['note']}" if result.get("note") else "") + f"; delivered copy {result['kept']}")
    if result["status"] == "failed":
        raise DeliveryFailed(f"Delivery failed after {result['attempts']} attempts: {result['error']}")
    return result


def _decision(built: dict, checked: dict, why: list[str], bound, answer: dict | None, texts: dict,
              approvers: frozenset[str], data_dir: Path | None) -> tuple[approval.Decision, dict, str]:
    """The admin's decision, and the document it sends with its SHA-256 as it is now: the span
    rendered without the unconfirmed values when the admin chose 剔除后汇总, else ``built``."""
    left_out = (answer or {}).get("left_out") or {}
    left_sha = approval.fingerprint(paths.at(left_out["docx"], data_dir)) \
        if left_out and paths.at(left_out["docx"], data_dir).is_file() else None
    decision = approval.decide(why, checked["below"], answer, texts, approvers=approvers, sha256=bound.sha256,
                               left_out_sha256=left_sha)
    if decision.leaves_out:
        return decision, built | {f: left_out[f] for f in DOCUMENT_FILES}, left_sha
    return decision, built, bound.sha256


def _waiting(built: dict, checked: dict, decision: approval.Decision, answer: dict | None) -> dict[str, Any]:
    """暂缓报送: what the admins' e-mail needs (``wait_mail``); the run ends, nothing sent."""
    log.info(f"Held back by {decision.by} (wait): nothing sent until the units confirm or correct the values; "
             f"trigger the report again then. Kept: {built['docx']}")
    return {"kind": checked["kind"], "year": checked["year"], "title": built.get("title"), "by": decision.by,
            "unconfirmed": (answer or {}).get("unconfirmed") or []}


def _approved_sha(answer: dict | None, decision: approval.Decision) -> str | None:
    """The SHA-256 the admin approved: the left-out document's when that is the one chosen."""
    if decision.unconfirmed == "leave_out":
        return ((answer or {}).get("left_out") or {}).get("sha256")
    return (answer or {}).get("docx_sha256")


def _unconfirmed_details(answer: dict | None, decision: approval.Decision) -> dict[str, Any]:
    """The audit's words on the span's unconfirmed values: which, and what the admin chose."""
    keys = (answer or {}).get("unconfirmed") or []
    return {"unconfirmed": keys, "unconfirmed_choice": decision.unconfirmed} if keys else {}


def wait_mail(result: dict, *, texts: dict, mail, run_id: str, dag_id: str) -> tuple[str, str]:
    """The admins' e-mail after 暂缓报送: the values still waiting for their units (as now)."""
    from county_reports.deliver import unconfirmed

    asked = {tuple(k) for k in result.get("unconfirmed") or []}
    catalog, year = load_catalog(), result.get("year")
    now = [v for v in unconfirmed.span_values(result["kind"], year) if unconfirmed.key(v) in asked] if year else []
    lines = [unconfirmed.line(texts, catalog, v) for v in now] or [messages.join(" ".join(k) for k in sorted(asked))]
    return unconfirmed.wait_mail(mail, title=result.get("title") or "", run_id=run_id, dag_id=dag_id,
                                 by=result.get("by"), lines=lines)


def _refuse_unless_approved(decision: approval.Decision, built: dict, sha: str, answer: dict | None,
                            texts: dict) -> None:
    """The refusals no retry can cure: the run fails clearly, the draft is kept."""
    if decision.action == approval.NOT_CONFIRMED:
        raise ReportRefused(f"Approved without confirming the coverage gap ({texts['gap_title']}): "
                            f"nothing sent; {built['docx']} is kept.")
    if decision.action == approval.UNANSWERED:
        raise ReportRefused(f"This delivery needs an admin's approval and Airflow holds no answer for this run's "
                            f"approve task: nothing sent; {built['docx']} is kept.")
    if decision.action == approval.NOT_APPROVER:
        raise ReportRefused(f"Answered by {decision.by!r}, who is not among admins.yaml approvers: nothing sent.")
    if decision.action == approval.UNCONFIRMED_NOT_DECIDED:
        raise ReportRefused(f"Approved without a choice on the span's unconfirmed values ({texts['unconfirmed_title']};"
                            f" {texts['unconfirmed_leave_out']} only where a document without them was rendered): "
                            "nothing sent.")
    if decision.action == approval.FIGURES_NOT_CONFIRMED:
        raise ReportRefused(f"Approved without confirming each figure changed by hand in the edited version "
                            f"({texts['figures_title']}): nothing sent; {built['docx']} is kept.")
    if decision.action == approval.STALE:
        approved = str((answer or {}).get("docx_sha256"))[:12]
        raise ReportRefused(f"{built['docx']} changed after it was put to the admin (sha256 now {sha[:12]}…, "
                            f"approved {approved}…): nothing sent; approve it again (clear the run's approve task). "
                            + texts["edited_stale"].format(title=built["title"], sha256=sha[:12], approved=approved))


def _edit_details(bound, answer: dict | None) -> dict[str, Any]:
    """The audit's words on an edited version: who uploaded it, its paragraphs, the figures confirmed."""
    if not bound.edited:
        return {"edited": False}
    record = bound.review.get("sidecar_record") or {}
    confirmed = ((answer or {}).get("params_input") or {}).get(approval.FIGURES_PARAM) or []
    return {"edited": True, "edited_by": record.get("edited_by"), "draft": bound.draft,
            "edited_paragraphs": record.get("edited_paragraphs"), "figures_confirmed": list(confirmed)}


# --------------------------------------------------------------------------- drafts


def open_summaries(months: list[str], delivered: Callable[[str, int], bool]) -> list[tuple[str, int]]:
    """The summaries not yet delivered that new figures for ``months`` change: a month of
    January–June belongs to its year's half-year summary until that is delivered, then (like
    July–December) to the annual one. Delivered ones are the late-correction notice's business."""
    found = []
    for month in sorted(set(months)):
        year, number = int(month[:4]), int(month[5:7])
        for kind in ((report_settings.HALF_YEAR, report_settings.ANNUAL) if number <= 6 else (report_settings.ANNUAL,)):
            if not delivered(kind, year):
                if (kind, year) not in found:
                    found.append((kind, year))
                break
    return found


def drafts(months: list[str], data_dir: Path | None = None) -> list[dict[str, Any]]:
    """Re-render the open summaries that new accepted figures for ``months`` change, into
    ``{data}/drafts/{year}/`` — never delivered, never approved: what the admins would send today.
    A gap in coverage is stated in the draft, whatever ``below_threshold`` says."""
    from county_reports.deliver import dispatch
    from county_reports.render import summaries
    from county_reports.warehouse import Warehouse

    catalog, settings = load_catalog(), report_settings.load_settings()
    out = []
    with Warehouse() as warehouse:
        warehouse.migrate()
        wanted = open_summaries(months, lambda kind, year: bool(
            dispatch.previous_receipt(warehouse.engine, kind, year)))
        for kind, year in wanted:
            plan = summaries.plan(kind, year, settings)
            cover = summaries.coverage(warehouse, catalog, plan, settings)
            built = summaries.write_summary(warehouse, catalog, plan, paths.drafts(year, data_dir),
                                    state_gap=cover.action != "proceed")
            log.info(f"Draft {built['docx']} ({cover.reason})")
            out.append({"kind": kind, "year": year, "docx": paths.key(built["docx"], data_dir), "rate": cover.rate})
    if not out:
        log.info(f"No open summary covers {', '.join(months) or 'these months'}: nothing to draft.")
    return out
