"""unit_reminders' task as plain Python: the day from the form or the run, who has reported read
from the warehouse, reminders through the simulator and a real SMTP server."""
from __future__ import annotations

import pendulum
import pytest
import seeded_warehouse

from county_reports.deliver import channels
from county_reports.core import paths
from county_reports.runs import unit_reminders

PERIOD = "2025-06"


@pytest.fixture
def data(tmp_path, monkeypatch, catalog):
    skip = {(u.code, PERIOD) for u in catalog.units if u.code != "TS02"}
    return seeded_warehouse.seed(tmp_path, monkeypatch, catalog, PERIOD, PERIOD, skip=skip)


def test_the_forms_day_decides_and_units_with_data_are_not_reminded(data, simulator, demo_tokens, smtp_inbox):
    host, port, _ = smtp_inbox
    simulator.reminders.clear()
    sender = lambda conn_id: channels.smtplib_sender(host, port, timeout=5)  # noqa: E731
    moment = pendulum.datetime(2025, 7, 1, 9, tz="Asia/Shanghai")        # too early for reminders
    assert unit_reminders.remind({}, moment, smtp_sender=sender, token=demo_tokens.get)["reminded"] == []
    result = unit_reminders.remind({"day": "2025-07-04"}, moment, smtp_sender=sender, token=demo_tokens.get)
    assert "TS03" in result["reminded"] and "TS02" not in result["reminded"] and result["failed"] == []
    assert paths.reminders(data).joinpath(f"{PERIOD}.jsonl").is_file()
