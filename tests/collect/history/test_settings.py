"""history/settings.py: history.yaml read and checked; labels cleaned, months and years found."""
from __future__ import annotations

from datetime import date, datetime

import pytest
import yaml

from county_reports.core.config import ConfigError
from county_reports.collect.history.settings import load_settings
from county_reports.core.paths import config_dir


@pytest.fixture(scope="module")
def settings():
    return load_settings()


def test_labels_cleaned_of_every_trailing_bracket_and_space(settings):
    assert settings.clean(" 农村公路 建设（万元）") == "农村公路建设"
    assert settings.clean("路况指数（MQI）（分）") == "路况指数"
    assert settings.clean(None) == "" and settings.clean(12) == "12"


@pytest.mark.parametrize("label, expected", [
    ("6月", (None, 6)), ("06月份", (None, 6)), ("2023年 12 月", (2023, 12)), ("2023-7", (2023, 7)),
    ("2023/07", (2023, 7)), (date(2023, 3, 1), (2023, 3)), (datetime(2023, 4, 30, 12), (2023, 4)),
    ("13月", None), ("0月", None), ("全年", None), ("6月目标", None), (None, None), (202306, None)])
def test_months(settings, label, expected):
    assert settings.month(label) == expected


def test_year_in_a_title(settings):
    assert settings.find_year("清河县2023年交通运输统计月报") == 2023
    assert settings.find_year("2023") is None and settings.find_year(None) is None


def _edited(tmp_path, **changes):
    data = yaml.safe_load((config_dir() / "history.yaml").read_text(encoding="utf-8"))
    data.update(changes)
    (tmp_path / "history.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("changes, key, words", [
    ({"fuzzy_threshold": 0}, "fuzzy_threshold", "above 0"),
    ({"fuzzy_threshold": 101}, "fuzzy_threshold", "at most 100"),
    ({"months": ["(?P<mon>\\d+)月"]}, "months[0]", "(?P<month>"),
    ({"months": ["(月"]}, "months[0]", "not a regular expression"),
    ({"year": "\\d{4}年"}, "year", "(?P<year>"),
    ({"max_rows": 0}, "max_rows", "1 or more"),
    ({"strip": ["[unclosed"]}, "strip[0]", "not a regular expression"),
])
def test_a_wrong_setting_is_named(tmp_path, changes, key, words):
    with pytest.raises(ConfigError) as err:
        load_settings(_edited(tmp_path, **changes))
    assert f"history.yaml: history.{key}:" in str(err.value) or f"history.yaml: {key}:" in str(err.value)
    assert words in str(err.value)


def test_the_shipped_limits(settings):
    assert settings.max_sheets >= 12 and settings.max_bytes > 0 and "合计" in settings.total_rows
