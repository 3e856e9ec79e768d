"""A city over two county deployments, end to end with real processes (issue 22).

Each county is its own deployment: its own AIRFLOW_HOME and metadata DB, its own data folder and
warehouse, its own ``airflow api-server`` with the FAB auth manager, the role
CountyReportsFederation and the city's service account. Each collects June 2025 as any county
does — collect_monthly's plan → pull → validate → store, as plain Python with the county's
config and data folder for the while — from its own units on a simulator server
(``simulator/city.py``: each county its own seed and scale). The city (include/config/city, its
two counties pointing at those servers with ``airflow_url`` + ``conn_id``, the service accounts'
passwords in ``AIRFLOW_CONN_…`` as ``tokens.logins_from_env`` reads them) runs the same tasks
against the counties' api-servers, then renders its half-year summary: it names both counties,
and the by-county attachment's figures equal what each county's warehouse holds. A unit of one
county sends a corrected month, the county collects again, and the city's next pull stores that
county's version 2. The county route refuses no token, the status pages' viewer (no role) and a
token the other county signed.

The counties collect first (about 6 s); the first county's server is then set up in full (db
migrate, roles, users: about 40 s on a quiet machine); the second starts on a copy of its
metadata DB (the same users, its own AIRFLOW_HOME and its own JWT secret, so neither county
accepts the other's tokens): about 15 s more.
"""
from __future__ import annotations

import time
from datetime import datetime, UTC

import pytest
from docx import Document

from city_deployments import (city_config, collect_county, county_config, county_server, logins_env, start_clone,
                              units_of, wait_up)
from county_reports.runs import collect_monthly
from county_reports.aggregate import federation
from county_reports.render import summaries
from county_reports.core import tokens
from county_reports.core.catalog import load_catalog
from county_reports.render import number_style
from county_reports.warehouse import Warehouse

pytestmark = [pytest.mark.topology, pytest.mark.airflow]

