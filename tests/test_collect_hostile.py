"""Collection against endpoints that misbehave, served for real on 127.0.0.1 by the test.

Drip headers, drip body, ``Retry-After: 3600``, an oversized body, a 5,000-digit integer, a body
cut off half-way and a server that never answers, among healthy units passed through to the
simulator: the batch ends within its bound, every unit has exactly one outcome (in the returned
list and in the ledger, written as each unit finished), the healthy units are received and stored,
the oversized one is archived (truncated) and refused, and every byte that arrived is archived.
"""
from __future__ import annotations

import errno
import time

import pytest

from county_reports.core import archive
from county_reports.collect import pulls, pull_settings, ledger
from county_reports.core.atomic import DataFolderError
from county_reports.simulator.hostile import HostileServer

PERIOD = "2025-10"
HOSTILE = {"TS01": "drip_headers", "TS02": "drip_body", "TS03": "retry_after", "TS04": "oversized",
           "TS05": "huge_integer", "TS06": "broken_body", "TS07": "silent"}
SETTINGS = pull_settings.PullSettings(connect_timeout=1, read_timeout=1, unit_deadline_seconds=3,
                                retries=2, backoff=0.05, retry_after_max=0.2,
                                max_body_bytes=100_000, concurrency=32)
BOUND_S = SETTINGS.unit_deadline_seconds + pulls.WATCHDOG_GRACE_S + 2


@pytest.fixture
def hostile(simulator):
    simulator.clear_faults()
    with HostileServer(simulator.url, drip_interval=0.5) as server:
        for unit, behaviour in HOSTILE.items():
            server.set(unit, behaviour)
        yield server
    simulator.clear_faults()


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


def pull(catalog, codes, data_dir, tokens, server, settings=SETTINGS, record_as=("run-h", 1)):
    context = pull_settings.PullContext(data_dir=data_dir, token_lookup=tokens.get, settings=settings,
                                        environ={"COUNTY_REPORTS_SIMULATOR_URL": server.url}, record_as=record_as)
    return pulls.pull_batch(catalog, PERIOD, codes, context)


def test_a_hostile_batch_ends_in_bounded_time_with_one_outcome_each(catalog, hostile, data_dir, demo_tokens):
    codes = [u.code for u in pulls.select_units(catalog, PERIOD)]
    assert len(codes) >= 15
    started = time.monotonic()
    outcomes = pull(catalog, codes, data_dir, demo_tokens, hostile)
    elapsed = time.monotonic() - started
    assert elapsed < BOUND_S, f"{elapsed:.1f} s"

    by_unit = {o["unit"]: o for o in outcomes}
    assert [o["unit"] for o in outcomes] == codes
    rows = ledger.read(data_dir, PERIOD)
    assert sorted(r["unit"] for r in rows) == sorted(codes)       # exactly one row per unit

    for code in codes:
        if code not in HOSTILE:
            assert by_unit[code]["status"] == "received", by_unit[code]

    def status_reason(code):
        return by_unit[code]["status"], by_unit[code]["reason"]

    assert status_reason("TS01")[0] == "failed" and "超时" in status_reason("TS01")[1]
    assert status_reason("TS02")[0] == "failed" and "超时" in status_reason("TS02")[1]
    assert by_unit["TS02"]["truncated"] and by_unit["TS02"]["size"] > 0      # what dripped in is kept
    assert status_reason("TS03") == ("failed", status_reason("TS03")[1]) and "429" in status_reason("TS03")[1]
    assert status_reason("TS04")[0] == "refused" and "100000 字节" in status_reason("TS04")[1]
    assert status_reason("TS05")[0] == "refused" and "ROAD_INVEST" in status_reason("TS05")[1]
    assert status_reason("TS06")[0] == "failed" and "途中断开" in status_reason("TS06")[1]
    assert "无法连接" not in status_reason("TS06")[1]
    assert status_reason("TS07")[0] == "failed" and "超时" in status_reason("TS07")[1]

    # The oversized body: its first max_body_bytes archived, marked truncated, with a receipt time.
    big = by_unit["TS04"]
    assert big["truncated"] and big["received_at"] and big["size"] == SETTINGS.max_body_bytes
    assert len(archive.read(data_dir, big["sha256"])) == SETTINGS.max_body_bytes
    # Nothing that arrived is lost: every digest in the outcomes is on disk.
    for o in outcomes:
        if o["sha256"]:
            assert archive.path_for(data_dir, o["sha256"]).is_file(), o["unit"]
    assert by_unit["TS06"]["sha256"] and 0 < by_unit["TS06"]["size"] < 9000

    # Attempt counts are the requests the server saw.
    assert by_unit["TS03"]["attempts"] == hostile.requests["TS03"] == SETTINGS.retries + 1
    for code in ("TS04", "TS05", "TS06", "TS08"):
        assert by_unit[code]["attempts"] == hostile.requests[code] == 1, code


