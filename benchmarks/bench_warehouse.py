"""The warehouse at size: a province year (3,000 units × 150 indicators × 12 months ≈ 5.4 million
values, with versions and corrections) on PostgreSQL, and the reads that must stay interactive.

    .venv/bin/python benchmarks/bench_warehouse.py [--rebuild] [--repeat 5] [--explain]

A province is 100 counties × 30 units (codes ``C000U00`` …, distinct per county). The warehouse
has no county column: a county is its catalogue's roster, so a county's reads filter by its
units' codes (``Warehouse.scoped(codes)``, the way ``counties.render_county`` reads).

The database ``county_reports_bench_year`` is built once with ``record_verdicts`` (the bulk
path; about 5 % of unit-months corrected, 1 % with a rejected correction, 2 % missing) and
kept for the next run (``--rebuild`` builds it again; ``--drop`` removes it at the end).

Timed (median of ``--repeat``), each with its goal and the ratio to its floor (the same SQL
fetched as bare tuples with the driver, no SQLAlchemy rows or pandas):

* a county's half-year figures: what ``summaries.write_summary`` reads — current values of the half
  year and of the same half of last year, completeness of the half year, current narratives —
  for one county of 30 units: goal ≤ 1 s;
* the status page: latest month, completeness of the last 12 months for the whole province
  (3,000 units × 12 months) and the reporting rate from it: goal ≤ 1 s;
* completeness of one month for the province (the collect DAG's notify step).
"""
from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench_store import PG_URL, month  # noqa: E402
from county_reports.core import periods  # noqa: E402

DB = "county_reports_bench_year"
YEAR = 2025
COUNTIES, UNITS_PER_COUNTY, INDICATORS = 100, 30, 150


def county_codes(c: int) -> list[str]:
    return [f"C{c:03d}U{u:02d}" for u in range(UNITS_PER_COUNTY)]


def province_catalog(counties: int):
    from county_reports.core.catalog import Unit, load_catalog

    real = load_catalog()
    units = tuple(Unit(code=code, name=f"第{c + 1}县第{int(code[-2:]) + 1}单位", kind=real.units[0].kind,
                       kind_name=real.units[0].kind_name, base_url=f"http://127.0.0.1:1/units/{code}",
                       token_conn_id=f"unit_{code.lower()}", deadline_day=5, active_from="2024-01",
                       active_to=None)
                  for c in range(counties) for code in county_codes(c))
    return dataclasses.replace(real, units=units)


