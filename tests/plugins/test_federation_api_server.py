"""County to city (issue 22 part 2) against a real county ``airflow api-server`` (FAB auth manager).

The route ``/county-reports/federation/submissions/{period}`` answers only the role
CountyReportsFederation, decided by Airflow (get_user, then the auth manager's custom-view
permission): no token → 401, a token another Airflow signed → 401, the status pages' viewer, a
user with no rights and Airflow's own User role → 403. The city's client (pulls, a unit with
``airflow_url``) gets a token from ``/auth/token`` and pulls; the bytes are archived and read
into a ``received`` outcome; a correction in the county reaches a city warehouse as a new version.
One county server for the session (tests/conftest.py ``county_server``).
"""
from __future__ import annotations

import dataclasses
import json
import secrets

import jwt
import pytest

from county_reports.core import archive
from county_reports.collect import pulls, fetch, protocol
from county_reports.aggregate import Span, county_figures
from county_reports.collect.pull_settings import PullContext, PullSettings
from county_reports.simulator.seeding import accepted_verdicts
from county_reports.validate.model import ACCEPTED, Verdict
from county_reports.warehouse import Warehouse

pytestmark = pytest.mark.airflow

PERIOD = "2025-06"
ROUTE = "/county-reports/federation/submissions/{}"
CORRECTED = "INV_TOTAL"


@pytest.fixture(scope="module")
def server(county_server):
    return county_server


def _county_warehouse(server):
    return Warehouse(f"sqlite:///{server.data_dir / 'warehouse.db'}")


def _aggregated(server, catalog, period=PERIOD) -> dict[str, float]:
    """What ``aggregate`` computes from the county's warehouse, read here independently."""
    year, month = map(int, period.split("-"))
    with _county_warehouse(server) as warehouse:
        figures = county_figures(catalog, warehouse.current_values([period]), Span(year, month, month))
    return {r.code: r.value for r in figures.itertuples()
            if r.code in catalog.indicator_by_code and r.value is not None}


def test_no_token_401(server):
    status, _ = server.get(ROUTE.format(PERIOD))
    assert status == 401


def test_a_token_another_airflow_signed_401(server):
    real = server.token("city")
    header = jwt.get_unverified_header(real)
    claims = jwt.decode(real, options={"verify_signature": False})
    other = jwt.encode(claims, secrets.token_hex(32), algorithm=header["alg"])   # same claims, other secret
    assert server.get(ROUTE.format(PERIOD), token=other)[0] == 401
    assert server.get(ROUTE.format(PERIOD), token="not-a-jwt")[0] == 401
    assert server.get(ROUTE.format(PERIOD), token=real)[0] == 200      # the genuine one passes


@pytest.mark.parametrize("user", ["viewer", "outsider", "clerk"])
def test_users_without_the_role_403(server, user):
    status, _ = server.get(ROUTE.format(PERIOD), token=server.token(user))
    assert status == 403, user


def test_the_service_account_reads_this_route_only(server):
    token = server.token("city")
    assert server.get("/county-reports/", token=token)[0] == 403          # not the status pages
    assert server.get("/api/v2/dags/collect_monthly", token=token)[0] == 403
    assert server.get(ROUTE.format("2025-07"), token=token)[0] == 404      # nothing accepted
    assert server.get(ROUTE.format("2025-13"), token=token)[0] == 404
    for path in ("/county-reports/federation/openapi.json", "/county-reports/federation/docs"):
        assert server.get(path, token=token)[0] == 404, path


def test_the_month_is_the_county_totals_aggregate_computes(server, catalog):
    status, body = server.get(ROUTE.format(PERIOD), token=server.token("city"))
    assert status == 200, body[:300]
    sub = protocol.parse_json_payload(body, "application/json; charset=utf-8")
    expected = _aggregated(server, catalog)
    assert sub["values"] == pytest.approx(expected) and len(expected) >= 30
    assert (sub["protocol"], sub["unit"], sub["period"], sub["narratives"]) == (1, "QINGHE", PERIOD, [])
    assert len(sub["content_sha256"]) == 64 and sub["submitted_at"].endswith("+08:00")


# --------------------------------------------------------------------------- the city's client


def _city(catalog, server, conn_id="county_qinghe"):
    county = dataclasses.replace(catalog.units[0], code="QINGHE", name="清河县交通运输局", kind="county",
                                 base_url="", token_conn_id="", channels=("http",), emails=(),
                                 airflow_url=server.url, conn_id=conn_id)
    return dataclasses.replace(catalog, units=(county,))