PERIOD = "2025-06"
ROUTE = "/county-reports/federation/submissions/" + PERIOD
COUNTIES = {"CT01": "清河县", "CT02": "云溪县"}
INDICATOR = "INV_TOTAL"
MOMENT = datetime(2025, 7, 8, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def city_world(tmp_path_factory):
    root = tmp_path_factory.mktemp("city-e2e")
    servers, catalogs, units = {}, {}, {}
    for code in COUNTIES:
        cfg = county_config(root / code, code)
        servers[code] = county_server(root / code, root / code / "data", cfg)
        catalogs[code] = load_catalog(cfg)
    city_cfg = city_config(root, {c: (name, servers[c].url) for c, name in COUNTIES.items()})
    city = load_catalog(city_cfg)
    try:
        for code in COUNTIES:
            units[code] = units_of(city, city_cfg, code, catalogs[code])
        started = time.monotonic()
        collected = {c: collect_county(servers[c], units[c], PERIOD, "county-1") for c in COUNTIES}
        print(f"\nthe counties collected {PERIOD} in {time.monotonic() - started:.1f} s")
        first = servers["CT01"].start()
        wait_up(start_clone(first, servers["CT02"]))      # its own home, DB copy and JWT secret
        yield {"root": root, "servers": servers, "catalogs": catalogs, "city_cfg": city_cfg, "city": city,
               "units": units, "collected": collected}
    except BaseException:
        for s in servers.values():
            print(s.tail())
        raise
    finally:
        for s in [*servers.values(), *units.values()]:
            s.stop()


def county_figures(world, code: str) -> dict[str, float]:
    """What the county's warehouse holds for the month, as its own aggregation reads it."""
    with Warehouse(f"sqlite:///{world['servers'][code].data_dir / 'warehouse.db'}") as warehouse:
        return federation.county_totals(warehouse, world["catalogs"][code], PERIOD)


def collect(world, monkeypatch, run_id: str) -> list[dict]:
    """The city's collect_monthly for June, task by task (collect_monthly), its counties' logins
    in the environment."""
    monkeypatch.setenv("COUNTY_REPORTS_CONFIG", str(world["city_cfg"]))
    monkeypatch.setenv("COUNTY_REPORTS_DATA", str(world["root"] / "city-data"))
    for name, value in logins_env(world["servers"]).items():
        monkeypatch.setenv(name, value)
    batches = collect_monthly.plan({"period": PERIOD}, MOMENT)
    outcomes = [collect_monthly.pull(b, lambda c: None, record_as=(run_id, 1), credentials=tokens.logins_from_env())
                for b in batches]
    validated = collect_monthly.validate(outcomes, run_id)
    return collect_monthly.store(validated, run_id)


# --------------------------------------------------------------------------- the county route


def test_the_county_route_refuses_no_token_a_viewer_and_another_countys_token(city_world):
    one, other = city_world["servers"]["CT01"], city_world["servers"]["CT02"]
    assert one.get(ROUTE)[0] == 401
    assert one.get(ROUTE, token=one.token("viewer"))[0] == 403
    assert one.get(ROUTE, token=other.token("city"))[0] == 401        # CT02's Airflow signed it
    assert one.get(ROUTE, token=one.token("city"))[0] == 200          # the genuine one passes


# --------------------------------------------------------------------------- the counties


def test_each_county_collected_its_month_from_its_units(city_world):
    for code, stored in city_world["collected"].items():
        units = [u.code for u in city_world["catalogs"][code].units_active_in(PERIOD)]
        assert sorted((r["unit"], r["period"], r["outcome"]) for r in stored) == \
            sorted((u, PERIOD, "new") for u in units), code
        assert all(r["status"].startswith("accepted") for r in stored), stored
        assert all(city_world["units"][code].hits[u, PERIOD] == 1 for u in units)     # pulled over HTTP
    ones, twos = (county_figures(city_world, c) for c in COUNTIES)
    assert ones[INDICATOR] != twos[INDICATOR]                   # each its own seed and scale


# --------------------------------------------------------------------------- the city


def test_the_city_pulls_both_counties_and_its_summary_has_their_figures(city_world, monkeypatch):
    stored = collect(city_world, monkeypatch, "city-pull-1")
    assert sorted((r["unit"], r["period"], r["outcome"], r["status"]) for r in stored) == \
        [(c, PERIOD, "new", "accepted") for c in COUNTIES], stored
    city = city_world["city"]
    with Warehouse() as warehouse:
        values = warehouse.current_values([PERIOD])
        for code in COUNTIES:
            held = values[values["unit"] == code].set_index("indicator")["value"].to_dict()
            assert held == pytest.approx(county_figures(city_world, code)), code
        settings = summaries.load_settings()
        built = summaries.write_summary(warehouse, city, summaries.plan("half_year", 2025, settings),
                                        city_world["root"] / "city-out")
    document = Document(built["docx"])
    text = "\n".join(p.text for p in document.paragraphs)
    assert "全市" in text and all(name in text for name in COUNTIES.values())
    table = next(t for t in document.tables if t.rows[0].cells[1].text == "县（市、区）")
    rows: dict[str, str] = {}
    for r in table.rows[1:]:                  # the first group is INV_TOTAL, one row per county
        rows.setdefault(r.cells[1].text, r.cells[2].text)
    for code, name in COUNTIES.items():
        assert rows[name] == number_style.fmt_number(county_figures(city_world, code)[INDICATOR], 2), name


def test_a_correction_in_one_county_reaches_the_city_as_a_new_version(city_world, monkeypatch):
    collect(city_world, monkeypatch, "city-pull-1")           # idempotent if the test above ran
    before = county_figures(city_world, "CT02")[INDICATOR]
    # a unit of CT02 sends a corrected June; the county collects again and stores its version 2
    unit = next(u.code for u in city_world["catalogs"]["CT02"].units_active_in(PERIOD)
                if u.kind == "township_station")
    city_world["units"]["CT02"].revise(unit, PERIOD)
    again = {r["unit"]: r["outcome"] for r in collect_county(city_world["servers"]["CT02"], city_world["units"]["CT02"],
                                                             PERIOD, "county-2")}
    assert again.pop(unit) == "new" and set(again.values()) == {"duplicate"}
    after = county_figures(city_world, "CT02")[INDICATOR]
    assert after != pytest.approx(before)
    stored = {r["unit"]: r for r in collect(city_world, monkeypatch, "city-pull-2")}
    assert stored["CT01"]["outcome"] == "duplicate"               # nothing changed there
    assert (stored["CT02"]["outcome"], stored["CT02"]["status"]) == ("new", "accepted")
    with Warehouse() as warehouse:
        versions = warehouse.submissions(period=PERIOD)
        assert sorted(versions[versions["unit"] == "CT02"]["version"]) == [1, 2]
        values = warehouse.current_values([PERIOD])
    now = values[(values["unit"] == "CT02") & (values["indicator"] == INDICATOR)]["value"].item()
    assert now == pytest.approx(after)
