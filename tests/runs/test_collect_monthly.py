"""collect_monthly's tasks as plain Python, one after the other as the DAG wires them, against
the simulator's HTTP server and a SQLite warehouse in a temporary data folder (no scheduler)."""
from __future__ import annotations

import logging

import pendulum
import pytest

from county_reports.runs import collect_monthly
from county_reports.collect import ledger
from county_reports.core import paths

PERIOD = "2025-09"
MOMENT = pendulum.datetime(2025, 10, 5, 6, tz="Asia/Shanghai")


def test_the_months_of_a_run_and_the_run_id_as_a_folder(catalog):
    assert collect_monthly.months_of({}, MOMENT, catalog) == ["2025-09"]
    assert collect_monthly.months_of({"period": "2025-01", "through": "2025-03"}, MOMENT, catalog) == \
        ["2025-01", "2025-02", "2025-03"]
    assert collect_monthly.safe_name("manual__2025-10-05T06:00:00+00:00") == "manual__2025-10-05T06_00_00_00_00"
    assert collect_monthly.safe_name(None) == "manual"
    assert collect_monthly.flatten([[1, 2], [], [3]]) == [1, 2, 3]


def test_without_a_mailbox_the_mail_channel_is_skipped(data, caplog):
    caplog.set_level(logging.INFO, logger="county_reports")     # the task log
    def never(*_args):
        raise AssertionError("no client without a mailbox")

    assert collect_monthly.fetch_mail({}, MOMENT, has_mailbox=lambda conn_id: False, imap_client=never,
                                      smtp_sender=never, secret=never) == {}
    assert "e-mail channel skipped" in caplog.text


def test_without_the_template_key_the_mailbox_is_not_touched(data):
    def never(*_args):
        raise AssertionError("the mailbox must not be opened without the key")

    with pytest.raises(RuntimeError, match="No template key"):
        collect_monthly.fetch_mail({}, MOMENT, has_mailbox=lambda conn_id: True, imap_client=never,
                                  smtp_sender=never, secret=lambda conn_id: None)


def test_a_run_task_by_task(data, simulator, demo_tokens, catalog, caplog):
    caplog.set_level(logging.INFO, logger="county_reports")     # the task log
    simulator.clear_faults()
    # The session's simulator may have heard of this month from an earlier test (the mail e2e
    # collects 2025-09 too): what counts is what this run sends.
    told_before = {key: len(simulator.feedback.get(key, [])) for key in (("TS01", PERIOD), ("TS07", PERIOD))}
    simulator.set_fault("TS01", PERIOD, "missing")
    simulator.set_fault("TS07", PERIOD, "invalid_values")
    try:
        batches = collect_monthly.plan({"period": PERIOD, "units": ["TS01", "TS05", "TS07"]}, MOMENT)
        assert [b["units"] for b in batches] == [["TS01"], ["TS05"], ["TS07"]]
        pulled = [collect_monthly.pull(b, demo_tokens.get, record_as=("run-1", 1)) for b in batches]
    finally:
        simulator.clear_faults()
    assert {o["unit"]: o["status"] for batch in pulled for o in batch} == \
        {"TS01": "missing", "TS05": "received", "TS07": "received"}
    assert paths.collections(data).joinpath(f"{PERIOD}.jsonl").is_file()

    validated = collect_monthly.validate(pulled, "run-1")
    assert validated["months"] == [PERIOD] and validated["not_received"][0]["unit"] == "TS01"
    # handed on as keys in the data folder (XCom never carries a path on one machine's disk)
    assert validated["verdict_files"] == [f"verdicts/run-1/{PERIOD}.json"]
    assert paths.at(validated["verdict_files"][0], data).is_file()
    stored = collect_monthly.store(validated, "run-1")
    versions = {r["unit"]: (r["outcome"], r["status"]) for r in stored}
    assert set(versions) == {"TS05", "TS07"} and versions["TS07"] == ("new", "rejected")
    assert versions["TS05"][0] == "new" and versions["TS05"][1].startswith("accepted")
    assert collect_monthly.newly_accepted(stored) == [PERIOD]              # TS05's new version
    assert collect_monthly.newly_accepted(collect_monthly.store(validated, "run-2")) == []   # duplicates

    notified = collect_monthly.notify(validated, stored, "run-1", demo_tokens.get)
    assert notified["failed"] == [] and notified["sent"] >= 1
    told = {key: len(simulator.feedback.get(key, [])) - n for key, n in told_before.items()}
    assert told == {("TS07", PERIOD): 1, ("TS01", PERIOD): 0}     # nothing to say to a missing unit

    summary = collect_monthly.summarise(pulled, validated, notified)
    assert summary["statuses"]["rejected"] == 1 and summary["feedback"] == notified
    assert paths.validation(data).joinpath(f"{PERIOD}.html").is_file()
    assert ledger.latest_by_unit(data, PERIOD)["TS01"]["status"] == "missing"

    mails = []
    assert collect_monthly.check_corrections(stored, lambda *mail: mails.append(mail), None) == []
    assert mails == []                        # nothing delivered yet: nothing to correct
    assert "0 delivered report(s) affected" in caplog.text
