"""The simulated submissions: deterministic, complete, in range, rule-abiding, seasonal, calibrated."""
from __future__ import annotations

import random
import unicodedata
from datetime import datetime, timedelta

import pytest

from county_reports.core import periods
from county_reports.core.catalog import load_catalog
from county_reports.core.config import ConfigError
from county_reports.simulator import faults
from county_reports.simulator.data import SubmissionGenerator, payload
from county_reports.simulator.narratives import NARRATIVE_KINDS, load_phrasebook
from county_reports.simulator.profile import FAULTS, Profile, as_profile, load_profile

ALL_MONTHS = periods.span("2024-01", "2025-12")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def profile():
    return load_profile()


@pytest.fixture(scope="module")
def generator(catalog, profile):
    return SubmissionGenerator(catalog, seed=profile.seed, sizes=profile.sizes)


@pytest.fixture(scope="module")
def every_payload(catalog, generator):
    """Every clean submission of every active unit, 2024-01..2025-12 (about 400)."""
    return {(u.code, p): generator.payload(u.code, p)
            for u in catalog.units for p in ALL_MONTHS if u.active_in(p)}


def broken_rules(catalog, values) -> list[str]:
    broken = []
    for rule in catalog.rules:
        p = rule.params
        if rule.check == "le":
            if p["left"] in values and p["right"] in values and values[p["left"]] > values[p["right"]]:
                broken.append(rule.code)
        elif rule.check == "sum_equals":
            if p["total"] in values:
                parts = sum(values.get(code, 0) for code in p["parts"])
                if abs(parts - values[p["total"]]) > p["tolerance"]:
                    broken.append(rule.code)
        elif values.get(p["when"], 0) > 0 and values.get(p["then"], 0) <= 0:
            broken.append(rule.code)
    return broken


def county_total(catalog, every_payload, code, months) -> float:
    return sum(body["values"].get(code, 0) for (unit, period), body in every_payload.items()
               if period in months)


def test_same_arguments_give_the_same_payload_and_a_revision_differs(catalog, profile):
    args = dict(seed=profile.seed, sizes=profile.sizes)
    first = payload(catalog, "TS01", "2024-05", **args)
    assert payload(catalog, "TS01", "2024-05", **args) == first
    # A fresh generator, asked in another order, gives the same month too: no hidden state.
    fresh = SubmissionGenerator(catalog, seed=profile.seed, sizes=profile.sizes)
    fresh.payload("RC01", "2025-01")
    assert fresh.payload("TS01", "2024-05") == first
    revised = payload(catalog, "TS01", "2024-05", revision=1, **args)
    assert revised["values"] != first["values"]
    assert revised["submitted_at"] > first["submitted_at"]
    again = payload(catalog, "TS01", "2024-05", revision=2, **args)
    assert again["submitted_at"] > revised["submitted_at"]
    assert payload(catalog, "TS01", "2024-05", seed=profile.seed + 1, sizes=profile.sizes) != first


def test_every_required_indicator_present_and_in_bounds(catalog, every_payload):
    kinds_seen = set()
    for (code, period), body in every_payload.items():
        unit = catalog.unit_by_code[code]
        kinds_seen.add(unit.kind)
        required = catalog.required_indicators(unit.kind)
        assert list(body["values"]) == [i.code for i in required]
        for ind in required:
            value = body["values"][ind.code]
            assert isinstance(value, (int, float)) and not isinstance(value, bool)
            assert ind.min <= value <= ind.max, (code, period, ind.code, value)
            if ind.integer:
                assert isinstance(value, int), (code, period, ind.code, value)
            else:
                assert round(value, ind.decimals) == value
    assert kinds_seen == set(catalog.kinds)


