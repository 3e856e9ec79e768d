"""scripts/postgres-init/10-county-reports.sh against the real PostgreSQL on 127.0.0.1:5432: the
roles it makes own their own database and nothing else. The warehouse role migrates and writes
the warehouse but cannot reach Airflow's metadata or Celery's results, create a database or a
role; the reader only reads (tables made later included); nobody is a superuser. Every name gets
a random suffix (roles are cluster-wide) and everything is dropped at the end."""
from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import psycopg2
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "postgres-init" / "10-county-reports.sh"
HOST, PORT = "127.0.0.1", 5432


def service_unavailable(what: str) -> None:
    """Skip locally; in CI (CI=true) a missing PostgreSQL or psql is a failure, never a skip.
    (Not imported from conftest: ``import conftest`` picks whichever conftest pytest loaded last.)"""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required in CI but unavailable")
    pytest.skip(f"{what} unavailable")


def _connect(user: str, db: str):
    conn = psycopg2.connect(host=HOST, port=PORT, user=user, dbname=db, connect_timeout=3)
    conn.autocommit = True
    return conn


@pytest.fixture(scope="module")
def roles():
    if shutil.which("psql") is None:
        service_unavailable("psql (package postgresql-client)")
    try:
        _connect("postgres", "postgres").close()
    except psycopg2.OperationalError as exc:
        service_unavailable(f"PostgreSQL at {HOST}:{PORT} ({str(exc).strip().splitlines()[0]})")
    s = f"t{uuid.uuid4().hex[:8]}"
    names = {"AIRFLOW_DB": f"{s}_airflow", "AIRFLOW_DB_USER": f"{s}_airflow",
             "WAREHOUSE_DB": f"{s}_county_reports", "WAREHOUSE_USER": f"{s}_county_reports",
             "WAREHOUSE_READER": f"{s}_reader", "CELERY_RESULTS_DB": f"{s}_celery",
             "CELERY_RESULTS_USER": f"{s}_celery"}
    secrets = {"AIRFLOW_DB_PASSWORD": "af-" + s, "WAREHOUSE_DB_PASSWORD": "wh'\\-" + s,
               "WAREHOUSE_READER_PASSWORD": "rd-" + s, "CELERY_RESULTS_DB_PASSWORD": "ce-" + s}
    env = {**os.environ, **names, **secrets, "PGHOST": HOST, "PGPORT": str(PORT),
           "POSTGRES_USER": "postgres", "POSTGRES_DB": "postgres"}
    try:
        for _ in range(2):                                   # idempotent: a second run changes nothing
            run = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
            assert run.returncode == 0, run.stderr
            assert not any(v in run.stdout + run.stderr for v in secrets.values())
        yield names
    finally:
        admin = _connect("postgres", "postgres")
        with admin.cursor() as cur:
            for key in ("AIRFLOW_DB", "WAREHOUSE_DB", "CELERY_RESULTS_DB"):
                cur.execute(f'DROP DATABASE IF EXISTS "{names[key]}" WITH (FORCE)')
            for key in ("AIRFLOW_DB_USER", "WAREHOUSE_USER", "WAREHOUSE_READER", "CELERY_RESULTS_USER"):
                cur.execute(f'DROP ROLE IF EXISTS "{names[key]}"')
        admin.close()


def test_every_role_logs_in_with_a_password_and_none_is_privileged(roles):
    admin = _connect("postgres", "postgres")
    with admin.cursor() as cur:
        cur.execute("SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolcanlogin, rolpassword IS NOT NULL"
                    " FROM pg_authid WHERE rolname LIKE %s ORDER BY 1", (roles["AIRFLOW_DB"].split("_")[0] + "_%",))
        found = cur.fetchall()
        cur.execute("SELECT datname, pg_get_userbyid(datdba) FROM pg_database WHERE datname LIKE %s",
                    (roles["AIRFLOW_DB"].split("_")[0] + "_%",))
        owners = dict(cur.fetchall())
    admin.close()
    assert len(found) == 4 and all(row[1:] == (False, False, False, True, True) for row in found), found
    assert owners == {roles["AIRFLOW_DB"]: roles["AIRFLOW_DB_USER"], roles["WAREHOUSE_DB"]: roles["WAREHOUSE_USER"],
                      roles["CELERY_RESULTS_DB"]: roles["CELERY_RESULTS_USER"]}


