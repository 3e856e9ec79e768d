"""Collection against the real simulator on 127.0.0.1: every fault kind, tokens, archive-before-parse."""
from __future__ import annotations

import json

import pytest

from county_reports.core import archive
from county_reports.collect import ledger, protocol, pull_settings, pulls

FAST = pull_settings.PullSettings(connect_timeout=1, read_timeout=1, retries=2, backoff=0.01, concurrency=8)
PERIOD = "2025-09"   # not in the demo fault profile: each test sets the faults it needs


@pytest.fixture
def sim(simulator):
    simulator.clear_faults()
    yield simulator
    simulator.clear_faults()


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


def pull(catalog, codes, data_dir, lookup, settings=FAST, period=PERIOD):
    return pulls.pull_batch(catalog, period, codes,
                            pull_settings.PullContext(data_dir=data_dir, token_lookup=lookup, settings=settings))


def by_unit(outcomes):
    return {o["unit"]: o for o in outcomes}


def test_clean_submission_is_received_and_archived(catalog, sim, data_dir, demo_tokens):
    [out] = pull(catalog, ["TS01"], data_dir, demo_tokens.get)
    assert out["status"] == "received" and out["http_status"] == 200 and out["reason"] is None
    raw = archive.read(data_dir, out["sha256"])
    payload = protocol.parse_json_payload(raw, out["content_type"])
    assert payload["unit"] == "TS01" and payload["period"] == PERIOD
    assert out["values"] == len(payload["values"]) >= len(catalog.required_indicators("township_station"))


@pytest.mark.parametrize("fault,status,reason_part,http", [
    ("missing", "missing", None, 404),
    ("server_error", "failed", "HTTP 500", 500),
    ("truncated", "refused", "不是完整的 JSON", 200),
    ("wrong_content_type", "refused", "text/html", 200),
])
def test_fault_kinds(catalog, sim, data_dir, demo_tokens, fault, status, reason_part, http):
    sim.set_fault("TS02", PERIOD, fault)
    [out] = pull(catalog, ["TS02"], data_dir, demo_tokens.get)
    assert out["status"] == status
    assert out["http_status"] == http
    if reason_part:
        assert reason_part in out["reason"]
    if status == "refused":   # unreadable bytes are kept all the same
        assert archive.path_for(data_dir, out["sha256"]).is_file()


def test_server_error_is_retried_then_recorded(catalog, sim, data_dir, demo_tokens):
    sim.set_fault("TS03", PERIOD, "server_error")
    [out] = pull(catalog, ["TS03"], data_dir, demo_tokens.get)
    assert out["status"] == "failed" and out["attempts"] == FAST.retries + 1
    assert "共请求 3 次" in out["reason"]


def test_flaky_endpoint_succeeds_after_retries(catalog, sim, data_dir, demo_tokens):
    sim.set_fault("TS04", "2025-10", "flaky")
    [out] = pull(catalog, ["TS04"], data_dir, demo_tokens.get, period="2025-10")
    assert out["status"] == "received" and out["attempts"] == 3


def test_slow_endpoint_times_out(catalog, sim, data_dir, demo_tokens, monkeypatch):
    sim.set_fault("TS05", PERIOD, "slow")
    settings = pull_settings.PullSettings(connect_timeout=1, read_timeout=0.3, retries=1, backoff=0.01)
    [out] = pull(catalog, ["TS05"], data_dir, demo_tokens.get, settings=settings)
    assert out["status"] == "failed" and "秒内未响应" in out["reason"]


def test_gbk_body_is_decoded(catalog, sim, data_dir, demo_tokens):
    sim.set_fault("TS06", PERIOD, "gbk")
    [out] = pull(catalog, ["TS06"], data_dir, demo_tokens.get)
    assert out["status"] == "received"
    raw = archive.read(data_dir, out["sha256"])
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "gbk" in out["content_type"].lower()


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_wrong_or_missing_token(catalog, sim, data_dir, demo_tokens, token):
    [out] = pull(catalog, ["TS07"], data_dir, {"unit_ts07": token}.get)
    assert out["status"] == "failed"
    if token == "wrong-token":
        assert out["http_status"] == 401 and "访问凭据" in out["reason"]
    else:
        assert out["http_status"] is None and "unit_ts07" in out["reason"]


