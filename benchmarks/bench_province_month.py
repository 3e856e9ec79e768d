"""A province month through the real ``collect_monthly`` DAG under a real Airflow scheduler.

    .venv/bin/python benchmarks/bench_province_month.py [--units 3000] [--history-months 12]
        [--latency 0.05] [--parallelism 4] [--timeout 900]

Sets up everything itself and removes it at the end (also on failure or Ctrl-C):

- two throw-away PostgreSQL databases on the local server (``COUNTY_REPORTS_BENCH_PG_URL``,
  default user postgres): Airflow's metadata DB and the warehouse;
- the real catalogue with a generated roster of ``--units`` units (``bench_collect.province_config``)
  and ``--extra-indicators`` more indicators every unit reports (≈ 150 values a unit, 450,000 a
  month); the simulator's fault kinds spread over one unit in 50 for the month;
- the warehouse seeded with ``--history-months`` months of accepted history before the month
  (the simulator's own figures, ``simulator.seeding``), so validate's outlier checks read a
  province's history as in production;
- the bundled simulator in its own process (``python -m county_reports simulate``, ``--latency``
  per answer, the profile's seed and faults);
- an AIRFLOW_HOME in a temp folder, ``airflow db migrate``, the ``unit_endpoints`` pool, and
  ``api-server`` (Airflow 3's tasks report through its Execution API), ``scheduler`` (LocalExecutor,
  ``--parallelism`` task processes) and ``dag-processor``; unit tokens as ``AIRFLOW_CONN_UNIT_*``.

Each task's time is given twice: the task instance's start to end (what the stage costs the run,
the task process's start-up included: Python, Airflow, parsing the DAG file), and its own work
(from its log: the DAG parsed to the callable returned).

Then one run of collect_monthly for one month is triggered with the CLI and the DAG unpaused. The
scheduler creates no scheduled run (``[scheduler] use_job_schedule = False``; were one created all
the same, it is marked failed at once), so only the triggered month runs.

Measured: each stage's time from the task instances' start and end in the metadata DB (the mapped
pulls from the first start to the last end), the whole run (the DAG run's start to end), and each
task's peak memory: the benchmark samples, every 0.1 s, every process under the scheduler and reads
its ``VmHWM`` (the kernel's high-water mark of its resident set, so a peak between two samples is
not missed), then maps it to its task instance through the pid the task reported (``task_instance.pid``).

Floor for store, in the same run: the rows the run stored for the month (submissions, values,
narratives, issues, audit) are read back, deleted, and ``COPY``'d back into the same tables (with
the history still in them, same indexes and constraints). Goals: whole run ≤ 60 s; store ≤ 20 s
and ≤ 3× the floor; no task above 1.5 GiB; each pull task ≤ 2× its batch pulled outside Airflow
(the same batches by plain processes, as many at once, against the same simulator, after the
run); no unit token in clear in any task log. The masker adapter is set as docs/production.md says.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_collect import province_config  # noqa: E402
from bench_store import ThrowAwayDatabase  # noqa: E402

PERIOD = "2025-06"
DAG_ID = "collect_monthly"
AIRFLOW = [sys.executable, "-m", "airflow"]
GIB = 1024 ** 3
STAGES = ("plan", "pull", "validate", "store", "notify")


def with_faults(config: Path, units: int) -> None:
    """The simulator's profile with its fault kinds spread over the province's units in PERIOD
    (one unit in 50: missing, server errors, flaky, slow, truncated, wrong figures …)."""
    import yaml

    from county_reports.simulator.profile import FAULTS

    path = config / "simulator" / "profile.yaml"
    profile = yaml.safe_load(path.read_text(encoding="utf-8"))
    profile["faults"] = [{"unit": f"P{i:04d}", "period": PERIOD, "fault": FAULTS[(i // 50) % len(FAULTS)]}
                         for i in range(7, units, 50)]
    path.write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")


def with_extra_indicators(config: Path, count: int) -> None:
    """``count`` more indicators that every kind of unit reports (the simulator fills in a modest
    in-range figure for an indicator it has no calibration for): about 150 values a unit, as a
    province's fuller catalogue would have."""
    import yaml

    path = config / "indicators.yaml"
    catalog = yaml.safe_load(path.read_text(encoding="utf-8"))
    kinds = sorted({k for i in catalog["indicators"] for k in i.get("reported_by", ())})
    catalog["indicators"] += [
        {"code": f"EXTRA_{n:03d}", "name": f"补充指标{n}", "uom": "万元", "section": "transport_services",
         "nature": "flow", "over_time": "sum", "over_units": "sum", "reported_by": kinds,
         "min": 0, "max": 10000, "decimals": 2, "style": "detail"} for n in range(count)]
    path.write_text(yaml.safe_dump(catalog, allow_unicode=True, sort_keys=False), encoding="utf-8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """Long-running services, each in its own process group, logs in the work folder."""

    def __init__(self, logs: Path, env: dict[str, str]):
        self.logs, self.env, self.procs = logs, env, {}

    def start(self, name: str, cmd: list[str]) -> subprocess.Popen:
        out = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115  (the child process writes it for its whole life)
        self.procs[name] = subprocess.Popen(cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True, cwd=self.logs)
        return self.procs[name]

    def run(self, name: str, cmd: list[str], timeout: float = 300) -> None:
        with open(self.logs / f"{name}.log", "wb") as out:
            subprocess.run(cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT, check=True,
                           timeout=timeout, cwd=self.logs)

    def check(self) -> None:
        for name, p in self.procs.items():
            if p.poll() is not None:
                raise RuntimeError(f"{name} exited ({p.returncode}): {self.tail(name)}")

    def tail(self, name: str, lines: int = 20) -> str:
        path = self.logs / f"{name}.log"
        text = path.read_text("utf-8", "replace").splitlines()[-lines:] if path.exists() else []
        return "\n".join(text)

    def stop(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for p in self.procs.values():
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


class PeakMemory(threading.Thread):
    """Every process under the scheduler: its VmHWM (peak resident set), sampled every 0.1 s."""

    def __init__(self, root_pid: int):
        super().__init__(daemon=True)
        self.root_pid, self.peaks, self.done = root_pid, {}, threading.Event()

    def run(self) -> None:
        import psutil

        root = psutil.Process(self.root_pid)
        while not self.done.wait(0.1):
            try:
                children = root.children(recursive=True)
            except psutil.Error:
                return
            for child in children:
                peak = _vm_hwm(child.pid)
                if peak:
                    self.peaks[child.pid] = max(peak, self.peaks.get(child.pid, 0))


def _vm_hwm(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def environment(work: Path, config: Path, airflow_db: str, warehouse_db: str, sim_port: int,
                api_port: int, tokens: dict[str, str], parallelism: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AIRFLOW_", "AIRFLOW__", "COUNTY_REPORTS_"))}
    secrets_file = work / "data" / "secrets" / "unit_tokens.json"
    secrets_file.parent.mkdir(parents=True)
    secrets_file.write_text(json.dumps(tokens), encoding="utf-8")
    env.update({
        "PYTHONPATH": str(ROOT / "include") + os.pathsep + env.get("PYTHONPATH", ""),
        "AIRFLOW_HOME": str(work / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(parallelism),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": airflow_db,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        # a pull task's 250 tokens masked with one compile in its supervisor (docs/production.md)
        "AIRFLOW__LOGGING__SECRET_MASK_ADAPTER": "county_reports.core.tokens.mask_adaptations",
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",   # only the triggered run, no cron run
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        "COUNTY_REPORTS_CONFIG": str(config),
        "COUNTY_REPORTS_DATA": str(work / "data"),
        "COUNTY_REPORTS_DB_URL": warehouse_db,
        "COUNTY_REPORTS_SIMULATOR_URL": f"http://127.0.0.1:{sim_port}",
        "COUNTY_REPORTS_SECRETS": str(secrets_file),
        "PYTHONUNBUFFERED": "1",
    })
    for conn_id, token in tokens.items():
        env[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps({"conn_type": "http", "password": token})
    return env


def seed_history(url: str, catalog, months: int) -> int:
    """``months`` months of accepted figures before PERIOD, one month per call (bounded memory)."""
    from county_reports.core import periods
    from county_reports.simulator.seeding import accepted_verdicts
    from county_reports.warehouse import Warehouse

    stored = 0
    with Warehouse(url) as wh:
        wh.migrate()
        wh.sync_roster(catalog, "seed")
        for k in range(months, 0, -1):
            month = periods.shift(PERIOD, -k)
            verdicts = accepted_verdicts(catalog, month, month)
            wh.record_verdicts(verdicts, "seed")
            stored += sum(len(v.values) for v in verdicts)
    return stored


def wait_for(what: str, probe, timeout: float, procs: Processes, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        procs.check()
        value = probe()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"{what}: not within {timeout:.0f} s")


def query(engine, sql: str, **params):
    from sqlalchemy import text

    with engine.begin() as conn:
        result = conn.execute(text(sql), params)
        return result.all() if result.returns_rows else []


def run_the_month(procs: Processes, meta, run_id: str, timeout: float) -> tuple[str, PeakMemory]:
    procs.run("dags-trigger", AIRFLOW + ["dags", "trigger", DAG_ID, "--run-id", run_id,
                                         "-c", json.dumps({"period": PERIOD})])
    sampler = PeakMemory(procs.procs["scheduler"].pid)
    sampler.start()
    procs.run("dags-unpause", AIRFLOW + ["dags", "unpause", DAG_ID])

    def finished():
        # the latest scheduled run, created by unpausing: not part of the benchmark
        query(meta, "UPDATE dag_run SET state = 'failed' WHERE dag_id = :d AND run_id <> :r "
                    "AND state IN ('queued', 'running')", d=DAG_ID, r=run_id)
        [(state,)] = query(meta, "SELECT state FROM dag_run WHERE dag_id = :d AND run_id = :r",
                           d=DAG_ID, r=run_id)
        return state if state in ("success", "failed") else None

    state = wait_for(f"run {run_id}", finished, timeout, procs, 1.0)
    sampler.done.set()
    return state, sampler


def work_seconds(logs: Path, run_id: str, task_id: str, map_index: int) -> float:
    """The task's own work, from its log: after the task process has started and parsed the DAG
    ("Worker startup parse complete") until its callable returned ("Done. Returned value was")."""
    folder = logs / f"dag_id={DAG_ID}" / f"run_id={run_id}" / f"task_id={task_id}"
    if map_index >= 0:
        folder = folder / f"map_index={map_index}"
    attempts = sorted(folder.glob("attempt=*.log"))
    marks = {}
    for line in attempts[-1].read_text("utf-8", "replace").splitlines() if attempts else ():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        for key, text in (("start", "Worker startup parse complete"), ("end", "Done. Returned value")):
            if str(entry.get("event", "")).startswith(text) and key not in marks:
                marks[key] = datetime.fromisoformat(entry["timestamp"].replace("Z", "+00:00"))
    return (marks["end"] - marks["start"]).total_seconds() if len(marks) == 2 else float("nan")


def stage_times(meta, run_id: str, peaks: dict[int, int], logs: Path) -> tuple[dict, float, list]:
    rows = query(meta, "SELECT task_id, map_index, start_date, end_date, state, pid FROM task_instance "
                       "WHERE dag_id = :d AND run_id = :r ORDER BY start_date", d=DAG_ID, r=run_id)
    [(start, end)] = query(meta, "SELECT start_date, end_date FROM dag_run WHERE dag_id = :d AND run_id = :r",
                           d=DAG_ID, r=run_id)
    stages: dict[str, dict] = {}
    for task_id, map_index, t0, t1, state, pid in rows:
        stage = task_id if task_id in STAGES else f"the rest: {task_id}"
        s = stages.setdefault(stage, {"start": t0, "end": t1, "busy": 0.0, "tasks": 0, "peak": 0,
                                      "states": set(), "names": set(), "work": 0.0})
        if t0 and t1:
            s["start"], s["end"] = min(s["start"] or t0, t0), max(s["end"] or t1, t1)
            s["busy"] += (t1 - t0).total_seconds()
        s["tasks"] += 1
        s.setdefault("each", []).append((t1 - t0).total_seconds() if t0 and t1 else float("nan"))
        s["work"] = max(s["work"], work_seconds(logs, run_id, task_id, map_index))
        s["states"].add(state)
        s["names"].add(task_id)
        s["peak"] = max(s["peak"], peaks.get(pid or -1, 0))
    return stages, (end - start).total_seconds(), rows


STORED_ROWS = {   # what the store task wrote for the month, in the order a COPY must restore it
    "submissions": "SELECT * FROM submissions WHERE period = :p",
    "submission_values": "SELECT v.* FROM submission_values v JOIN submissions s ON s.id = v.submission_id "
                         "WHERE s.period = :p",
    "narratives": "SELECT n.* FROM narratives n JOIN submissions s ON s.id = n.submission_id WHERE s.period = :p",
    "validation_issues": "SELECT i.* FROM validation_issues i JOIN submissions s ON s.id = i.submission_id "
                         "WHERE s.period = :p",
    "audit": "SELECT a.* FROM audit a WHERE a.submission_id IN (SELECT id FROM submissions WHERE period = :p)",
}


def _timed_pull(args: tuple) -> float:
    config, env, codes, data_dir = args
    os.environ.update(env)
    from county_reports.collect import pulls, pull_settings
    from county_reports.core import tokens
    from county_reports.core.catalog import load_catalog

    started = time.perf_counter()      # as the task: the catalogue loaded, the batch pulled
    pulls.pull_batch(load_catalog(config), PERIOD, codes,
                     pull_settings.PullContext(data_dir=data_dir, token_lookup=tokens.env_or_file(),
                                               settings=pull_settings.load_settings()))
    return time.perf_counter() - started


def outside_airflow(config: Path, env: dict, catalog, parallelism: int, work: Path) -> list[float]:
    """The same batches pulled by plain processes, ``parallelism`` at once as the executor runs
    the mapped tasks, against the same simulator: each batch's seconds (Airflow's cost is the
    difference)."""
    from concurrent.futures import ProcessPoolExecutor

    from county_reports.collect import pull_settings, pulls

    batches = [b["units"] for b in pulls.plan_pulls(catalog, {PERIOD: [u.code for u in catalog.units]},
                                                      pull_settings.load_settings())]     # as the DAG's plan
    child_env = {k: v for k, v in env.items() if k.startswith(("AIRFLOW_CONN_", "COUNTY_REPORTS_"))}
    with ProcessPoolExecutor(min(parallelism, len(batches))) as pool:
        return list(pool.map(_timed_pull, [(config, child_env, b, work / f"outside-{i}")
                                          for i, b in enumerate(batches)]))


def tokens_in_logs(logs: Path, tokens: dict[str, str]) -> int:
    """How many unit tokens appear in clear in any task log (Airflow masks them: must be 0)."""
    text = "\n".join(p.read_text("utf-8", "replace") for p in logs.rglob("*.log"))
    return sum(token in text for token in tokens.values())


def store_floor(engine) -> tuple[float, int]:
    """The month's stored rows read back, deleted, and COPY'd back into the same tables."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        dumps = {}
        for table, select in STORED_ROWS.items():
            buf = io.StringIO()
            cur.copy_expert(f"COPY ({select.replace(':p', repr(PERIOD))}) TO STDOUT", buf)
            dumps[table] = buf.getvalue()
        subs = f"(SELECT id FROM submissions WHERE period = '{PERIOD}')"
        cur.execute(f"UPDATE submissions SET superseded_by = NULL WHERE superseded_by IN {subs}")
        for table in ("feedback", "audit", "validation_issues", "narratives", "submission_values"):
            cur.execute(f"DELETE FROM {table} WHERE submission_id IN {subs}")
        cur.execute(f"DELETE FROM submissions WHERE period = '{PERIOD}'")
        raw.commit()
        t0 = time.perf_counter()
        for table in STORED_ROWS:
            cur.copy_expert(f"COPY {table} FROM STDIN", io.StringIO(dumps[table]))
        raw.commit()
        return time.perf_counter() - t0, dumps["submission_values"].count("\n")
    finally:
        raw.close()


