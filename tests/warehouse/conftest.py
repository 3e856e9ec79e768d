"""A fresh warehouse per test, on SQLite (tmp file) and on PostgreSQL (a throw-away database).

PostgreSQL: ``COUNTY_REPORTS_TEST_PG_URL`` (default the local server, user postgres, trust
auth) is the maintenance connection; each test gets ``county_reports_test_<hex>``, dropped
WITH (FORCE) afterwards. An unreachable server skips the PostgreSQL cases locally and fails
them when ``CI == "true"``.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import uuid
from datetime import datetime, UTC

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from county_reports.core.catalog import Unit, load_catalog
from county_reports.validate.model import Issue, Verdict

PG_ADMIN_URL = os.environ.get("COUNTY_REPORTS_TEST_PG_URL",
                              "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
RUN = "manual__test"


def _unavailable(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required in CI but unavailable")
    pytest.skip(f"{what} unavailable")


@pytest.fixture
def pg_url():
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 3})
    name = f"county_reports_test_{uuid.uuid4().hex}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        _unavailable(f"PostgreSQL at {make_url(PG_ADMIN_URL).render_as_string(hide_password=True)} "
                     f"({str(exc.orig).strip().splitlines()[0]})")
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warehouse.db'}"
    return request.getfixturevalue("pg_url")


class Clock:
    """A settable clock, so that timestamps written by the warehouse are predictable."""

    def __init__(self):
        self.now = datetime(2024, 7, 5, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def wh(db_url, clock):
    from county_reports.warehouse import Warehouse

    warehouse = Warehouse(db_url, clock=clock)
    warehouse.migrate()
    yield warehouse
    warehouse.close()


def unit(code: str, active_from: str = "2024-01", active_to: str | None = None,
         deadline_day: int = 5, name: str | None = None) -> Unit:
    return Unit(code=code, name=name or f"{code}交通运输管理站", kind="township_station",
                kind_name="乡镇交通运输管理站", base_url=f"http://127.0.0.1:1/units/{code}",
                token_conn_id=f"unit_{code.lower()}", deadline_day=deadline_day,
                active_from=active_from, active_to=active_to)


@pytest.fixture(scope="session")
def real_catalog():
    return load_catalog()


@pytest.fixture
def roster(real_catalog):
    """The real catalogue with a small roster of its own: A1, A2 all year; OLD until 2024-09
    (merged away); NEW from 2024-07; B1 with deadline day 6."""
    units = (unit("A1"), unit("A2"), unit("OLD", active_to="2024-09"), unit("NEW", active_from="2024-07"),
             unit("B1", deadline_day=6))
    return dataclasses.replace(real_catalog, units=units)


def verdict(unit_code: str, period: str, values: dict | None = None, *, status: str = "accepted",
            received_at: str = "2024-07-03T10:00:00+08:00", submitted_at: str | None = None,
            narratives: tuple = (), contact: dict | None = None, raw_values: dict | None = None,
            issues: tuple = (), source: str = "http", salt: str = "") -> Verdict:
    """A Verdict as validation would hand it over; sha256 stands for the raw bytes."""
    values = {"ROAD_INVEST": 100.0, "HAZARD_FOUND": 3.0} if values is None else values
    raw = {k: str(v) for k, v in values.items()} if raw_values is None else raw_values
    sha = hashlib.sha256(repr((unit_code, period, sorted(raw.items()), narratives, salt,
                               received_at)).encode()).hexdigest()
    return Verdict(unit=unit_code, period=period, sha256=sha, source=source,
                   received_at=received_at, submitted_at=submitted_at, status=status,
                   values=values, raw_values=raw, narratives=tuple(narratives),
                   contact={"name": "张三", "phone": "0000-0000000"} if contact is None else contact,
                   issues=tuple(issues))


def issue(unit_code: str, period: str, indicator: str = "ROAD_INVEST", importance: str = "error",
          rule: str = "BOUNDS", value: str = "-1") -> Issue:
    return Issue(unit=unit_code, period=period, indicator=indicator, value=value, rule=rule,
                 importance=importance, message=f"{unit_code} {period} {indicator} 值 {value} 不符合规则 {rule}。")


@pytest.fixture
def make_verdict():
    return verdict


@pytest.fixture
def make_issue():
    return issue


@pytest.fixture
def make_unit():
    return unit