def test_the_month_is_validated_and_stored_with_the_hostile_units_isolated(catalog, hostile, data_dir,
                                                                          demo_tokens, tmp_path):
    from county_reports.validate import intake
    from county_reports.validate.model import read_verdicts
    from county_reports.warehouse import Warehouse

    codes = [u.code for u in pulls.select_units(catalog, PERIOD)]
    outcomes = pull(catalog, codes, data_dir, demo_tokens, hostile)
    with Warehouse(f"sqlite:///{tmp_path / 'w.db'}") as warehouse:
        warehouse.migrate()
        files = intake.validate_outcomes(outcomes, catalog, data_dir, history=warehouse.history(None, [PERIOD]),
                                         docs_dir=None, out_dir=tmp_path / "verdicts")
        verdicts = [v for f in files for v in read_verdicts(f)]
        stored, failures = warehouse.record_each(verdicts, "run-h")
        assert failures == []
        status = {r["unit"]: r["status"] for r in stored}
        healthy = [c for c in codes if c not in HOSTILE]
        assert all(status[c] != "rejected" for c in healthy if c in status)
        assert set(healthy) <= set(status)
        assert status["TS04"] == status["TS05"] == "rejected"        # archived, refused, in quarantine
        for item in intake.not_received(outcomes):
            warehouse.record_not_received(item["unit"], item["period"], item["status"], item["reason"], "run-h")
        subs = warehouse.submissions(None, PERIOD)
        assert set(subs["unit"]) == set(healthy) | {"TS04", "TS05"}


def test_a_killed_run_keeps_the_outcomes_of_units_that_finished(catalog, hostile, data_dir, demo_tokens):
    """Outcomes reach the ledger as units finish: read it while the slow units still run."""
    import threading

    settings = pull_settings.PullSettings(**{**SETTINGS.as_dict(), "unit_deadline_seconds": 5})
    codes = ["TS01", "TS07", "TS08", "TS10"]
    thread = threading.Thread(target=pull, args=(catalog, codes, data_dir, demo_tokens, hostile, settings))
    thread.start()
    time.sleep(2.0)
    early = {r["unit"]: r["status"] for r in ledger.read(data_dir, PERIOD)}
    thread.join()
    assert early == {"TS08": "received", "TS10": "received"}
    # The downstream record of the same outcomes adds nothing.
    rows = ledger.read(data_dir, PERIOD)
    assert len(rows) == 4


def test_retry_after_is_capped_and_counted_inside_the_deadline(catalog, hostile, data_dir, demo_tokens):
    settings = pull_settings.PullSettings(**{**SETTINGS.as_dict(), "retry_after_max": 30, "unit_deadline_seconds": 2})
    started = time.monotonic()
    [out] = pull(catalog, ["TS03"], data_dir, demo_tokens, hostile, settings)
    assert time.monotonic() - started < 1.5         # no sleeping an hour, nor 30 s past the deadline
    assert out["status"] == "failed" and "3600" in out["reason"] and out["attempts"] == 1


def test_the_pull_task_time_limit_follows_from_the_settings():
    limit = pulls.pull_timeout(pull_settings.PullSettings(unit_deadline_seconds=60, concurrency=32, batch_size=250))
    # 8 waves of at most 62 s, plus a minute
    assert limit.total_seconds() == 8 * 62 + 60


def test_a_full_disk_fails_the_batch_loudly(catalog, hostile, data_dir, demo_tokens, monkeypatch):
    def full(*args, **kwargs):
        raise DataFolderError(data_dir / "raw", OSError(errno.ENOSPC, "No space left on device"))

    monkeypatch.setattr(archive, "store", full)
    with pytest.raises(DataFolderError, match="no space left"):
        pull(catalog, ["TS08", "TS10"], data_dir, demo_tokens, hostile)


def test_the_dag_gives_the_pull_task_that_time_limit():
    from airflow.dag_processing.dagbag import BundleDagBag

    from county_reports.core.paths import PROJECT_ROOT

    folder = PROJECT_ROOT / "dags"          # parsed as the DAG processor parses it: the folder on sys.path
    dag = BundleDagBag(dag_folder=str(folder / "collect_monthly.py"), bundle_path=folder).dags["collect_monthly"]
    assert dag.get_task("pull").execution_timeout == pulls.pull_timeout(pull_settings.load_settings())
