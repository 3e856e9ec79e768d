"""A run of ``half_year_report`` / ``annual_report``, task by task, as plain Python.

check_coverage → render → approval_request → (an admin answers in Airflow) → deliver. The DAG
file passes in what only Airflow has (the run's moment, the admin's answer, the token lookup,
the SMTP sender) and maps :class:`ReportRefused` to a failure that is not retried. The policy
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

from county_reports import approval, paths, report_settings
from county_reports.catalog import load_catalog

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
    from county_reports import dispatch, summaries
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
    """Write the .docx, the figure sidecar and the workbook in ``{data}/reports/{year}/``."""
    from county_reports import summaries
    from county_reports.warehouse import Warehouse

    plan = summaries.plan(checked["kind"], checked["year"], report_settings.load_settings())
    with Warehouse() as warehouse:
        built = summaries.write_summary(warehouse, load_catalog(), plan, paths.reports(plan.year, data_dir),
                                state_gap=checked["state_gap"])
    log.info(f"Rendered {built['docx']} ({built['figures']} figures traced in {built['sidecar']})")
    return paths.keyed(built, DOCUMENT_FILES, data_dir)


def held_back(checked: dict, params: dict) -> str | None:
    """Why this run sends nothing whatever the admin says: ``dry_run``, ``span_open``, or None."""
    if params.get("dry_run"):
        return "dry_run"
    if checked["span_open"] and not params.get("force_delivery"):
        return "span_open"
    return None


def approval_request(built: dict, checked: dict, params: dict, *, scheduled: datetime | None,
                     now: datetime, texts: dict, ui_url: str) -> dict[str, str] | None:
    """What the admin is asked (subject, body, reasons), or None when nothing waits for an admin."""
    from county_reports import delivery_config

    again = params.get("force_delivery") or checked["correction_of"]
    if held_back(checked, params) or (checked["delivered_receipt"] and not again):
        return None                          # nothing will be sent: nothing to approve
    settings = report_settings.load_settings()
    # A run whose logical date lies long before its start is a catch-up (e.g. right after unpausing).
    why = approval.reasons(settings, checked, late=approval.is_late(scheduled, now, settings),
                           correction=bool(checked["correction_of"]))
    if not why:
        log.info("No approval needed (reports.yaml approval: none, coverage above the threshold).")
        return None
    return approval.request(load_catalog(), texts, checked, built, why=why, ui_url=ui_url,
                            recipient=delivery_config.load_settings().recipient,
                            correction_of=checked["correction_of"])


def deliver(built: dict, checked: dict, params: dict, *, asked: dict | None, answer: dict | None,
            texts: dict, run_id: str | None, token_lookup: Callable[[str], str | None] | None,
            smtp_sender: Callable | None, data_dir: Path | None = None) -> dict[str, Any]:
    """Send the approved document to the county office once, and record the decision and receipt.

    ``asked``: the approval request (None when none was made); ``answer``: the admin's response."""
    from county_reports import dispatch
    from county_reports.warehouse import Warehouse

    held = held_back(checked, params)
    if held:
        log.info(f"Dry run: {built['docx']} rendered, not delivered." if held == "dry_run" else
                 f"Not delivered: the last reports of the span are due {checked['last_deadline']}; "
                 f"{built['docx']} is rendered. Trigger with force_delivery to send it anyway.")
        return {"status": held}
    decision = approval.decide(asked, answer if asked else None, texts)
    with Warehouse() as warehouse:
        if asked:
            approval.record(warehouse.engine, kind=built["kind"], year=built["year"], run_id=run_id,
                            action="approved" if decision.delivers else decision.action,
                            note=decision.note, by=decision.by, at=decision.at, docx=built["docx"],
                            why=asked["why"])
        log.info(f"Approval: {decision.action}" + (f" by {decision.by}" if decision.by else "")
                 + (f": {decision.note}" if decision.note else ""))
        if decision.action == approval.NOT_CONFIRMED:
            raise ReportRefused(f"Approved without confirming the coverage gap ({texts['gap_title']}): "
                                f"nothing sent; {built['docx']} is kept.")
        if not decision.delivers:
            log.info(f"Not delivered; the draft is kept: {built['docx']}")
            return {"status": decision.action, "reason": decision.note}
        result = dispatch.send(paths.located(built, DOCUMENT_FILES, data_dir), load_catalog(), warehouse,
                               decision=decision, force=bool(params.get("force_delivery")),
                               correction_of=checked["correction_of"],
                               data_dir=data_dir or paths.data_dir(), run_id=run_id, token_lookup=token_lookup,
                               smtp_sender=smtp_sender, state_gap=checked["state_gap"])
    log.info(f"Delivery: {result['status']} via {result['channel']}; receipt {result['receipt_id']}"
             + (f"; {result['note']}" if result.get("note") else "") + f"; delivered copy {result['kept']}")
    if result["status"] == "failed":
        raise DeliveryFailed(f"Delivery failed after {result['attempts']} attempts: {result['error']}")
    return result


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
    from county_reports import dispatch, summaries
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
