"""The admin's command line, run as admins run it: a real process, exit codes and printed text."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest
import requests


def cli(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "county_reports", *args], capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    done = cli("example-submission", "--unit", "RC01", "--period", "2025-06")
    assert done.returncode == 0
    path = tmp_path_factory.mktemp("files") / "good.json"
    path.write_text(done.stdout, encoding="utf-8")
    return path


def test_validate_good_file_exits_0_through_great_expectations(good):
    done = cli("validate", str(good))
    assert done.returncode == 0, done.stderr
    assert "县公路事务中心（RC01）2025年6月" in done.stdout and "校验通过" in done.stdout


def test_validate_messy_but_valid_file_exits_0(good, tmp_path):
    payload = json.loads(good.read_text(encoding="utf-8"))
    payload["values"]["INV_HIGHWAY"] = f" {payload['values']['INV_HIGHWAY']:,}万元 "
    payload["values"]["HAZARD_FOUND"] = "".join(chr(ord(c) + 0xFEE0) for c in str(payload["values"]["HAZARD_FOUND"]))
    path = tmp_path / "messy.json"
    path.write_bytes(json.dumps(payload, ensure_ascii=False).encode("gb18030"))   # GBK-family bytes too
    done = cli("validate", str(path), "--engine", "pandas")
    assert done.returncode == 0, done.stdout + done.stderr


def test_validate_bad_file_exits_1_naming_field_value_and_rule(good, tmp_path):
    payload = json.loads(good.read_text(encoding="utf-8"))
    payload["values"]["BRIDGE_REBUILT"] = "待核实"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    done = cli("validate", str(path), "--engine", "pandas")
    assert done.returncode == 1
    assert "危旧桥梁改造" in done.stdout and "BRIDGE_REBUILT" in done.stdout and "待核实" in done.stdout


@pytest.mark.parametrize("content", [b"", b"\x00\xff\xfe garbage", b"[1, 2, 3]", b'{"protocol": 1',
                                     b"PK\x03\x04 not really a workbook"])
def test_validate_garbage_exits_2_without_traceback(tmp_path, content):
    path = tmp_path / "garbage.json"
    path.write_bytes(content)
    done = cli("validate", str(path), "--engine", "pandas")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr and done.stdout.strip()


def test_validate_wrong_unit_for_the_file(good):
    done = cli("validate", str(good), "--unit", "TS01", "--engine", "pandas")
    assert done.returncode == 1 and "TS01" in done.stdout


def test_template_writes_the_units_workbook(tmp_path):
    out = tmp_path / "TS03.xlsx"
    done = cli("template", "--unit", "TS03", "--period", "2025-06", "--out", str(out))
    assert done.returncode == 0 and out.is_file()
    from openpyxl import load_workbook

    assert load_workbook(out).sheetnames[:3] == ["填报说明", "指标", "工作动态"]


def test_unknown_unit_and_bad_period_are_one_line_errors():
    for args in (("example-submission", "--unit", "XX99", "--period", "2025-06"),
                 ("template", "--unit", "TS01", "--period", "2025-13")):
        done = cli(*args)
        assert done.returncode == 2 and "Traceback" not in done.stderr


def test_simulate_serves_protocol_v1(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env_file = tmp_path / "tokens.json"
    env_file.write_text(json.dumps({"unit_ts01": "t0k3n"}), encoding="utf-8")
    import os

    proc = subprocess.Popen([sys.executable, "-m", "county_reports", "simulate", "--port", str(port)],
                            env={**os.environ, "COUNTY_REPORTS_SECRETS": str(env_file)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                requests.get(f"{url}/health", timeout=0.5)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        ok = requests.get(f"{url}/units/TS01/submissions/2025-06", timeout=5,
                          headers={"Authorization": "Bearer t0k3n"})
        assert ok.status_code == 200 and ok.json()["unit"] == "TS01"
        assert requests.get(f"{url}/units/TS01/submissions/2025-06", timeout=5).status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=10)
