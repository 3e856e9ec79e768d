"""A unit's answer to an outlier warning (validate/confirmations.py): read bounded from protocol 1's
``confirmations``, each bad item a warning naming its number and the rule, a confirmed warning
worded as answered, an unconfirmed one asking for the answer; warnings ranked by effect."""
from __future__ import annotations

import pandas as pd

from county_reports.core import periods
from county_reports.validate.run import validate_period
from validate_helpers import PERIOD, clean_payload, received


def _steady(unit: str, **values) -> pd.DataFrame:
    """12 months before PERIOD of the same figures: any ×100 is a slip to the check."""
    rows = [(unit, periods.shift(PERIOD, -k), code, value) for k in range(1, 13) for code, value in values.items()]
    return pd.DataFrame(rows, columns=["unit", "period", "indicator", "value"])


def _one(vcatalog, payload, history):
    [v] = validate_period([received("TS01", payload)], vcatalog, history=history, engine="pandas")
    return v


def test_an_unconfirmed_slip_asks_for_an_answer_and_a_confirmed_one_says_it_was_taken(vcatalog):
    history = _steady("TS01", VILLAGE_ROAD_KM=10.0)
    v = _one(vcatalog, clean_payload(vcatalog, "TS01", VILLAGE_ROAD_KM=100), history)
    [slip] = [i for i in v.warnings if i.rule == "OUTLIER"]
    assert slip.indicator == "VILLAGE_ROAD_KM" and slip.expected == 10.0 and slip.effect > 0
    assert "核实无误" in slip.message and "confirmations" in slip.message and "核实说明" in slip.message
    assert "核实前不作为今后异常值比对的依据" in slip.message
    assert v.confirmations == {}

    answered = {**clean_payload(vcatalog, "TS01", VILLAGE_ROAD_KM=100),
                "confirmations": [{"indicator": "VILLAGE_ROAD_KM", "reason": " 本月集中结算省补资金 "}]}
    v = _one(vcatalog, answered, history)
    assert v.confirmations == {"VILLAGE_ROAD_KM": "本月集中结算省补资金"}
    [slip] = [i for i in v.warnings if i.rule == "OUTLIER"]       # still flagged, and ranked …
    assert slip.effect > 0
    assert "本单位已核实无误（说明：本月集中结算省补资金）" in slip.message     # … but answered
    assert "confirmations" not in slip.message and v.status == "accepted_with_warnings"


def test_bad_confirmations_are_warnings_naming_the_item_and_are_ignored(vcatalog, voptions):
    history = _steady("TS01", VILLAGE_ROAD_KM=10.0)
    many = voptions.confirmations["max_items"]
    cases = {
        "not_list": ({"VILLAGE_ROAD_KM": "x"}, "confirmations 应为列表"),
        "not_item": (["核实无误"], "第1项核实说明"),
        "unknown": ([{"indicator": "NOPE", "reason": "x"}], "本次报送中没有该指标的数值"),
        "empty": ([{"indicator": "VILLAGE_ROAD_KM", "reason": "  "}], "缺少理由"),
        "long": ([{"indicator": "VILLAGE_ROAD_KM", "reason": "长" * 101}], "理由超过 100 字"),
        "lines": ([{"indicator": "VILLAGE_ROAD_KM", "reason": "第一行\n第二行"}], "只能是一行文字"),
        "twice": ([{"indicator": "VILLAGE_ROAD_KM", "reason": "a"}, {"indicator": "VILLAGE_ROAD_KM", "reason": "b"}],
                  "第2项核实说明（指标代码“VILLAGE_ROAD_KM”）无法采用：同一指标有多条核实说明"),
        "too_many": ([{"indicator": "VILLAGE_ROAD_KM", "reason": "a"}] + [7] * many, f"超过 {many} 项的上限"),
    }
    for name, (sent, words) in cases.items():
        v = _one(vcatalog, {**clean_payload(vcatalog, "TS01", VILLAGE_ROAD_KM=100), "confirmations": sent}, history)
        bad = [i for i in v.warnings if i.rule == "CONFIRMATION"]
        assert bad and any(words in i.message for i in bad), (name, [i.message for i in bad])
        assert v.status == "accepted_with_warnings", name            # never a rejection
        confirmed = name in ("twice", "too_many")                     # the first good item is taken
        assert (v.confirmations == {"VILLAGE_ROAD_KM": "a"}) is confirmed, name


def test_warnings_are_listed_by_their_effect_on_the_county_total(vcatalog):
    history = _steady("TS01", VILLAGE_ROAD_KM=10.0, RURAL_ROAD_KM=10.0)
    history = pd.concat([history, _steady("TS02", VILLAGE_ROAD_KM=100.0)])
    payloads = [received("TS01", clean_payload(vcatalog, "TS01", VILLAGE_ROAD_KM=100, RURAL_ROAD_KM=100)),
                received("TS02", clean_payload(vcatalog, "TS02", VILLAGE_ROAD_KM=100))]
    [v, _] = validate_period(payloads, vcatalog, history=history, engine="pandas")
    flagged = [i for i in v.warnings if i.rule == "OUTLIER"]
    assert {i.indicator for i in flagged} == {"VILLAGE_ROAD_KM", "RURAL_ROAD_KM"}
    effects = [i.effect for i in flagged]
    assert effects == sorted(effects, reverse=True) and effects[0] > effects[1]
    # RURAL_ROAD_KM (90 of a 20 total) moves the county more than VILLAGE_ROAD_KM (90 of 110):
    assert flagged[0].indicator == "RURAL_ROAD_KM"
