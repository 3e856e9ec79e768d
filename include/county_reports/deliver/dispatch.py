"""The report DAGs' last step: an approved (or approval-free) rendering goes to the county office.

:func:`send` keeps what leaves under its SHA-256 (the .docx and the figure sidecar, so a later
correction can be compared with what was printed), marks a corrected version (更正) in its title,
file name and metadata, calls :func:`county_reports.deliver.office.deliver` and records the delivery with
the approval in the warehouse's audit. No Airflow import: the DAG passes the token lookup and,
for SMTP, a factory of the function that sends a message.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from county_reports.deliver import approval
from county_reports.core import archive, atomic, messages, paths
from county_reports.deliver import office, office_settings
from county_reports.core.catalog import Catalog


def previous_receipt(engine, kind: str, year: int) -> str | None:
    """The receipt of the report the office holds for (kind, year), if any."""
    row = office.WarehouseDeliveryLedger(engine).already_delivered(kind, year)
    return row.get("receipt_id") if row else None


def send(built: dict, catalog: Catalog, warehouse, *, decision: approval.Decision, force: bool,
         correction_of: str | None, data_dir: Path, run_id: str | None,
         token_lookup: Callable[[str], str | None] | None,
         smtp_sender: Callable[[str], office.SmtpSend] | None, state_gap: bool = False,
         marker: str | None = None, approved_sha256: str | None = None) -> dict[str, Any]:
    """Deliver ``built`` (summaries.write_summary's result) once, or again when forced or a correction.

    ``approved_sha256``: the .docx the admin approved; any other bytes raise
    :class:`county_reports.deliver.office.DocumentChanged` before anything is sent."""
    docx, sidecar = paths.location(built["docx"]), paths.location(built["sidecar"])
    kept = archive.store(data_dir, docx.read_bytes())
    figures = archive.store(data_dir, sidecar.read_bytes())
    title = built["title"]
    if correction_of:
        title += marker if marker is not None else messages.text("dispatch", "correction_marker")
        docx = atomic.write_bytes(docx.with_name(f"{title}.docx"), docx.read_bytes())
    cfg = office_settings.load_settings()
    document = office.Document(kind=built["kind"], year=built["year"], title=title, issuer=catalog.bureau.name,
                                 path=docx, extras=(paths.location(built["xlsx"]), sidecar),
                                 correction_of=correction_of, approved_sha256=approved_sha256)
    result = office.deliver(document, cfg, ledger=office.WarehouseDeliveryLedger(warehouse.engine),
                              token_lookup=token_lookup, force=force or bool(correction_of),
                              smtp_send=(smtp_sender(cfg.smtp.conn_id)
                                         if cfg.channel == "smtp" and smtp_sender else None))
    out = result.as_dict() | {"kept": paths.key(kept.path, data_dir), "title": title, "correction_of": correction_of}
    if result.status == office.DELIVERED:
        approval.record(warehouse.engine, kind=built["kind"], year=built["year"], action="delivered",
                        run_id=run_id, title=title, receipt_id=result.receipt_id, channel=result.channel,
                        docx_sha256=kept.sha256, sidecar_sha256=figures.sha256, correction_of=correction_of,
                        approval=decision.action, approved_by=decision.by, note=decision.note,
                        state_gap=state_gap)
    return out