def test_the_warehouse_role_migrates_and_writes_its_own_database(roles):
    from county_reports.warehouse import Warehouse

    url = f"postgresql+psycopg2://{roles['WAREHOUSE_USER']}@{HOST}:{PORT}/{roles['WAREHOUSE_DB']}"
    with Warehouse(url) as warehouse:
        warehouse.migrate()
    conn = _connect(roles["WAREHOUSE_USER"], roles["WAREHOUSE_DB"])
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE scratch (x int)")
        cur.execute("INSERT INTO scratch VALUES (1)")
        for forbidden in (f'CREATE DATABASE "{roles["WAREHOUSE_DB"]}_2"', f'CREATE ROLE "{roles["WAREHOUSE_USER"]}_2"',
                          "CREATE EXTENSION IF NOT EXISTS file_fdw", "SELECT pg_read_file('/etc/passwd')",
                          "COPY scratch TO PROGRAM 'id'"):
            with pytest.raises(psycopg2.Error):
                cur.execute(forbidden)
    conn.close()


@pytest.mark.parametrize("who, where", [("WAREHOUSE_USER", "AIRFLOW_DB"), ("WAREHOUSE_USER", "CELERY_RESULTS_DB"),
                                        ("WAREHOUSE_READER", "AIRFLOW_DB"), ("CELERY_RESULTS_USER", "WAREHOUSE_DB"),
                                        ("CELERY_RESULTS_USER", "AIRFLOW_DB"), ("AIRFLOW_DB_USER", "WAREHOUSE_DB")])
def test_no_role_reaches_another_roles_database(roles, who, where):
    with pytest.raises(psycopg2.OperationalError, match="permission denied for database"):
        _connect(roles[who], roles[where])


def test_the_reader_reads_what_the_warehouse_creates_later_and_writes_nothing(roles):
    writer = _connect(roles["WAREHOUSE_USER"], roles["WAREHOUSE_DB"])
    with writer.cursor() as cur:
        cur.execute("CREATE TABLE later (x int)")
        cur.execute("INSERT INTO later VALUES (7)")
    writer.close()
    reader = _connect(roles["WAREHOUSE_READER"], roles["WAREHOUSE_DB"])
    with reader.cursor() as cur:
        cur.execute("SELECT x FROM later")
        assert cur.fetchall() == [(7,)]
        for forbidden in ("INSERT INTO later VALUES (8)", "UPDATE later SET x = 0", "DELETE FROM later",
                          "CREATE TABLE mine (x int)", "DROP TABLE later"):
            with pytest.raises(psycopg2.Error):
                cur.execute(forbidden)
    reader.close()


def test_the_status_pages_render_through_the_reader_role(roles, catalog, tmp_path):
    """What the api-server gets in compose: the warehouse filled by its owner, read by the reader."""
    import status_seed
    from county_reports.render import status_page

    base = f"@{HOST}:{PORT}/{roles['WAREHOUSE_DB']}"
    status_seed.seed(tmp_path, catalog, f"postgresql+psycopg2://{roles['WAREHOUSE_USER']}{base}")
    with status_page.open_warehouse(f"postgresql+psycopg2://{roles['WAREHOUSE_READER']}{base}") as warehouse:
        page = status_page.grid_page(warehouse, catalog, 6, tmp_path)
        unit = status_page.unit_page(warehouse, catalog, catalog.unit_by_code["TS02"])
    assert "石桥镇交通运输管理站" in page and "第 2 版" in unit
