"""Render time of the summaries: one county half-year document, and 100 county documents.

A warehouse is filled once from the simulator's clean data (2024-01 … 2025-06, 17 units). Each
measurement is the whole render stage as the DAG runs it: read the warehouse, aggregate, compose,
write the .docx, the figure sidecar and the .xlsx. The 100 documents are 100 counties' summaries
(the same figures under 100 bureau names), rendered one after another in one process.

    .venv/bin/python benchmarks/bench_render.py [--documents 100] [--projects]

``--projects`` also stores the simulator's key-project rows and events for every submission
(issue 19), so the document has its projects paragraph, events and 附件2.
"""
from __future__ import annotations

import argparse
import dataclasses
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=100)
    parser.add_argument("--projects", action="store_true", help="seed key-project rows and events")
    args = parser.parse_args()

    from county_reports.render import summaries
    from county_reports.core.catalog import load_catalog
    from county_reports.simulator.seeding import accepted_verdicts
    from county_reports.warehouse import Warehouse

    work = Path(tempfile.mkdtemp(prefix="bench-render-"))
    catalog = load_catalog()
    warehouse = Warehouse(f"sqlite:///{work / 'warehouse.db'}")
    warehouse.migrate()
    warehouse.sync_roster(catalog, "bench")
    results = warehouse.record_verdicts(accepted_verdicts(catalog, "2024-01", "2025-06"), "bench")
    if args.projects:
        seed_projects(warehouse, catalog, results)
    plan = summaries.plan("half_year", 2025, summaries.load_settings())
    try:
        summaries.write_summary(warehouse, catalog, plan, work / "warm")     # imports, caches
        singles = []
        for i in range(5):
            t = time.perf_counter()
            built = summaries.write_summary(warehouse, catalog, plan, work / f"one-{i}")
            singles.append(time.perf_counter() - t)
        t = time.perf_counter()
        for i in range(args.documents):
            county = dataclasses.replace(catalog, bureau=dataclasses.replace(
                catalog.bureau, name=f"第{i + 1}县交通运输局"))
            summaries.write_summary(warehouse, county, plan, work / f"county-{i}")
        many = time.perf_counter() - t
    finally:
        warehouse.close()
        shutil.rmtree(work, ignore_errors=True)

    print(f"{'with' if args.projects else 'without'} key-project rows and events")
    print(f"one county half-year document ({built['figures']} figures): median {statistics.median(singles):.2f} s "
          f"(min {min(singles):.2f}, max {max(singles):.2f}; goal <= 0.5 s)")
    print(f"{args.documents} county documents: {many:.1f} s, {many / args.documents:.2f} s each (goal <= 60 s)")
    return 0


def seed_projects(warehouse, catalog, results) -> None:
    """The simulator's ledger rows and events of each stored submission, read by the real checks."""
    from county_reports.validate.projects.events import check_events
    from county_reports.validate.projects.ledger import check_rows
    from county_reports.core.projects.register import load_register
    from county_reports.core.projects.vocabulary import load_vocabulary
    from county_reports.simulator.data import SubmissionGenerator
    from county_reports.simulator.projects import ProjectSimulator
    from county_reports.simulator.seeding import load_profile
    from county_reports.warehouse import projects as stored

    profile = load_profile()
    sim = ProjectSimulator(catalog, SubmissionGenerator(catalog, seed=profile.seed, sizes=profile.sizes),
                           load_register(catalog))
    vocabulary = load_vocabulary()
    for r in sorted(results, key=lambda r: (r["unit"], r["period"])):
        name = catalog.unit_by_code[r["unit"]].name
        projects, events = sim.lists(r["unit"], r["period"])
        rows, _ = check_rows({"projects": projects}, unit=r["unit"], unit_name=name, period=r["period"],
                             register=sim.register, vocabulary=vocabulary,
                             previous=stored.previous_rows(warehouse.engine, r["unit"], r["period"]))
        read, _ = check_events({"events": events}, unit=r["unit"], unit_name=name, period=r["period"],
                               vocabulary=vocabulary)
        stored.store_rows(warehouse.engine, r["submission_id"], rows, read)


if __name__ == "__main__":
    sys.exit(main())
