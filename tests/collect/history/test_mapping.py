"""history/mapping.py: old labels proposed as roster and catalogue codes (exact, fuzzy, or a
retired unit of its own), the file written for the admin and read back strictly."""
from __future__ import annotations

import pytest
import yaml

from county_reports.core.config import ConfigError
from county_reports.collect.history import mapping as m
from county_reports.collect.history.settings import load_settings


@pytest.fixture(scope="module")
def settings():
    return load_settings()


@pytest.fixture
def matcher(catalog, settings):
    return m.Matcher(catalog, settings, m.Mapping())


def test_units_exact_fuzzy_or_retired(matcher, catalog):
    ts01 = catalog.unit_by_code["TS01"]
    exact = matcher.unit(f" {ts01.name} ")
    assert (exact.label, exact.code, exact.match, exact.score) == (ts01.name, "TS01", m.EXACT, None)
    fuzzy = matcher.unit(ts01.name.replace("交通运输管理站", "交通管理站"))
    assert fuzzy.code == "TS01" and fuzzy.match == m.FUZZY and 85 <= fuzzy.score < 100
    gone = matcher.unit("老街乡交通站")
    other = matcher.unit("红星乡交通站")
    assert (gone.code, gone.status, gone.match) == ("OLD01", m.RETIRED, m.NONE) and other.code == "OLD02"
    assert gone.kind in catalog.kinds
    assert matcher.unit("老街乡交通站") is gone                      # asked again: the same entry


def test_indicators_and_what_a_label_is(matcher, catalog):
    ind = catalog.indicator_by_code["RURAL_ROAD_KM"]
    assert matcher.indicator(f"{ind.name}（公里）").code == "RURAL_ROAD_KM"
    assert matcher.indicator("备用列").code is None
    assert matcher.classify(catalog.unit_by_code["RC01"].name) == "unit"
    assert matcher.classify(ind.name) == "indicator"
    assert matcher.classify("6月") is None and matcher.classify("") is None
    counts = matcher.mapping.counts()
    assert counts["labels"] == 2 and counts["exact"] == 1 and counts["unmatched"] == 1


def test_written_then_read_back(tmp_path, matcher, catalog):
    matcher.unit(catalog.unit_by_code["TS02"].name)
    matcher.unit("老街乡交通站")
    matcher.indicator(catalog.indicator_by_code["INV_TOTAL"].name)
    path = m.default_path(tmp_path)
    m.write(path, matcher.mapping)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# ") and "confirmed: false" in text
    back = m.read(path, catalog)
    assert back.confirmed is False
    assert {k: (e.code, e.status) for k, e in back.units.items()} == \
        {k: (e.code, e.status) for k, e in matcher.mapping.units.items()}
    assert m.read(tmp_path / "absent.yaml", catalog) == m.Mapping()


def _file(tmp_path, units=(), indicators=()):
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump({"confirmed": True, "units": list(units), "indicators": list(indicators)},
                                   allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("units, indicators, key, words", [
    ([{"label": "x", "code": "ZZ99"}], [], "units[0].code", "not a unit of units.yaml"),
    ([{"label": "x"}], [], "units[0].code", "missing"),
    ([{"label": " ", "code": "TS01"}], [], "units[0].label", "empty"),
    ([{"label": "x", "code": "old1", "status": "retired", "kind": "road_centre"}], [], "units[0].code", "capital"),
    ([{"label": "x", "code": "TS01", "status": "retired", "kind": "road_centre"}], [], "units[0].code", "is a unit"),
    ([{"label": "x", "code": "OLD01", "status": "retired", "kind": "ferry"}], [], "units[0].kind", "not a unit kind"),
    ([{"label": "x", "code": "TS01", "status": "gone"}], [], "units[0].status", ""),
    ([], [{"label": "y", "code": "NOPE"}], "indicators[0].code", "not an indicator code"),
])
def test_an_admins_mistake_is_named(tmp_path, catalog, units, indicators, key, words):
    with pytest.raises(ConfigError) as err:
        m.read(_file(tmp_path, units, indicators), catalog)
    assert f": {key}: " in str(err.value) and words in str(err.value)


def test_an_empty_indicator_code_leaves_the_label_out(tmp_path, catalog):
    got = m.read(_file(tmp_path, [{"label": "旧站", "code": "OLD07", "status": "retired", "kind": "road_centre"}],
                       [{"label": "备用列", "code": None}]), catalog)
    assert got.confirmed and got.indicators["备用列"].code is None and got.units["旧站"].status == m.RETIRED
