"""The data folder in an S3 bucket (a real S3 API server process, moto's server mode): the few
things an object store does differently (no rename, no append, no lock) and a month collected,
validated, stored, told and summarised, then a report rendered and delivered — every file in the
bucket, what the tasks hand on are keys, and nothing lands on the local disk."""
from __future__ import annotations

import json
import threading
from datetime import date, datetime, UTC
from pathlib import Path

import pendulum
import config_copy
import pytest

from object_store import local_paths_in

from county_reports.core import admins, archive, atomic, paths
from county_reports.deliver import approval
from county_reports.runs import collect_monthly, summary_reports
from county_reports.collect import inbox, ledger

PERIOD = "2025-06"
MOMENT = pendulum.datetime(2025, 7, 10, 6, tz="Asia/Shanghai")


def test_keys_are_relative_to_the_data_folder_and_never_leave_it(tmp_path):
    data = tmp_path / "data"
    assert paths.key(data / "reports" / "2025" / "a.docx", data) == "reports/2025/a.docx"
    assert paths.at("reports/2025/a.docx", data) == data / "reports" / "2025" / "a.docx"
    with pytest.raises(ValueError, match="not in the data folder"):
        paths.key(tmp_path / "elsewhere.docx", data)
    for bad in ("/etc/passwd", "../secrets/unit_tokens.json", "s3://other/x"):
        with pytest.raises(ValueError, match="not a data-folder key"):
            paths.at(bad, data)
    assert paths.key("s3://b/data/verdicts/r/2025-09.json", "s3://b/data") == "verdicts/r/2025-09.json"
    built = {"docx": str(data / "reports/2025/a.docx"), "title": "总结"}
    assert paths.keyed(built, ("docx", "xlsx"), data) == {"docx": "reports/2025/a.docx", "title": "总结"}
    assert paths.located(paths.keyed(built, ("docx",), data), ("docx",), data) == built


def test_a_local_data_folder_stays_a_plain_path(tmp_path, monkeypatch):
    monkeypatch.setenv("COUNTY_REPORTS_DATA", str(tmp_path))
    assert type(paths.data_dir()) is type(tmp_path) and not paths.is_remote(paths.data_dir())


def test_writes_archive_and_appends_in_the_bucket(s3_data):
    assert paths.is_remote(s3_data) and str(s3_data).startswith("s3://")
    target = atomic.write_text(paths.reports(2025, s3_data) / "a.txt", "一")
    assert target.read_text(encoding="utf-8") == "一"
    atomic.write_text(target, "二")                                  # overwritten whole
    assert target.read_text(encoding="utf-8") == "二"
    kept = archive.store(s3_data, b"payload")
    assert archive.store(s3_data, b"payload") == kept and archive.read(s3_data, kept.sha256) == b"payload"
    log = paths.reminders(s3_data) / "2025-09.jsonl"
    atomic.append_lines(log, ['{"n": 1}'])
    atomic.append_lines(log, ['{"n": 2}'])
    assert log.read_text(encoding="utf-8").splitlines() == ['{"n": 1}', '{"n": 2}']


