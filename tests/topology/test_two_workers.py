"""The production topology with TWO Celery workers on "two machines" that share no disk.

Each worker has its own working directory and its own ``AIRFLOW_HOME`` (its own logs folder);
the two share only what separate machines would share:

    PostgreSQL    a fresh ``af_topo_<hex>`` metadata DB and a fresh ``cr_wh_<hex>`` warehouse DB
    Redis         DB index 6 as the Celery broker (the one-worker test uses 5)
    S3            a bucket on the moto server (``tests/object_store.py``) as the data folder,
                  ``COUNTY_REPORTS_DATA=s3://<bucket>/data``

The control plane (api-server, scheduler, dag-processor, triggerer, the CLI) runs as in
``test_processes.py``, whose helpers this test reuses; it keeps the secrets file the simulator
reads. The workers' environments name no local data folder and no secrets file: the unit tokens
reach their tasks as ``AIRFLOW_CONN_*`` Connections only.

The test collects 2024-03 (``collect_monthly``) and then renders the 2024 half-year summary as a
dry run (``half_year_report``, ``dry_run: true``: rendered, not delivered, no approval asked), and
checks that the bucket holds the ledger, verdicts, raw archive and the report; that neither
machine's directory holds a data folder or a document; that both workers ran tasks; and that
no XCom of either run names a place on one machine's disk.

Each run is triggered at the DAG's next scheduled slot (``next_dagrun_logical_date``) while
the DAG is paused: unpausing then finds that slot taken and adds no catch-up run, which would
otherwise take the one active-run slot first (and the report's would wait days for approval).

Needs PostgreSQL, Redis and moto: skipped locally when one is missing, a failure in CI.
Takes about a minute and a half on 2 cores.
"""
from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import pytest
import test_processes
from object_store import local_paths_in
from test_processes import (AIRFLOW, PG_HOST, PG_PORT, PG_USER, Api, Processes, _environment, _free_port,
                            _port_open, _tail, _wait, broker, metadata_db, roster_and_tokens)  # noqa: F401  (fixtures)

pytestmark = pytest.mark.topology

COLLECT, REPORT = "collect_monthly", "half_year_report"
PERIOD, YEAR = "2024-03", 2024
MACHINES = ("machine-a", "machine-b")
BROKER_DB = 6
START_TIMEOUT = 120        # seconds for the api-server to answer and the DAGs to be parsed
COLLECT_TIMEOUT = 180      # seconds from unpausing to a finished collection run
REPORT_TIMEOUT = 120       # … and to a finished report run


# --------------------------------------------------------------------------- helpers


class Machines(Processes):
    """Services on several machines: each may have its own working directory and environment.
    Every log still lands in the control plane's logs folder, so one ``tail`` reads them all."""

    def start_on(self, machine: Path, env: dict[str, str], name: str, argv: list[str]):
        control = self.workdir, self.env
        self.workdir, self.env = machine, env
        try:
            return self.start(name, argv)
        finally:
            self.workdir, self.env = control


def xcom_local_paths(xcoms: dict[str, object], *roots: str | Path) -> dict[str, list[str]]:
    """The XComs (by name) that carry a string naming a place on one machine's disk: an absolute
    path, a ``file:`` URL anywhere in it, or anything under one of ``roots``."""
    found = {name: local_paths_in(value, *roots, "file://") for name, value in xcoms.items()}
    return {name: hits for name, hits in found.items() if hits}


def _xcoms(api: Api, dag_id: str, run_id: str) -> dict[str, object]:
    """Every XCom of a run, ``task[map_index]/key`` → its value as stored (JSON)."""
    base = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances"
    status, listing = api.get(f"{base}/~/xcomEntries?limit=1000")
    assert status == 200, f"XCom list of {run_id}: {status} {listing}"
    values = {}
    for entry in listing["xcom_entries"]:
        task, key, index = entry["task_id"], entry["key"], entry.get("map_index", -1)
        status, body = api.get(f"{base}/{quote(task)}/xcomEntries/{quote(key)}?map_index={index}")
        assert status == 200, f"XCom {task}[{index}]/{key} of {run_id}: {status} {body}"
        value = body["value"]
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        values[f"{task}[{index}]/{key}"] = value
    return values


def _run_state(api: Api, dag_id: str, run_id: str) -> str | None:
    status, body = api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
    return body["state"] if status == 200 and body["state"] in ("success", "failed") else None


def _run_at_next_slot(procs: Processes, api: Api, dag_id: str, run_id: str, conf: dict) -> None:
    """Trigger ``dag_id`` (paused) at the slot the scheduler would fill on unpausing, then unpause."""
    slot = api.get(f"/api/v2/dags/{dag_id}")[1]["next_dagrun_logical_date"]
    assert slot, f"{dag_id} has no next scheduled slot"
    procs.run(f"trigger-{dag_id}", AIRFLOW + ["dags", "trigger", dag_id, "--run-id", run_id,
                                             "--logical-date", slot, "-c", json.dumps(conf)])
    procs.run(f"unpause-{dag_id}", AIRFLOW + ["dags", "unpause", dag_id])


