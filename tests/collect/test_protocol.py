"""Protocol surprises are refused naming the field, never a traceback, including envelopes that
once crashed the parser."""
from __future__ import annotations

import pytest

from county_reports.collect import protocol

HEAD = b'{"protocol": 1, "unit": "TS01", "period": "2025-09", '


@pytest.mark.parametrize("body,words", [
    (HEAD + b'"values": {"ROAD_INVEST": 1' + b"0" * 5000 + b"}}", ["ROAD_INVEST", "5001 位"]),
    (HEAD + b'"values": {"ROAD_INVEST": -' + b"9" * 4400 + b"}}", ["ROAD_INVEST", "4400 位"]),
    (HEAD + b'"values": {"HAZARD_FOUND": 3, "HAZARD_FOUND": 4}}', ["HAZARD_FOUND", "不止一次"]),
    (HEAD + b'"values": {"ROAD_INVEST": NaN}}', ["values.ROAD_INVEST", "NaN"]),
    (HEAD + b'"values": {"ROAD_INVEST": -Infinity}}', ["values.ROAD_INVEST", "-Infinity"]),
    (HEAD + b'"values": {}, "narratives": [{"text": 1' + b"2" * 4500 + b"}]}", ["narratives[0].text"]),
])
def test_surprises_are_refused_naming_the_field(body, words):
    with pytest.raises(protocol.Unreadable) as caught:
        protocol.parse_json_payload(body, "application/json")
    for word in words:
        assert word in caught.value.reason


def test_a_long_but_readable_integer_is_read():
    payload = protocol.parse_json_payload(HEAD + b'"values": {"ROAD_INVEST": 1' + b"0" * 4000 + b"}}",
                                          "application/json")
    assert payload["values"]["ROAD_INVEST"] == 10 ** 4000


@pytest.mark.parametrize("body,reason", [
    (b'{"protocol": 1, "unit": "TS01", "period": "2025-09", "values": null}', "values"),
    (b'{"protocol": 1, "unit": "TS01", "period": "2025-09", "values": ' + b"[" * 100000 + b"]" * 100000 + b"}",
     "嵌套层数过多"),
])
def test_envelopes_that_used_to_crash_are_refused(body, reason):
    with pytest.raises(protocol.Unreadable) as info:
        protocol.parse_json_payload(body, "application/json")
    assert reason in info.value.reason