def test_envelope_timestamps_narratives_and_contact(catalog, every_payload):
    relevant = {}
    for (code, period), body in every_payload.items():
        unit = catalog.unit_by_code[code]
        assert (body["protocol"], body["unit"], body["period"]) == (1, code, period)
        submitted = datetime.fromisoformat(body["submitted_at"])
        assert submitted.utcoffset() == timedelta(hours=8)
        assert body["submitted_at"].endswith("+08:00")
        assert periods.shift(period, 1) <= periods.of_date(submitted.date())
        assert submitted.date() < unit.due_date(period)
        counts = {kind: [n["kind"] for n in body["narratives"]].count(kind) for kind in NARRATIVE_KINDS}
        assert 1 <= counts["highlight"] <= 3 and counts["problem"] <= 2 and 1 <= counts["plan"] <= 2
        sections = relevant.setdefault(unit.kind, {i.section for i in catalog.required_indicators(unit.kind)}
                                       | {"funding", "party_building"})
        for item in body["narratives"]:
            assert item["section"] in sections
            assert "{" not in item["text"] and item["text"].endswith("。")
            item["text"].encode("gbk")  # the gbk fault must be able to encode every sentence
        assert body["contact"]["name"] and body["contact"]["phone"].startswith("0000-")


def test_late_submission_is_one_to_ten_days_after_the_deadline(catalog, generator):
    for code in ("TS05", "RC01", "QS01"):
        unit = catalog.unit_by_code[code]
        body = generator.payload(code, "2024-02", late=True)
        days = (datetime.fromisoformat(body["submitted_at"]).date() - unit.due_date("2024-02")).days
        assert 1 <= days <= 10
        assert body["values"] == generator.payload(code, "2024-02")["values"]


def test_clean_payloads_satisfy_every_rule(catalog, every_payload):
    for key, body in every_payload.items():
        assert broken_rules(catalog, body["values"]) == [], key
        values = body["values"]
        if "INV_TOTAL" in values:
            parts = sum(values.get(c, 0) for c in ("INV_HIGHWAY", "INV_WATERWAY", "INV_HUB"))
            assert round(parts, 2) == values["INV_TOTAL"]


def test_investment_is_seasonal(catalog, every_payload):
    for year in (2024, 2025):
        def months(*ms, year=year):
            return {periods.make(year, m) for m in ms}
        early = county_total(catalog, every_payload, "INV_TOTAL", months(1, 2))
        late = county_total(catalog, every_payload, "INV_TOTAL", months(11, 12))
        assert early < late / 2


def test_county_totals_land_near_the_targets(catalog, every_payload):
    year_2024 = set(periods.span("2024-01", "2024-12"))
    total = county_total(catalog, every_payload, "INV_TOTAL", year_2024)
    assert abs(total / catalog.targets[2024]["INV_TOTAL"] - 1) <= 0.15
    for code, target in catalog.targets[2024].items():
        if code in catalog.indicator_by_code:
            got = county_total(catalog, every_payload, code, year_2024)
            assert 0.7 * target <= got <= 1.3 * target, (code, got, target)
    found = county_total(catalog, every_payload, "HAZARD_FOUND", year_2024)
    fixed = county_total(catalog, every_payload, "HAZARD_FIXED", year_2024)
    assert 0.95 <= fixed / found <= 1.0
    year_2025 = set(periods.span("2025-01", "2025-12"))
    for code in ("INV_TOTAL", "PASSENGER_VOLUME", "SERVICE_ITEMS"):
        assert county_total(catalog, every_payload, code, year_2025) > \
            county_total(catalog, every_payload, code, year_2024)


