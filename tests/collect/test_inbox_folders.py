"""inbox_folders.py: one folder per unit; what lies there is found, strays named, unsafe places refused."""
from __future__ import annotations

import os

import pytest

from county_reports.collect import inbox_folders as f


def test_paths_are_the_units_own_folder(tmp_path):
    path = f.inbox_path(tmp_path, "2025-06", "TS03")
    assert path == tmp_path / "inbox" / "TS03" / "2025-06" / "TS03.xlsx"
    assert f.feedback_path(tmp_path, "2025-06", "TS03", ".txt").name == "TS03.feedback.txt"


@pytest.mark.parametrize("code", ["../TS03", "TS 03", "", "TS03/x", "a.b", None])
def test_a_code_that_could_climb_out_is_refused(tmp_path, code):
    with pytest.raises(ValueError):
        f.inbox_path(tmp_path, "2025-06", code)


def test_bad_period_is_refused(tmp_path):
    with pytest.raises(ValueError):
        f.inbox_path(tmp_path, "2025-6", "TS03")
    with pytest.raises(ValueError):
        f.scan_inbox(tmp_path, "../x")


def _put(tmp_path, unit, name, period="2025-06"):
    folder = tmp_path / "inbox" / unit / period
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(b"x")
    return folder / name


def test_scan_skips_lock_hidden_and_other_files(tmp_path):
    assert f.scan_inbox(tmp_path, "2025-06") == []          # no inbox yet
    mine = _put(tmp_path, "TS03", "TS03.xlsx")
    other = _put(tmp_path, "TS04", "Copy of TS04.XLSX")
    for name in ("~$TS03.xlsx", "._TS03.xlsx", "TS03.xls", "TS03.feedback.txt"):
        _put(tmp_path, "TS03", name)
    _put(tmp_path, "TS05", "TS05.xlsx", period="2025-05")
    _put(tmp_path, ".submitted", "TS06.xlsx")                 # the bureau's own folder
    (tmp_path / "inbox" / "TS03" / "2025-06" / "dir.xlsx").mkdir()
    assert f.scan_inbox(tmp_path, "2025-06") == sorted([mine, other], key=str)


def test_strays_are_files_not_a_units_own_workbook(tmp_path):
    own = _put(tmp_path, "TS03", "TS03.xlsx")
    renamed = _put(tmp_path, "TS04", "TS04-final.xlsx")
    foreign = _put(tmp_path, "TS05", "TS03.xlsx")            # another unit's name in TS05's folder
    unknown = _put(tmp_path, "XX99", "XX99.xlsx")
    assert own not in f.strays(tmp_path, "2025-06", {"TS03", "TS04", "TS05"})
    assert set(f.strays(tmp_path, "2025-06", {"TS03", "TS04", "TS05"})) == {renamed, foreign, unknown}


def test_a_folder_anyone_may_write_is_refused(tmp_path):
    path = _put(tmp_path, "TS03", "TS03.xlsx")
    assert f.place_problem(path) is None
    os.chmod(path.parent.parent, 0o777)
    problem = f.place_problem(path)
    assert problem and "TS03" in problem
    os.chmod(path.parent.parent, 0o755)
    os.chmod(path.parent, 0o757)
    assert "2025-06" in f.place_problem(path)
