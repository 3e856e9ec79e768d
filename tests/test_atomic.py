"""Atomic writes: a failed write leaves the previous file whole and names the path and the cause."""
from __future__ import annotations

import errno
import os

import pytest

from county_reports import atomic


def test_write_replaces_whole_file(tmp_path):
    target = tmp_path / "sub" / "verdicts.json"
    atomic.write_text(target, "first")
    atomic.write_text(target, "second")
    assert target.read_text(encoding="utf-8") == "second"
    assert [p.name for p in target.parent.iterdir()] == ["verdicts.json"]


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
