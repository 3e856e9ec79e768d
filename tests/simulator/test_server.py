"""The simulator as a real HTTP server: auth, the protocol, every fault, feedback, revisions."""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
import requests

from county_reports.core.catalog import load_catalog
from county_reports.simulator import (Profile, Response, SimulatorServer, load_profile,
                                      make_tokens)
from county_reports.simulator.data import SubmissionGenerator

SEED = 2024


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def tokens(catalog):
    return make_tokens(catalog, SEED)


@pytest.fixture
def server(catalog, tokens):
    profile = Profile(seed=SEED, slow_seconds=0.2, sizes=load_profile().sizes)
    with SimulatorServer(catalog, tokens, profile=profile) as running:
        yield running


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:  # keep-alive, as the collector uses it
        yield session


def get(http, server, unit, period, token=None, tokens=None):
    if token is None:
        token = tokens[server.catalog.unit_by_code[unit].token_conn_id]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return http.get(f"{server.url}/units/{unit}/submissions/{period}", headers=headers, timeout=10)


def clean(server, unit, period, **kwargs):
    """What the server serves: the generator's payload with the unit's key projects and events."""
    body = server.generator.payload(unit, period, **kwargs)
    return {**body, **server.projects.keys_for(body, unit, period)}


def test_health_and_a_clean_submission(http, server, tokens):
    assert http.get(f"{server.url}/health", timeout=5).status_code == 200
    response = get(http, server, "TS01", "2024-06", tokens=tokens)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert int(response.headers["Content-Length"]) == len(response.content)
    text = response.content.decode("utf-8")
    assert "。" in text and "\\u" not in text  # Chinese sent as UTF-8, not \u escapes
    body = response.json()
    assert body == clean(server, "TS01", "2024-06")
    # The same figures data.payload gives for the same seed and sizes.
    generator = SubmissionGenerator(server.catalog, seed=SEED, sizes=load_profile().sizes)
    assert {k: v for k, v in body.items() if k not in ("projects", "events")} == generator.payload("TS01", "2024-06")
    assert server.hits["TS01", "2024-06"] == 1


def test_missing_or_wrong_token_is_401(http, server, tokens):
    assert get(http, server, "TS01", "2024-06", token="").status_code == 401
    assert get(http, server, "TS01", "2024-06", token="not-the-token").status_code == 401
    other = get(http, server, "TS01", "2024-06", token=tokens["unit_ts02"])
    assert other.status_code == 401 and "error" in other.json()
    basic = http.get(f"{server.url}/units/TS01/submissions/2024-06",
                     headers={"Authorization": f"Basic {tokens['unit_ts01']}"}, timeout=5)
    assert basic.status_code == 401
    assert server.hits["TS01", "2024-06"] == 0


def test_unknown_unit_period_outside_range_and_inactive_units_are_404(http, server, tokens):
    assert get(http, server, "ZZ99", "2024-06", token="x").status_code == 404
    assert get(http, server, "TS01", "2023-12", tokens=tokens).status_code == 404
    assert get(http, server, "TS01", "2026-01", tokens=tokens).status_code == 404
    assert get(http, server, "TS01", "2024-6", tokens=tokens).status_code == 400
    # 马坪乡 merged after 2024-09; the industrial park station started in 2024-07.
    assert get(http, server, "TS09", "2024-09", tokens=tokens).status_code == 200
    assert get(http, server, "TS09", "2024-10", tokens=tokens).status_code == 404
    assert get(http, server, "TS11", "2024-06", tokens=tokens).status_code == 404
    assert get(http, server, "TS11", "2024-07", tokens=tokens).status_code == 200


def test_missing_server_error_and_flaky(http, server, tokens):
    server.set_fault("TS03", "2024-03", "missing")
    assert get(http, server, "TS03", "2024-03", tokens=tokens).status_code == 404
    server.set_fault("SC01", "2024-12", "server_error")
    assert [get(http, server, "SC01", "2024-12", tokens=tokens).status_code for _ in range(4)] == [500] * 4
    server.set_fault("RC01", "2025-03", "flaky")
    codes = [get(http, server, "RC01", "2025-03", tokens=tokens).status_code for _ in range(4)]
    assert codes == [503, 503, 200, 200]
    assert server.hits["RC01", "2025-03"] == 4
    server.clear_faults()
    assert get(http, server, "SC01", "2024-12", tokens=tokens).status_code == 200


def test_slow_answers_after_slow_seconds(http, server, tokens):
    server.set_fault("TS04", "2024-08", "slow")
    started = time.monotonic()
    response = get(http, server, "TS04", "2024-08", tokens=tokens)
    assert response.status_code == 200 and time.monotonic() - started >= 0.2
    assert response.json() == clean(server, "TS04", "2024-08")


def test_truncated_wrong_content_type_and_gbk(http, server, tokens):
    server.set_fault("EB02", "2024-06", "truncated")
    cut = get(http, server, "EB02", "2024-06", tokens=tokens)
    assert cut.status_code == 200 and cut.headers["Content-Type"].startswith("application/json")
    full = json.dumps(clean(server, "EB02", "2024-06"), ensure_ascii=False).encode("utf-8")
    assert full.startswith(cut.content) and len(full) // 2 - 4 < len(cut.content) <= len(full) // 2
    with pytest.raises(ValueError):  # readable UTF-8, incomplete JSON
        json.loads(cut.content.decode("utf-8"))

    server.set_fault("TS04", "2025-05", "wrong_content_type")
    page = get(http, server, "TS04", "2025-05", tokens=tokens)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert page.content.startswith(b"<!DOCTYPE html>")

    server.set_fault("TS05", "2024-12", "gbk")
    gbk = get(http, server, "TS05", "2024-12", tokens=tokens)
    assert gbk.headers["Content-Type"] == "application/json; charset=gbk"
    assert json.loads(gbk.content.decode("gbk")) == clean(server, "TS05", "2024-12")
    with pytest.raises(UnicodeDecodeError):
        gbk.content.decode("utf-8")