def build(url: str, counties: int) -> None:
    from county_reports.warehouse import Warehouse

    codes = [code for c in range(counties) for code in county_codes(c)]
    rng = random.Random(11)
    t0 = time.perf_counter()
    with Warehouse(url) as wh:
        wh.migrate()
        wh.sync_roster(province_catalog(counties), "bench")
        for m in range(1, 13):
            period = f"{YEAR}-{m:02d}"
            missing = set(rng.sample(codes, len(codes) // 50))
            reporting = [c for c in codes if c not in missing]
            wh.record_verdicts(month(0, INDICATORS, period, seed=m, unit_codes=reporting), "bench-year")
            corrected = rng.sample(reporting, len(reporting) // 20)
            fixes = month(0, INDICATORS, period, seed=100 + m, unit_codes=corrected)
            fixes = [dataclasses.replace(v, sha256=f"fix-{v.unit}-{period}", status="accepted",
                                         received_at=v.received_at.replace("-03T", "-10T"), issues=())
                     for v in fixes]
            bad = [dataclasses.replace(v, sha256=f"bad-{v.unit}-{period}", status="rejected",
                                       values={**v.values, "IND_001": -5.0},
                                       received_at=v.received_at.replace("-03T", "-12T"))
                   for v in month(0, INDICATORS, period, seed=200 + m,
                                  unit_codes=rng.sample(reporting, len(reporting) // 100))]
            wh.record_verdicts(fixes + bad, "bench-corrections")
            for code in sorted(missing):
                wh.record_not_received(code, period, "missing", "HTTP 404", "bench-year")
            print(f"  built {period}: {time.perf_counter() - t0:.0f} s", flush=True)
        with wh.engine.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS bench_built (counties int)"))
            conn.execute(text("INSERT INTO bench_built VALUES (:c)"), {"c": counties})
    with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))


def median_time(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def compiled(query, engine) -> str:
    return str(query.compile(engine, compile_kwargs={"literal_binds": True}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counties", type=int, default=COUNTIES)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--drop", action="store_true", help="drop the benchmark database at the end")
    ap.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the reads")
    args = ap.parse_args()

    from sqlalchemy import select

    from county_reports.aggregate import Span
    from county_reports.warehouse import Warehouse
    from county_reports.warehouse import schema as t
    from county_reports.warehouse.queries import _current

    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    url = make_url(PG_URL).set(database=DB).render_as_string(hide_password=False)
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": DB}).first()
        if exists and args.rebuild:
            conn.execute(text(f'DROP DATABASE "{DB}" WITH (FORCE)'))
            exists = None
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{DB}"'))
    engine = create_engine(url)
    with engine.connect() as conn:
        built = conn.execute(text("SELECT to_regclass('bench_built') IS NOT NULL")).scalar() and \
            conn.execute(text("SELECT max(counties) FROM bench_built")).scalar()
    engine.dispose()
    if built != args.counties:
        print(f"building a province year ({args.counties} counties × {UNITS_PER_COUNTY} units × "
              f"{INDICATORS} indicators × 12 months) …", flush=True)
        t0 = time.perf_counter()
        build(url, args.counties)
        print(f"built in {time.perf_counter() - t0:.0f} s")

    province = province_catalog(args.counties)
    county_index = args.counties // 2
    codes = county_codes(county_index)
    county = dataclasses.replace(province, units=tuple(u for u in province.units if u.code in codes))
    span = Span.half_year(YEAR)
    half = list(span.periods)
    with_last_year = half + list(span.same_span_last_year().periods)
    last12 = periods.span(f"{YEAR}-01", f"{YEAR}-12")

    wh = Warehouse(url)
    wh.migrate()       # brings the kept database to this branch's head (the indexes of 0006)
    with wh.engine.connect() as conn:
        counts = {name: conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
                  for name in ("submissions", "submission_values", "audit", "collection_status")}
        versions = conn.execute(text("SELECT count(*) FROM submissions WHERE version > 1")).scalar_one()
    print(f"warehouse: {counts['submission_values']:,} values in {counts['submissions']:,} versions "
          f"({versions:,} corrections), {counts['audit']:,} audit rows, "
          f"{counts['collection_status']:,} not received; PostgreSQL")
    view = wh.scoped(codes)

    def county_reads():
        values = view.current_values(with_last_year)
        done = view.completeness(county, half)
        narratives = view.current_narratives(half)
        return len(values), len(done), len(narratives)

    def status_reads():
        last = wh.latest_period()
        window = periods.span(periods.shift(last, -11), last)
        done = wh.completeness(province, window)
        rates = wh.reporting_rate(province, window, done)
        return len(done), len(rates)

    s, v, n = t.submissions, t.submission_values, t.narratives
    county_sql = [
        select(s.c.unit, s.c.period, v.c.indicator, v.c.value, s.c.id, s.c.version)
        .join(v, v.c.submission_id == s.c.id)
        .where(s.c.period.in_(with_last_year) & _current() & v.c.value.is_not(None) & s.c.unit.in_(codes))
        .order_by(s.c.period, s.c.unit, v.c.indicator),
        select(s.c.id, s.c.unit, s.c.period, s.c.version, s.c.status, s.c.arrived_at, s.c.superseded_by)
        .where(s.c.period.in_(half) & s.c.unit.in_(codes)),
        select(s.c.unit, s.c.period, n.c.kind, n.c.section, n.c.text, n.c.seq)
        .join(n, n.c.submission_id == s.c.id)
        .where(s.c.period.in_(half) & _current() & s.c.unit.in_(codes)).order_by(s.c.period, s.c.unit, n.c.seq),
    ]
    with wh.engine.connect() as conn:          # the SQL completeness runs for the status page
        from county_reports.warehouse import queries as q
        captured = []
        real_execute = conn.execute
        conn.execute = lambda stmt, *a, **k: (captured.append(stmt), real_execute(stmt, *a, **k))[1]
        q._version_summary(conn, last12, sorted(u.code for u in province.units))
    status_sql = captured
    raw = wh.engine.raw_connection()

    def bare(queries):
        cur = raw.cursor()
        for q in queries:
            cur.execute(compiled(q, wh.engine))
            cur.fetchall()
        cur.close()

    def month_reads():
        return len(wh.completeness(province, [f"{YEAR}-06"]))

    rows = []
    for name, fn, sql, goal in (("a county's half-year figures (30 units)", county_reads, county_sql, 1.0),
                                ("the status page (3,000 units × 12 months)", status_reads, status_sql, 1.0),
                                ("completeness of one month (3,000 units)", month_reads, None, None)):
        fn()                                                    # warm: plans, caches
        took, out = median_time(fn, args.repeat)
        floor = median_time(lambda sql=sql: bare(sql), args.repeat)[0] if sql else None
        rows.append((name, took, goal, floor, out))
    raw.close()
    print(f"median of {args.repeat} runs each (the machine was shared: 2 cores, other jobs running)")
    for name, took, goal, floor, out in rows:
        goal_text = f"goal <= {goal:.0f} s: {'met' if took <= goal else 'MISSED'}" if goal else "no goal"
        floor_text = f"; floor (bare SQL) {floor:.3f} s, ratio {took / floor:.1f}x" if floor else ""
        print(f"  {name:44} {took:7.3f} s  ({goal_text}{floor_text}) rows {out}")

    if args.explain:
        with wh.engine.connect() as conn:
            for label, query in (("county current values", county_sql[0]),
                                 ("status page: versions by unit and month", status_sql[0])):
                plan = conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + compiled(query, wh.engine))).scalars().all()
                print(f"\nEXPLAIN ANALYZE — {label}:\n" +
                      "\n".join(line if len(line) <= 200 else line[:200] + " …" for line in plan))
    wh.close()
    if args.drop:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)'))
    admin.dispose()
    return 0 if all(took <= goal for _, took, goal, _, _ in rows if goal) else 1


if __name__ == "__main__":
    raise SystemExit(main())
