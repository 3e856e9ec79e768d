"""A unit's fault is a unit's fault: only rows that one verdict's own data makes the warehouse
refuse are blamed on its unit; a database that refuses everyone (a privilege revoked, a read-only
transaction, a read-only file, a constraint every row violates) fails the store step, stores nothing
half and marks no unit failed, and the month stores whole once the database is fixed.

PostgreSQL: each test creates its own database (``pg_url``) and a warehouse role of its own that
connects with only table privileges, as production's does; both are dropped afterwards.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, InternalError, ProgrammingError

from county_reports.runs import collect_monthly
from county_reports.core.catalog import load_catalog
from county_reports.validate.model import Issue, write_verdicts
from county_reports.warehouse import Warehouse
from county_reports.warehouse.recording import StoreRefused, refusals_raised

P = "2025-06"
ROOT = Path(__file__).resolve().parents[2]
OTHERS_UNAFFECTED = "其他单位不受影响"
NARRATIVE = {"kind": "highlight", "section": "safety", "text": "开展安全生产检查3次。"}


def month_verdicts(make_verdict, n: int = 4):
    """n units of the real roster, each with values and a narrative, arriving one after the other."""
    codes = [u.code for u in load_catalog().units][:n]
    return [make_verdict(code, P, {"ROAD_INVEST": 10.0 + i, "HAZARD_FOUND": float(i)},
                         narratives=(NARRATIVE,), received_at=f"2025-07-0{i + 1}T10:00:00+08:00")
            for i, code in enumerate(codes)]


def validated_month(data: Path, verdicts, not_received=()) -> dict:
    """What ``collect_monthly``'s validate task hands to store: the month's verdict file."""
    path = data / "verdicts" / "run-v" / f"{P}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_verdicts(path, verdicts)
    return {"months": [P], "verdict_files": [f"verdicts/run-v/{P}.json"], "not_received": list(not_received)}


def everything(url: str) -> dict:
    with Warehouse(url) as wh:
        return wh.table_snapshot(exclude_columns=())


def statuses(url: str) -> dict:
    return {(r["unit"], r["status"]) for r in everything(url)["collection_status"]}


# --------------------------------------------------------------------------- PostgreSQL, a role


@pytest.fixture
def pg_role(pg_url):
    """The test database migrated by its owner, and a login role with table privileges only:
    yields (owner's URL, the role's URL, run-SQL-as-owner)."""
    role = f"cr_wh_{uuid.uuid4().hex[:12]}"
    owner = create_engine(pg_url, isolation_level="AUTOCOMMIT")

    def sql(*statements: str) -> None:
        with owner.connect() as conn:
            for s in statements:
                conn.execute(text(s.format(role=role)))

    with Warehouse(pg_url) as wh:
        wh.migrate()
    sql('CREATE ROLE "{role}" LOGIN',
        'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
        'GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO "{role}"')
    try:
        yield pg_url, make_url(pg_url).set(username=role).render_as_string(hide_password=False), sql
    finally:
        sql('DROP OWNED BY "{role}"')
        owner.dispose()
        with create_engine(make_url(pg_url).set(database="postgres"), isolation_level="AUTOCOMMIT").connect() as c:
            c.execute(text(f'DROP ROLE IF EXISTS "{role}"'))


@pytest.fixture
def store_env(tmp_path, monkeypatch):
    def point_at(url: str) -> Path:
        monkeypatch.setenv("COUNTY_REPORTS_DATA", str(tmp_path / "data"))
        monkeypatch.setenv("COUNTY_REPORTS_DB_URL", url)
        return tmp_path / "data"
    return point_at


REFUSALS = {      # (break it, fix it, the driver's error, SQLAlchemy's class of it)
    "insert_on_submission_values": ('REVOKE INSERT ON submission_values FROM "{role}"',
                                    'GRANT INSERT ON submission_values TO "{role}"', "InsufficientPrivilege",
                                    ProgrammingError),
    "insert_on_narratives": ('REVOKE INSERT ON narratives FROM "{role}"',
                             'GRANT INSERT ON narratives TO "{role}"', "InsufficientPrivilege", ProgrammingError),
    "read_only_transaction": ('ALTER ROLE "{role}" SET default_transaction_read_only = on',
                              'ALTER ROLE "{role}" RESET default_transaction_read_only', "ReadOnlySqlTransaction",
                              InternalError),
}


@pytest.mark.postgres
@pytest.mark.parametrize("refusal", sorted(REFUSALS))
def test_a_database_that_refuses_everyone_fails_the_store_step_and_marks_no_unit(
        pg_role, store_env, make_verdict, refusal):
    owner_url, role_url, sql = pg_role
    data = store_env(role_url)
    verdicts = month_verdicts(make_verdict)
    first, late = verdicts[0].unit, load_catalog().units[-1].code
    validated = validated_month(data, verdicts, [{"unit": late, "period": P, "status": "missing",
                                                  "reason": "HTTP 404"}])
    with Warehouse(role_url) as wh:             # the 5th's run: roster synced, the first unit not yet in
        wh.sync_roster(load_catalog(), "run-5th")
        wh.record_not_received(first, P, "missing", "HTTP 404", "run-5th")
    before = everything(owner_url)

    revoke, grant, cause, kind = REFUSALS[refusal]
    sql(revoke)
    with pytest.raises(StoreRefused, match=cause) as refused:
        collect_monthly.store(validated, "run-8th")
    assert isinstance(refused.value.__cause__, kind) and "仓库数据库拒绝写入" in str(refused.value)
    assert OTHERS_UNAFFECTED not in str(refused.value)
    assert everything(owner_url) == before      # nothing half-stored, no unit marked failed
    assert statuses(owner_url) == {(first, "missing")}

    sql(grant)
    stored = collect_monthly.store(validated, "run-8th")   # the task cleared after the fix
    assert [(r["unit"], r["outcome"]) for r in stored] == [(v.unit, "new") for v in verdicts]
    after = everything(owner_url)
    assert len(after["submission_values"]) == 2 * len(verdicts) and len(after["narratives"]) == len(verdicts)
    assert statuses(owner_url) == {(late, "missing")}        # the first unit's 'missing' cleared


@pytest.mark.postgres
def test_chunks_stored_before_the_refusal_stay_whole_and_the_rest_stores_after_the_grant(pg_role, make_verdict):
    """The unit of atomicity is the chunk: a refusal rolls back its own chunk, earlier ones stay."""
    owner_url, role_url, sql = pg_role
    verdicts = month_verdicts(make_verdict, 6)
    for i in (0, 1):                              # the first chunk writes no narrative
        verdicts[i] = make_verdict(verdicts[i].unit, P, {"ROAD_INVEST": 1.0},
                                   received_at=f"2025-07-0{i + 1}T10:00:00+08:00")
    sql('REVOKE INSERT ON narratives FROM "{role}"')
    with Warehouse(role_url, chunk_size=2) as wh, pytest.raises(ProgrammingError, match="permission denied"):
        wh.record_each(verdicts, "r1")
    kept = everything(owner_url)
    assert sorted(r["unit"] for r in kept["submissions"]) == sorted(v.unit for v in verdicts[:2])
    assert len(kept["submission_values"]) == 2 and kept["narratives"] == [] and kept["collection_status"] == []
    assert {r["note"].split(",")[0] for r in kept["audit"]} == {"version 1 from http"}

    sql('GRANT INSERT ON narratives TO "{role}"')
    with Warehouse(role_url, chunk_size=2) as wh:
        stored, failures = wh.record_each(verdicts, "r2")
    assert failures == []
    assert [r["outcome"] for r in stored] == ["duplicate"] * 2 + ["new"] * 4
    assert len(everything(owner_url)["narratives"]) == 4


# --------------------------------------------------------------------------- one unit's own rows


def bad_rule(make_verdict, code: str):
    """A verdict whose issue has no rule: the NOT NULL constraint of validation_issues.rule."""
    return make_verdict(code, P, {"ROAD_INVEST": -1.0}, status="rejected", received_at="2025-07-02T12:00:00+08:00",
                        issues=(Issue(code, P, "ROAD_INVEST", "-1", None, "error", "数值不能为负。"),))


def test_a_constraint_one_verdict_violates_is_blamed_on_its_unit_only(wh, make_verdict):
    verdicts = month_verdicts(make_verdict)
    bad = bad_rule(make_verdict, "ZZ01")
    wh.sync_roster(load_catalog(), "r")
    stored, failures = wh.record_each(verdicts[:2] + [bad] + verdicts[2:], "r1")
    assert [r["unit"] for r in stored] == [v.unit for v in verdicts]
    assert [f["unit"] for f in failures] == ["ZZ01"]
    assert "IntegrityError" in failures[0]["reason"] and OTHERS_UNAFFECTED in failures[0]["reason"]
    assert statuses(wh.url) == {("ZZ01", "failed")}


def test_a_unit_alone_in_its_call_is_not_told_others_were_unaffected(wh, make_verdict):
    stored, failures = wh.record_each([bad_rule(make_verdict, "ZZ01")], "r1")
    assert stored == [] and [f["unit"] for f in failures] == ["ZZ01"]      # proven by plain rows going in
    assert OTHERS_UNAFFECTED not in failures[0]["reason"] and "入库时出错" in failures[0]["reason"]
    assert statuses(wh.url) == {("ZZ01", "failed")}


@pytest.mark.postgres
def test_a_nul_character_one_unit_sent_is_its_own_fault_on_postgresql(pg_url, make_verdict):
    verdicts = month_verdicts(make_verdict, 3)
    nul = make_verdict("ZZ02", P, narratives=({"kind": "plan", "section": "x", "text": "计划\x00"},))
    with Warehouse(pg_url, chunk_size=500) as wh:
        wh.migrate()
        stored, failures = wh.record_each(verdicts + [nul], "r1")
        assert [r["unit"] for r in stored] == [v.unit for v in verdicts]
        assert [(f["unit"], f["reason"].count(OTHERS_UNAFFECTED)) for f in failures] == [("ZZ02", 1)]
        assert "DataError" in failures[0]["reason"]


def test_rows_of_any_content_refused_are_the_databases_fault_not_every_units(wh, make_verdict):
    """A constraint every narrative violates (a schema mistake): the old rule blamed each unit."""
    verdicts = month_verdicts(make_verdict)
    with wh.engine.begin() as conn:
        if wh.engine.dialect.name == "sqlite":
            conn.execute(text("CREATE TRIGGER no_narratives BEFORE INSERT ON narratives "
                              "BEGIN SELECT RAISE(ABORT, 'narratives refused'); END"))
        else:
            conn.execute(text("ALTER TABLE narratives ADD CONSTRAINT no_narratives CHECK (seq < 0)"))
    before = everything(wh.url)
    with pytest.raises(IntegrityError):
        wh.record_each(verdicts, "r1")
    assert everything(wh.url) == before and statuses(wh.url) == set()


def test_a_missing_table_is_the_databases_fault_on_either_backend(wh, make_verdict, make_issue):
    """UndefinedTable (PostgreSQL, a ProgrammingError) or "no such table" (SQLite, an OperationalError)."""
    verdicts = [make_verdict(v.unit, P, {"ROAD_INVEST": -1.0}, status="rejected", received_at=v.received_at,
                             issues=(make_issue(v.unit, P),)) for v in month_verdicts(make_verdict)]
    wh.record_not_received(verdicts[0].unit, P, "missing", "HTTP 404", "r0")
    with wh.engine.begin() as conn:
        conn.execute(text("DROP TABLE validation_issues"))
    with pytest.raises(StoreRefused, match="仓库数据库拒绝写入（(UndefinedTable|OperationalError)"), refusals_raised():
        wh.record_each(verdicts, "r1")
    with wh.engine.connect() as conn:
        rows = {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("submissions", "submission_values", "narratives", "audit")}
        status = conn.execute(text("SELECT unit, status FROM collection_status")).all()
    assert rows == dict.fromkeys(rows, 0) and [tuple(r) for r in status] == [(verdicts[0].unit, "missing")]


# --------------------------------------------------------------------------- SQLite, a read-only file


def test_a_read_only_sqlite_warehouse_fails_the_store_step_and_marks_no_unit(make_verdict):
    """Root writes any file, so the store step runs as ``nobody`` then (through setpriv)."""
    folder = Path(tempfile.mkdtemp(prefix="ro-warehouse-"))
    try:
        data, url = folder / "data", f"sqlite:///{folder / 'warehouse.db'}"
        validated = validated_month(data, month_verdicts(make_verdict))
        with Warehouse(url) as wh:
            wh.migrate()
            wh.sync_roster(load_catalog(), "run-5th")
            wh.record_not_received("TS01", P, "missing", "HTTP 404", "run-5th")
        before = everything(url)
        for path in [folder, *folder.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        if os.geteuid() != 0:
            folder.chmod(0o555)
            (folder / "warehouse.db").chmod(0o444)
        done = _store_in_a_child(validated, data, url)
        assert done.returncode == 3, done.stdout + done.stderr
        assert "OperationalError: attempt to write a readonly database" in done.stdout, done.stdout
        assert "仓库数据库拒绝写入" in done.stdout
        assert everything(url) == before and statuses(url) == {("TS01", "missing")}
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


STORE = """
import json, sys
from county_reports.runs import collect_monthly
from county_reports.warehouse.recording import StoreRefused
try:
    collect_monthly.store(json.loads(sys.argv[1]), "run-8th")
except StoreRefused as exc:
    print(type(exc.__cause__).__name__, exc)
    sys.exit(3)
"""


def _store_in_a_child(validated: dict, data: Path, url: str) -> subprocess.CompletedProcess:
    as_other = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.fail("setpriv (util-linux) is needed to run as nobody when the tests run as root")
        as_other = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
    env = {**os.environ, "COUNTY_REPORTS_DATA": str(data), "COUNTY_REPORTS_DB_URL": url,
           "PYTHONPATH": str(ROOT / "include"), "HOME": str(data)}
    return subprocess.run([*as_other, sys.executable, "-c", STORE, json.dumps(validated)], env=env,
                          capture_output=True, text=True, timeout=120, cwd=str(data))
