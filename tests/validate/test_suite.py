"""The suite is generated from the catalogue: a new indicator or rule in config adds its checks."""
from __future__ import annotations

import shutil
from collections import Counter

import pytest
import yaml
from validate_helpers import clean_payload, received

from county_reports.core import paths
from county_reports.core.catalog import load_catalog
from county_reports.core.config import ConfigError
from county_reports.validate.model import REJECTED
from county_reports.validate.options import load_options
from county_reports.validate.run import validate_period
from county_reports.validate.suite import build_specs, specs_by_frame

NEW = {"code": "ROAD_SIGNS", "name": "新增交通标志标牌", "uom": "块", "section": "safety",
       "nature": "flow", "over_time": "sum", "over_units": "sum", "reported_by": ["township_station"],
       "min": 0, "max": 300, "integer": True}
NEW_RULE = {"code": "SIGNS_LE_HAZARDS_FIXED", "check": "le", "left": "ROAD_SIGNS", "right": "HAZARD_FIXED",
            "importance": "warning", "message": "新增标志标牌（{left}块）多于整改隐患数（{right}处）。"}


@pytest.fixture(scope="module")
def grown(tmp_path_factory):
    """A copy of include/config with one more indicator and one more rule."""
    folder = tmp_path_factory.mktemp("config")
    shutil.copytree(paths.config_dir(), folder, dirs_exist_ok=True)
    indicators = yaml.safe_load((folder / "indicators.yaml").read_text(encoding="utf-8"))
    indicators["indicators"].append(NEW)
    (folder / "indicators.yaml").write_text(yaml.safe_dump(indicators, allow_unicode=True), encoding="utf-8")
    rules = yaml.safe_load((folder / "rules.yaml").read_text(encoding="utf-8"))
    rules["rules"].append(NEW_RULE)
    (folder / "rules.yaml").write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    return load_catalog(folder), load_options(folder)


def by_check(specs):
    return {s.check: s for s in specs}


def test_every_indicator_and_rule_is_in_the_suite(vcatalog, voptions):
    specs = by_check(build_specs(vcatalog, voptions))
    codes = [i.code for i in vcatalog.indicators]
    assert specs["KNOWN_CODE"].kwargs["value_set"] == codes
    assert specs["BOUNDS"].kwargs["bounds"] == {i.code: [i.min, i.max] for i in vcatalog.indicators}
    assert set(specs["NEGATIVE"].kwargs["bounds"]) == {i.code for i in vcatalog.indicators if i.min >= 0}
    assert specs["INTEGER"].kwargs["indicators"] == [i.code for i in vcatalog.indicators if i.integer]
    assert specs["DUPLICATE"].kwargs == {"column_list": ["unit", "period", "indicator"]}
    for rule in vcatalog.rules:
        assert specs[rule.code].importance == rule.importance and specs[rule.code].frame == "submissions"
    assert specs["OUTLIER"].importance == "warning"


def test_suite_by_kind(vcatalog, voptions):
    kinds = Counter((s.frame, s.expectation) for s in build_specs(vcatalog, voptions))
    assert kinds[("values", "expect_indicator_values_to_be_between")] == 2        # NEGATIVE, BOUNDS
    assert kinds[("submissions", "expect_column_pair_values_a_to_be_greater_than_b")] == \
        sum(r.check in ("le", "requires") for r in vcatalog.rules)
    assert kinds[("submissions", "expect_column_values_to_be_between")] == \
        sum(r.check == "sum_equals" for r in vcatalog.rules) + 1                # + NARRATIVE_COUNT
    frames = specs_by_frame(build_specs(vcatalog, voptions))
    assert [len(frames[f]) for f in ("values", "submissions", "narratives")] == \
        [8, 4 + len(vcatalog.rules), 4]


def test_narrative_limits_come_from_validation_yaml(vcatalog, voptions):
    specs = by_check(build_specs(vcatalog, voptions))
    assert specs["NARRATIVE_COUNT"].kwargs == {"column": "narrative_count", "max_value": 50}
    assert specs["NARRATIVE_LENGTH"].kwargs == {"column": "text", "max_value": 1000}
    assert specs["NARRATIVE_TEXT"].kwargs["regex"].isascii()     # plain text in a GX suite


def test_a_new_indicator_and_rule_add_their_expectations(vcatalog, voptions, grown):
    catalog, options = grown
    before, after = build_specs(vcatalog, voptions), build_specs(catalog, options)
    assert len(after) == len(before) + 1                       # the rule's own expectation
    specs = by_check(after)
    assert "ROAD_SIGNS" in specs["KNOWN_CODE"].kwargs["value_set"]
    assert specs["BOUNDS"].kwargs["bounds"]["ROAD_SIGNS"] == [0.0, 300.0]
    assert specs["NEGATIVE"].kwargs["bounds"]["ROAD_SIGNS"] == [0.0, None]
    assert "ROAD_SIGNS" in specs["INTEGER"].kwargs["indicators"]
    rule = specs["SIGNS_LE_HAZARDS_FIXED"]
    assert (rule.importance, rule.expectation, rule.kwargs["column_A"], rule.kwargs["column_B"]) == \
        ("warning", "expect_column_pair_values_a_to_be_greater_than_b", "HAZARD_FIXED", "ROAD_SIGNS")


def test_a_new_indicator_is_checked_end_to_end(grown):
    catalog, options = grown
    missing = clean_payload(catalog, "TS01")
    del missing["values"]["ROAD_SIGNS"]
    out_of_range = clean_payload(catalog, "TS02", ROAD_SIGNS=301.5, HAZARD_FIXED=10, HAZARD_FOUND=10)
    v1, v2 = validate_period([received("TS01", missing), received("TS02", out_of_range)], catalog,
                             options=options, engine="pandas")
    assert v1.status == REJECTED and [(i.rule, i.indicator) for i in v1.issues] == [("REQUIRED", "ROAD_SIGNS")]
    assert "新增交通标志标牌" in v1.issues[0].message
    assert {i.rule for i in v2.issues} == {"BOUNDS", "INTEGER", "SIGNS_LE_HAZARDS_FIXED"}


def test_validation_yaml_is_checked_on_load(tmp_path):
    shutil.copy(paths.config_dir() / "validation.yaml", tmp_path / "validation.yaml")
    text = (tmp_path / "validation.yaml").read_text(encoding="utf-8")
    (tmp_path / "validation.yaml").write_text(text.replace("OUTLIER: warning", "OUTLIER: error"),
                                              encoding="utf-8")
    with pytest.raises(ConfigError, match="OUTLIER"):
        load_options(tmp_path)
    (tmp_path / "validation.yaml").write_text(text.replace("  threshold: 3.0", "  threshold: -1"),
                                              encoding="utf-8")
    with pytest.raises(ConfigError, match="outliers.threshold"):
        load_options(tmp_path)
