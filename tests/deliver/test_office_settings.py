"""office_settings.py: delivery.yaml checked (``delivery.yaml: key: problem``); ${VAR} filled for the
chosen channel only."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from county_reports.core import paths
from county_reports.core.config import ConfigError
from county_reports.deliver.office_settings import load_settings, parse_settings

ENV = {"COUNTY_REPORTS_OFFICE_URL": "https://office.example.cn"}


@pytest.fixture(scope="module")
def shipped():
    return yaml.safe_load((paths.config_dir() / "delivery.yaml").read_text(encoding="utf-8"))


def _with(shipped, **changes):
    data = copy.deepcopy(shipped)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        target = data
        for p in parents:
            target = target[p]
        if value is KeyError:
            target.pop(last)
        else:
            target[last] = value
    return data


def test_the_shipped_file(shipped):
    s = parse_settings(shipped, ENV)
    assert s.channel == "http" and s.http.url == "https://office.example.cn/documents"
    assert s.smtp.to and s.smtp.attach == (".docx", ".xlsx") and "@" in s.smtp.sender
    assert s.folder.path == paths.data_dir() / "outbox"
    assert load_settings(environ=ENV) == s


def test_a_variable_is_needed_only_for_the_chosen_channel(shipped):
    s = parse_settings(_with(shipped, channel="folder"), {})
    assert s.channel == "folder" and s.http.url == "${COUNTY_REPORTS_OFFICE_URL}/documents"
    with pytest.raises(ConfigError, match="delivery.yaml: http.url:"):
        parse_settings(shipped, {})


def test_folder_path(shipped, tmp_path):
    s = parse_settings(_with(shipped, channel="folder", folder__path="${OUT}/office"), {"OUT": str(tmp_path)})
    assert s.folder.path == tmp_path / "office"
    with pytest.raises(ConfigError, match="folder.path: 'office' must be absolute"):
        parse_settings(_with(shipped, channel="folder", folder__path="office"), {})
    assert parse_settings(_with(shipped, folder__path="office"), ENV).folder.path == Path("office")


@pytest.mark.parametrize("changes, key, words", [
    ({"channel": "fax"}, "channel", "not one of http, smtp, folder"),
    ({"channel": "smtp", "smtp": None}, "smtp", "missing"),
    ({"retries": -1}, "retries", "≥ 0"),
    ({"backoff": 0}, "backoff", "> 0"),
    ({"retries": True}, "retries", "expected a whole number"),
    ({"recipient": "  "}, "recipient", "is empty"),
    ({"recipient": KeyError}, "recipient", "missing"),
    ({"colour": "red"}, "colour", "unknown setting"),
    ({"http__url": "ftp://x"}, "http.url", "must start with http"),
    ({"http__retries": 2}, "http.retries", "unknown setting"),
    ({"smtp__to": []}, "smtp.to", "at least one address"),
    ({"smtp__cc": ["not an address"]}, "smtp.cc", "is not a mail address"),
    ({"smtp__attach": ["docx"]}, "smtp.attach", "file endings"),
    ({"smtp__subject": "{title} {secret}"}, "smtp.subject", "unknown placeholder {secret}"),
    ({"smtp__body": "{title"}, "smtp.body", "not a valid template"),
])
def test_a_wrong_setting_is_named(shipped, changes, key, words):
    with pytest.raises(ConfigError) as err:
        parse_settings(_with(shipped, **changes), ENV)
    assert f"delivery.yaml: {key}: " in str(err.value) and words in str(err.value)


def test_not_a_mapping():
    with pytest.raises(ConfigError, match=r"delivery.yaml: \(file\): expected a mapping"):
        parse_settings(["http"], ENV)
