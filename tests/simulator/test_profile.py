"""simulator/profile.py: the simulator's profile checked on load (file: key: problem); periods as
months, ranges and lists; a dict and a Profile are interchangeable."""
from __future__ import annotations

from datetime import date

import pytest

from county_reports.core.config import ConfigError
from county_reports.simulator.profile import DEFAULT_SEED, FAULTS, Profile, as_profile, load_profile, parse_profile


def test_the_shipped_profile():
    p = load_profile()
    assert p.faults and set(p.faults.values()) <= set(FAULTS)
    assert all(len(unit) and len(period) == 7 for unit, period in p.faults)


def test_a_clean_county_and_the_mapping_face():
    p = parse_profile(None)
    assert p == Profile() and p.seed == DEFAULT_SEED and p.size("TS01") == 1.0
    assert dict(p)["slow_seconds"] == 3.0 and len(p) == 5 and list(p)[0] == "seed"
    with pytest.raises(KeyError):
        p["colour"]


def test_periods_ranges_lists_and_dates():
    p = parse_profile({"faults": [
        {"unit": "TS01", "period": "2024-11..2025-01", "fault": "missing"},
        {"unit": "TS02", "period": ["2024-03", date(2024, 5, 1)], "fault": "late", "note": "why"}]})
    assert p.faults == {("TS01", "2024-11"): "missing", ("TS01", "2024-12"): "missing",
                        ("TS01", "2025-01"): "missing", ("TS02", "2024-03"): "late", ("TS02", "2024-05"): "late"}


def test_as_profile_round_trip():
    p = parse_profile({"seed": 7, "sizes": {"TS01": 2}, "faults": [{"unit": "TS01", "period": "2025-01", "fault": "gbk"}]})
    assert as_profile(p) is p
    assert as_profile({**p}) == p
    assert as_profile({**p, "faults": []}).faults == {}
    with pytest.raises(TypeError):
        as_profile([1])


@pytest.mark.parametrize("data, key, words", [
    ([1], "(file)", "mapping"),
    ({"colour": 1}, "colour", "unknown key"),
    ({"seed": True}, "seed", "whole number"),
    ({"latency": -1}, "latency", "≥ 0"),
    ({"sizes": {"TS01": 0}}, "sizes.TS01", "(0, 100]"),
    ({"sizes": [1]}, "sizes", "mapping"),
    ({"faults": {"TS01": "missing"}}, "faults", "list"),
    ({"faults": ["x"]}, "faults[0]", "mapping"),
    ({"faults": [{"unit": "TS01", "period": "2025-01", "fault": "fire"}]}, "faults[0].fault", "not one of"),
    ({"faults": [{"unit": " ", "period": "2025-01", "fault": "missing"}]}, "faults[0].unit", "missing unit"),
    ({"faults": [{"unit": "TS01", "period": "2025-1", "fault": "missing"}]}, "faults[0].period", "YYYY-MM"),
    ({"faults": [{"unit": "TS01", "period": "2025-03..2025-01", "fault": "missing"}]}, "faults[0].period", "ends before"),
    ({"faults": [{"unit": "TS01", "period": [], "fault": "missing"}]}, "faults[0].period", "empty"),
    ({"faults": [{"unit": "TS01", "period": "2025-01", "fault": "missing"},
                 {"unit": "TS01", "period": "2024-12..2025-02", "fault": "late"}]}, "faults[1].period", "already has"),
    ({"faults": [{"unit": "TS01", "period": "2025-01", "fault": "late", "when": 1}]}, "faults[0].when", "unknown key"),
])
def test_a_wrong_entry_is_named(data, key, words):
    with pytest.raises(ConfigError) as err:
        parse_profile(data, "profile.yaml")
    assert f"profile.yaml: {key}: " in str(err.value) and words in str(err.value)