def _pull(city, data_dir, server, password=None):
    logins = {"county_qinghe": ("city", password or server.passwords["city"])}
    [out] = pulls.pull_batch(city, PERIOD, ["QINGHE"],
                             PullContext(data_dir=data_dir, token_lookup=lambda c: None, settings=PullSettings(),
                                         credentials=logins.get))
    return out


def _verdict(out, data_dir) -> Verdict:
    """The pulled submission as the city stores it (the city's validation is issue 22 part 3)."""
    payload = protocol.parse_json_payload(archive.read(data_dir, out["sha256"]), out["content_type"])
    return Verdict(unit=out["unit"], period=out["period"], sha256=out["sha256"], source="http",
                   received_at=out["received_at"], submitted_at=payload["submitted_at"], status=ACCEPTED,
                   values={k: float(v) for k, v in payload["values"].items()},
                   raw_values={k: str(v) for k, v in payload["values"].items()})


def test_a_wrong_password_fails_the_county_alone_and_is_never_written(server, catalog, tmp_path):
    out = _pull(_city(catalog, server), tmp_path, server, password="wrong-" + secrets.token_hex(4))
    assert out["status"] == pulls.FAILED and "401" in out["reason"] and "wrong-" not in json.dumps(out)
    missing = pulls.pull_batch(_city(catalog, server, "nobody"), PERIOD, ["QINGHE"],
                               PullContext(data_dir=tmp_path, token_lookup=lambda c: None, settings=PullSettings()))[0]
    assert missing["status"] == pulls.FAILED and "nobody" in missing["reason"] and missing["attempts"] == 0


def test_the_city_pulls_and_a_correction_becomes_a_new_version(server, catalog, tmp_path):
    city, data = _city(catalog, server), tmp_path / "city-data"
    first = _pull(city, data, server)
    assert first["status"] == pulls.RECEIVED, first
    assert first["attempts"] == 2 and first["http_status"] == 200     # the token, then the month
    body = archive.read(data, first["sha256"])
    assert json.loads(body)["values"] == pytest.approx(_aggregated(server, catalog))
    with Warehouse(f"sqlite:///{tmp_path / 'city.db'}") as city_warehouse:
        city_warehouse.migrate()
        city_warehouse.sync_roster(city, "city")
        [stored] = city_warehouse.record_verdicts([_verdict(first, data)], "pull-1")
        assert (stored["outcome"], stored["version"]) == ("new", 1)
        [again] = city_warehouse.record_verdicts([_verdict(_pull(city, data, server), data)], "pull-2")
        assert again["outcome"] == "duplicate"                          # nothing changed in the county

        _correct_in_the_county(server, catalog)
        second = _pull(city, data, server)
        assert second["status"] == pulls.RECEIVED and second["sha256"] != first["sha256"]
        before, after = json.loads(body), json.loads(archive.read(data, second["sha256"]))
        assert after["content_sha256"] != before["content_sha256"]
        assert after["submitted_at"] > before["submitted_at"]
        assert after["values"][CORRECTED] == pytest.approx(before["values"][CORRECTED] + 100)
        [corrected] = city_warehouse.record_verdicts([_verdict(second, data)], "pull-3")
        assert (corrected["outcome"], corrected["version"]) == ("new", 2)
        assert city_warehouse.current_values([PERIOD]).set_index("indicator")["value"][CORRECTED] \
            == pytest.approx(after["values"][CORRECTED])


def _correct_in_the_county(server, catalog) -> None:
    """TS01 corrects June: CORRECTED + 100, a later arrival."""
    [june] = accepted_verdicts(catalog, PERIOD, PERIOD,
                               skip={(u.code, PERIOD) for u in catalog.units if u.code != "TS01"})
    with _county_warehouse(server) as warehouse:
        warehouse.record_verdicts([dataclasses.replace(
            june, sha256="TS01-2025-06-correction", received_at="2026-02-03T04:05:06+00:00",
            values={**june.values, CORRECTED: june.values[CORRECTED] + 100})], "correction")


def test_fetch_posts_only_when_asked(server):
    """The token request is a bounded POST through fetch (201 read), the month a GET."""
    limits = fetch.Limits(20, 5, 10, 0, 0.1, 0.1, 1, 65536)
    with fetch.Watchdog() as watchdog:
        got = fetch.get(server.url + "/auth/token", {"Content-Type": "application/json"}, limits, watchdog,
                        post=json.dumps({"username": "city", "password": server.passwords["city"]}).encode())
        assert (got.status, got.outcome) == (201, fetch.COMPLETE) and b"access_token" in got.body
        unposted = fetch.get(server.url + "/auth/token", {}, limits, watchdog)
        assert unposted.status in (404, 405) and unposted.body == b""     # a GET: nothing read
