"""Atomic writes: a failed write leaves the previous file whole and names the path and the cause;
every file another step reads is whole or absent: verdicts, the figures sidecar, feedback files
and the validation report, each written through county_reports.core.atomic, under a simulated ENOSPC."""
from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from county_reports.core import atomic
from county_reports.deliver import notify
from county_reports.validate import model


def test_write_replaces_whole_file(tmp_path):
    target = tmp_path / "sub" / "verdicts.json"
    atomic.write_text(target, "first")
    atomic.write_text(target, "second")
    assert target.read_text(encoding="utf-8") == "second"
    assert [p.name for p in target.parent.iterdir()] == ["verdicts.json"]


def test_without_overwrite_a_file_already_there_is_kept(tmp_path):
    target = tmp_path / "ab" / "ab12"
    atomic.write_bytes(target, b"first", mode=0o400, overwrite=False)
    atomic.write_bytes(target, b"second", mode=0o400, overwrite=False)   # another writer's: kept
    assert target.read_bytes() == b"first" and (target.stat().st_mode & 0o777) == 0o400
    assert [p.name for p in target.parent.iterdir()] == ["ab12"]        # no temporary file left


@pytest.mark.parametrize("code, words, hook", [
    (errno.ENOSPC, "no space left", "fsync"),     # the disk filled while flushing
    (errno.EROFS, "read-only", "replace"),        # the folder was remounted read-only
])
def test_failed_write_keeps_previous_file_and_names_path(tmp_path, monkeypatch, code, words, hook):
    target = tmp_path / "report.figures.json"
    atomic.write_text(target, "previous")

    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, hook, refuse)
    with pytest.raises(atomic.DataFolderError) as caught:
        atomic.write_bytes(target, b"x" * 100_000)
    monkeypatch.undo()
    assert str(target) in str(caught.value) and words in str(caught.value)
    assert target.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["report.figures.json"]


def _full_disk(monkeypatch):
    def refuse(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", refuse)


def _verdict(unit="TS01", status=model.ACCEPTED):
    return model.Verdict(unit, "2025-06", "ab" * 32, "http", "2025-07-03T09:00:00+08:00", None, status,
                         {"ROAD_INVEST": 1.0}, {"ROAD_INVEST": "1"})


def _no_temp_files(folder):
    return [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


def test_verdict_file_survives_a_full_disk(tmp_path, monkeypatch):
    path = tmp_path / "verdicts" / "2025-06.json"
    model.write_verdicts(path, [_verdict()])
    _full_disk(monkeypatch)
    with pytest.raises(atomic.DataFolderError, match="2025-06.json: no space left"):
        model.write_verdicts(path, [_verdict(), _verdict("TS02", model.REJECTED)])
    monkeypatch.undo()
    assert [v.unit for v in model.read_verdicts(path)] == ["TS01"]
    assert _no_temp_files(path.parent)


def test_inbox_feedback_survives_a_full_disk(tmp_path, monkeypatch):
    first = [{"text": "第一次"}]
    path = notify.write_inbox_feedback(tmp_path, "TS03", "2025-06", first)
    _full_disk(monkeypatch)
    with pytest.raises(atomic.DataFolderError, match="no space left"):
        notify.write_inbox_feedback(tmp_path, "TS03", "2025-06", [{"text": "第二次"}])
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == "1. 第一次\n"
    assert json.loads(path.with_suffix(".json").read_text(encoding="utf-8")) == first
    assert _no_temp_files(path.parent)


def test_validation_report_survives_a_full_disk(tmp_path, monkeypatch, catalog):
    from county_reports.validate import report

    path = tmp_path / "validation" / "2025-06.html"
    report.write(path, "2025-06", [], [_verdict()], catalog, engine="pandas")
    before = path.read_bytes()
    _full_disk(monkeypatch)
    with pytest.raises(atomic.DataFolderError, match="no space left"):
        report.write(path, "2025-06", [], [_verdict(), _verdict("TS02")], catalog, engine="pandas")
    monkeypatch.undo()
    assert path.read_bytes() == before and _no_temp_files(path.parent)


def test_figures_sidecar_survives_a_full_disk(tmp_path, monkeypatch, catalog):
    from county_reports.render import summaries
    from county_reports.simulator.seeding import accepted_verdicts
    from county_reports.warehouse import Warehouse

    with Warehouse(f"sqlite:///{tmp_path / 'wh.db'}") as warehouse:
        warehouse.migrate()
        warehouse.sync_roster(catalog, "test")
        warehouse.record_verdicts(accepted_verdicts(catalog, "2025-01", "2025-06"), "test")
        plan = summaries.plan("half_year", 2025, summaries.load_settings())
        built = summaries.write_summary(warehouse, catalog, plan, tmp_path / "reports")
        sidecar = tmp_path / "reports" / os.path.basename(built["sidecar"])
        files = {Path(built[k]): Path(built[k]).read_bytes() for k in ("docx", "sidecar", "xlsx")}
        before = sidecar.read_bytes()
        _full_disk(monkeypatch)
        # the first file the build writes (the .docx) already meets the full disk: named, whole
        with pytest.raises(atomic.DataFolderError, match=r"reports/.*: no space left"):
            summaries.write_summary(warehouse, catalog, plan, tmp_path / "reports")
        monkeypatch.undo()
    assert {path: path.read_bytes() for path in files} == files
    json.loads(before)
    assert not [p.name for p in sidecar.parent.iterdir() if p.name.endswith(".tmp")]
