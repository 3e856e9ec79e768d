"""render/review/settings.py: edited.yaml checked on load (``file: key: problem``), and an admin's
edit seen without a restart."""
from __future__ import annotations

import os
import shutil

import pytest
import yaml

from county_reports.core.config import ConfigError
from county_reports.core.paths import config_dir
from county_reports.render.review.settings import LIMITS, MESSAGES, load_settings


def _copy(tmp_path, change=None):
    shutil.copy(config_dir() / "edited.yaml", tmp_path / "edited.yaml")
    if change:
        path = tmp_path / "edited.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return tmp_path


def test_the_shipped_file_loads_whole():
    s = load_settings()
    assert set(s.limits) == set(LIMITS) and all(v > 0 for v in s.limits.values())
    assert set(MESSAGES) <= set(s.messages) and s.forbidden_parts
    assert list(s.figure_units) == sorted(s.figure_units, key=len, reverse=True)   # 万元 before 元
    assert s.headings["heading1"].pattern and s.says("too_large", size=2, limit=1)
    assert s.words("mm", mm=3)


@pytest.mark.parametrize("change, key, words", [
    (lambda d: d["limits"].update(max_bytes=0), "limits.max_bytes", "positive"),
    (lambda d: d["limits"].pop("max_members"), "limits.max_members", ""),
    (lambda d: d.update(forbidden_parts=[]), "forbidden_parts", "part names"),
    (lambda d: d["headings"].update(heading1="（[一"), "headings.heading1", "regular expression"),
    (lambda d: d.update(figure_units=["万元", ""]), "figure_units", "texts"),
    (lambda d: d["messages"].update(too_large="{size} {bytes}"), "messages.too_large", "unknown placeholder {bytes}"),
    (lambda d: d["messages"].update(empty="{"), "messages.empty", "placeholder"),
    (lambda d: d["diff"].pop("added"), "diff.added", ""),
])
def test_a_wrong_key_is_named(tmp_path, change, key, words):
    with pytest.raises(ConfigError) as err:
        load_settings(_copy(tmp_path, change))
    assert f"edited.yaml: {key}:" in str(err.value) and words in str(err.value)


def test_an_edit_is_seen_without_a_restart(tmp_path):
    folder = _copy(tmp_path)
    before = load_settings(folder).limits["max_paragraphs"]
    path = folder / "edited.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["limits"]["max_paragraphs"] = before + 1
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert load_settings(folder).limits["max_paragraphs"] == before + 1