def _finish(procs: Processes, api: Api, dag_id: str, run_id: str, timeout: float) -> None:
    try:
        state = _wait(f"{dag_id} run {run_id}", lambda: _run_state(api, dag_id, run_id), timeout, procs, 2.0)
    except AssertionError as exc:
        state = f"not finished ({exc})"
    if state != "success":
        _, tis = api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
        summary = [(t["task_id"], t.get("map_index"), t["state"], t.get("hostname")) for t in tis["task_instances"]] \
            if isinstance(tis, dict) else tis
        _, runs = api.get(f"/api/v2/dags/{dag_id}/dagRuns")
        raise AssertionError(f"{dag_id} run {run_id}: {state}; task instances: {summary}; runs of the DAG: "
                             f"{[(r['dag_run_id'], r['state']) for r in runs['dag_runs']] if isinstance(runs, dict) else runs}")


def _task_log_files(machine: Path) -> list[Path]:
    return sorted((machine / "airflow" / "logs").glob("dag_id=*/**/*.log"))


def _check_bucket(s3_server, bucket: str, keys: list[str], collect_run: str, units: list[str]) -> Counter:
    """The ledger (one object per row), the verdicts, the raw archive and the report are in the bucket."""
    ledger = [k for k in keys if k.startswith(f"data/collections/{PERIOD}/") and k.endswith(".json")]
    rows = [_bucket_json(s3_server, bucket, k) for k in ledger]
    assert sorted(r["unit"] for r in rows) == units, "one ledger row per active unit"
    assert {r["run_id"] for r in rows} == {collect_run} and {r["period"] for r in rows} == {PERIOD}
    statuses = Counter(r["status"] for r in rows)
    assert statuses["received"] >= len(units) // 2, statuses
    assert any(k.startswith(f"data/verdicts/{collect_run}/") for k in keys), "no verdicts in the bucket"
    assert any(k.startswith("data/raw/") for k in keys), "no raw archive in the bucket"
    report_keys = [k for k in keys if k.startswith(f"data/reports/{YEAR}/")]
    assert any(k.endswith(".docx") for k in report_keys) and any(k.endswith(".figures.json") for k in report_keys), \
        f"no rendered report in the bucket: {report_keys}"
    return statuses


def _check_machines(machines: dict[str, Path]) -> dict[str, int]:
    """No data folder and no document on either machine's disk, and each worker ran tasks (its
    own logs folder has task logs: the supervisor on the worker that ran a task writes its log)."""
    for name, machine in machines.items():
        stray = [p for p in machine.rglob("*") if (p.is_dir() and p.name == "data") or p.suffix in (".docx", ".jsonl")]
        assert not stray, f"{name} keeps data on its own disk: {stray}"
    ran = {name: len(_task_log_files(machine)) for name, machine in machines.items()}
    assert all(ran.values()), f"a worker ran no task (task log files per machine: {ran})"
    return ran


def _bucket_json(s3_server, bucket: str, key: str) -> dict:
    return json.loads(s3_server.client().get_object(Bucket=bucket, Key=key)["Body"].read())


@pytest.fixture
def broker_db6(monkeypatch, request):
    """test_processes' broker fixture on Redis DB index 6 (flushed before and after)."""
    monkeypatch.setattr(test_processes, "REDIS_DB", BROKER_DB)
    return request.getfixturevalue("broker")


@pytest.fixture
def warehouse_db(metadata_db):  # noqa: F811  (pytest fixture, imported above)
    """A fresh PostgreSQL database for the warehouse (the bucket holds files, not a database)."""
    import psycopg2

    name = f"cr_wh_{secrets.token_hex(4)}"
    admin = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", connect_timeout=3)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg2://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


# --------------------------------------------------------------------------- the tests


def test_the_xcom_check_catches_a_local_path():
    nested = {"render[-1]/return_value": [{"built": [{"docx": "/tmp/x/reports/2024/a.docx"}]}]}
    assert xcom_local_paths(nested) == {"render[-1]/return_value": ["/tmp/x/reports/2024/a.docx"]}
    assert xcom_local_paths({"render[-1]/return_value": [{"docx": "reports/2024/a.docx"}]}) == {}
    assert xcom_local_paths({"x": {"note": "see file:///srv/a.docx"}}) == {"x": ["see file:///srv/a.docx"]}
    assert xcom_local_paths({"x": ["kept in w/machine-a/data/x"]}, "w/machine-a") == {"x": ["kept in w/machine-a/data/x"]}


