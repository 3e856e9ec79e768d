"""The production topology of docker-compose.yaml, started as plain processes (no Docker).

Same services, same executor, same wiring as the compose file:

    compose service          here
    ---------------------    ------------------------------------------------------------
    postgres                 the PostgreSQL on 127.0.0.1:5432, a fresh ``af_topo_<hex>`` DB
    redis                    the Redis on 127.0.0.1:6379, DB index 5 as the Celery broker
    airflow-init             ``airflow db migrate``, ``dags reserialize``, the CountyReportsViewer
                             role, ``users create --role Admin``, ``pools set unit_endpoints …``
    airflow-apiserver        ``airflow api-server --host 127.0.0.1 --port <free>`` (UI, REST, execution API)
    airflow-scheduler        ``airflow scheduler``
    airflow-dag-processor    ``airflow dag-processor``
    airflow-triggerer        ``airflow triggerer``
    airflow-worker           ``airflow celery worker --concurrency 2 --skip-serve-logs``, with no JWT
                             secret, Fernet key, [api] secret_key, metadata DB URL or connection
    simulator                ``python -m county_reports simulate --port <free>``

Unit tokens are Airflow Connections in the control plane's ``AIRFLOW_CONN_UNIT_<CODE>`` variables,
reaching the worker's tasks through the api-server's execution API only, as in compose (the
simulator reads the same tokens from ``$COUNTY_REPORTS_SECRETS``); the dag-processor and the
triggerer have no JWT secret (they call the execution API in-process). Sign-in is the FAB auth manager's, as in compose: the test gets
the admin's token from ``POST /auth/token``, triggers ``collect_monthly`` for 2024-03 through the
CLI, polls the run through the REST API, checks the collection ledger, and that the 报送情况
page answers 401 without a token and 200 with the admin's. Every process runs in its own process group and is killed at the end;
on failure the last lines of every log are printed.

Needs PostgreSQL and Redis: skipped locally when either is unreachable, a failure in CI.
Takes about a minute and a half on 2 cores.
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.topology

REPO = Path(__file__).resolve().parents[2]
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
REDIS_HOST, REDIS_PORT, REDIS_DB = "127.0.0.1", 6379, 5
DAG_ID = "collect_monthly"
PERIOD = "2024-03"
RUN_TIMEOUT = 240          # seconds from trigger to a finished run
START_TIMEOUT = 120        # seconds for the api-server to answer and the DAG to be parsed
AIRFLOW = [sys.executable, "-m", "airflow"]
FAB = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
VIEWER_ROLE = "CountyReportsViewer"


# --------------------------------------------------------------------------- helpers


def _unavailable(what: str) -> None:
    """Skip locally; in CI a missing service is a failure, never a silent skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required in CI but unavailable")
    pytest.skip(f"{what} unavailable")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"(cannot read {path}: {exc})"
    return "\n".join(text.splitlines()[-lines:])


