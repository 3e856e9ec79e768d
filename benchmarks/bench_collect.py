"""Pulling a province: 3,000 simulated endpoints with 50 ms latency, sequentially vs the DAG's way.

The DAG's way: units cut into batches of ``batch_size`` (collection.yaml), one mapped task per
batch, ``pool_slots`` tasks at once (processes here, as Airflow's executor runs them), each
pulling its batch with ``concurrency`` threads.

    .venv/bin/python benchmarks/bench_collect.py [--units 3000] [--latency 0.05] [--sequential-sample 0]

``--sequential-sample N`` times N units sequentially and extrapolates (for a quick run); the
default pulls all of them one after another.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
KIND_CYCLE = ["township_station"] * 6 + ["road_centre", "service_centre", "enforcement_brigade",
                                          "water_centre", "quality_station"]


def province_config(root: Path, units: int) -> Path:
    """The real catalogue with a synthetic roster of ``units`` units."""
    config = root / "config"
    shutil.copytree(REPO / "include" / "config", config)
    roster = yaml.safe_load((config / "units.yaml").read_text(encoding="utf-8"))
    roster["units"] = [
        {"code": f"P{i:04d}", "name": f"第{i}单位", "kind": KIND_CYCLE[i % len(KIND_CYCLE)],
         "base_url": "${COUNTY_REPORTS_SIMULATOR_URL}/units/" + f"P{i:04d}",
         "token_conn_id": f"unit_p{i:04d}", "deadline_day": 5, "active_from": "2024-01"}
        for i in range(units)]
    (config / "units.yaml").write_text(yaml.safe_dump(roster, allow_unicode=True), encoding="utf-8")
    return config


def _pull(args: tuple) -> list[dict]:
    config, period, codes, data_dir, tokens, settings = args
    from county_reports.collect import pull_settings, pulls
    from county_reports.core.catalog import load_catalog

    return pulls.pull_batch(load_catalog(config), period, codes,
                            pull_settings.PullContext(data_dir=data_dir, token_lookup=tokens.get, settings=settings))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=3000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--pool-slots", type=int, default=4, help="mapped tasks at once (executor parallelism)")
    parser.add_argument("--sequential-sample", type=int, default=0)
    args = parser.parse_args()

    from county_reports.collect import pull_settings, pulls
    from county_reports.core.catalog import load_catalog
    from county_reports.simulator import server

    work = Path(tempfile.mkdtemp(prefix="bench-collect-"))
    config = province_config(work, args.units)
    catalog = load_catalog(config)
    tokens = server.make_tokens(catalog, 7)
    sim = server.SimulatorServer(catalog, tokens, port=0, profile={**server.load_profile(), "faults": []},
                                 latency=args.latency)
    os.environ["COUNTY_REPORTS_SIMULATOR_URL"] = sim.start()
    period = "2025-03"
    codes = [u.code for u in catalog.units]
    dag_settings = pull_settings.load_settings()
    print(f"{args.units} endpoints, {args.latency * 1000:.0f} ms latency each; "
          f"DAG way: batches of {dag_settings.batch_size}, {args.pool_slots} mapped tasks at once, "
          f"{dag_settings.concurrency} threads per task")

    try:
        sample = codes[:args.sequential_sample] if args.sequential_sample else codes
        one_by_one = pull_settings.PullSettings(**{**dag_settings.as_dict(), "concurrency": 1})
        t = time.perf_counter()
        one_at_a_time = pull_settings.PullContext(data_dir=work / "seq", token_lookup=tokens.get, settings=one_by_one)
        out = pulls.pull_batch(catalog, period, sample, one_at_a_time)
        sequential = (time.perf_counter() - t) * len(codes) / len(sample)
        assert all(o["status"] == "received" for o in out), "sequential pull had failures"

        batches = pulls.plan_batches(codes, dag_settings.batch_size)
        t = time.perf_counter()
        with ProcessPoolExecutor(args.pool_slots) as pool:
            results = list(pool.map(_pull, [(config, period, b, work / "dag", tokens, dag_settings)
                                            for b in batches]))
        dag_way = time.perf_counter() - t
        received = sum(o["status"] == "received" for r in results for o in r)
        assert received == len(codes), f"only {received} of {len(codes)} received"
    finally:
        sim.stop()
        shutil.rmtree(work, ignore_errors=True)

    label = "sequential" + (f" (extrapolated from {len(sample)})" if args.sequential_sample else "")
    print(f"{label:<40} {sequential:8.1f} s  {len(codes) / sequential:7.0f} units/s")
    print(f"{'DAG way (' + str(len(batches)) + ' batches)':<40} {dag_way:8.1f} s  {len(codes) / dag_way:7.0f} units/s")
    print(f"speed-up: {sequential / dag_way:.1f}x (goal >= 15x)")
    # no faster with this many requests in flight: every endpoint's latency, pool_slots × concurrency at a time
    floor = len(codes) * args.latency / (args.pool_slots * dag_settings.concurrency)
    print(f"concurrency floor {floor:.1f} s: the DAG way {dag_way / floor:.1f}x (goal <= 3x: "
          f"{'met' if dag_way <= 3 * floor else 'MISSED'}; load average {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
