"""simulator/narratives.py: phrases.yaml checked on load; a unit says only what its figures support,
never the same fact twice, never "0" in a highlight, only in its months and kinds."""
from __future__ import annotations

import random
import re

import pytest
import yaml

from county_reports.core.config import ConfigError
from county_reports.core.paths import config_dir
from county_reports.simulator import narratives as n


@pytest.fixture(scope="module")
def book(catalog):
    return n.load_phrasebook(catalog)


def test_the_shipped_phrasebook(book, catalog):
    assert book.sections() <= set(catalog.section_by_code) and book.villages
    assert all(t.indicators <= set(catalog.indicator_by_code)
               for s in book.sections() for k in ("highlight", "problem", "plan") for t in book.templates(s, k))


def test_usable():
    t = n.Template("{A}座", frozenset({"A"}), frozenset({1, 2}), ("{A}座",), frozenset({"road_centre"}))
    assert t.usable("highlight", {"A": 3}, 1, "road_centre")
    assert not t.usable("highlight", {"A": 0}, 1, "road_centre")          # no boasting of zero
    assert t.usable("problem", {"A": 0}, 2, None)
    assert not t.usable("plan", {"A": 3}, 6, "road_centre")               # not its month
    assert not t.usable("plan", {"A": 3}, 1, "township_station")          # not its kind
    assert not t.usable("plan", {"B": 3}, 1, "road_centre")               # a figure it lacks


def test_compose_fills_from_the_units_own_figures(book, catalog):
    unit = next(u for u in catalog.units if u.kind == "road_centre")
    indicators = {i.code: i for i in catalog.indicators if unit.kind in i.reported_by}
    values = {code: (7 if ind.integer else 123.45) for code, ind in indicators.items()}
    sections = sorted(book.sections())
    allowed = {n.format_value(catalog.indicator_by_code[c], v) for c, v in values.items()} | {"2025", "6", "7"}
    allowed |= set(re.findall(r"\d+(?:\.\d+)?", " ".join(
        v for s in sections for k in ("highlight", "problem", "plan") for t in book.templates(s, k) for v in t.variants)))
    for seed in range(20):
        items = n.compose(book, random.Random(seed), sections=sections, weights=[1] * len(sections),
                          values=values, context={"unit_name": unit.name, "year": "2025", "month": "6",
                                                  "next_month": "7", "place": "县"},
                          month=6, indicators={c: catalog.indicator_by_code[c] for c in indicators},
                          unit_kind=unit.kind, villages=book.villages)
        kinds = [i["kind"] for i in items]
        assert 1 <= kinds.count("highlight") <= 3 and kinds.count("problem") <= 2 and 1 <= kinds.count("plan") <= 2
        assert len({i["text"] for i in items}) == len(items)
        for item in items:
            assert "{" not in item["text"] and item["section"] in sections
            # every figure in the text is one of the unit's own (or a number the template itself holds)
            assert set(re.findall(r"\d+(?:\.\d+)?", item["text"])) <= allowed, item["text"]


def test_format_value(catalog):
    count = next(i for i in catalog.indicators if i.integer)
    amount = next(i for i in catalog.indicators if not i.integer and i.decimals == 2)
    assert n.format_value(count, 12.0) == "12" and n.format_value(amount, 3.14159) == "3.14"


def _phrases(tmp_path, change):
    data = yaml.safe_load((config_dir() / "simulator" / "phrases.yaml").read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "phrases.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("change, key, words", [
    (lambda d: d.update(nowhere={"plan": ["x"]}), "nowhere", "unknown section"),
    (lambda d: d["investment"].update(boast=["x"]), "investment.boast", "is not one of"),
    (lambda d: d["investment"].update(plan=["{NO_SUCH}万元"]), "investment.plan[0]", "unknown slot {NO_SUCH}"),
    (lambda d: d["investment"].update(plan=["{INV_TOTAL"]), "investment.plan[0]", "unbalanced braces"),
    (lambda d: d["investment"].update(plan=[{"variants": ["{INV_TOTAL}", "{INV_HUB}"]}]),
     "investment.plan[0].variants[1]", "same indicators"),
    (lambda d: d["investment"].update(plan=[{"text": "x", "months": [13]}]), "investment.plan[0].months", "1–12"),
    (lambda d: d["investment"].update(plan=[{"text": "x", "kinds": ["ferry"]}]), "investment.plan[0].kinds", "unit kinds"),
    (lambda d: d["places"].update(villages="李家"), "places.villages", "list of village names"),
])
def test_a_wrong_phrase_is_named(tmp_path, catalog, change, key, words):
    path = _phrases(tmp_path, change)
    with pytest.raises(ConfigError) as err:
        n.load_phrasebook(catalog, path)
    assert f": {key}: " in str(err.value) and words in str(err.value)


def test_never_the_same_fact_twice(catalog):
    one = n.Template("完成投资{INV_TOTAL}万元。", frozenset({"INV_TOTAL"}), None, ("完成投资{INV_TOTAL}万元。",))
    plan = n.Template("下月继续推进。", frozenset(), None, ("下月继续推进。",))
    book = n.Phrasebook({("investment", "highlight"): [one], ("investment", "plan"): [plan]})
    ind = {"INV_TOTAL": catalog.indicator_by_code["INV_TOTAL"]}
    for seed in range(10):
        items = n.compose(book, random.Random(seed), sections=["investment"], weights=[1],
                          values={"INV_TOTAL": 5.0}, context={}, month=6, indicators=ind)
        assert [i["kind"] for i in items] == ["highlight", "plan"]
        assert items[0]["text"] == "完成投资5.00万元。" or items[0]["text"].startswith("完成投资5")
