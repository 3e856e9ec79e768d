"""validation.yaml ``outliers:``: every method and threshold of the outlier checks, checked on
load with the file and the key named."""
from __future__ import annotations

import config_copy
import pytest

from county_reports.core.config import ConfigError
from county_reports.validate.options import OUTLIER_METHODS, OutlierSettings, load_options


@pytest.fixture
def config_dir(tmp_path):
    return config_copy.one_file(tmp_path, "validation.yaml")


def _set(folder, **changes):
    config_copy.edit_yaml(folder / "validation.yaml", lambda d: d["outliers"].update(changes))


def test_the_shipped_settings_are_the_defaults(config_dir):
    # One place for the numbers: the YAML and the code's defaults (used by tests) agree.
    assert load_options(config_dir).outliers == OutlierSettings()
    # every method, neighbour too (since it asks that the two rows were never equal before)
    assert load_options(config_dir).outliers.methods == frozenset(OUTLIER_METHODS)


def test_a_method_can_be_switched_off(config_dir):
    _set(config_dir, methods=["history", "count"])
    assert load_options(config_dir).outliers.methods == {"history", "count"}


@pytest.mark.parametrize("changes, key, words", [
    ({"methods": ["history", "zscore"]}, "outliers.methods", "unknown method 'zscore'"),
    ({"methods": "history"}, "outliers.methods", "must be a list"),
    ({"threshold": 0}, "outliers.threshold", "above 0"),
    ({"count_below": "30"}, "outliers.count_below", "above 0"),
    ({"stale_copy_min": 2.5}, "outliers.stale_copy_min", "whole number"),
    ({"min_history": 13}, "outliers.min_history", "cannot exceed window"),
    ({"extreme_threshold": 2.0}, "outliers.extreme_threshold", "below threshold"),
    ({"cumulative_from_month": 13}, "outliers.cumulative_from_month", "from 2 to 12"),
    ({"short_ratio": 1}, "outliers.short_ratio", "above 1"),
    ({"peers_min": 2}, "outliers.peers_min", "3 or more"),
    ({"zscore_k": 3}, "outliers.zscore_k", "unknown setting"),
    ({"panel_min_units": 2}, "outliers.panel_min_units", "3 or more"),
    ({"fit_threshold": 5.0}, "outliers.fit_threshold", "below explained_threshold"),
    ({"panel_min_spread": -1}, "outliers.panel_min_spread", "above 0"),
    ({"methods": ["history", "digits"]}, "outliers.methods", "unknown method 'digits'"),
])
def test_a_bad_setting_names_file_and_key(config_dir, changes, key, words):
    _set(config_dir, **changes)
    with pytest.raises(ConfigError) as caught:
        load_options(config_dir)
    text = str(caught.value)
    assert "validation.yaml" in text and key in text and words in text, text


def test_every_reason_is_worded(config_dir):
    config_copy.edit_yaml(config_dir / "validation.yaml",
                          lambda d: d["messages"]["checks"]["OUTLIER"]["reasons"].pop("stale_copy"))
    with pytest.raises(ConfigError, match="messages.checks.OUTLIER.reasons.stale_copy"):
        load_options(config_dir)
