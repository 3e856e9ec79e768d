"""A city of 20 county deployments, pulled and summarised (issue 22 part 4): goal ≤ 120 s.

Real processes on 127.0.0.1. Each county is a deployment of its own: its config (the shipped
county config, ``bureau.yaml`` ``code`` = its code in the city's roster), its warehouse (its
units' accepted January–June 2025, simulated by ``simulator/city.py`` with the county's own seed
and scale) and its own ``airflow api-server`` (FAB auth manager, one uvicorn worker) serving the
status plugin's federation route. The first county's server is set up as the tests set one up
(db migrate, the role CountyReportsFederation, the city's service account); the other 19 start
on a copy of its metadata DB with a JWT secret of their own (a token one county signs, no other
accepts). The servers' start is set-up, timed apart from the goal.

The city (include/config/city over these 20 counties, ``airflow_url`` + ``conn_id``, the
service account's password in ``AIRFLOW_CONN_…``) then runs what collect_monthly runs —
``runs.collect_monthly`` plan → pull (a token from each county's ``/auth/token``, then its month) →
validate (Great Expectations) → store — for the six months, and renders its half-year summary
2025. Printed: each phase's time, the total against the goal, and a check that every county's
June INV_TOTAL in the city equals its own warehouse's figure.

    .venv/bin/python benchmarks/bench_city.py [--counties 20] [--keep]
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))
sys.path.insert(0, str(ROOT / "tests"))

from city_deployments import (city_config, county_config, county_server, logins_env,  # noqa: E402
                              seed_county, start_clone, wait_up)

GOAL_S = 120.0
FIRST, LAST = "2025-01", "2025-06"
MOMENT = datetime(2025, 7, 8, 2, tzinfo=UTC)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-city-"))
    servers = {}
    try:
        servers = setup(root, args.counties)
        return run(root, servers)
    finally:
        for server in servers.values():
            server.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def setup(root: Path, n: int) -> dict:
    from county_reports.core.catalog import load_catalog

    t0 = time.monotonic()
    codes = [f"CT{i:02d}" for i in range(1, n + 1)]
    servers, configs = {}, {}
    for code in codes:
        configs[code] = county_config(root / code, code)
        servers[code] = county_server(root / code, root / code / "data", configs[code])
    city_cfg = city_config(root, {c: (f"第{i}县", servers[c].url) for i, c in enumerate(codes, 1)})
    city = load_catalog(city_cfg)
    for c in codes:          # one at a time: alembic's migration context is process-global
        seed_county(servers[c].data_dir, city, city_cfg, c, FIRST, LAST, load_catalog(configs[c]))
    print(f"set-up: {n} county warehouses seeded ({FIRST}…{LAST}) in {time.monotonic() - t0:.1f} s")
    t1 = time.monotonic()
    first = servers[codes[0]].start()
    print(f"set-up: first county api-server (migrate, role, users) in {time.monotonic() - t1:.1f} s")
    t2 = time.monotonic()
    for code in codes[1:]:
        start_clone(first, servers[code])        # the port the city's units.yaml names
    for code in codes[1:]:
        wait_up(servers[code], timeout=900)
    print(f"set-up: {n - 1} more api-servers up in {time.monotonic() - t2:.1f} s")
    os.environ.update({"COUNTY_REPORTS_CONFIG": str(city_cfg), "COUNTY_REPORTS_DATA": str(root / "city-data"),
                       **logins_env(servers)})
    return servers


def run(root: Path, servers: dict) -> int:
    from county_reports.runs import collect_monthly
    from county_reports.aggregate import federation
    from county_reports.render import summaries
    from county_reports.core import tokens
    from county_reports.core.catalog import load_catalog
    from county_reports.warehouse import Warehouse

    phases = {}

    def timed(name, fn):
        t = time.monotonic()
        out = fn()
        phases[name] = time.monotonic() - t
        print(f"  {name:<9} {phases[name]:6.1f} s")
        return out

    run_id = "bench-city"
    print(f"the city: {len(servers)} counties × {FIRST}…{LAST}")
    # One batch per month (every county, 32 at a time), as a mapped pull task beyond
    # per_unit_up_to; at this size the DAG maps one task per county-month, run side by side.
    batches = timed("plan", lambda: [{"period": m, "units": [c for b in planned if b["period"] == m
                                                             for c in b["units"]]}
                                     for planned in [collect_monthly.plan({"period": FIRST, "through": LAST}, MOMENT)]
                                     for m in sorted({b["period"] for b in planned})])
    outcomes = timed("pull", lambda: [collect_monthly.pull(b, lambda c: None, record_as=(run_id, 1),
                                                          credentials=tokens.logins_from_env()) for b in batches])
    failed = [o for batch in outcomes for o in batch if o["status"] != "received"]
    for o in failed[:5]:
        print(f"  NOT received: {o['unit']} {o['period']}: {o['status']} {o.get('reason')}")
    validated = timed("validate", lambda: collect_monthly.validate(outcomes, run_id))
    stored = timed("store", lambda: collect_monthly.store(validated, run_id))
    city = load_catalog()

    def render():
        with Warehouse() as warehouse:
            settings = summaries.load_settings()
            return summaries.write_summary(warehouse, city, summaries.plan("half_year", 2025, settings),
                                           root / "city-out")
    built = timed("render", render)
    total = sum(phases.values())
    statuses = Counter(r["status"] for r in stored)
    accepted = statuses["accepted"] + statuses["accepted_with_warnings"]
    print(f"  total     {total:6.1f} s   goal ≤ {GOAL_S:.0f} s: {'met' if total <= GOAL_S else 'NOT met'}")
    print(f"stored {len(stored)} county-months: {dict(statuses)}; document {Path(built['docx']).name}")
    with Warehouse() as warehouse:
        values = warehouse.current_values([LAST])
    wrong = []
    for code, server in servers.items():
        with Warehouse(f"sqlite:///{server.data_dir / 'warehouse.db'}", read_only=True) as county:
            own = federation.county_totals(county, load_catalog(server.config), LAST)["INV_TOTAL"]
        got = values[(values["unit"] == code) & (values["indicator"] == "INV_TOTAL")]["value"]
        if got.empty or abs(float(got.iloc[0]) - own) > 1e-6:
            wrong.append(code)
    print(f"June INV_TOTAL equal to each county's warehouse: {len(servers) - len(wrong)}/{len(servers)}"
          + (f" (differs: {', '.join(wrong)})" if wrong else ""))
    ok = total <= GOAL_S and not wrong and accepted == len(servers) * 6
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
