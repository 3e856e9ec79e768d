"""The example submission for integrators: built from the catalogue alone, and accepted as it is."""
from __future__ import annotations

import json

import pytest

from county_reports.collect import example, protocol
from county_reports.core.config import ConfigError
from county_reports.validate.model import Received
from county_reports.validate.run import validate_period

PERIOD = "2025-06"


def _one_unit_per_kind(catalog) -> list[str]:
    return [next(u.code for u in catalog.units_active_in(PERIOD) if u.kind == kind) for kind in catalog.kinds]


@pytest.mark.parametrize("engine", ["pandas", "gx"])
def test_the_example_of_every_kind_of_unit_is_accepted(catalog, engine):
    codes = _one_unit_per_kind(catalog)
    assert len(codes) == len(catalog.kinds) > 1
    received = []
    for code in codes:
        raw = json.dumps(example.example_payload(catalog, code, PERIOD), ensure_ascii=False).encode()
        payload = protocol.parse_json_payload(raw, "application/json; charset=utf-8")
        received.append(Received(code, PERIOD, f"sha-{code}", "file", "2025-07-03T09:00:00+08:00", payload))
    verdicts = validate_period(received, catalog, engine=engine)
    assert [(v.unit, v.status, [i.message for i in v.issues]) for v in verdicts] == \
        [(code, "accepted", []) for code in codes]


def test_the_example_follows_its_documented_rule(catalog):
    payload = example.example_payload(catalog, "RC01", PERIOD)
    unit = catalog.unit_by_code["RC01"]
    indicators = catalog.required_indicators(unit.kind)
    assert list(payload["values"]) == [i.code for i in indicators]
    ruled = {code for rule in catalog.rules for code in rule.indicators}
    for ind in indicators:
        value = payload["values"][ind.code]
        assert ind.min <= value <= ind.max
        if ind.code not in ruled:            # a rule may move a value; the others sit mid-bounds
            assert value == example.middle_value(ind)
    assert payload["submitted_at"] == "2025-07-06T09:00:00+08:00"     # RC01's deadline day, 09:00
    assert {n["kind"] for n in payload["narratives"]} == {"highlight", "problem", "plan"}
    assert all(n["text"].startswith("（示例）") for n in payload["narratives"])   # from example.yaml
    assert example.example_payload(catalog, "RC01", PERIOD) == payload            # no randomness


def test_middle_value_rounds_as_reported():
    from county_reports.core.catalog import Indicator

    def ind(**kw):
        return Indicator("X", "x", "个", "safety", "flow", "sum", "sum", ("k",), **kw)

    assert example.middle_value(ind(min=0, max=5, integer=True)) == 2
    assert example.middle_value(ind(min=0, max=5)) == 2                 # decimals 0: rounded (banker's)
    assert example.middle_value(ind(min=0, max=1, decimals=2)) == 0.5
    assert example.middle_value(ind(min=0, max=0.125, decimals=2)) == 0.06


def test_unknown_or_inactive_unit_and_a_broken_example_yaml_say_so(catalog, tmp_path):
    with pytest.raises(ValueError, match="unknown unit XX99"):
        example.example_payload(catalog, "XX99", PERIOD)
    inactive = next((u for u in catalog.units if u.active_from > "2024-01"), None)
    if inactive is not None:
        with pytest.raises(ValueError, match="does not report"):
            example.example_payload(catalog, inactive.code, "2024-01")
    (tmp_path / "example.yaml").write_text("narratives: {highlight: ''}\ncontact: {name: x}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^example\.yaml: narratives\.highlight: is empty$"):
        example.load_placeholders(tmp_path)
    (tmp_path / "example.yaml").write_text("narratives: {}\ncontact: {name: x}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^example\.yaml: narratives: is empty$"):
        example.load_placeholders(tmp_path)
