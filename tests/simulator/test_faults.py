"""simulator/faults.py: each content fault breaks a clean payload the way its name says — proven by
the real validation (pandas engine) — never touches the clean one, and is reproducible."""
from __future__ import annotations

import copy
import json
import random

import pytest

from county_reports.simulator import faults
from county_reports.simulator.data import SubmissionGenerator
from county_reports.validate.model import ACCEPTED, ACCEPTED_WITH_WARNINGS, REJECTED, Received
from county_reports.validate.run import validate_period

PERIOD = "2025-06"
UNITS = ("TS01", "RC01", "EB01", "SC01")


@pytest.fixture(scope="module")
def clean(catalog):
    generator = SubmissionGenerator(catalog, seed=5)
    return {u: generator.payload(u, PERIOD) for u in UNITS}


def _judge(catalog, payloads):
    received = [Received(p["unit"] if p["unit"] in UNITS else u, PERIOD, f"{u}{i}", "http",
                         "2025-07-05T06:00:00+08:00", p) for i, (u, p) in enumerate(payloads.items())]
    return {v.unit: v for v in validate_period(received, catalog, engine="pandas")}


def test_the_clean_payloads_pass(catalog, clean):
    assert {v.status for v in _judge(catalog, clean).values()} <= {ACCEPTED, ACCEPTED_WITH_WARNINGS}


def test_content_faults_as_validation_sees_them(catalog, clean):
    before = copy.deepcopy(clean)
    for seed in range(3):
        broken = {u: faults.faulty_body(catalog, p, "invalid_values", random.Random(seed)) for u, p in clean.items()}
        assert {v.status for v in _judge(catalog, broken).values()} == {REJECTED}
        messy = {u: faults.faulty_body(catalog, p, "messy_values", random.Random(seed)) for u, p in clean.items()}
        assert any(isinstance(x, str) for p in messy.values() for x in p["values"].values())
        for unit, verdict in _judge(catalog, messy).items():
            assert verdict.status != REJECTED, [i.message for i in verdict.errors]
            assert verdict.values == pytest.approx({k: float(x) for k, x in clean[unit]["values"].items()})
        ruled = {u: faults.faulty_body(catalog, p, "rule_violation", random.Random(seed)) for u, p in clean.items()}
        for unit, verdict in _judge(catalog, ruled).items():
            rule_codes = {r.code for r in catalog.rules} | {"NUMERIC", "BOUNDS", "INTEGER"}
            assert {i.rule for i in verdict.issues} & rule_codes, unit
    assert clean == before                                  # the clean payloads untouched


def test_wrong_unit_names_another(catalog, clean):
    out = faults.with_wrong_unit(catalog, clean["TS01"], random.Random(1))
    assert out["unit"] != "TS01" and out["unit"] in catalog.unit_by_code
    verdict = _judge(catalog, {"TS01": out})["TS01"]
    assert verdict.status == REJECTED


def test_reproducible_and_unknown_faults_refused(catalog, clean):
    a = faults.faulty_body(catalog, clean["RC01"], "messy_values", random.Random(9))
    assert a == faults.faulty_body(catalog, clean["RC01"], "messy_values", random.Random(9))
    with pytest.raises(ValueError, match="late"):
        faults.faulty_body(catalog, clean["RC01"], "late", random.Random(1))


def test_transport_bodies():
    body = json.dumps({"unit": "TS01", "text": "城关镇交通运输管理站" * 20}, ensure_ascii=False).encode()
    cut = faults.truncated(body)
    assert len(cut) < len(body) and cut.decode("utf-8")
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut)
    page = faults.html_page("<某站>", "2025-06").decode()
    assert page.startswith("<!DOCTYPE html>") and "&lt;某站&gt;" in page and "<某站>" not in page