def report_pulls(stages: dict, outside: list[float], leaked: int) -> bool:
    """Each pull task (start to end) against the same batch pulled outside Airflow, as many at once."""
    each, plain = sorted(stages["pull"]["each"]), sorted(outside)
    ratio = each[-1] / plain[len(plain) // 2]
    met = ratio <= 2 and leaked == 0
    print(f"  pull tasks:         {each[0]:.1f}-{each[len(each) // 2]:.1f}-{each[-1]:.1f} s (min-median-max); "
          f"the same batches outside Airflow {plain[0]:.1f}-{plain[len(plain) // 2]:.1f}-{plain[-1]:.1f} s: "
          f"the slowest task {ratio:.1f}x the median batch (goal <= 2x: {'met' if ratio <= 2 else 'MISSED'})")
    print(f"  tokens in clear in the task logs: {leaked} (goal 0: {'met' if leaked == 0 else 'MISSED'})")
    return met


def report(stages: dict, whole: float, floor: float, values: int, outcomes: dict, xcom: int,
           units: int, history_values: int) -> bool:
    ok = True
    print(f"a province month through {DAG_ID} (LocalExecutor, PostgreSQL): {units:,} units, "
          f"{values:,} values stored for {PERIOD}; history in the warehouse: {history_values:,} values")
    print(f"  outcomes: {', '.join(f'{k} {v}' for k, v in sorted(outcomes.items()))}")
    met = whole <= 60
    ok &= met
    print(f"  whole run:          {whole:7.1f} s   (goal <= 60 s: {'met' if met else 'MISSED'}; load average "
          f"{os.getloadavg()[0]:.1f} now)")
    for name in (*STAGES, *sorted(n for n in stages if n not in STAGES)):
        s = stages[name]
        span = (s["end"] - s["start"]).total_seconds() if s["start"] and s["end"] else float("nan")
        extra = f"; {s['tasks']} tasks, {s['busy']:.1f} s busy in all" if s["tasks"] > 1 else ""
        print(f"  {name + ':':<29} {span:7.1f} s   (its work {s['work']:5.1f} s)   "
              f"peak {s['peak'] / 2**20:6.0f} MiB{extra}")
    store = stages.get("store")
    store_s = (store["end"] - store["start"]).total_seconds() if store else float("nan")
    work = store["work"] if store else float("nan")
    met = store_s <= 20 and work / floor <= 3
    ok &= met
    print(f"  store vs floor: the task {store_s:.1f} s, its work {work:.1f} s, vs a COPY of the same rows "
          f"into the same tables {floor:.2f} s: {store_s / floor:.2f}x, its work {work / floor:.2f}x "
          f"(goal <= 20 s and <= 3x: {'met' if met else 'MISSED'})")
    peak = max(s["peak"] for s in stages.values())
    met = 0 < peak <= 1.5 * GIB
    ok &= met
    print(f"  largest task peak:  {peak / 2**20:7.0f} MiB (VmHWM; goal <= 1536 MiB: {'met' if met else 'MISSED'})")
    print(f"  XCom, the pulls' outcomes: {xcom / 1024:.0f} KiB in all (what validate and summarise read)")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--history-months", type=int, default=12)
    ap.add_argument("--extra-indicators", type=int, default=134,
                    help="indicators added to the catalogue, reported by every unit (~150 values a unit)")
    ap.add_argument("--latency", type=float, default=0.05, help="seconds the simulator adds to each answer")
    ap.add_argument("--parallelism", type=int, default=12,
                    help="LocalExecutor task processes and unit_endpoints pool slots (3,000 units = 12 batches)")
    ap.add_argument("--timeout", type=float, default=900, help="seconds for the run itself")
    args = ap.parse_args()

    from sqlalchemy import create_engine

    from county_reports.core.catalog import load_catalog
    from county_reports.simulator import server

    work = Path(tempfile.mkdtemp(prefix="bench-province-"))
    (work / "logs").mkdir()
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        config = province_config(work, args.units)
        with_faults(config, args.units)
        with_extra_indicators(config, args.extra_indicators)
        catalog = load_catalog(config)
        tokens = server.make_tokens(catalog, server.load_profile()["seed"])
        airflow_db = stack.enter_context(ThrowAwayDatabase())
        warehouse_db = stack.enter_context(ThrowAwayDatabase())
        sim_port, api_port = free_port(), free_port()
        env = environment(work, config, airflow_db, warehouse_db, sim_port, api_port, tokens, args.parallelism)
        procs = Processes(work / "logs", env)
        stack.callback(procs.stop)
        try:
            return measure(args, procs, env, catalog, stack, create_engine)
        except BaseException:
            for name in procs.procs:
                print(f"----- {name} -----\n{procs.tail(name)}", file=sys.stderr)
            raise
    return 1


def measure(args, procs: Processes, env: dict, catalog, stack: ExitStack, create_engine) -> int:
    t0 = time.perf_counter()
    procs.start("simulator", [sys.executable, "-m", "county_reports", "simulate", "--host", "127.0.0.1",
                              "--port", env["COUNTY_REPORTS_SIMULATOR_URL"].rsplit(":", 1)[1],
                              "--latency", str(args.latency)])
    history_values = seed_history(env["COUNTY_REPORTS_DB_URL"], catalog, args.history_months)
    print(f"set-up: {history_values:,} history values seeded in {time.perf_counter() - t0:.0f} s", flush=True)
    procs.run("db-migrate", AIRFLOW + ["db", "migrate"], timeout=300)
    procs.run("pools-set", AIRFLOW + ["pools", "set", "unit_endpoints", str(args.parallelism), "pulls"])
    procs.start("api-server", AIRFLOW + ["api-server", "--host", "127.0.0.1", "--port", env["AIRFLOW__API__PORT"]])
    procs.start("scheduler", AIRFLOW + ["scheduler"])
    procs.start("dag-processor", AIRFLOW + ["dag-processor"])
    meta = create_engine(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    stack.callback(meta.dispose)
    wait_for(f"{DAG_ID} parsed", lambda: query(meta, "SELECT 1 FROM serialized_dag WHERE dag_id = :d", d=DAG_ID),
             300, procs)
    print(f"set-up done in {time.perf_counter() - t0:.0f} s; running {PERIOD}", flush=True)
    run_id = f"bench_{secrets.token_hex(4)}"
    state, sampler = run_the_month(procs, meta, run_id, args.timeout)
    stages, whole, rows = stage_times(meta, run_id, sampler.peaks, Path(env["AIRFLOW_HOME"]) / "logs")
    if state != "success":
        print(f"{DAG_ID} {run_id}: {state}; " + ", ".join(f"{r[0]}[{r[1]}] {r[4]}" for r in rows if r[4] != "success"))
    xcom = query(meta, "SELECT coalesce(sum(length(value::text)), 0) FROM xcom WHERE dag_id = :d AND run_id = :r "
                       "AND task_id = 'pull'", d=DAG_ID, r=run_id)[0][0]
    warehouse = create_engine(env["COUNTY_REPORTS_DB_URL"])
    stack.callback(warehouse.dispose)
    ledger = Path(env["COUNTY_REPORTS_DATA"]) / "collections" / f"{PERIOD}.jsonl"
    outcomes = Counter(json.loads(line)["status"] for line in ledger.read_text("utf-8").splitlines())
    for name in ("scheduler", "dag-processor", "api-server"):    # the simulator keeps answering
        os.killpg(procs.procs[name].pid, signal.SIGTERM)
        procs.procs[name].wait(30)
    outside = outside_airflow(Path(env["COUNTY_REPORTS_CONFIG"]), env, catalog, args.parallelism,
                              Path(env["COUNTY_REPORTS_DATA"]).parent)
    procs.stop()   # the floor is measured on a quiet machine, as the store ran
    floor, values = store_floor(warehouse)
    ok = report(stages, whole, floor, values, outcomes, xcom, args.units, history_values)
    tokens = json.loads(Path(env["COUNTY_REPORTS_SECRETS"]).read_text(encoding="utf-8"))
    ok &= report_pulls(stages, outside, tokens_in_logs(Path(env["AIRFLOW_HOME"]) / "logs", tokens))
    return 0 if ok and state == "success" else 1


if __name__ == "__main__":
    raise SystemExit(main())
