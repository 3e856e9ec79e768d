"""All counties' summaries in one run: 100 county half-year documents from one shared warehouse.

    .venv/bin/python benchmarks/bench_counties.py [--counties 100] [--check 10] [--url URL]

Each county is the real catalogue with its own bureau name and its units' codes prefixed
(``C007TS01`` …), with its own seeded figures (2024-01 … 2025-06, every unit, clean data); all
counties' verdicts are stored in one warehouse (SQLite file by default, ``--url`` for PostgreSQL)
with ``record_verdicts``. Timed: ``counties.render_counties`` — every county rendered from the
shared warehouse, ``--workers`` processes side by side (default 2, the machine's cores; what the
mapped tasks do, one county each):
read its units' rows, aggregate, compose, write the .docx, the figure sidecar and the .xlsx.

Floor: rendering one county from a warehouse that holds that county alone (median over the
``--check`` counties, × the number of counties). Those ``--check`` counties are also compared:
their .docx and sidecar from the shared warehouse must be byte-identical to rendering them alone.
Goal: ≤ 60 s for 100 counties.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))


def county(real, n: int):
    units = tuple(dataclasses.replace(u, code=f"C{n:03d}{u.code}") for u in real.units)
    bureau = dataclasses.replace(real.bureau, name=f"第{n + 1}县交通运输局", county=f"第{n + 1}县")
    return dataclasses.replace(real, units=units, bureau=bureau)


def digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counties", type=int, default=100)
    ap.add_argument("--check", type=int, default=10, help="counties also rendered alone (floor and byte check)")
    ap.add_argument("--url", help="the shared warehouse (default: a SQLite file in a temp folder)")
    ap.add_argument("--workers", type=int, default=2, help="processes rendering counties side by side (2 cores)")
    args = ap.parse_args()

    from county_reports.render import counties, summaries
    from county_reports.core.catalog import load_catalog
    from county_reports.core.projects.register import Register
    from county_reports.render import compose
    from county_reports.simulator.seeding import accepted_verdicts
    from county_reports.warehouse import Warehouse

    work = Path(tempfile.mkdtemp(prefix="bench-counties-"))
    real = load_catalog()
    catalogs = {f"county{n:03d}": county(real, n) for n in range(args.counties)}
    report = summaries.plan("half_year", 2025, summaries.load_settings())
    wording = compose.load_wording()
    try:
        t0 = time.perf_counter()
        data = {name: accepted_verdicts(c, "2024-01", "2025-06", seed=n)
                for n, (name, c) in enumerate(catalogs.items())}
        generated = time.perf_counter() - t0
        shared = Warehouse(args.url or f"sqlite:///{work / 'shared.db'}")
        shared.migrate()
        t0 = time.perf_counter()
        shared.record_verdicts([v for rows in data.values() for v in rows], "bench")
        stored = time.perf_counter() - t0
        n_verdicts = sum(len(rows) for rows in data.values())
        print(f"{args.counties} counties × {len(real.units)} units × 18 months: {n_verdicts:,} verdicts "
              f"generated in {generated:.1f} s, stored in one warehouse in {stored:.1f} s ({shared!r})")

        counties.render_county(shared, catalogs["county000"], report, work / "warm", wording=wording)
        t0 = time.perf_counter()
        together = counties.render_counties(shared, catalogs, report, work / "together", wording=wording,
                                            workers=args.workers)
        many = time.perf_counter() - t0

        step = max(1, args.counties // max(1, args.check))
        checked = list(catalogs)[::step][:args.check]
        alone_times, same = [], 0
        for name in checked:
            with Warehouse(f"sqlite:///{work / f'{name}.db'}") as own:
                own.migrate()
                own.record_verdicts(data[name], "bench")
                t0 = time.perf_counter()
                built = summaries.write_summary(own, catalogs[name], report, work / "alone" / name, wording=wording,
                                                register=Register())     # as render_county: no projects
                alone_times.append(time.perf_counter() - t0)
            same += (digest(built["docx"]) == digest(together[name]["docx"])
                     and digest(built["sidecar"]) == digest(together[name]["sidecar"]))
        shared.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    floor = statistics.median(alone_times) * args.counties
    distinct = len({r["sha256"] for r in together.values()})
    floor /= max(1, args.workers)
    print(f"{args.counties} county documents from the shared warehouse, {args.workers} process(es): {many:.1f} s, "
          f"{many / args.counties:.2f} s each (goal <= 60 s: {'met' if many <= 60 else 'MISSED'})")
    print(f"floor: one county rendered from a warehouse of its own, median {statistics.median(alone_times):.2f} s "
          f"× {args.counties} / {args.workers} process(es) = {floor:.1f} s; ratio {many / floor:.2f}x")
    print(f"byte-identical to rendering alone (.docx and sidecar): {same} of {len(checked)} checked; "
          f"{distinct} distinct documents")
    return 0 if many <= 60 and same == len(checked) else 1


if __name__ == "__main__":
    raise SystemExit(main())