def test_the_ledger_in_the_bucket_is_one_object_per_row_and_reads_in_order(s3_data):
    def outcome(unit: str) -> dict:
        return {"unit": unit, "period": PERIOD, "status": "received"}

    threads = [threading.Thread(target=ledger.append, args=(s3_data, outcome(f"U{n:02d}")),
                                kwargs={"run_id": "r1", "attempt": 1}) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = ledger.read(s3_data, PERIOD)
    assert sorted(r["unit"] for r in rows) == [f"U{n:02d}" for n in range(12)]   # concurrent writers, none lost
    # a downstream record of the same outcomes adds nothing; a new attempt is a new row, read last
    assert ledger.record(s3_data, [outcome("U00"), outcome("U01")], "r1", 1) == {"received": 2}
    assert len(ledger.read(s3_data, PERIOD)) == 12
    ledger.record(s3_data, [{**outcome("U00"), "status": "failed"}], "r1", 2)
    assert ledger.latest_by_unit(s3_data, PERIOD)["U00"]["status"] == "failed"
    names = [p.name for p in (paths.collections(s3_data) / PERIOD).iterdir()]
    assert len(names) == 13 and all(n.endswith(".json") for n in names)


def test_an_emailed_workbook_keeps_its_submission_time_in_the_bucket(s3_data):
    target = inbox.inbox_path(s3_data, PERIOD, "TS01")
    when = datetime(2025, 10, 3, 9, 30, tzinfo=UTC)
    inbox.stamp_submitted(target, when)
    atomic.write_bytes(target, b"PK")
    assert inbox.submitted_time(target) == when.timestamp()
    assert [p.name for p in inbox.scan_inbox(s3_data, PERIOD)] == ["TS01.xlsx"]   # the stamp is hidden


def test_the_local_path_check_finds_a_path_however_deep():
    handed_on = {"built": [{"docx": "reports/2025/a.docx"}, {"docx": "/tmp/x/reports/2025/a.docx"}]}
    assert local_paths_in(handed_on) == ["/tmp/x/reports/2025/a.docx"]
    assert local_paths_in({"docx": "x/data/reports/a.docx"}, "x/data") == ["x/data/reports/a.docx"]
    assert local_paths_in([{"docx": "reports/2025/a.docx", "n": 3}, "file:///a"]) == ["file:///a"]


def test_a_month_and_a_report_with_every_file_in_the_bucket(s3_data, s3_server, simulator, demo_tokens,
                                                            tmp_path, monkeypatch, capsys):
    config = config_copy.with_folder_channel(tmp_path, monkeypatch)
    monkeypatch.chdir(tmp_path)
    simulator.clear_faults()
    simulator.set_fault("TS07", PERIOD, "invalid_values")
    try:
        batches = collect_monthly.plan({"period": PERIOD, "units": ["TS01", "TS05", "TS07"]}, MOMENT)
        pulled = [collect_monthly.pull(b, demo_tokens.get, record_as=("run-1", 1)) for b in batches]
    finally:
        simulator.clear_faults()
    validated = collect_monthly.validate(pulled, "run-1")
    stored = collect_monthly.store(validated, "run-1")
    notified = collect_monthly.notify(validated, stored, "run-1", demo_tokens.get)
    collect_monthly.summarise(pulled, validated, notified)
    assert {r["unit"]: r["status"] for r in stored}["TS07"] == "rejected" and notified["failed"] == []
    assert sorted(r["unit"] for r in ledger.read(s3_data, PERIOD)) == ["TS01", "TS05", "TS07"]

    form = {"year": 2025, "dry_run": False, "force_delivery": True, "correction": False}
    checked = summary_reports.check_coverage("half_year", form, MOMENT, today=date(2025, 7, 10))
    built = summary_reports.render(checked)
    settings = admins.load_settings()
    texts = settings.approval
    # a forced delivery asks an approver: the gate's request (the .docx's hash, read from the
    # bucket) and the approver's answer, as the approve task records them
    summary_reports.ask("half_year", built, run_id="r", ti_id="ti-1", texts=texts)
    approver = sorted(settings.approver_ids)[0]
    summary_reports.record_answer("half_year", run_id="r", ti_id="ti-1", response={
        "chosen_options": [texts["approve"]], "params_input": {approval.GAP_PARAM: True},   # 3 units: a gap
        "responded_by_user": {"id": approver, "name": "admin"}, "responded_at": datetime.now(UTC)})
    sent = summary_reports.deliver(built, "half_year", form, moment=MOMENT, today=date(2025, 7, 10), scheduled=None,
                              started=MOMENT, texts=texts, approvers=settings.approver_ids, run_id="r",
                              token_lookup=None, smtp_sender=None)
    assert sent["status"] == "delivered" and len(list((tmp_path / "office").iterdir())) == 1

    # what the tasks hand on: keys in the data folder, each naming an object that is there
    handed_on = [pulled, validated, stored, notified, checked, built, sent]
    assert local_paths_in(handed_on, tmp_path, "s3:") == []
    for key in [*validated["verdict_files"], built["docx"], built["sidecar"], built["xlsx"], sent["kept"]]:
        assert paths.at(key).is_file(), key
    objects = s3_server.keys(str(s3_data).split("/")[2])
    for prefix in ("data/raw/", "data/verdicts/run-1/", f"data/collections/{PERIOD}/", "data/validation/",
                   "data/reports/2025/"):
        assert any(k.startswith(prefix) for k in objects), (prefix, objects)
    figures = json.loads(paths.at(built["sidecar"]).read_text(encoding="utf-8"))
    assert len(figures["figures"]) == built["figures"] > 50        # June's figures, traced
    # nothing was written to the local disk but the office's folder and the SQLite warehouse
    local = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()
                   and not p.is_relative_to(config))
    assert all(p.startswith("office") or p.startswith("warehouse.db") for p in local), local
    assert not Path(tmp_path / "data").exists()