def test_a_month_and_a_report_on_two_workers(metadata_db, broker_db6, warehouse_db, s3_server, tmp_path):  # noqa: F811  (pytest fixture)
    expected_units, tokens = roster_and_tokens(PERIOD)
    bucket = s3_server.new_bucket()
    shared = {**s3_server.environ(bucket), "COUNTY_REPORTS_DB_URL": warehouse_db}
    api_port, sim_port = _free_port(), _free_port()
    workdir = Path(tempfile.mkdtemp(prefix="topo2-", dir=tmp_path))
    control = workdir / "control"
    env = {**_environment(control, metadata_db, broker_db6, api_port, sim_port, tokens), **shared}
    machines = {name: workdir / name for name in MACHINES}
    machine_env = {}
    for name, machine in machines.items():
        machine.mkdir()
        machine_env[name] = {**env, "AIRFLOW_HOME": str(machine / "airflow"),
                             "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(_free_port())}
        del machine_env[name]["COUNTY_REPORTS_SECRETS"]    # tokens reach tasks as Connections only
    procs = Machines(control, env)
    api = Api(f"http://127.0.0.1:{api_port}")
    collect_run, report_run = f"two_workers__{secrets.token_hex(4)}", f"two_workers_report__{secrets.token_hex(4)}"
    admin_password = secrets.token_hex(12)
    started = time.monotonic()
    timings: dict[str, float] = {}
    try:
        procs.init(sim_port, admin_password)
        timings["init"] = time.monotonic() - started
        for service in ("api-server", "scheduler", "dag-processor", "triggerer"):
            procs.start(service, AIRFLOW + [service] + (["--host", "127.0.0.1", "--port", str(api_port)] if service == "api-server" else []))
        for name, machine in machines.items():
            worker = "worker-" + name.removeprefix("machine-")
            procs.start_on(machine, machine_env[name], worker,
                           AIRFLOW + ["celery", "worker", "--concurrency", "2", "--celery-hostname", f"{worker}@%h"])
        procs.run("pools-set", AIRFLOW + ["pools", "set", "unit_endpoints", "8", "concurrent pulls of unit endpoints"])

        _wait("the simulator", lambda: _port_open(sim_port), 60, procs, 0.3)
        _wait("the api-server", lambda: api.get("/api/v2/monitor/health")[0] == 200, START_TIMEOUT, procs)
        api.login("admin", admin_password)

        def parsed():
            status, body = api.get("/api/v2/importErrors")
            if status == 200 and body.get("import_errors"):
                raise AssertionError(f"DAG import errors: {json.dumps(body, ensure_ascii=False)}")
            return all(api.get(f"/api/v2/dags/{d}")[0] == 200 for d in (COLLECT, REPORT))

        _wait(f"{COLLECT} and {REPORT} to be parsed", parsed, START_TIMEOUT, procs)
        timings["up"] = time.monotonic() - started

        mark = time.monotonic()
        _run_at_next_slot(procs, api, COLLECT, collect_run, {"period": PERIOD})
        _finish(procs, api, COLLECT, collect_run, COLLECT_TIMEOUT)
        timings["collect"] = time.monotonic() - mark
        mark = time.monotonic()
        _run_at_next_slot(procs, api, REPORT, report_run, {"year": YEAR, "dry_run": True})
        _finish(procs, api, REPORT, report_run, REPORT_TIMEOUT)
        timings["report"] = time.monotonic() - mark

        keys = s3_server.keys(bucket)
        statuses = _check_bucket(s3_server, bucket, keys, collect_run, expected_units)
        # the XComs: keys in the data folder (ones that are in the bucket), never a machine's path
        xcoms = {f"{dag}/{name}": value for dag, run in ((COLLECT, collect_run), (REPORT, report_run))
                 for name, value in _xcoms(api, dag, run).items()}
        built = xcoms[f"{REPORT}/render[-1]/return_value"]
        assert f"data/{built['docx']}" in keys and f"data/{built['sidecar']}" in keys, built
        assert PurePosixPath(built["docx"]).parent == PurePosixPath("reports", str(YEAR)), built
        assert xcoms[f"{REPORT}/deliver[-1]/return_value"] == {"status": "dry_run"}
        local = xcom_local_paths(xcoms, workdir, *machines.values())
        assert not local, f"XComs carrying a path on one machine's disk: {local}"
        ran = _check_machines(machines)

        print(f"\ntwo workers: {dict(statuses)}; task logs {ran}; {len(xcoms)} XComs, {len(keys)} objects; "
              + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
              + f"; total {time.monotonic() - started:.0f} s")
    except BaseException:
        print("\n".join(procs.tail(p.stem) for p in sorted(procs.logs.glob("*.log"))))
        for name, machine in machines.items():
            for path in _task_log_files(machine):
                print(f"----- {name} task log {path.relative_to(machine / 'airflow' / 'logs')} -----\n"
                      f"{_tail(path, 30)}")
        raise
    finally:
        procs.stop()
        shutil.rmtree(workdir, ignore_errors=True)
