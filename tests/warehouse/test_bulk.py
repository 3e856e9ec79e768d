"""The bulk write path: one call with many verdicts leaves the warehouse exactly as one call per
verdict would; a bad verdict fails alone; a killed writer leaves no half-written version;
concurrent bulk writers lose nothing."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from county_reports.validate.model import Issue
from county_reports.warehouse import Warehouse
from county_reports.warehouse import schema as t

P = "2024-06"
PG_ADMIN_URL = os.environ.get("COUNTY_REPORTS_TEST_PG_URL",
                              "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
ROOT = Path(__file__).resolve().parents[2]


def _unavailable(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required in CI but unavailable")
    pytest.skip(f"{what} unavailable")


@contextmanager
def pg_databases(n: int):
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    names = [f"county_reports_test_{uuid.uuid4().hex}" for _ in range(n)]
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        _unavailable(f"PostgreSQL ({str(exc.orig).strip().splitlines()[0]})")
    try:
        yield [make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
               for name in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def two_urls(request, tmp_path):
    if request.param == "sqlite":
        yield [f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"]
        return
    with pg_databases(2) as urls:
        yield urls


def normalised(wh: Warehouse) -> dict[str, list]:
    """Every table, with submission ids replaced by (unit, period, version) and audit in id order
    without its ids: PostgreSQL sequences skip the ids of rolled-back chunks, nothing else may differ."""
    full = wh.table_snapshot(exclude_columns=())
    key = {r["id"]: (r["unit"], r["period"], r["version"]) for r in full["submissions"]}

    def fix(row: dict) -> dict:
        out = dict(row)
        for col in ("submission_id", "superseded_by"):
            if out.get(col) is not None:
                out[col] = key[out[col]]
        if "note" in out and out["note"]:
            for sid, k in key.items():
                out["note"] = out["note"].replace(f"(id {sid})", f"(id {k})")
        return out

    tables = {}
    for name, rows in full.items():
        if name == "audit":
            rows = sorted(rows, key=lambda r: r["id"])
            tables[name] = [{k: v for k, v in fix(r).items() if k != "id"} for r in rows]
        elif name == "submissions":
            tables[name] = sorted(({k: v for k, v in fix(r).items() if k != "id"} for r in rows),
                                  key=lambda r: (r["unit"], r["period"], r["version"]))
        else:
            tables[name] = sorted((fix(r) for r in rows), key=repr)
    return tables


def scenario(make_verdict, make_issue):
    """What is stored before, and one batch with every case in it."""
    before = [
        make_verdict("A1", P, {"ROAD_INVEST": 1.0}, received_at="2024-07-01T10:00:00+08:00"),
        make_verdict("A2", P, {"ROAD_INVEST": 2.0}, received_at="2024-07-01T10:00:00+08:00"),
        make_verdict("OLD", P, {"ROAD_INVEST": 3.0}, received_at="2024-07-01T10:00:00+08:00"),
        make_verdict("B1", P, {"ROAD_INVEST": -1.0}, status="rejected", issues=(make_issue("B1", P),),
                     received_at="2024-07-01T10:00:00+08:00"),
    ]
    odd = {"kind": "highlight", "section": "s\t1", "text": "含制表符\t、换行\n、反斜杠\\ 和 \\N 的文字"}
    batch = [
        make_verdict("NEW", P, {"ROAD_INVEST": 5.0, "HAZARD_FOUND": 1.0}, narratives=(odd,),
                     raw_values={"ROAD_INVEST": "5\t万元", "HAZARD_FOUND": "1\\n"},
                     received_at="2024-07-02T10:00:00+08:00"),                          # new
        make_verdict("A1", P, {"ROAD_INVEST": 1.0}, raw_values={"ROAD_INVEST": "1.00"}, salt="other bytes",
                     received_at="2024-07-02T11:00:00+08:00"),                          # duplicate
        make_verdict("A2", P, {"ROAD_INVEST": 20.0}, received_at="2024-07-03T10:00:00+08:00"),   # correction
        make_verdict("OLD", P, {"ROAD_INVEST": -3.0}, status="rejected",                # rejected correction
                     issues=(make_issue("OLD", P, value="-3"),), received_at="2024-07-03T11:00:00+08:00"),
        make_verdict("BAD", P, {"ROAD_INVEST": 1.0}, status="bogus"),                   # fails before SQL
        make_verdict("B1", P, {"ROAD_INVEST": 4.0}, status="accepted_with_warnings",    # fixed after rejection
                     issues=(make_issue("B1", P, importance="warning"),), received_at="2024-07-04T10:00:00+08:00"),
        make_verdict("BAD2", P, {"ROAD_INVEST": 1.0}, status="rejected",                # the database refuses it
                     issues=(Issue("BAD2", P, "ROAD_INVEST", "1", None, "error", "m"),),
                     received_at="2024-07-04T11:00:00+08:00"),
        make_verdict("A2", P, {"ROAD_INVEST": 21.0}, received_at="2024-07-05T10:00:00+08:00"),   # second correction
        make_verdict("NEW", P, {"ROAD_INVEST": 5.0, "HAZARD_FOUND": 1.0}, narratives=(odd,),     # replay of the new one
                     raw_values={"ROAD_INVEST": "5\t万元", "HAZARD_FOUND": "1\\n"},
                     received_at="2024-07-02T10:00:00+08:00"),
        make_verdict("A2", P, {"ROAD_INVEST": 2.0}, salt="reverted", received_at="2024-07-06T10:00:00+08:00"),  # revert
    ]
    return before, batch


@pytest.mark.parametrize("chunk_size", [500, 2])
def test_one_bulk_call_leaves_the_same_warehouse_as_one_call_per_verdict(
        two_urls, clock, make_verdict, make_issue, chunk_size):
    before, batch = scenario(make_verdict, make_issue)
    one_by_one = Warehouse(two_urls[0], clock=clock)
    in_bulk = Warehouse(two_urls[1], clock=clock, chunk_size=chunk_size)
    outcomes = []
    try:
        for wh in (one_by_one, in_bulk):
            wh.migrate()
            for v in before:
                wh.record_verdicts([v], "r0")
            wh.record_not_received("NEW", P, "missing", "HTTP 404", "r0")
        clock.now = clock.now.replace(hour=5)

        # the per-unit path: one call, one transaction per verdict, in order of arrival
        order = sorted(range(len(batch)), key=lambda i: (batch[i].received_at, i))
        single, single_errors = {}, []
        for i in order:
            errs: list = []
            out = one_by_one.record_verdicts([batch[i]], "r1", errors=errs)
            single_errors += [(v.unit, type(e).__name__) for v, e in errs]
            if out:
                single[i] = out[0]
        bulk_errors: list = []
        bulk = in_bulk.record_verdicts(batch, "r1", errors=bulk_errors)

        assert sorted((v.unit, type(e).__name__) for v, e in bulk_errors) == sorted(single_errors)
        assert {u for u, _ in single_errors} == {"BAD", "BAD2"}
        outcomes = [(r["unit"], r["version"], r["outcome"], r["status"]) for r in bulk]
        assert outcomes == [(single[i]["unit"], single[i]["version"], single[i]["outcome"], single[i]["status"])
                            for i in sorted(single)]
        assert normalised(in_bulk) == normalised(one_by_one)
    finally:
        one_by_one.close()
        in_bulk.close()
    # and the state is the one the rules say
    assert outcomes == [("NEW", 1, "new", "accepted"), ("A1", 1, "duplicate", "accepted"),
                        ("A2", 2, "new", "accepted"), ("OLD", 2, "new", "rejected"),
                        ("B1", 2, "new", "accepted_with_warnings"), ("A2", 3, "new", "accepted"),
                        ("NEW", 1, "duplicate", "accepted"), ("A2", 4, "new", "accepted")]


def test_current_figures_after_a_mixed_batch(wh, make_verdict, make_issue):
    before, batch = scenario(make_verdict, make_issue)
    wh.record_verdicts(before, "r0")
    errors: list = []
    wh.record_verdicts(batch, "r1", errors=errors)
    assert sorted(v.unit for v, _ in errors) == ["BAD", "BAD2"]
    cur = wh.current_values([P])
    got = {(u, i): x for u, i, x in zip(cur["unit"], cur["indicator"], cur["value"], strict=False)}
    assert got == {("A1", "ROAD_INVEST"): 1.0, ("A2", "ROAD_INVEST"): 2.0, ("OLD", "ROAD_INVEST"): 3.0,
                   ("B1", "ROAD_INVEST"): 4.0, ("NEW", "ROAD_INVEST"): 5.0, ("NEW", "HAZARD_FOUND"): 1.0}
    assert list(wh.current_narratives([P])["text"]) == ["含制表符\t、换行\n、反斜杠\\ 和 \\N 的文字"]
    with wh.engine.connect() as conn:
        raw = dict(conn.execute(select(t.submission_values.c.indicator, t.submission_values.c.raw_value)
                                .join(t.submissions, t.submissions.c.id == t.submission_values.c.submission_id)
                                .where(t.submissions.c.unit == "NEW")).all())
        assert conn.execute(select(func.count()).select_from(t.collection_status)).scalar_one() == 0
    assert raw == {"ROAD_INVEST": "5\t万元", "HAZARD_FOUND": "1\\n"}
    a2 = wh.submissions("A2", P)
    assert list(a2["version"]) == [1, 2, 3, 4] and a2["superseded_by"].isna().tolist() == [False] * 3 + [True]


def test_without_an_errors_list_the_first_failure_is_raised_after_the_rest_is_stored(wh, make_verdict):
    batch = [make_verdict("A1", P), make_verdict("BAD", P, status="bogus"), make_verdict("A2", P)]
    with pytest.raises(ValueError, match="BAD 2024-06: unknown status 'bogus'"):
        wh.record_verdicts(batch, "r1")
    assert sorted(wh.submissions()["unit"]) == ["A1", "A2"]


def test_concurrent_bulk_writers_lose_nothing(wh, make_verdict):
    from concurrent.futures import ThreadPoolExecutor

    wh.chunk_size = 7
    units = [f"U{i:03d}" for i in range(40)]
    batches = [[make_verdict(u, P, {"ROAD_INVEST": float(k)}, received_at=f"2024-07-0{k + 1}T10:00:00+08:00")
                for u in units] for k in range(3)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        outs = list(pool.map(lambda b: wh.record_verdicts(b, "r1"), batches))
    assert all(o["outcome"] == "new" for out in outs for o in out)
    subs = wh.submissions()
    assert len(subs) == 3 * len(units)
    for unit in units:
        mine = subs[subs["unit"] == unit].sort_values("version")
        assert list(mine["version"]) == [1, 2, 3]
        assert mine["superseded_by"].isna().sum() == 1
        chain = dict(zip(mine["id"], mine["superseded_by"], strict=False))
        ids = list(mine["id"])
        assert [chain[i] for i in ids[:-1]] == ids[1:]
    assert len(wh.current_values([P])) == len(units)          # one value each, of version 3


WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {include!r}); sys.path.insert(0, {bench!r})
    from bench_store import month
    from county_reports.warehouse import Warehouse
    verdicts = month(2000, 150, period="2024-06")
    with Warehouse({url!r}, chunk_size=50) as wh:
        print("ready", flush=True)
        wh.record_verdicts(verdicts, "killed")
    print("done", flush=True)
""")


