"""The collection ledger: appended as units finish, keyed by run/attempt, and whole after a full disk."""
from __future__ import annotations

import errno
import json
import os

import pytest

from county_reports.collect import ledger
from county_reports.core.atomic import DataFolderError

PERIOD = "2025-09"


def outcome(unit, status="received"):
    return {"unit": unit, "period": PERIOD, "source": "http", "status": status, "reason": None}


def test_a_torn_last_line_is_skipped_then_cut_off_by_the_next_append(tmp_path):
    ledger.append(tmp_path, outcome("TS01"), run_id="run-1", attempt=1)
    path = ledger.ledger_path(tmp_path, PERIOD)
    with open(path, "ab") as fh:                     # what a full disk leaves: half a row, no newline
        fh.write(b'{"run_id": "run-1", "unit": "TS02", "stat')
    assert [r["unit"] for r in ledger.read(tmp_path, PERIOD)] == ["TS01"]      # no JSONDecodeError

    ledger.append(tmp_path, outcome("TS03"), run_id="run-2", attempt=1)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["unit"] for line in lines] == ["TS01", "TS03"]   # not glued onto the tear
    assert path.with_name(path.name + ".torn").read_bytes().startswith(b'{"run_id": "run-1", "unit": "TS02"')


def test_recording_again_downstream_adds_nothing_and_reading_tolerates_duplicates(tmp_path):
    rows = [outcome("TS01"), outcome("TS02", "missing")]
    for row in rows:                                  # live, from the pulling threads
        ledger.append(tmp_path, row, run_id="run-1", attempt=2)
    ledger.record(tmp_path, rows, "run-1")            # the validate task, from the XCom
    assert len(ledger.read(tmp_path, PERIOD)) == 2
    path = ledger.ledger_path(tmp_path, PERIOD)
    with open(path, "a", encoding="utf-8") as fh:     # a duplicate written by hand, or an old bug
        fh.write(path.read_text(encoding="utf-8").splitlines()[0] + "\n")
    assert [r["unit"] for r in ledger.read(tmp_path, PERIOD)] == ["TS01", "TS02"]
    # Outcomes never recorded live (the CLI) are recorded once.
    ledger.record(tmp_path, [outcome("TS03")], "cli-1")
    ledger.record(tmp_path, [outcome("TS03")], "cli-1")
    assert [r["unit"] for r in ledger.read(tmp_path, PERIOD)] == ["TS01", "TS02", "TS03"]


def test_a_full_disk_while_appending_leaves_no_partial_row_and_names_the_path(tmp_path, monkeypatch):
    ledger.append(tmp_path, outcome("TS01"), run_id="run-1")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(DataFolderError) as caught:
        ledger.append(tmp_path, outcome("TS02"), run_id="run-1")
    monkeypatch.undo()
    assert "collections" in str(caught.value) and "no space left" in str(caught.value)
    assert [r["unit"] for r in ledger.read(tmp_path, PERIOD)] == ["TS01"]
    assert ledger.ledger_path(tmp_path, PERIOD).read_bytes().endswith(b"\n")