def test_late_and_content_faults(http, server, tokens):
    unit = server.catalog.unit_by_code["TS07"]
    server.set_fault("TS07", "2024-10", "late")
    late = get(http, server, "TS07", "2024-10", tokens=tokens).json()
    assert datetime.fromisoformat(late["submitted_at"]).date() > unit.due_date("2024-10")
    assert late["values"] == clean(server, "TS07", "2024-10")["values"]

    for fault in ("invalid_values", "rule_violation", "messy_values"):
        server.set_fault("TS02", "2024-05", fault)
        body = get(http, server, "TS02", "2024-05", tokens=tokens).json()
        assert body["unit"] == "TS02" and body["values"] != clean(server, "TS02", "2024-05")["values"]
    assert any(isinstance(v, str) for v in body["values"].values())  # messy: text figures

    server.set_fault("TS07", "2025-06", "wrong_unit")
    body = get(http, server, "TS07", "2025-06", tokens=tokens).json()
    assert body["unit"] != "TS07" and body["unit"] in server.catalog.unit_by_code


def test_demo_profile_faults_are_served(http, catalog, tokens):
    with SimulatorServer(catalog, tokens) as demo:  # profile=None: config/simulator/profile.yaml
        assert demo.fault("TS03", "2024-03") == "missing"
        assert get(http, demo, "TS03", "2024-03", tokens=tokens).status_code == 404
        assert get(http, demo, "TS03", "2024-04", tokens=tokens).status_code == 200


def test_a_dict_profile_is_accepted(http, catalog, tokens):
    quiet = {**load_profile(), "faults": []}  # as a benchmark passes it: the demo minus its faults
    with SimulatorServer(catalog, tokens, profile=quiet) as server:
        assert get(http, server, "TS03", "2024-03", tokens=tokens).status_code == 200


def test_feedback_is_recorded(http, server, tokens):
    url = f"{server.url}/units/TS02/submissions/2024-05/feedback"
    auth = {"Authorization": f"Bearer {tokens['unit_ts02']}"}
    messages = [{"text": "投资合计与分项之和不一致", "indicator": "INV_TOTAL", "value": 1.0,
                 "rule": "INVESTMENT_PARTS_SUM", "importance": "error"}]
    response = http.post(url, json=messages, headers=auth, timeout=5)
    assert response.status_code == 200 and response.json() == {"received": 1}
    http.post(url, json=[], headers=auth, timeout=5)
    assert server.feedback["TS02", "2024-05"] == [messages, []]
    assert http.post(url, json=messages, timeout=5).status_code == 401
    assert http.post(url, json={"not": "a list"}, headers=auth, timeout=5).status_code == 400
    assert http.post(url, data=b"{broken", headers=auth, timeout=5).status_code == 400


def test_revise_returns_corrected_content_later(http, server, tokens):
    before = get(http, server, "RC01", "2024-09", tokens=tokens).json()
    assert server.revise("RC01", "2024-09") == 1
    after = get(http, server, "RC01", "2024-09", tokens=tokens).json()
    assert after["values"] != before["values"] and after["submitted_at"] > before["submitted_at"]
    # A correction repairs the content fault it was made for.
    server.set_fault("RC01", "2024-09", "rule_violation")
    server.revise("RC01", "2024-09")
    assert server.fault("RC01", "2024-09") is None
    assert get(http, server, "RC01", "2024-09", tokens=tokens).json() == \
        clean(server, "RC01", "2024-09", revision=2)


def test_added_routes_share_the_server(http, server):
    seen = []

    def receive(request):
        seen.append((request.match["doc"], request.json()))
        return Response.json(201, {"receipt": f"R-{request.match['doc']}"})

    server.add_route("POST", r"/county/documents/(?P<doc>[\w-]+)", receive)
    response = http.post(f"{server.url}/county/documents/h1-2025", json={"title": "总结"}, timeout=5)
    assert response.status_code == 201 and response.json() == {"receipt": "R-h1-2025"}
    assert seen == [("h1-2025", {"title": "总结"})]
    assert http.get(f"{server.url}/county/documents/h1-2025", timeout=5).status_code == 404


def test_latency_and_concurrent_keep_alive_clients(catalog, tokens):
    with SimulatorServer(catalog, tokens, profile=Profile(seed=SEED), latency=0.1) as slow:
        started = time.monotonic()
        units = [u for u in catalog.units if u.active_in("2024-05")]

        def pull(unit):
            with requests.Session() as session:
                return [get(session, slow, unit.code, "2024-05", tokens=tokens).status_code
                        for _ in range(3)]

        with ThreadPoolExecutor(len(units)) as pool:
            results = list(pool.map(pull, units))
        elapsed = time.monotonic() - started
    assert all(codes == [200, 200, 200] for codes in results)
    assert 0.3 <= elapsed < 3  # 3 sequential requests of 0.1 s each, all units in parallel


def test_tokens_are_stable_and_distinct(catalog):
    tokens = make_tokens(catalog, SEED)
    assert tokens == make_tokens(catalog, SEED) != make_tokens(catalog, SEED + 1)
    assert set(tokens) == {u.token_conn_id for u in catalog.units}
    assert len(set(tokens.values())) == len(tokens)
    assert all(len(t) == 32 and int(t, 16) >= 0 for t in tokens.values())


def test_unknown_fault_is_refused(server):
    with pytest.raises(ValueError):
        server.set_fault("TS01", "2024-01", "on_fire")