def test_a_killed_writer_leaves_whole_versions_only(wh, db_url):
    """SIGKILL during a bulk store: what is committed are whole chunks of whole versions."""
    code = WRITER.format(include=str(ROOT / "include"), bench=str(ROOT / "benchmarks"), url=db_url)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:                 # wait for the first committed chunks
            if len(wh.submissions()) >= 100:
                break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    subs = wh.submissions()
    assert 100 <= len(subs) < 2000 and len(subs) % 50 == 0           # whole chunks only
    with wh.engine.connect() as conn:
        per = dict(conn.execute(select(t.submission_values.c.submission_id, func.count())
                                .group_by(t.submission_values.c.submission_id)).all())
        narratives = conn.execute(select(func.count()).select_from(t.narratives)).scalar_one()
        audits = conn.execute(select(func.count()).select_from(t.audit)).scalar_one()
    assert set(per) == set(subs["id"]) and set(per.values()) == {150}
    assert narratives == 2 * len(subs) and audits == len(subs)
    # the rest is stored by the next run, and nothing twice
    again = Warehouse(db_url, chunk_size=500)
    try:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from bench_store import month
        out = again.record_verdicts(month(2000, 150, period="2024-06"), "rerun")
    finally:
        again.close()
    assert sum(o["outcome"] == "duplicate" for o in out) == len(subs)
    assert len(wh.submissions()) == 2000