def test_missing_bearer_header_gets_401(sim, demo_tokens):
    import requests

    url = f"{sim.url}/units/TS01/submissions/{PERIOD}"
    assert requests.get(url, timeout=5).status_code == 401
    assert requests.get(url, headers={"Authorization": f"Bearer {demo_tokens['unit_ts01']}"},
                        timeout=5).status_code == 200


def test_token_never_leaks_into_outcomes_or_ledger(catalog, sim, data_dir, demo_tokens):
    for code, fault in (("TS01", "server_error"), ("TS02", "slow"), ("TS03", "truncated")):
        sim.set_fault(code, PERIOD, fault)
    settings = pull_settings.PullSettings(connect_timeout=1, read_timeout=0.3, retries=1, backoff=0.01)
    outcomes = pull(catalog, ["TS01", "TS02", "TS03", "TS04"], data_dir, demo_tokens.get, settings)
    ledger.record(data_dir, outcomes, "run-1")
    text = json.dumps(outcomes, ensure_ascii=False) + ledger.ledger_path(data_dir, PERIOD).read_text()
    for conn_id in ("unit_ts01", "unit_ts02", "unit_ts03", "unit_ts04"):
        assert demo_tokens[conn_id] not in text


def test_run_continues_past_broken_units(catalog, sim, data_dir, demo_tokens):
    faults = {"TS01": "server_error", "TS02": "truncated", "TS03": "missing",
              "TS04": "wrong_content_type"}
    for code, fault in faults.items():
        sim.set_fault(code, PERIOD, fault)
    codes = [u.code for u in pulls.select_units(catalog, PERIOD)]
    outcomes = by_unit(pull(catalog, codes, data_dir, demo_tokens.get))
    assert set(outcomes) == set(codes)
    assert [outcomes[c]["status"] for c in faults] == ["failed", "refused", "missing", "refused"]
    clean = [c for c in codes if c not in faults]
    assert all(outcomes[c]["status"] == "received" for c in clean)


def test_raw_bytes_are_on_disk_before_parsing(catalog, sim, data_dir, demo_tokens, monkeypatch):
    seen = []
    real_parse = protocol.parse_json_payload

    def checking_parse(raw, content_type=None):
        import hashlib

        path = archive.path_for(data_dir, hashlib.sha256(raw).hexdigest())
        seen.append(path.is_file() and path.read_bytes() == raw)
        return real_parse(raw, content_type)

    monkeypatch.setattr(protocol, "parse_json_payload", checking_parse)
    sim.set_fault("TS02", PERIOD, "truncated")
    pull(catalog, ["TS01", "TS02"], data_dir, demo_tokens.get)
    assert seen == [True, True]


def test_oversized_body_is_refused(catalog, sim, data_dir, demo_tokens):
    settings = pull_settings.PullSettings(max_body_bytes=200, retries=0, backoff=0.01)
    [out] = pull(catalog, ["RC01"], data_dir, demo_tokens.get, settings=settings)
    assert out["status"] == "refused" and "200 字节" in out["reason"]


def test_unreachable_endpoint_fails_cleanly(catalog, data_dir, demo_tokens, monkeypatch):
    monkeypatch.setenv("COUNTY_REPORTS_SIMULATOR_URL", "http://127.0.0.1:9")
    settings = pull_settings.PullSettings(connect_timeout=0.5, read_timeout=0.5, retries=1, backoff=0.01)
    [out] = pull(catalog, ["TS01"], data_dir, demo_tokens.get, settings=settings)
    assert out["status"] == "failed" and "无法连接" in out["reason"]


