"""targets.parse_years: the one reader of year → indicator → target (targets.yaml, county_targets.yaml)."""
from __future__ import annotations

import pytest

from county_reports.core.config import ConfigError
from county_reports.core.targets import parse_years

CODES = {"INV_TOTAL", "RURAL_ROAD_KM"}


def test_targets_are_read_as_floats_by_year():
    assert parse_years({2025: {"INV_TOTAL": 12000, "RURAL_ROAD_KM": 35.5}}, CODES, "targets.yaml") == \
        {2025: {"INV_TOTAL": 12000.0, "RURAL_ROAD_KM": 35.5}}
    assert parse_years(None, CODES, "targets.yaml") == {}


@pytest.mark.parametrize("data, key", [
    ([1, 2], "(file)"),
    ({"2025": {"INV_TOTAL": 1}}, "2025"),                  # a year must be a number, not text
    ({1999: {"INV_TOTAL": 1}}, "1999"),
    ({2025: [1]}, "2025"),
    ({2025: {"INV_TOTLA": 1}}, "2025.INV_TOTLA"),
    ({2025: {"INV_TOTAL": -1}}, "2025.INV_TOTAL"),
    ({2025: {"INV_TOTAL": True}}, "2025.INV_TOTAL"),
    ({2025: {"INV_TOTAL": "12000"}}, "2025.INV_TOTAL"),
])
def test_each_mistake_names_file_and_key(data, key):
    with pytest.raises(ConfigError) as info:
        parse_years(data, CODES, "targets.yaml")
    assert (info.value.file, info.value.key) == ("targets.yaml", key)


def test_a_prefix_names_the_county_in_county_targets():
    with pytest.raises(ConfigError) as info:
        parse_years({2025: {"INV_TOTAL": -5}}, CODES, "county_targets.yaml", prefix="CT01.")
    assert str(info.value).startswith("county_targets.yaml: CT01.2025.INV_TOTAL: target -5")
