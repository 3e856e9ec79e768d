"""projects.yaml and ledger.yaml on load: the shipped register is sound, and every wrong key is
refused naming the file and the key (``file: key: problem``)."""
from __future__ import annotations

import shutil
from datetime import date

import pytest

from config_copy import edit_yaml
from county_reports.core import paths
from county_reports.core.catalog import load_catalog
from county_reports.core.config import ConfigError
from county_reports.core.projects.register import load_register
from county_reports.core.projects.vocabulary import load_vocabulary


@pytest.fixture
def config(tmp_path):
    for name in ("projects.yaml", "ledger.yaml"):
        shutil.copy(paths.config_dir() / name, tmp_path / name)
    return tmp_path


def first(change):
    return lambda d: change(d["projects"][0])


def year(change, y=2024):
    return lambda d: change(d["projects"][0]["years"][y])


P = "projects.QH2024-01"
BROKEN = [
    (lambda d: d.update(project=[]), "(top).project", "unknown key"),
    (first(lambda p: p.update(colour="red")), f"{P}.colour", "unknown key"),
    (first(lambda p: p.pop("name")), f"{P}.name", "missing"),
    (first(lambda p: p.update(name="  ")), f"{P}.name", "empty"),
    (first(lambda p: p.update(category="高速公路")), f"{P}.category", "categories"),
    (first(lambda p: p.update(level="国家重点")), f"{P}.level", "levels"),
    (first(lambda p: p.pop("scale")), f"{P}.scale", "missing"),
    (first(lambda p: p.update(reporting_unit="RC99")), f"{P}.reporting_unit", "not a unit"),
    (first(lambda p: p.update(reporting_unit="EB01")), f"{P}.reporting_unit", "INV_TOTAL"),
    (first(lambda p: p.update(owner="XX01")), f"{P}.owner", "not a unit"),
    (first(lambda p: p.update(townships=["RC01"])), f"{P}.townships", "township station"),
    (first(lambda p: p.update(land={"acres": 3, "rooms": 2})), f"{P}.land.rooms", "unknown key"),
    (first(lambda p: p.update(land={"acres": -3})), f"{P}.land.acres", "negative"),
    (first(lambda p: p.update(total_investment="很多")), f"{P}.total_investment", "a number"),
    (first(lambda p: p.update(total_investment=-1)), f"{P}.total_investment", "negative"),
    (first(lambda p: p["funding"].update(lottery=5)), f"{P}.funding.lottery", "funding_sources"),
    (first(lambda p: p["funding"].update(county=1)), f"{P}.funding", "adds up to"),
    (first(lambda p: p.update(county_in_place=99999)), f"{P}.county_in_place", "county share"),
    (first(lambda p: p.update(start="2024-13")), f"{P}.start", "YYYY-MM"),
    (first(lambda p: p.update(completion="2023-01")), f"{P}.completion", "before start"),
    (first(lambda p: p.update(years={})), f"{P}.years", "empty"),
    (first(lambda p: p["years"].update({"明年": p["years"][2024]})), f"{P}.years.明年", "four digits"),
    (year(lambda y: y.update(nature="翻新")), f"{P}.years.2024.nature", "natures"),
    (year(lambda y: y.update(budget=1)), f"{P}.years.2024.budget", "unknown key"),
    (year(lambda y: y.pop("plan")), f"{P}.years.2024.plan", "missing"),
    (year(lambda y: y.update(schedule=[10] * 11)), f"{P}.years.2024.schedule", "12 numbers"),
    (year(lambda y: y.update(schedule=[50, 40] + [100] * 10)), f"{P}.years.2024.schedule", "never fall"),
    (year(lambda y: y.update(schedule=[0] * 11 + [90])), f"{P}.years.2024.schedule", "ends at 90"),
    (year(lambda y: y["milestones"].append({"name": "完工"})), f"{P}.years.2024.milestones[3].planned", "missing"),
    (year(lambda y: y["milestones"].append({"name": "完工", "planned": date(2026, 1, 1)})),
     f"{P}.years.2024.milestones[3].planned", "not in 2024"),
    (year(lambda y: y["milestones"][0].update(when=1)), f"{P}.years.2024.milestones[0].when", "unknown key"),
    (lambda d: d["projects"].append(dict(d["projects"][0])), P + ".code", "twice"),
]