def test_inbox_file_is_a_second_source(catalog, sim, data_dir, demo_tokens):
    from county_reports.collect import inbox, template
    import openpyxl

    # TS10 lists channels [http, email]: its workbook in the inbox is read instead of its endpoint
    path = inbox.inbox_path(data_dir, PERIOD, "TS10")
    path.parent.mkdir(parents=True)
    template.write_template(catalog, "TS10", PERIOD, path)
    book = openpyxl.load_workbook(path)
    sheet = book["指标"]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value:
            row[4].value = 3
    book.save(path)
    [out] = pull(catalog, ["TS10"], data_dir, {}.get)   # no token needed: nothing is pulled
    assert out["source"] == "inbox" and out["status"] == "received"
    assert archive.read(data_dir, out["sha256"]) == path.read_bytes()
    # an HTTP-only unit's inbox file is never read, whoever put it there: its endpoint is pulled
    other = inbox.inbox_path(data_dir, PERIOD, "TS08")
    other.parent.mkdir(parents=True)
    other.write_bytes(path.read_bytes())
    [out] = pull(catalog, ["TS08"], data_dir, {}.get)
    assert out["source"] == "http" and out["status"] == "failed"       # no token here: not pulled, not read


def test_batches_respect_max_map_length():
    codes = [f"P{i:04d}" for i in range(3000)]
    batches = pulls.plan_batches(codes, 100)
    assert len(batches) == 30 <= 1024 and sum(map(len, batches)) == 3000


def test_an_unexpected_error_fails_only_that_unit(catalog, sim, data_dir, demo_tokens, monkeypatch):
    real = pulls.pull_unit

    def flaky_code(watchdog, unit, period, **kwargs):
        if unit.code == "TS02":
            raise RuntimeError("something nobody foresaw")
        return real(watchdog, unit, period, **kwargs)

    monkeypatch.setattr(pulls, "pull_unit", flaky_code)
    outcomes = by_unit(pull(catalog, ["TS01", "TS02", "TS03"], data_dir, demo_tokens.get))
    assert outcomes["TS02"]["status"] == "failed" and "RuntimeError" in outcomes["TS02"]["reason"]
    assert outcomes["TS01"]["status"] == outcomes["TS03"]["status"] == "received"


def test_inbox_files_of_units_that_do_not_mail_or_in_another_units_folder_are_pointed_out(catalog, tmp_path):
    for unit, name in (("TS01", "TS01.xlsx"), ("TS10", "TS10.xlsx"), ("TS99", "TS99.xlsx"), ("TS09", "TS09.xlsx"),
                       ("TS10", "~$TS10.xlsx"), ("TS10", "TS02.xlsx")):
        folder = tmp_path / "inbox" / unit / "2025-09"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"x")
    # TS01 reports only over HTTP (its file is not read); TS10 lists email; TS09 stopped; TS99 unknown
    assert [f"{p.parent.parent.name}/{p.name}" for p in pulls.unexpected_inbox_files(tmp_path, catalog, "2025-09")] \
        == ["TS01/TS01.xlsx", "TS09/TS09.xlsx", "TS10/TS02.xlsx", "TS99/TS99.xlsx"]


def test_a_county_sized_run_pulls_one_unit_per_task_and_a_large_one_batches(catalog):
    codes = [u.code for u in catalog.units_active_in("2025-06")]
    cfg = pull_settings.PullSettings(batch_size=10, per_unit_up_to=20)
    planned = pulls.plan_pulls(catalog, {"2025-06": codes}, cfg)
    assert len(planned) == len(codes) and all(len(p["units"]) == 1 for p in planned)
    assert planned[0]["label"] == f"2025-06 {codes[0]} {catalog.unit_by_code[codes[0]].name}"
    months = {m: codes for m in ("2025-04", "2025-05", "2025-06")}        # 48 unit-months > 20
    batched = pulls.plan_pulls(catalog, months, cfg)
    assert all(len(p["units"]) <= 10 for p in batched) and len(batched) == 3 * -(-len(codes) // 10)
    assert batched[0]["label"].startswith(f"2025-04 {codes[0]}…") and "个单位）" in batched[0]["label"]
