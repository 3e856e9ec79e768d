"""pull_settings.py: collection.yaml read and checked; absent, the defaults."""
from __future__ import annotations

import pytest

from county_reports.core.config import ConfigError
from county_reports.collect.pull_settings import PullSettings, load_settings


def _config(tmp_path, text):
    (tmp_path / "collection.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_absent_file_gives_the_defaults(tmp_path):
    assert load_settings(tmp_path) == PullSettings()


def test_the_shipped_file_loads():
    settings = load_settings()
    assert settings.unit_deadline_seconds > settings.connect_timeout and settings.max_body_bytes > 0


def test_values_override_the_defaults(tmp_path):
    settings = load_settings(_config(tmp_path, "retries: 0\nmax_body_bytes: 1000\nbackoff: 0.25\n"))
    assert (settings.retries, settings.max_body_bytes, settings.backoff) == (0, 1000, 0.25)
    assert settings.as_dict()["concurrency"] == PullSettings().concurrency


@pytest.mark.parametrize("text, key, words", [
    ("retrys: 2\n", "retrys", "unknown setting"),
    ("retries: -1\n", "retries", "positive"),
    ("backoff: 0\n", "backoff", "positive"),
    ("concurrency: true\n", "concurrency", "positive"),
    ("max_body_bytes: '1000'\n", "max_body_bytes", "positive"),
    ("batch_size: 2.5\n", "batch_size", "whole number"),
    ("connect_timeout: 30\nunit_deadline_seconds: 30\n", "unit_deadline_seconds", "longer than connect_timeout"),
])
def test_a_wrong_setting_is_named(tmp_path, text, key, words):
    with pytest.raises(ConfigError) as err:
        load_settings(_config(tmp_path, text))
    assert f"collection.yaml: {key}:" in str(err.value) and words in str(err.value)


def test_not_a_mapping(tmp_path):
    with pytest.raises(ConfigError, match="mapping"):
        load_settings(_config(tmp_path, "- 1\n- 2\n"))


def test_an_empty_file_is_the_defaults(tmp_path):
    assert load_settings(_config(tmp_path, "# nothing set\n")) == PullSettings()
