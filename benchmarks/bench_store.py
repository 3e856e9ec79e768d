"""Store benchmark: a province month (3,000 verdicts × 150 indicators ≈ 450,000 values) into the warehouse.

    .venv/bin/python benchmarks/bench_store.py [--units 3000] [--indicators 150] [--repeat 3] [--sqlite]

Each repeat uses a fresh PostgreSQL database (``COUNTY_REPORTS_BENCH_PG_URL``, default the local
server, user postgres) migrated to head, and times ``Warehouse.record_verdicts`` for the month
(about 1 % rejected with issues, 5 % accepted with warnings, every unit with two narrative items),
then the same month again (every verdict a duplicate).

The floor, measured in the same run: the rows that ``record_verdicts`` wrote are read back
(``COPY … TO STDOUT``), the tables emptied, and the very same rows ``COPY``'d into the same
tables (same indexes and constraints) — once for submission_values alone (the issue's 0.26 s
figure) and once for every table written (submissions, values, narratives, issues, audit).
Goals: store ≤ 20 s, and ≤ 3× the floor (every table).
"""
from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from county_reports.validate.model import Issue, Verdict  # noqa: E402

PG_URL = os.environ.get("COUNTY_REPORTS_BENCH_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
PERIOD = "2025-06"
TABLES = ("submissions", "submission_values", "narratives", "validation_issues", "audit")


def month(n_units: int, n_indicators: int, period: str = PERIOD, seed: int = 7,
          unit_codes: list[str] | None = None) -> list[Verdict]:
    """A province month of verdicts, as validation hands them over."""
    rng = random.Random(seed)
    codes = [f"IND_{i:03d}" for i in range(n_indicators)]
    units = unit_codes or [f"U{i:05d}" for i in range(n_units)]
    out = []
    for unit in units:
        values = {c: round(rng.uniform(1, 5000), 2) for c in codes}
        raw = {c: str(x) for c, x in values.items()}
        roll = rng.random()
        status, issues = "accepted", ()
        if roll < 0.01:
            status = "rejected"
            issues = (Issue(unit, period, "IND_001", "-5", "BOUNDS", "error",
                            f"{unit} {period} 指标1 值 -5 小于下限 0。"),)
        elif roll < 0.06:
            status = "accepted_with_warnings"
            issues = (Issue(unit, period, "IND_004", raw["IND_004"], "OUTLIER", "warning",
                            f"{unit} {period} 指标4 与上年同期相比变化较大，请核实。"),)
        y, m = (int(x) for x in period.split("-"))
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        received = f"{ny}-{nm:02d}-03T09:{rng.randint(0, 59):02d}:00+08:00"
        out.append(Verdict(unit=unit, period=period, sha256=f"{uuid.uuid5(uuid.NAMESPACE_OID, unit + period).hex}" * 2,
                           source="http", received_at=received, submitted_at=received, status=status,
                           values=values, raw_values=raw,
                           narratives=({"kind": "highlight", "section": "s1", "text": f"{unit}完成农村公路建设任务。"},
                                       {"kind": "problem", "section": "s2", "text": "资金到位较慢，\n需协调。"}),
                           contact={"name": "张三", "phone": "0000-0000000"}, issues=issues))
    return out


class ThrowAwayDatabase:
    def __init__(self, admin_url: str = PG_URL):
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.name = f"county_reports_bench_{uuid.uuid4().hex[:12]}"
        self.url = make_url(admin_url).set(database=self.name).render_as_string(hide_password=False)

    def __enter__(self) -> str:
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        return self.url

    def __exit__(self, *exc) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def copy_floor(engine, tables=TABLES) -> float:
    """Read back what is in ``tables``, empty them, COPY the same rows back: the COPY's time."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        dumps = {}
        for table in tables:
            buf = io.StringIO()
            cur.copy_expert(f"COPY {table} TO STDOUT", buf)
            dumps[table] = buf.getvalue()
        cur.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")
        raw.commit()
        t0 = time.perf_counter()
        for table in tables:
            cur.copy_expert(f"COPY {table} FROM STDIN", io.StringIO(dumps[table]))
        raw.commit()
        return time.perf_counter() - t0
    finally:
        raw.close()


def bare_copy(engine) -> float:
    """The issue's own floor: the value rows COPY'd into a table with no index, key or constraint."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        buf = io.StringIO()
        cur.copy_expert("COPY submission_values TO STDOUT", buf)
        cur.execute("CREATE TEMP TABLE bare_values (submission_id int, indicator text, value float8, raw_value text)")
        t0 = time.perf_counter()
        cur.copy_expert("COPY bare_values FROM STDIN", io.StringIO(buf.getvalue()))
        raw.commit()
        return time.perf_counter() - t0
    finally:
        raw.close()


def one_run(verdicts, sqlite_dir: Path | None) -> dict[str, float]:
    from county_reports.warehouse import Warehouse

    out: dict[str, float] = {}
    if sqlite_dir is not None:
        with Warehouse(f"sqlite:///{sqlite_dir / f'w-{uuid.uuid4().hex[:6]}.db'}") as wh:
            wh.migrate()
            t0 = time.perf_counter()
            wh.record_verdicts(verdicts, "bench")
            out["sqlite_store"] = time.perf_counter() - t0
        return out
    with ThrowAwayDatabase() as url, Warehouse(url) as wh:
        wh.migrate()
        t0 = time.perf_counter()
        stored = wh.record_verdicts(verdicts, "bench")
        out["store"] = time.perf_counter() - t0
        assert sum(r["outcome"] == "new" for r in stored) == len(verdicts)
        t0 = time.perf_counter()
        again = wh.record_verdicts(verdicts, "bench-2")
        out["rerun"] = time.perf_counter() - t0
        assert all(r["outcome"] == "duplicate" for r in again)
        with wh.engine.connect() as conn:
            out["values"] = conn.execute(text("SELECT count(*) FROM submission_values")).scalar_one()
        out["floor_bare"] = bare_copy(wh.engine)
        out["floor_all"] = copy_floor(wh.engine)
        out["floor_values"] = copy_floor(wh.engine, ("submissions", "submission_values"))
        # the values alone: submissions are needed for the foreign key, so time them apart
        out["floor_values"] -= copy_floor(wh.engine, ("submissions",))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--indicators", type=int, default=150)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sqlite", action="store_true", help="also time the SQLite warehouse")
    args = ap.parse_args()

    verdicts = month(args.units, args.indicators)
    runs = [one_run(verdicts, None) for _ in range(args.repeat)]
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    all_runs = ", ".join(f"{r['store']:.2f}" for r in runs)
    print(f"a province month: {len(verdicts):,} verdicts, {int(med['values']):,} values; "
          f"median of {args.repeat} runs (PostgreSQL, fresh database each)")
    print(f"  record_verdicts, new month:      {med['store']:6.2f} s   (goal <= 20 s: "
          f"{'met' if med['store'] <= 20 else 'MISSED'}; all runs: {all_runs})")
    print(f"  floor, COPY of the same rows:    {med['floor_all']:6.2f} s   (every table written)")
    print(f"  floor, COPY of the value rows:   {med['floor_values']:6.2f} s   (submission_values alone)")
    ratio = med["store"] / med["floor_all"]
    print(f"  ratio to the floor:              {ratio:6.2f}x  (goal <= 3x: {'met' if ratio <= 3 else 'MISSED'}); "
          f"to the value rows alone: {med['store'] / med['floor_values']:.2f}x")
    print(f"  (a bare COPY of the value rows into a table without index, key or constraint: "
          f"{med['floor_bare']:.2f} s, {med['store'] / med['floor_bare']:.1f}x)")
    print(f"  record_verdicts, re-run (all duplicates): {med['rerun']:.2f} s")
    if args.sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            sq = statistics.median(one_run(verdicts, Path(tmp))["sqlite_store"] for _ in range(args.repeat))
        print(f"  SQLite, new month:               {sq:6.2f} s")
    return 0 if med["store"] <= 20 else 1


if __name__ == "__main__":
    raise SystemExit(main())
