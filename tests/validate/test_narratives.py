"""validate/narratives.py: the narrative limits from validation.yaml and the items' placeholders."""
from __future__ import annotations

import pytest

from county_reports.core.config import ConfigError
from county_reports.validate import narratives as n


def test_limits_default_and_override():
    assert n.load_limits(None) == n.NarrativeLimits()
    assert n.load_limits({"max_items": 3}) == n.NarrativeLimits(max_items=3, max_length=1000)


@pytest.mark.parametrize("raw, key", [
    ([1], "narratives"), ({"max_item": 3}, "narratives.max_item"), ({"max_length": 0}, "narratives.max_length"),
    ({"max_items": True}, "narratives.max_items"), ({"max_items": 2.0}, "narratives.max_items")])
def test_wrong_limits_are_named(raw, key):
    with pytest.raises(ConfigError) as err:
        n.load_limits(raw)
    assert f"validation.yaml: {key}:" in str(err.value)


def test_invalid_characters_found_and_shown():
    assert n.invalid_at("完成\t养护\n") is None
    assert n.invalid_at("完成\v养护") == 2
    assert n.invalid_at("a\ud800") == 1
    assert n.visible("a\vb\x00c") == "aU+000BbU+0000c"


def test_item_fields_name_the_item():
    text = "完成农村公路养护\v工程十二公里并通过县级验收合格率百分之百"
    fields = n.item_fields({"kind": "highlight", "text": text}, 3, {"highlight": "工作亮点"})
    assert fields["index"] == 3 and fields["kind_label"] == "工作亮点"
    assert fields["length"] == len(text)
    assert fields["position"] == 9 and fields["char"] == "U+000B"
    assert fields["start"].endswith("…") and len(fields["start"]) == 20 and "U+000B" in fields["start"]


def test_item_fields_of_a_broken_item():
    fields = n.item_fields("not an item", 1, {})
    assert fields["start"] == "" and fields["length"] == 0 and fields["position"] == ""
    fields = n.item_fields({"kind": "x\v" * 10, "text": 5}, 2, {})
    assert fields["kind_label"].startswith("xU+000B") and len(fields["kind_label"]) == 10