def test_stocks_move_slowly_and_villages_have_buses(catalog, every_payload):
    stocks = [i for i in catalog.indicators if i.nature == "stock"]
    for unit in catalog.units:
        months = [p for p in ALL_MONTHS if unit.active_in(p)]
        for before, after in zip(months, months[1:], strict=False):
            a, b = every_payload[unit.code, before]["values"], every_payload[unit.code, after]["values"]
            for ind in stocks:
                if ind.code in a:
                    assert abs(b[ind.code] - a[ind.code]) <= 0.05 * a[ind.code] + 2, \
                        (unit.code, before, ind.code, a[ind.code], b[ind.code])
    # A few villages of a few townships get their bus during 2024; from then on every one has it.
    for period, lowest in (("2024-01", 0.95), ("2024-12", 1.0), ("2025-06", 1.0)):
        bodies = [b["values"] for (u, p), b in every_payload.items() if p == period]
        with_bus = sum(v.get("VILLAGES_WITH_BUS", 0) for v in bodies)
        villages = sum(v.get("VILLAGES_TOTAL", 0) for v in bodies)
        assert villages > 100 and lowest <= with_bus / villages <= 1.0
    assert sum(b["values"].get("ACCIDENTS", 0) for b in every_payload.values()) <= 30


def test_inactive_unit_has_no_submission(catalog, generator):
    with pytest.raises(ValueError):
        generator.payload("TS09", "2024-10")
    with pytest.raises(ValueError):
        generator.payload("TS11", "2024-06")
    with pytest.raises(KeyError):
        generator.payload("NOPE", "2024-06")
    assert generator.payload("TS09", "2024-09")["unit"] == "TS09"


# --------------------------------------------------------------------------- content faults


def as_number(text, uom):
    text = unicodedata.normalize("NFKC", text).strip()
    return float(text.removesuffix(uom).replace(",", ""))


@pytest.mark.parametrize("code", ["TS02", "RC01", "SC01", "EB01", "WC01", "QS01"])
def test_content_faults_change_what_they_should(catalog, generator, code):
    clean = generator.payload(code, "2024-11")
    rng = lambda: random.Random(f"test:{code}")  # noqa: E731

    invalid = faults.faulty_body(catalog, clean, "invalid_values", rng())
    def invalid_value(c, v):
        ind = catalog.indicator_by_code[c]
        return not isinstance(v, (int, float)) or not ind.min <= v <= ind.max
    assert any(invalid_value(c, v) for c, v in invalid["values"].items())

    broken = faults.faulty_body(catalog, clean, "rule_violation", rng())
    assert broken_rules(catalog, broken["values"])
    assert not any(invalid_value(c, v) for c, v in broken["values"].items())

    messy = faults.faulty_body(catalog, clean, "messy_values", rng())
    texts = {c: v for c, v in messy["values"].items() if isinstance(v, str)}
    assert 3 <= len(texts) <= 6
    for c, text in texts.items():
        assert as_number(text, catalog.indicator_by_code[c].uom) == pytest.approx(clean["values"][c])

    wrong = faults.faulty_body(catalog, clean, "wrong_unit", rng())
    assert wrong["unit"] != code and wrong["unit"] in catalog.unit_by_code
    assert clean == generator.payload(code, "2024-11")  # the clean payload was not touched


def test_messy_styles_cover_full_width_separators_spaces_and_units(catalog):
    ind = catalog.indicator_by_code["INV_HIGHWAY"]
    seen = {faults.messy_text(ind, 1234.5, random.Random(i)) for i in range(60)}
    assert any("１" in t for t in seen) and any("1,234" in t for t in seen)
    assert any(t != t.strip() for t in seen) and any(t.strip().endswith("万元") for t in seen)
    assert all(as_number(t, "万元") == 1234.5 for t in seen)


# --------------------------------------------------------------------------- config files


def test_demo_profile_is_a_realistic_sprinkle(catalog, profile):
    assert 15 <= len(profile.faults) <= 25
    kinds = set(profile.faults.values())
    for fault in ("missing", "late", "server_error", "flaky", "truncated", "wrong_content_type",
                  "invalid_values", "rule_violation", "messy_values", "gbk", "wrong_unit"):
        assert fault in kinds
    assert kinds <= set(FAULTS)
    for (unit, period) in profile.faults:
        assert catalog.unit_by_code[unit].active_in(period)
        assert "2024-01" <= period <= "2025-06"
    assert profile.size("TS01") > 1 > profile.size("TS05") and profile.size("RC01") == 1.0