@pytest.mark.parametrize("change, key, problem", BROKEN, ids=[b[1] + ":" + b[2] for b in BROKEN])
def test_each_wrong_key_of_the_register_is_named(config, catalog, change, key, problem):
    edit_yaml(config / "projects.yaml", change)
    with pytest.raises(ConfigError) as caught:
        load_register(catalog, config)
    assert caught.value.file == "projects.yaml"
    assert caught.value.key == key, str(caught.value)
    assert problem in caught.value.problem, str(caught.value)


VOCABULARY = [
    (lambda d: d.update(colours={}), "(top).colours", "unknown key"),
    (lambda d: d["statuses"].pop("stalled"), "statuses.stalled", "missing"),
    (lambda d: d["statuses"]["delayed"].update(needs_reason=True), "statuses.delayed.needs_reason", "unknown key"),
    (lambda d: d["event_kinds"].pop("document"), "event_kinds.document", "missing"),
    (lambda d: d["causes"].update(land=""), "causes.land", "non-empty"),
    (lambda d: d["messages"].pop("not_owned"), "messages.not_owned", "missing"),
    (lambda d: d["messages"].update(not_owned="{unit"), "messages.not_owned", "template"),
    (lambda d: d["limits"].update(rows=0), "limits.rows", "at least 1"),
    (lambda d: d["campaign_counts"]["found"].pop("uom"), "campaign_counts.found.uom", "missing"),
    (lambda d: d.update(tolerance=-1), "(top).tolerance", "negative"),
]


@pytest.mark.parametrize("change, key, problem", VOCABULARY, ids=[v[1] for v in VOCABULARY])
def test_each_wrong_key_of_the_vocabulary_is_named(config, change, key, problem):
    edit_yaml(config / "ledger.yaml", change)
    with pytest.raises(ConfigError) as caught:
        load_vocabulary(config)
    assert (caught.value.file, caught.value.key) == ("ledger.yaml", key), str(caught.value)
    assert problem in caught.value.problem


def test_the_shipped_register_holds_the_demo_county(catalog):
    register = load_register(catalog)
    assert len(register.projects) >= 8
    s215 = register.by_code["QH2024-01"]
    assert set(s215.years) == {2024, 2025}                       # continues across years
    assert (s215.years[2024].nature, s215.years[2025].nature) == ("new", "continuing")
    assert s215.county_gap == 1800 and s215.years[2025].due(6) == 3690
    assert {p.reporting_unit for p in register.in_year(2025)} <= {u.code for u in catalog.units}
    assert [p.code for p in register.land_for("TS03", 2025)] == ["QH2024-01"]
    assert "QH2024-03" not in {p.code for p in register.in_year(2025)}      # finished in 2024


def test_a_county_without_a_register_has_an_empty_one(tmp_path, catalog):
    assert load_register(catalog, tmp_path).projects == ()


def test_a_register_naming_a_retired_roster_is_refused(config):
    # the same file read with another county's roster: its units are unknown there
    import dataclasses

    real = load_catalog()
    other = dataclasses.replace(real, units=tuple(u for u in real.units if u.code != "RC01"))
    with pytest.raises(ConfigError, match=r"projects\.yaml: projects\.QH2024-01\.reporting_unit: 'RC01'"):
        load_register(other, config)


@pytest.mark.parametrize("key, text, problem", [
    ("not_owned", "{unit}的{projet}不由本单位报送", "unknown placeholder {projet}"),
    ("project", "{unit}{name}", "unknown placeholder {unit}"),          # filled without the unit
    ("separator", "{x}", "may use: none"),
    ("welcome", "你好", "unknown message"),
])
def test_a_message_with_a_placeholder_the_code_does_not_fill_is_refused(config, key, text, problem):
    edit_yaml(config / "ledger.yaml", lambda d: d["messages"].update({key: text}))
    with pytest.raises(ConfigError) as caught:
        load_vocabulary(config)
    assert (caught.value.key, problem in caught.value.problem) == (f"messages.{key}", True), str(caught.value)
