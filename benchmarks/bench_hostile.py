"""Collection against hostile endpoints: how long a batch takes, how much memory a pull needs.

1. **Run time with one drip endpoint among 17 units** (the county's roster; TS01 sends its
   headers one byte a second, forever). *Before*: the previous client (requests with urllib3
   retries and a per-read timeout, no deadline) — it never ends; measured with a cap. *After*:
   ``pulls.pull_batch`` with the shipped ``collection.yaml``. Goal: at most
   ``unit_deadline_seconds`` + the watchdog's grace (+1 s of slack).
2. **Peak memory** (``ru_maxrss`` of a child process that pulls) of a batch that meets a 200 MB
   body and a gzip bomb (1 GiB of spaces, ~1 MB on the wire), against a batch of healthy units
   only. Goal: at most 2 × ``max_body_bytes`` + 50 MB above the healthy batch.

    .venv/bin/python benchmarks/bench_hostile.py [--before-cap 60] [--deadline SECONDS]

``--deadline`` overrides ``unit_deadline_seconds`` (default: the shipped value) for a quicker run.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "include"))

PERIOD = "2024-08"   # all 17 units of the roster active (TS09 until 2024-09, TS11 from 2024-07)
SEED = 20240101


def before_pull(catalog, codes, url, tokens, settings) -> None:
    """The client as it was: requests + urllib3 Retry, a read timeout per socket read, no deadline."""
    from concurrent.futures import ThreadPoolExecutor

    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    def one(code):
        retry = Retry(total=settings.retries, connect=settings.retries, read=1, status=settings.retries,
                      backoff_factor=settings.backoff, backoff_max=10,
                      status_forcelist=frozenset({429, 500, 502, 503, 504}), allowed_methods=frozenset({"GET"}),
                      raise_on_status=False, respect_retry_after_header=True)
        with requests.Session() as session:
            session.mount("http://", HTTPAdapter(max_retries=retry))
            unit = catalog.unit_by_code[code]
            try:
                with session.get(f"{url}/units/{code}/submissions/{PERIOD}", stream=True,
                                 headers={"Authorization": f"Bearer {tokens[unit.token_conn_id]}"},
                                 timeout=(settings.connect_timeout, settings.read_timeout)) as answer:
                    for _ in answer.iter_content(65536):
                        pass
            except requests.RequestException:
                pass

    with ThreadPoolExecutor(max_workers=settings.concurrency) as pool:
        list(pool.map(one, codes))


def child_memory(url: str, codes: list[str], deadline: float | None) -> None:
    """Runs in the child process: one pull_batch, then its peak RSS is read by the parent."""
    from county_reports.collect import pulls, pull_settings
    from county_reports.core.catalog import load_catalog
    from county_reports.simulator import server

    catalog = load_catalog()
    tokens = server.make_tokens(catalog, SEED)
    settings = pull_settings.load_settings()
    if deadline:
        settings = pull_settings.PullSettings(**{**settings.as_dict(), "unit_deadline_seconds": deadline})
    with tempfile.TemporaryDirectory() as tmp:
        context = pull_settings.PullContext(data_dir=Path(tmp), token_lookup=tokens.get, settings=settings,
                                            environ={"COUNTY_REPORTS_SIMULATOR_URL": url})
        outcomes = pulls.pull_batch(catalog, PERIOD, codes, context)
    print(json.dumps({o["unit"]: [o["status"], o["size"]] for o in outcomes if o["unit"] in ("TS01", "TS02")}))


def measure_child(url: str, codes: list[str], deadline: float | None) -> tuple[float, str]:
    """Peak RSS in MB of a fresh child process that pulls ``codes``."""
    code = (f"import sys; sys.path.insert(0, {str(REPO / 'benchmarks')!r}); import bench_hostile as b; "
            f"b.child_memory({url!r}, {codes!r}, {deadline!r})")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read().strip()
    _, _, usage = os.wait4(proc.pid, 0)     # the child's own peak resident set
    return usage.ru_maxrss / 1024, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before-cap", type=float, default=60.0)
    parser.add_argument("--deadline", type=float, default=None)
    args = parser.parse_args()

    from county_reports.collect import pull_settings, pulls
    from county_reports.core.catalog import load_catalog
    from county_reports.simulator import server
    from county_reports.simulator.hostile import HostileServer

    catalog = load_catalog()
    tokens = server.make_tokens(catalog, SEED)
    settings = pull_settings.load_settings()
    if args.deadline:
        settings = pull_settings.PullSettings(**{**settings.as_dict(), "unit_deadline_seconds": args.deadline})
    codes = [u.code for u in pulls.select_units(catalog, PERIOD)]
    sim = server.SimulatorServer(catalog, tokens, host="127.0.0.1", port=0, profile=server.Profile())
    sim.start()
    try:
        with HostileServer(sim.url, oversized_bytes=200_000_000, bomb_bytes=1 << 30) as hostile:
            hostile.set("TS01", "drip_headers")
            print(f"1. {len(codes)} units, TS01 drips its headers at 1 byte/s; "
                  f"unit_deadline_seconds = {settings.unit_deadline_seconds:g}")
            done = threading.Event()
            started = time.monotonic()
            threading.Thread(target=lambda: (before_pull(catalog, codes, hostile.url, tokens, settings), done.set()),
                             daemon=True).start()
            finished = done.wait(args.before_cap)
            before = time.monotonic() - started
            print(f"   before (requests, per-read timeout): "
                  f"{f'{before:.1f} s' if finished else f'> {args.before_cap:.0f} s (still running: unbounded)'}")
            started = time.monotonic()
            with tempfile.TemporaryDirectory() as tmp:
                context = pull_settings.PullContext(data_dir=Path(tmp), token_lookup=tokens.get, settings=settings,
                                                    environ={"COUNTY_REPORTS_SIMULATOR_URL": hostile.url})
                outcomes = pulls.pull_batch(catalog, PERIOD, codes, context)
            after = time.monotonic() - started
            goal = settings.unit_deadline_seconds + pulls.WATCHDOG_GRACE_S + 1
            received = sum(o["status"] == "received" for o in outcomes)
            drip = next(o for o in outcomes if o["unit"] == "TS01")
            print(f"   after  (deadline per unit):          {after:.1f} s  (goal <= {goal:g} s; "
                  f"{received} received, TS01 {drip['status']}: {drip['reason']})")

            hostile.behaviour.clear()
            baseline, _ = measure_child(hostile.url, codes, args.deadline)
            hostile.set("TS01", "stream")        # 200 MB, as fast as the socket takes it
            hostile.set("TS02", "gzip_bomb")     # 1 GiB inflated
            wire = hostile.prepare_bomb()
            peak, seen = measure_child(hostile.url, codes, args.deadline)
            cap_mb = settings.max_body_bytes / 1e6
            print(f"2. peak memory of a pulling child process (ru_maxrss), max_body_bytes = {cap_mb:g} MB")
            print(f"   healthy units only:                   {baseline:6.0f} MB")
            print(f"   with a 200 MB body and a gzip bomb ({wire / 1e6:.1f} MB on the wire):")
            print(f"                                         {peak:6.0f} MB  (+{peak - baseline:.0f} MB; "
                  f"goal <= +{2 * cap_mb + 50:.0f} MB)  {seen}")
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