def test_profile_errors_name_the_file_and_key(tmp_path):
    bad = tmp_path / "profile.yaml"
    bad.write_text("faults:\n  - {unit: TS01, period: 2024-13, fault: missing}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"faults\[0\]\.period"):
        load_profile(bad)
    bad.write_text("faults:\n  - {unit: TS01, period: 2024-01, fault: on_fire}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"faults\[0\]\.fault"):
        load_profile(bad)
    bad.write_text("seed: x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="seed"):
        load_profile(bad)
    good = tmp_path / "ranges.yaml"
    good.write_text("faults:\n  - {unit: TS01, period: 2024-11..2025-02, fault: late}\n", encoding="utf-8")
    assert len(load_profile(good).faults) == 4


def test_profile_reads_like_a_dict_too(profile):
    assert profile["seed"] == profile.seed and profile["sizes"]["TS01"] == 1.6
    assert as_profile(dict(profile)) == profile
    quiet = as_profile({**profile, "faults": []})
    assert quiet.faults == {} and quiet.sizes == profile.sizes
    assert as_profile({"faults": [{"unit": "TS01", "period": "2024-02", "fault": "gbk"}]}) == \
        Profile(faults={("TS01", "2024-02"): "gbk"})


def test_phrase_banks_are_rich_enough(catalog):
    book = load_phrasebook(catalog)
    for section in catalog.sections:
        for kind in NARRATIVE_KINDS:
            assert len(book.templates(section.code, kind)) >= 8, (section.code, kind)


def test_units_word_the_same_fact_differently_and_name_their_own_places(catalog, every_payload):
    """Paraphrases (variants) reach the wire, townships name their own villages, and every
    sentence a unit sends fits its kind (templates restricted by `kinds`)."""
    book = load_phrasebook(catalog)
    variants = {}
    kinds_of = {}
    for section in book.sections():
        for kind in NARRATIVE_KINDS:
            for template in book.templates(section, kind):
                for text in template.variants:
                    variants[text] = template
    seen: dict = {}
    villages = set(book.villages)
    own_places = 0
    for (code, _period), body in every_payload.items():
        unit = catalog.unit_by_code[code]
        for item in body["narratives"]:
            template = next((t for t in book.templates(item["section"], item["kind"])
                             if _fits(item["text"], t)), None)
            assert template is not None, item
            if template.kinds is not None:
                assert unit.kind in template.kinds, (code, item["text"])
            kinds_of.setdefault(template, set()).add(unit.kind)
            seen.setdefault(template, set()).add(_which_variant(item["text"], template))
            own_places += any(v in item["text"] for v in villages) or \
                unit.name.replace(unit.kind_name, "") in item["text"]
    paraphrased = [t for t, used in seen.items() if len(used) > 1]
    assert len(paraphrased) >= 20          # one fact, several wordings, across units and months
    assert own_places >= 20
    bus = next(t for t in variants.values() if t.text.startswith("推行公交车辆移动支付"))
    assert kinds_of.get(bus, set()) <= {"service_centre"}


def _pattern(text: str):
    import re
    return re.compile("^" + re.sub(r"\\\{[A-Za-z_]+\\\}", ".+?", re.escape(text)) + "$")


def _fits(text: str, template) -> bool:
    return any(_pattern(v).match(text) for v in template.variants)


def _which_variant(text: str, template) -> int:
    return next(i for i, v in enumerate(template.variants) if _pattern(v).match(text))


def test_a_template_variant_must_name_the_same_indicators(catalog, tmp_path):
    bad = tmp_path / "phrases.yaml"
    bad.write_text("places: {villages: [李家]}\ninvestment:\n  highlight:\n"
                   "    - {variants: ['完成投资{INV_TOTAL}万元。', '完成公路投资{INV_HIGHWAY}万元。']}\n",
                   encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_phrasebook(catalog, bad)
    assert "variants[1]" in err.value.key
