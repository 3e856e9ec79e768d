"""A county's month for its city (federation.py), the city's address rules (county_pull.py) and
the roster fields of a county unit (catalog.py), on a real SQLite warehouse."""
from __future__ import annotations

import dataclasses
import hashlib
import json

import shutil

import pytest

from county_reports.collect import county_pull
from county_reports.aggregate import federation
from county_reports.aggregate import Span, county_figures
from county_reports.core.catalog import load_catalog
from county_reports.core.config import ConfigError
from county_reports.simulator.seeding import accepted_verdicts
from county_reports.warehouse import Warehouse

import config_copy

PERIOD = "2025-06"


@pytest.fixture
def warehouse(tmp_path, catalog):
    with Warehouse(f"sqlite:///{tmp_path / 'county.db'}") as w:
        w.migrate()
        w.sync_roster(catalog, "seed")
        w.record_verdicts(accepted_verdicts(catalog, "2025-05", PERIOD, skip={("TS03", PERIOD)}), "seed")
        yield w


def test_the_month_is_the_county_totals_the_summaries_compute(warehouse, catalog):
    sub = federation.county_submission(warehouse, catalog, PERIOD)
    figures = county_figures(catalog, warehouse.current_values([PERIOD]), Span(2025, 6, 6))
    expected = {r.code: r.value for r in figures.itertuples()
                if r.code in catalog.indicator_by_code and r.value is not None}
    assert sub["values"] == pytest.approx(expected) and len(expected) >= 30
    assert set(sub["values"]) <= set(catalog.indicator_by_code)        # no derived rate travels
    assert (sub["protocol"], sub["unit"], sub["period"], sub["narratives"]) == (1, "QINGHE", PERIOD, [])
    assert sub["content_sha256"] == hashlib.sha256(federation.canonical_values(sub["values"])).hexdigest()
    assert sub["submitted_at"] == "2026-01-01T08:00:00+08:00"      # the seed's arrival, bureau clock
    # what the city reads back is what the route serves
    assert json.loads(federation.to_bytes(sub)) == sub


def test_a_month_without_accepted_figures_is_none(warehouse, catalog):
    assert federation.county_submission(warehouse, catalog, "2025-07") is None


def test_a_correction_changes_the_hash_and_the_time(warehouse, catalog):
    before = federation.county_submission(warehouse, catalog, PERIOD)
    [june] = accepted_verdicts(catalog, PERIOD, PERIOD, skip={(u.code, PERIOD) for u in catalog.units
                                                              if u.code != "TS01"})
    corrected = dataclasses.replace(june, sha256="TS01-correction", received_at="2026-02-03T04:05:06+00:00",
                                    values={**june.values, "INV_TOTAL": june.values["INV_TOTAL"] + 100})
    warehouse.record_verdicts([corrected], "correction")
    after = federation.county_submission(warehouse, catalog, PERIOD)
    assert after["values"]["INV_TOTAL"] == pytest.approx(before["values"]["INV_TOTAL"] + 100)
    assert after["content_sha256"] != before["content_sha256"]
    assert after["submitted_at"] == "2026-02-03T12:05:06+08:00"


def test_no_county_code_is_a_config_error(warehouse, catalog):
    nameless = dataclasses.replace(catalog, bureau=dataclasses.replace(catalog.bureau, code=None))
    with pytest.raises(ConfigError, match="bureau.yaml: bureau.code: missing"):
        federation.county_submission(warehouse, nameless, PERIOD)


def _roster(tmp_path, change):
    from county_reports.core import paths

    folder = tmp_path / "config"
    shutil.copytree(paths.config_dir(), folder)
    config_copy.edit_yaml(folder / "units.yaml", change)
    return folder


def _add_county(**fields):
    def change(data):
        data["kinds"]["county"] = {"name": "县（市、区）交通运输局"}
        data["units"].append({"code": "QINGHE", "name": "清河县交通运输局", "kind": "county",
                              "deadline_day": 6, "active_from": "2024-01", **fields})
    return change


