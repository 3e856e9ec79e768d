"""Great Expectations and the hand-written pandas pass agree on a mixed batch.

GX costs seconds to import and ~0.1 s per run, so one module-scoped batch serves every test here.
"""
from __future__ import annotations

import sys

import pandas as pd
import pytest
from validate_helpers import DROP, PERIOD, clean_payload, received

from county_reports.core import periods
from county_reports.validate import batch as batch_mod
from county_reports.validate import pandas_rules
from county_reports.validate.model import ACCEPTED, ACCEPTED_WITH_WARNINGS, REJECTED
from county_reports.validate.options import BUILTIN_CHECKS
from county_reports.validate.run import validate_period
from county_reports.validate.suite import build_specs


def mixed_batch(catalog):
    units = [u.code for u in catalog.units_active_in(PERIOD)]
    faults = {
        "TS01": {"INV_HIGHWAY": "１２３．５万元", "INV_TOTAL": "123.5", "HAZARD_FOUND": "1,234"},  # messy, fine
        "TS02": {"HAZARD_FOUND": 5, "HAZARD_FIXED": 7},                          # le warning
        "TS03": {"INV_HIGHWAY": "12.5公里", "HAZARD_FOUNDD": 1},                  # numeric, known code
        "TS04": {"HAZARD_FOUND": DROP, "ACCIDENT_DEATHS": 2, "ACCIDENTS": 0},     # required, requires
        "TS05": {"HAZARD_FOUND": -4, "ENF_PATROLS": 12.5},                        # negative, integer
        "TS06": {"RURAL_ROAD_KM": 250.0},                                         # bounds
        "TS07": {"VILLAGES_TOTAL": 10, "VILLAGES_WITH_BUS": 12},                  # le error
        "RC01": {"INV_HIGHWAY": 100, "INV_TOTAL": 150},                           # sum_equals
        "EB01": {"OVERLOAD_CHECKED": 10, "OVERLOAD_FOUND": 20, "ENF_CASES": 3, "ENF_CASES_CLOSED": 5},
        "QS01": {"QA_SAMPLES": 5, "QA_SAMPLES_PASSED": 6, "HAZARD_FIXED": True},
        "SC01": {"PASSENGER_VOLUME": 1800.0},                                     # outlier
    }
    recs = [received(u, clean_payload(catalog, u, **faults.get(u, {}))) for u in units]
    wrong = clean_payload(catalog, "TS09", period="2025-05")                      # another unit's file
    recs.append(received("TS08", wrong, sha="wrong"))
    recs.append(received("TS10", clean_payload(catalog, "TS10"), sha="second"))  # twice in a batch
    ghost = clean_payload(catalog, "TS01")
    ghost["unit"] = "ZZ99"
    recs.append(received("ZZ99", ghost))
    recs[0].payload["narratives"].append({"kind": "亮点", "section": "nowhere", "text": "……"})
    by_unit = {r.unit: r.payload for r in recs}
    item = {"kind": "plan", "section": "safety"}
    by_unit["TS03"]["narratives"] += [{**item, "text": f"第{n}项计划"} for n in range(60)]       # count
    by_unit["TS05"]["narratives"] += [{**item, "text": "完成\v整治"}, {**item, "text": "\ud800坏"}]  # text
    by_unit["TS06"]["narratives"].append({**item, "text": "长" * 1001})                        # length
    recs.append(received("WC01", None, reason="报送内容应为 JSON 对象，实际为 list。", sha="unreadable"))
    history = pd.DataFrame([("SC01", periods.shift(PERIOD, -k), "PASSENGER_VOLUME", 100.0 + k)
                            for k in range(1, 13)], columns=["unit", "period", "indicator", "value"])
    return recs, history


@pytest.fixture(scope="module")
def runs(vcatalog, tmp_path_factory):
    recs, history = mixed_batch(vcatalog)
    docs = tmp_path_factory.mktemp("docs")
    by_gx = validate_period(recs, vcatalog, history=history, docs_dir=docs)
    by_pandas = validate_period(recs, vcatalog, history=history, engine="pandas")
    return recs, history, by_gx, by_pandas, docs


def test_gx_and_pandas_give_the_same_verdicts_and_messages(runs):
    recs, _, by_gx, by_pandas, _ = runs
    assert len(by_gx) == len(recs)
    assert [(v.unit, v.status, v.issues, v.values) for v in by_gx] == \
        [(v.unit, v.status, v.issues, v.values) for v in by_pandas]


def test_the_mixed_batch_exercises_every_check(vcatalog, runs):
    _, _, by_gx, _, _ = runs
    rules = {i.rule for v in by_gx for i in v.issues}
    assert rules >= set(BUILTIN_CHECKS) | {r.code for r in vcatalog.rules} | {"UNREADABLE"}
    status = {v.unit + ("" if v.sha256.startswith("sha-") else "/" + v.sha256): v.status for v in by_gx}
    assert status["TS01"] == REJECTED            # narratives; its messy values alone were fine
    assert status["TS02"] == ACCEPTED_WITH_WARNINGS and status["SC01"] == ACCEPTED_WITH_WARNINGS
    assert status["TS11"] == ACCEPTED and status["WC01/unreadable"] == REJECTED
    assert status["TS10"] == REJECTED and status["TS10/second"] == REJECTED


def test_failing_rows_agree_check_by_check(vcatalog, voptions, runs):
    from county_reports.validate import gx_engine

    recs, history, *_ = runs
    batch = batch_mod.build_batch(recs, vcatalog, voptions, PERIOD, history)
    specs = build_specs(vcatalog, voptions)
    gx = {r.spec.check: sorted(r.rows) for r in gx_engine.check(batch.frames(), specs)}
    pd_ = {r.spec.check: sorted(r.rows) for r in pandas_rules.check(batch, vcatalog, specs)}
    assert gx == pd_
    assert all(gx.values())                      # every expectation caught something here


def test_gx_suite_objects_follow_the_catalogue(vcatalog, voptions):
    from county_reports.validate.gx_engine import gx_suites

    suites = gx_suites(build_specs(vcatalog, voptions))
    values = {e.meta["check"]: e for e in suites["values"].expectations}
    assert values["BOUNDS"].bounds["HAZARD_FOUND"] == [0.0, 5000.0]
    assert [e.meta["check"] for e in suites["submissions"].expectations][3:] == \
        [r.code for r in vcatalog.rules] + ["NARRATIVE_COUNT"]


def test_html_report(runs):
    *_, docs = runs
    html = (docs / f"{PERIOD}.html").read_text(encoding="utf-8")
    for part in ("Great Expectations", "expect_compound_columns_to_be_unique", "INVESTMENT_PARTS_SUM",
                 "县公路事务中心", "投资合计（150万元）与分项投资之和（100万元）不一致"):
        assert part in html


def test_great_expectations_is_imported_only_when_validating():
    import subprocess

    code = ("import sys, county_reports.validate.run, county_reports.validate.feedback, "
            "county_reports.validate.offline, county_reports.validate.suite; "
            "print('great_expectations' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
