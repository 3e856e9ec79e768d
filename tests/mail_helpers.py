"""Build what a clerk e-mails: the unit's template filled in with openpyxl, in a MIME message."""
from __future__ import annotations

import io
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from openpyxl import Workbook, load_workbook

from county_reports import template
from county_reports.simulator.data import SubmissionGenerator
from county_reports.simulator.profile import load_profile

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def filled_template(catalog, unit: str, period: str, folder: Path, *, changes: dict | None = None) -> bytes:
    """The unit's template for ``period`` filled with the simulator's clean figures; ``changes``
    overrides values by indicator code."""
    path = template.write_template(catalog, unit, period, Path(folder) / f"{unit}-{period}.xlsx")
    profile = load_profile()
    values = SubmissionGenerator(catalog, seed=profile.seed, sizes=profile.sizes).payload(unit, period)["values"]
    values = {**values, **(changes or {})}
    wb = load_workbook(path)
    ws = wb[template.SHEET_VALUES]
    for row in range(2, ws.max_row + 1):
        code = ws.cell(row=row, column=1).value
        if code in values:
            ws.cell(row=row, column=5, value=values[code])
    guide = wb[template.SHEET_GUIDE]
    for row in range(1, guide.max_row + 1):
        label = guide.cell(row=row, column=1).value
        if label == template.CONTACT_NAME_LABEL:
            guide.cell(row=row, column=2, value="王小明")
        elif label == template.CONTACT_PHONE_LABEL:
            guide.cell(row=row, column=2, value="0311-5550123")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def plain_workbook() -> bytes:
    """A spreadsheet that is not one of our templates (the clerk's own table)."""
    wb = Workbook()
    wb.active["A1"], wb.active["B1"] = "指标", "数值"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def email(sender: str, subject: str, attachments=(), *, to: str = "jtj@qinghe.example",
          message_id: str | None = None, date=None, body: str = "请查收本月报表。") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain=sender.split("@")[-1].rstrip(">"))
    if date is not None:
        msg["Date"] = format_datetime(date)
    msg.set_content(body)
    for name, data in attachments:
        msg.add_attachment(data, maintype="application", subtype=XLSX.split("/")[1] if name.endswith(".xlsx")
                           else "octet-stream", filename=name)
    return msg.as_bytes()
