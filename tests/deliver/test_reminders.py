"""Reminders before the deadline (e-mail and protocol-v1 POST) and the admins' list after it,
against a real warehouse, the simulator's HTTP server and an SMTP server."""
from __future__ import annotations

import dataclasses
import shutil
from datetime import date

import pytest
import yaml

from county_reports.deliver import channels, reminders
from county_reports.core import mail, paths as project
from county_reports.core.catalog import load_catalog
from county_reports.simulator.seeding import accepted_verdicts
from county_reports.warehouse import Warehouse

PERIOD = "2025-06"


@pytest.fixture
def email_catalog(tmp_path):
    """The bundled roster with TS01 and TS02 reporting by e-mail."""
    config = tmp_path / "config"
    shutil.copytree(project.config_dir(), config)
    roster = yaml.safe_load((config / "units.yaml").read_text(encoding="utf-8"))
    for unit in roster["units"]:
        if unit["code"] in ("TS01", "TS02"):
            unit["channel"] = "email"
            unit.pop("base_url"), unit.pop("token_conn_id")
    (config / "units.yaml").write_text(yaml.safe_dump(roster, allow_unicode=True), encoding="utf-8")
    return load_catalog(config)


def test_reminders_go_once_to_units_with_nothing_accepted_then_the_admins_get_the_rest(
        email_catalog, simulator, demo_tokens, smtp_inbox, tmp_path):
    catalog = email_catalog
    host, port, received = smtp_inbox
    send = channels.smtplib_sender(host, port, timeout=5)
    cfg = mail.load_settings()
    data = tmp_path / "data"
    warehouse = Warehouse(f"sqlite:///{tmp_path / 'wh.db'}")
    warehouse.migrate()
    warehouse.sync_roster(catalog, "test")
    seeded = accepted_verdicts(catalog, PERIOD, PERIOD, skip={("TS01", PERIOD), ("TS03", PERIOD)})
    seeded = [dataclasses.replace(v, status="rejected") if v.unit == "TS05" else v for v in seeded]
    warehouse.record_verdicts(seeded, "test")
    simulator.reminders.clear()

    def day(d: date):
        context = reminders.ReminderContext(catalog, data, cfg, send=send, token_lookup=demo_tokens.get)
        return reminders.run(d, warehouse.completeness(catalog, [PERIOD]), context)

    # TS units are due on 5 July: nothing on the 2nd, reminders from the 3rd (days_before 2)
    assert day(date(2025, 7, 2))["reminded"] == []
    first = day(date(2025, 7, 3))
    assert sorted(first["reminded"]) == ["TS01", "TS03", "TS05"] and first["failed"] == []
    [to_ts01] = received.to("ts01@qinghe.example")              # TS01 reports by e-mail
    assert "2025年7月5日" in to_ts01["Subject"] and "TS01.xlsx" in to_ts01.get_content()
    assert received.to("ts02@qinghe.example") == []               # accepted: never reminded
    for code in ("TS03", "TS05"):                                 # HTTP units: POST …/reminders
        [body] = simulator.reminders[(code, PERIOD)]
        assert body["due"] == "2025-07-05" and catalog.unit_by_code[code].name in body["text"]
    assert ("TS02", PERIOD) not in simulator.reminders and ("RC01", PERIOD) not in simulator.reminders

    # once per unit and month
    assert day(date(2025, 7, 4))["reminded"] == []
    assert len(received.to("ts01@qinghe.example")) == 1 and len(simulator.reminders[("TS05", PERIOD)]) == 1

    # TS03 reports on the 5th; on the 6th the admins get TS01 and TS05 with their contacts
    warehouse.record_verdicts(accepted_verdicts(catalog, PERIOD, PERIOD, skip={
        (u.code, PERIOD) for u in catalog.units if u.code != "TS03"}), "test")
    after = day(date(2025, 7, 6))
    assert sorted(after["escalated"]) == ["TS01", "TS05"]
    [notice] = received.to(cfg.admins[0])
    text = notice.get_content()
    assert "ts01@qinghe.example" in text and "ts05@qinghe.example" in text and "TS03" not in text
    assert "已报送但未通过审核" in text and "未报送" in text
    assert day(date(2025, 7, 7))["escalated"] == []               # told once
    assert len(received.to(cfg.admins[0])) == 1
    warehouse.close()


def test_an_email_unit_without_a_workbook_is_missing_without_any_http(email_catalog, tmp_path):
    from county_reports.collect import pulls
    from county_reports.collect.pull_settings import PullContext

    [outcome] = pulls.pull_batch(email_catalog, PERIOD, ["TS01"],
                                 PullContext(data_dir=tmp_path, token_lookup=lambda _: None))
    assert (outcome["status"], outcome["source"], outcome["http_status"]) == ("missing", "inbox", None)
