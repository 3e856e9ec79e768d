"""Warnings a unit must answer, by e-mail (issue 20 part 3), against a real Dovecot and a real SMTP
server: TS10 mails its template with a ×10 slip; the reply asks it to fill 核实说明; it mails the
same figures with "核实无误" and a reason in that column; like any mailed workbook for an accepted
month it is held for an admin, who releases it; collected, the value is confirmed and enters the
outlier history."""
from __future__ import annotations

import io
import shutil

import pytest
from mail_helpers import TEMPLATE_KEY, email, filled_template, use_template_key
from openpyxl import load_workbook

from county_reports.collect import pulls, inbox, mailbox, template
from county_reports.deliver import channels, notify
from county_reports.core import mail, periods
from county_reports.simulator.data import SubmissionGenerator
from county_reports.simulator.profile import load_profile
from county_reports.validate import intake
from county_reports.validate.model import Verdict, read_verdicts
from county_reports.warehouse import Warehouse
from county_reports.warehouse.flags import current_flags
from county_reports.warehouse.history import outlier_history

PERIOD = "2025-06"
UNIT, ADDRESS = "TS10", "ts10@qinghe.example"          # channels [http, email]
REASON = "6月集中支付上半年工程款"


@pytest.fixture(autouse=True)
def template_key(monkeypatch):
    return use_template_key(monkeypatch)


@pytest.fixture
def wh(tmp_path):
    with Warehouse(f"sqlite:///{tmp_path / 'wh.db'}") as warehouse:
        warehouse.migrate()
        yield warehouse


def _generated(catalog, period):
    profile = load_profile()
    return SubmissionGenerator(catalog, seed=profile.seed, sizes=profile.sizes).payload(UNIT, period)["values"]


def _seed(wh, catalog):
    """12 months before PERIOD with a steady INV_HIGHWAY (about 100 万元)."""
    verdicts = []
    for k in range(1, 13):
        month = periods.shift(PERIOD, -k)
        values = {c: float(v) for c, v in _generated(catalog, month).items()}
        values["INV_TOTAL"] += 100.0 + k - values["INV_HIGHWAY"]
        values["INV_HIGHWAY"] = 100.0 + k
        verdicts.append(Verdict(UNIT, month, f"{k:064x}", "http", f"{periods.shift(month, 1)}-03T10:00:00+08:00",
                                None, "accepted", values, {c: str(v) for c, v in values.items()}))
    wh.record_verdicts(verdicts, "seed")


def _book(catalog, tmp_path, reason: str | None = None) -> bytes:
    values = _generated(catalog, PERIOD)
    slip = {"INV_HIGHWAY": 1060.0, "INV_TOTAL": round(values["INV_TOTAL"] - values["INV_HIGHWAY"] + 1060.0, 2)}
    book = filled_template(catalog, UNIT, PERIOD, tmp_path, changes=slip, key=TEMPLATE_KEY)
    if reason is None:
        return book
    wb = load_workbook(io.BytesIO(book))
    ws = wb[template.SHEET_VALUES]
    assert ws.cell(row=1, column=7).value == "核实说明"
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value == "INV_HIGHWAY")
    ws.cell(row=row, column=7, value=reason)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _fetch(dovecot, catalog, data, settings, accepted=()):
    client = dovecot.client()
    try:
        return mailbox.fetch(client, catalog, data, [PERIOD], settings, template_key=TEMPLATE_KEY,
                             accepted=accepted)
    finally:
        client.logout()


def _collect_and_store(wh, catalog, data, out_dir):
    outcome = pulls.read_inbox_file(catalog, catalog.unit_by_code[UNIT], PERIOD,
                                      inbox.inbox_path(data, PERIOD, UNIT), data_dir=data)
    history = outlier_history(wh.engine, intake.history_periods([PERIOD], 12))
    files = intake.validate_outcomes([outcome], catalog, data, history=history, docs_dir=None, out_dir=out_dir)
    [verdict] = read_verdicts(files[0])
    wh.record_verdicts([verdict], "run")
    return verdict


def _flag(wh):
    flags = current_flags(wh.engine, [PERIOD])
    return [tuple(r) for r in flags.loc[flags["indicator"] == "INV_HIGHWAY", ["confirmed", "reason"]]
            .itertuples(index=False)]


def _in_history(wh) -> bool:
    h = outlier_history(wh.engine, [PERIOD])
    return 1060.0 in set(h.loc[h["indicator"] == "INV_HIGHWAY", "value"])


def test_a_slip_confirmed_in_the_mailed_templates_column(dovecot, smtp_inbox, catalog, wh, tmp_path):
    settings, data = mail.load_settings(), tmp_path / "data"
    _seed(wh, catalog)
    dovecot.deliver(email(ADDRESS, "6月报表", [("TS10.xlsx", _book(catalog, tmp_path))],
                          message_id="<first@qinghe.example>"))
    [entry] = _fetch(dovecot, catalog, data, settings)
    assert entry.outcome == mailbox.INBOXED
    verdict = _collect_and_store(wh, catalog, data, tmp_path / "v1")
    assert verdict.status == "accepted_with_warnings" and verdict.confirmations == {}
    assert _flag(wh) == [(False, None)] and not _in_history(wh)

    host, port, received = smtp_inbox
    assert len(notify.reply_by_mail([verdict], catalog, data, settings,
                                    channels.smtplib_sender(host, port, timeout=5))["sent"]) == 1
    [answer] = received.to(ADDRESS)
    text = answer.get_content()
    assert "核实说明" in text and "核实无误" in text and "INV_HIGHWAY" in text

    # The answer: the same figures, 核实无误 and why in the column. An accepted month: held.
    dovecot.deliver(email(ADDRESS, "回复：6月报表", [("TS10.xlsx", _book(catalog, tmp_path, f"核实无误：{REASON}"))],
                          message_id="<second@qinghe.example>"))
    [held] = _fetch(dovecot, catalog, data, settings, accepted={(UNIT, PERIOD)})
    assert held.outcome == mailbox.HELD
    # The admin releases it as README says: its workbook into the unit's inbox folder.
    shutil.copyfile(f"{held.quarantine}/workbook.xlsx", inbox.inbox_path(data, PERIOD, UNIT))
    verdict = _collect_and_store(wh, catalog, data, tmp_path / "v2")
    assert verdict.confirmations == {"INV_HIGHWAY": f"核实无误：{REASON}"}
    assert _flag(wh) == [(True, f"核实无误：{REASON}")] and _in_history(wh)
    [answered] = [i for i in verdict.warnings if i.indicator == "INV_HIGHWAY"]
    assert "本单位已核实无误" in answered.message
