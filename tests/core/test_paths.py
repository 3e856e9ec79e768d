"""paths.py: where config, data and the warehouse are, the data folder's layout, and keys for XComs."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from county_reports.core import paths


def test_environment_chooses_config_data_and_warehouse(monkeypatch, tmp_path):
    monkeypatch.setenv("COUNTY_REPORTS_CONFIG", str(tmp_path / "cfg"))
    monkeypatch.setenv("COUNTY_REPORTS_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("COUNTY_REPORTS_DB_URL", raising=False)
    monkeypatch.delenv("COUNTY_REPORTS_SECRETS", raising=False)
    assert paths.config_dir() == tmp_path / "cfg"
    assert paths.data_dir() == tmp_path / "data"
    assert paths.warehouse_url() == f"sqlite:///{tmp_path / 'data' / 'warehouse.db'}"
    assert paths.secrets_file() == tmp_path / "data" / "secrets" / "unit_tokens.json"
    monkeypatch.setenv("COUNTY_REPORTS_DB_URL", "postgresql://u@127.0.0.1/w")
    monkeypatch.setenv("COUNTY_REPORTS_SECRETS", str(tmp_path / "s.json"))
    assert paths.warehouse_url() == "postgresql://u@127.0.0.1/w"
    assert paths.secrets_file() == tmp_path / "s.json"
    monkeypatch.delenv("COUNTY_REPORTS_CONFIG")
    assert paths.config_dir() == paths.PROJECT_ROOT / "include" / "config"


def test_a_bucket_needs_a_database_url_and_keeps_secrets_local(monkeypatch):
    monkeypatch.setenv("COUNTY_REPORTS_DATA", "s3://bucket/county")
    monkeypatch.delenv("COUNTY_REPORTS_DB_URL", raising=False)
    monkeypatch.delenv("COUNTY_REPORTS_SECRETS", raising=False)
    data = paths.data_dir()
    assert paths.is_remote(data) and not isinstance(data, Path)
    with pytest.raises(RuntimeError, match="COUNTY_REPORTS_DB_URL"):
        paths.warehouse_url()
    assert paths.secrets_file() == paths.PROJECT_ROOT / "data" / "secrets" / "unit_tokens.json"


def test_location():
    assert paths.location("file:///tmp/x") == Path("/tmp/x")
    assert paths.location("/tmp/y") == Path("/tmp/y")
    given = Path("/tmp/z")
    assert paths.location(given) is given
    assert paths.is_url("s3://b/k") and not paths.is_url("/a/b") and not paths.is_url("file:///a")


def test_keys_are_relative_and_stay_inside(tmp_path):
    data = tmp_path / "data"
    report = paths.reports(2025, data) / "summary.docx"
    assert paths.key(report, data) == "reports/2025/summary.docx"
    assert paths.at("reports/2025/summary.docx", data) == report
    for outside in (tmp_path / "elsewhere.docx", data, tmp_path / "data-2" / "x"):
        with pytest.raises(ValueError):
            paths.key(outside, data)
    for bad in ("/etc/passwd", "../x", "reports/../../x", "s3://other/x"):
        with pytest.raises(ValueError):
            paths.at(bad, data)
    assert paths.key("s3://bucket/county/raw/ab/abc", "s3://bucket/county") == "raw/ab/abc"


def test_keyed_and_located_round_trip(tmp_path):
    record = {"docx": str(tmp_path / "reports" / "a.docx"), "xlsx": None, "year": 2025}
    keyed = paths.keyed(record, ("docx", "xlsx"), tmp_path)
    assert keyed == {"docx": "reports/a.docx", "xlsx": None, "year": 2025}
    assert paths.located(keyed, ("docx", "xlsx"), tmp_path) == record


def test_safe_name():
    assert paths.safe_name("manual__2025-07-05T06:00:00+08:00") == "manual__2025-07-05T06_00_00_08_00"
    assert paths.safe_name("../x y") == ".._x_y"
    assert "/" not in paths.safe_name("a/b\\c")


def test_make_folder_makes_every_new_level_owner_only(tmp_path):
    old = os.umask(0o022)
    try:
        deep = paths.make_folder(tmp_path / "a" / "b" / "c")
    finally:
        os.umask(old)
    for folder in (tmp_path / "a", tmp_path / "a" / "b", deep):
        assert stat.S_IMODE(folder.stat().st_mode) == paths.FOLDER_MODE
    os.chmod(tmp_path / "a", 0o755)
    paths.make_folder(tmp_path / "a" / "d")
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o755      # an existing one is left


def test_layout(tmp_path):
    d = tmp_path
    assert paths.raw(d) == d / "raw" and paths.raw_relative("abcdef") == "raw/ab/abcdef"
    assert paths.inbox(data=d) == d / "inbox"
    assert paths.inbox("2025-06", d, unit="TS03") == d / "inbox" / "TS03" / "2025-06"
    with pytest.raises(ValueError, match="name the unit"):
        paths.inbox("2025-06", d)
    assert paths.quarantine(d) == d / "mailbox" / "quarantine"
    assert paths.verdicts("run_1", d) == d / "verdicts" / "run_1"
    assert paths.validation_checks(d) == d / "validation" / "checks"
    assert paths.circulars("2025-06", d) == d / "circulars" / "2025-06"
    assert paths.drafts(2025, d) == d / "drafts" / "2025"
    assert paths.templates(None, d) == d / "templates"
    assert (paths.collections(d), paths.reminders(d), paths.history(d), paths.mailbox(d)) == \
        (d / "collections", d / "reminders", d / "history", d / "mailbox")
