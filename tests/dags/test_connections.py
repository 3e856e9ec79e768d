"""dags/_connections.py: a batch's tokens from Airflow Connections in one lookup, masked in the
logs at once (Airflow's own secrets backends and masker, no mock).

Masking each token as it comes recompiled the masker's whole pattern per token: 250 tokens took
~5 s, 1,000 minutes (issue 18). These tests hold the batch path to one compile and check that
every token it returns is masked."""
from __future__ import annotations

import json
import re
import secrets
import time

import pytest
from _connections import mask_all, tokens

from county_reports.runs import collect_monthly


@pytest.fixture
def masker():
    """Airflow's task-side masker, given back as it was: a thousand patterns left in it would slow
    every later test that masks a secret."""
    from airflow.sdk._shared.secrets_masker import _secrets_masker

    m = _secrets_masker()
    saved = (set(m.patterns), m.replacer)
    yield m
    m.patterns, m.replacer = saved


def connections(monkeypatch, count: int, prefix: str = "unit_bench") -> dict[str, str]:
    found = {f"{prefix}{i:04d}": secrets.token_hex(16) for i in range(count)}
    for conn_id, token in found.items():
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "http", "password": token}))
    return found


def test_a_batch_is_looked_up_at_once_and_a_missing_connection_is_none(monkeypatch, masker):
    expected = connections(monkeypatch, 3)
    monkeypatch.setenv("AIRFLOW_CONN_UNIT_BENCH_URI", "http://:p%2Fur1-secret@host:80/")
    monkeypatch.setenv("AIRFLOW_CONN_UNIT_BENCH_NOPASS", json.dumps({"conn_type": "http"}))
    asked = [*expected, "unit_bench_uri", "unit_bench_nopass", "unit_bench_absent", "unit_bench0000"]
    assert tokens(asked) == {**expected, "unit_bench_uri": "p/ur1-secret", "unit_bench_nopass": None,
                             "unit_bench_absent": None}


def test_every_token_of_the_batch_is_masked_in_the_logs(monkeypatch, masker):
    from airflow.sdk._shared.secrets_masker import redact

    expected = connections(monkeypatch, 5)
    line = "GET /units/P0001 Authorization: Bearer " + " ".join(expected.values())
    assert redact(line) == line                   # not known before the lookup
    tokens(list(expected))
    masked = redact(line)
    assert masked.startswith("GET /units/P0001 Authorization: Bearer ***")
    assert not any(token in masked for token in expected.values())
    # short strings are left alone, as by Airflow's own mask_secret (its minimum length)
    mask_all(["abc", ""])
    assert redact("abc") == "abc"


def test_a_province_batch_is_masked_with_one_compile(monkeypatch, masker):
    """1,000 tokens: one compile takes well under a second; a compile per token (what
    BaseHook.get_connection does) took over a minute on this machine."""
    expected = connections(monkeypatch, 1000)
    started = time.perf_counter()
    found = tokens(list(expected))
    elapsed = time.perf_counter() - started
    assert found == expected
    assert {re.escape(t) for t in expected.values()} <= masker.patterns
    assert elapsed < 10, f"1,000 tokens took {elapsed:.1f} s: masked one by one?"


def test_the_pull_task_pulls_a_batch_with_the_batch_lookup(tmp_path, simulator, demo_tokens, masker, monkeypatch,
                                                           caplog):
    from airflow.sdk._shared.secrets_masker import redact

    monkeypatch.setenv("COUNTY_REPORTS_DATA", str(tmp_path / "data"))
    batch = {"period": "2025-09", "units": ["TS02", "TS05", "RC01"]}
    asked = []

    def counted(conn_ids):
        asked.append(list(conn_ids))
        return tokens(conn_ids)

    caplog.set_level("INFO", logger="county_reports.runs.collect_monthly")
    outcomes = collect_monthly.pull(batch, tokens=counted, record_as=("run-1", 1))
    assert {o["unit"]: o["status"] for o in outcomes} == {"TS02": "received", "TS05": "received",
                                                            "RC01": "received"}
    assert asked == [["unit_ts02", "unit_ts05", "unit_rc01"]]      # one lookup for the batch
    assert "Tokens: 3 of 3 connections found in" in caplog.text
    assert redact(demo_tokens["unit_rc01"]) == "***"


def test_with_the_batch_adapter_the_batch_goes_as_one_secret(monkeypatch, masker):
    """Airflow's ``[logging] secret_mask_adapter`` set to ours (as the config would): the batch
    is one secret, its tokens masked each, a compile in all — in the supervisor too, which gets
    the same one secret. A token with a line break is not split: it goes the safe way."""
    from airflow.sdk._shared.secrets_masker import redact

    from county_reports.core import tokens as county_tokens

    monkeypatch.setattr(masker, "secret_mask_adapter", county_tokens.mask_adaptations)
    expected = connections(monkeypatch, 1000)
    started = time.perf_counter()
    assert tokens(list(expected)) == expected
    assert time.perf_counter() - started < 10
    batch = county_tokens.BATCH_MARK + "\n".join(expected.values())
    assert re.escape(batch) in masker.patterns        # given as one secret: what the supervisor gets
    line = "Bearer " + " ".join(list(expected.values())[::97])
    assert redact(line) == "Bearer " + " ".join(["***"] * len(list(expected.values())[::97]))
    mask_all(["first-half\nsecond-half"])
    assert redact("x first-half\nsecond-half y") == "x *** y"


SUPERVISOR_SIDE = """
import json, sys
import airflow  # settings read [logging] secret_mask_adapter from the environment, as in a worker
from airflow.sdk._shared.secrets_masker import redact
from airflow.sdk.execution_time.comms import MaskSecret
from airflow.sdk.execution_time.request_handlers import handle_mask_secret
from county_reports.core.tokens import BATCH_MARK

batch = json.loads(sys.argv[1])
handle_mask_secret(MaskSecret(value=BATCH_MARK + "\\n".join(batch)))   # what the task sends
print(json.dumps([redact("Bearer " + t) for t in batch]))
"""


def test_the_supervisor_masks_each_token_of_a_batch_sent_as_one_secret(tmp_path):
    """The supervisor's own handler of the task's MaskSecret, in a process whose Airflow config
    names the adapter: every token of the batch is masked in what it writes to the log."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    batch = [secrets.token_hex(16) for _ in range(5)]
    include = Path(__file__).resolve().parents[2] / "include"
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path),
           "AIRFLOW__LOGGING__SECRET_MASK_ADAPTER": "county_reports.core.tokens.mask_adaptations",
           "PYTHONPATH": os.pathsep.join([str(include), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", SUPERVISOR_SIDE, json.dumps(batch)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == ["Bearer ***"] * len(batch)