def test_a_county_unit_with_its_airflow_needs_no_endpoint_or_token(tmp_path):
    folder = _roster(tmp_path, _add_county(airflow_url="https://qinghe.example/airflow", conn_id="county_qinghe"))
    unit = load_catalog(folder).unit_by_code["QINGHE"]
    assert (unit.airflow_url, unit.conn_id, unit.base_url, unit.token_conn_id) == \
        ("https://qinghe.example/airflow", "county_qinghe", "", "")


@pytest.mark.parametrize("fields, key, problem", [
    ({"conn_id": "county_qinghe"}, "units.QINGHE.airflow_url", "a county needs its Airflow's address"),
    ({"airflow_url": "ftp://qinghe.example", "conn_id": "c"}, "units.QINGHE.airflow_url", "https://"),
    ({"airflow_url": "https://qinghe.example"}, "units.QINGHE.conn_id", "service account"),
])
def test_a_county_unit_is_checked_on_load(tmp_path, fields, key, problem):
    folder = _roster(tmp_path, _add_county(**fields))
    with pytest.raises(ConfigError) as caught:
        load_catalog(folder)
    assert (caught.value.file, caught.value.key) == ("units.yaml", key) and problem in caught.value.problem


def test_the_county_code_is_checked_on_load(tmp_path):
    folder = config_copy.one_file(tmp_path, "bureau.yaml")
    for name in ("units.yaml", "indicators.yaml", "rules.yaml", "targets.yaml"):
        config_copy.one_file(tmp_path, name)
    config_copy.edit_yaml(folder / "bureau.yaml", lambda d: d.update(code="qing he"))
    with pytest.raises(ConfigError, match="bureau.yaml: bureau.code: 'qing he' must be"):
        load_catalog(folder)


@pytest.mark.parametrize("url, ok", [
    ("https://qinghe.example/airflow/", True), ("http://127.0.0.1:8080/airflow", True),
    ("http://localhost:8080", True), ("http://qinghe.example/airflow", False), ("https://", False),
])
def test_https_except_on_the_loopback(catalog, url, ok):
    unit = dataclasses.replace(catalog.units[0], airflow_url=url, conn_id="c")
    if ok:
        assert county_pull.address(unit) == url.rstrip("/")
    else:
        with pytest.raises(ConfigError, match="https://"):
            county_pull.address(unit)


def test_the_county_unit_reads_its_url_from_the_environment(catalog):
    unit = dataclasses.replace(catalog.units[0], airflow_url="${QINGHE_AIRFLOW}/airflow", conn_id="c")
    assert county_pull.address(unit, {"QINGHE_AIRFLOW": "https://q.example"}) == "https://q.example/airflow"


def test_a_service_account_from_the_environment_outside_airflow():
    from county_reports.core.tokens import logins_from_env

    lookup = logins_from_env({
        "AIRFLOW_CONN_COUNTY_A": '{"conn_type": "http", "login": "city_pull", "password": "p@ss"}',
        "AIRFLOW_CONN_COUNTY_B": "http://city_pull:p%40ss@qinghe.example",
        "AIRFLOW_CONN_COUNTY_C": '{"conn_type": "http", "password": "no-login"}',
        "AIRFLOW_CONN_COUNTY_D": "{not json"})
    assert lookup("county_a") == lookup("county_b") == ("city_pull", "p@ss")
    assert lookup("county_c") is None and lookup("county_d") is None and lookup("county_e") is None


def test_a_county_may_be_served_at_a_base_url_instead(tmp_path):
    """(the city demo's simulator serves its counties that way)"""
    folder = _roster(tmp_path, _add_county(base_url="https://sim.example/counties/CT01", token_conn_id="county_ct01"))
    unit = load_catalog(folder).unit_by_code["QINGHE"]
    assert (unit.airflow_url, unit.conn_id, unit.token_conn_id) == ("", "", "county_ct01")