class Processes:
    """Long-running services, each in its own process group, logging to one file each."""

    def __init__(self, workdir: Path, env: dict[str, str]):
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.workdir, self.env = workdir, env
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        with (self.logs / f"{name}.log").open("wb") as log:
            proc = subprocess.Popen(argv, env=self.env if env is None else env, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.running[name] = proc
        return proc

    def run(self, name: str, argv: list[str], timeout: float = 120) -> str:
        """A one-shot command (like the compose init container): must exit 0."""
        done = subprocess.run(argv, env=self.env, cwd=self.workdir, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout)
        (self.logs / f"{name}.log").write_text(done.stdout + done.stderr, encoding="utf-8")
        if done.returncode != 0:
            raise AssertionError(f"`{' '.join(argv[2:])}` exited {done.returncode}:\n"
                                 f"{(done.stdout + done.stderr)[-4000:]}")
        return done.stdout

    def init(self, sim_port: int, admin_password: str) -> None:
        """The simulator (it needs nothing else), then airflow-init: migrate, reserialize, the admin."""
        self.start("simulator", [sys.executable, "-m", "county_reports", "simulate",
                                 "--host", "127.0.0.1", "--port", str(sim_port)])
        self.run("db-migrate", AIRFLOW + ["db", "migrate"], timeout=180)
        self.run("dags-reserialize", AIRFLOW + ["dags", "reserialize"], timeout=180)
        self.run("users-create", AIRFLOW + ["users", "create", "--role", "Admin", "--username", "admin",
                                            f"--password={admin_password}", "--email", "admin@localhost",
                                            "--firstname", "Admin", "--lastname", "Admin"])

    def check_alive(self) -> None:
        dead = {n: p.returncode for n, p in self.running.items() if p.poll() is not None}
        if dead:
            raise AssertionError(f"service(s) exited early: {dead}\n"
                                 + "\n".join(self.tail(n) for n in dead))

    def tail(self, name: str, lines: int = 40) -> str:
        return f"----- {name} (last {lines} lines) -----\n{_tail(self.logs / f'{name}.log', lines)}"

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM every group, then SIGKILL whatever is left, descendants included."""
        import psutil

        family: list[psutil.Process] = []
        for proc in self.running.values():
            try:
                root = psutil.Process(proc.pid)
                family += [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                pass
        for proc in self.running.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.running.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        for proc in self.running.values():
            # the group may outlive its leader (forked task and parser processes)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        for member in family:  # descendants that started a session of their own
            with contextlib.suppress(psutil.NoSuchProcess):
                member.kill()
        psutil.wait_procs(family, timeout=5)


class Api:
    """The api-server's REST API, with a token from the FAB auth manager (the admin user)."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.token: str | None = None

    def get(self, path: str, timeout: float = 10, token: bool = True) -> tuple[int, object]:
        headers = {"Accept": "application/json"}
        if self.token and token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.base_url + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")
        except (urllib.error.URLError, OSError) as exc:
            return 0, str(exc)

    def login(self, username: str, password: str) -> None:
        request = urllib.request.Request(
            self.base_url + "/auth/token", method="POST",
            data=json.dumps({"username": username, "password": password}).encode(),
            headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, body = response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read().decode("utf-8", "replace")
        assert status == 201, f"no API token: {status} {body}"
        self.token = body["access_token"]

    def status_code(self, path: str, token: bool) -> int:
        headers = {"Authorization": f"Bearer {self.token}"} if token else {}
        try:
            with urllib.request.urlopen(urllib.request.Request(self.base_url + path, headers=headers),
                                        timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code


def _wait(what: str, check, timeout: float, procs: Processes, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        procs.check_alive()
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# --------------------------------------------------------------------------- services


@pytest.fixture
def metadata_db():
    """A fresh PostgreSQL database for Airflow's metadata, dropped (FORCE) at the end."""
    try:
        import psycopg2
    except ImportError:
        _unavailable("psycopg2 (PostgreSQL driver)")
    try:
        admin = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres",
                                 connect_timeout=3)
    except psycopg2.OperationalError as exc:
        _unavailable(f"PostgreSQL on {PG_HOST}:{PG_PORT} ({str(exc).strip()})")
    admin.autocommit = True
    name = f"af_topo_{secrets.token_hex(4)}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def broker():
    """Redis DB index 5 as the Celery broker, flushed before and after."""
    try:
        import redis
    except ImportError:
        _unavailable("the redis client (installed with celery[redis])")
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        _unavailable(f"Redis on {REDIS_HOST}:{REDIS_PORT} ({exc})")
    client.flushdb()
    try:
        yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
    finally:
        client.flushdb()
        client.close()


def _environment(workdir: Path, db: str, broker_url: str, api_port: int, sim_port: int,
                 tokens: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AIRFLOW_", "AIRFLOW__", "COUNTY_REPORTS_"))}
    secrets_file = workdir / "data" / "secrets" / "unit_tokens.json"
    secrets_file.parent.mkdir(parents=True)
    secrets_file.write_text(json.dumps(tokens), encoding="utf-8")
    env.update({
        # x-airflow-common in docker-compose.yaml
        "AIRFLOW_HOME": str(workdir / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__CORE__FERNET_KEY": _fernet_key(),
        "AIRFLOW__CORE__AUTH_MANAGER": FAB,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{db}",
        "AIRFLOW__CELERY__BROKER_URL": broker_url,
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql+psycopg2://{db}",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
        "COUNTY_REPORTS_DATA": str(workdir / "data"),
        "COUNTY_REPORTS_SIMULATOR_URL": f"http://127.0.0.1:{sim_port}",
        "COUNTY_REPORTS_SECRETS": str(secrets_file),
        # this machine: free ports instead of the fixed 8793/8794, and quick turnarounds
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(_free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(_free_port()),
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
        "AIRFLOW__SCHEDULER__JOB_HEARTBEAT_SEC": "2",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        "AIRFLOW__CELERY__SYNC_PARALLELISM": "1",
        "PYTHONUNBUFFERED": "1",
    })
    # Unit tokens as Airflow Connections (compose: AIRFLOW_CONN_UNIT_TS01 … or a secrets backend)
    for conn_id, token in tokens.items():
        env[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps({"conn_type": "http", "password": token})
    return env


# What compose keeps from the dag-processor and triggerer (in-process execution API) and from the
# worker (tests/deploy/test_docker_compose.py HOLDS).
NO_JWT = ("AIRFLOW__API_AUTH__JWT_SECRET",)
WORKER_WITHOUT = NO_JWT + ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API__SECRET_KEY",
                           "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW_CONN_")


def without(env: dict[str, str], names: tuple[str, ...]) -> dict[str, str]:
    return {k: v for k, v in env.items() if not k.startswith(names)}


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def _task_logs(airflow_home: Path, lines: int = 30) -> str:
    files = sorted((airflow_home / "logs").glob(f"dag_id={DAG_ID}/**/*.log"))
    return "\n".join(f"----- task log {p.relative_to(airflow_home / 'logs')} -----\n{_tail(p, lines)}"
                     for p in files)


def roster_and_tokens(period: str) -> tuple[list[str], dict[str, str]]:
    """The units expected for ``period`` and a fresh token per unit connection; fails (never
    skips) when the Celery executor's packages are missing."""
    try:
        import airflow.providers.celery  # noqa: F401
        import asyncpg  # noqa: F401  (Airflow 3's async engine on a PostgreSQL metadata DB)
        import celery  # noqa: F401
    except ImportError as exc:
        pytest.fail(f"{exc.name} is not installed: pip install -r requirements.txt")

    from county_reports.core.catalog import load_catalog

    catalog = load_catalog()
    return (sorted(u.code for u in catalog.units_active_in(period)),
            {u.token_conn_id: secrets.token_urlsafe(24) for u in catalog.units})


# --------------------------------------------------------------------------- the test


def test_collect_monthly_runs_on_the_celery_topology(metadata_db, broker, tmp_path):
    expected_units, tokens = roster_and_tokens(PERIOD)
    api_port, sim_port = _free_port(), _free_port()
    workdir = Path(tempfile.mkdtemp(prefix="topo-", dir=tmp_path))
    env = _environment(workdir, metadata_db, broker, api_port, sim_port, tokens)
    procs = Processes(workdir, env)
    api = Api(f"http://127.0.0.1:{api_port}")
    run_id = f"topology__{secrets.token_hex(4)}"
    admin_password = secrets.token_hex(12)
    started = time.monotonic()
    timings: dict[str, float] = {}
    try:
        procs.init(sim_port, admin_password)
        procs.run("roles-create", AIRFLOW + ["roles", "create", VIEWER_ROLE])
        procs.run("roles-add-perms", AIRFLOW + ["roles", "add-perms", VIEWER_ROLE, "-r",
                                                "DAG:collect_monthly", "Plugins", "-a", "can_read"])
        timings["init"] = time.monotonic() - started
        procs.start("api-server", AIRFLOW + ["api-server", "--host", "127.0.0.1", "--port", str(api_port)])
        procs.start("scheduler", AIRFLOW + ["scheduler"])
        procs.start("dag-processor", AIRFLOW + ["dag-processor"], env=without(env, NO_JWT))
        procs.start("triggerer", AIRFLOW + ["triggerer"], env=without(env, NO_JWT))
        # as in compose: the worker holds no Airflow secret and no metadata DB URL, and gets the
        # units' tokens only through the execution API
        procs.start("worker", AIRFLOW + ["celery", "worker", "--concurrency", "2", "--skip-serve-logs"],
                    env=without(env, WORKER_WITHOUT))
        procs.run("pools-set", AIRFLOW + ["pools", "set", "unit_endpoints", "8",
                                          "concurrent pulls of unit endpoints"])

        _wait("the simulator", lambda: _port_open(sim_port), 60, procs, 0.3)
        _wait("the api-server", lambda: api.get("/api/v2/monitor/health")[0] == 200,
              START_TIMEOUT, procs)
        api.login("admin", admin_password)
        timings["api-server up"] = time.monotonic() - started

        def parsed():
            status, body = api.get("/api/v2/importErrors")
            if status == 200 and body.get("import_errors"):
                raise AssertionError(f"DAG import errors: {json.dumps(body, ensure_ascii=False)}")
            return api.get(f"/api/v2/dags/{DAG_ID}")[0] == 200

        _wait(f"{DAG_ID} to be parsed", parsed, START_TIMEOUT, procs)
        timings["dag parsed"] = time.monotonic() - started

        # Triggered while still paused, the run waits queued. Unpausing also schedules the latest
        # cron run (catchup=False: the month before today), as it would in production; that run
        # shares the one active-run slot but writes another month's ledger.
        procs.run("dags-trigger", AIRFLOW + ["dags", "trigger", DAG_ID, "--run-id", run_id,
                                             "-c", json.dumps({"period": PERIOD})])
        procs.run("dags-unpause", AIRFLOW + ["dags", "unpause", DAG_ID])
        triggered = time.monotonic()

        def finished():
            status, body = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}")
            if status == 200 and body["state"] in ("success", "failed"):
                return body["state"]
            return None

        try:
            state = _wait(f"run {run_id}", finished, RUN_TIMEOUT, procs, 2.0)
        except AssertionError as exc:
            state = f"not finished ({exc})"
        timings["run"] = time.monotonic() - triggered
        if state != "success":
            _, tis = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances")
            summary = [(t["task_id"], t.get("map_index"), t["state"]) for t in tis["task_instances"]] \
                if isinstance(tis, dict) else tis
            raise AssertionError(f"{DAG_ID} run {run_id}: {state}; task instances: {summary}")

        rows = [json.loads(line) for line in
                (workdir / "data" / "collections" / f"{PERIOD}.jsonl").read_text("utf-8").splitlines()]
        assert sorted(r["unit"] for r in rows) == expected_units, "one ledger line per active unit"
        assert {r["run_id"] for r in rows} == {run_id}
        assert all(r["period"] == PERIOD for r in rows)
        statuses = Counter(r["status"] for r in rows)
        # tokens went from Airflow Connections to the simulator: nobody was turned away
        unreached = [(r["unit"], r["reason"]) for r in rows if r["http_status"] in (401, 403)
                     or (r["status"] == "failed" and r["http_status"] is None)]
        assert not unreached, f"units without a working token or endpoint: {unreached}"
        assert statuses["received"] >= len(expected_units) // 2, statuses
        # the status page, behind the FAB sign-in, reads the warehouse the run has just written
        assert api.status_code("/county-reports/", token=False) == 401
        assert api.status_code("/county-reports/", token=True) == 200
        print(f"\ntopology: {dict(statuses)}; "
              + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
              + f"; total {time.monotonic() - started:.0f} s")
    except BaseException:
        print("\n".join(procs.tail(name) for name in
                        ["db-migrate", "dags-reserialize", "roles-create", "roles-add-perms",
                         "users-create", "pools-set", *procs.running, "dags-trigger", "dags-unpause"]
                        if (procs.logs / f"{name}.log").exists()))
        print(_task_logs(Path(env["AIRFLOW_HOME"])))
        raise
    finally:
        procs.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
