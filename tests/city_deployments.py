"""County deployments and a city over them, as real processes (issue 22): for the city's
end-to-end test (tests/topology/test_city_e2e.py) and benchmarks/bench_city.py.

- :func:`county_config`: the shipped county config with ``bureau.yaml`` ``code`` set to the
  county's code in the city's roster (what its federation route serves as ``unit``);
- :func:`units_of`: the county's own units on a simulator server (``simulator/city.py``: the
  demo county with the county's own seed and scale), and :func:`collect_county`: the county
  collecting a month from them as any county does — collect_monthly's plan → pull → validate →
  store, as plain Python with the county's config and data folder (its warehouse);
- :func:`seed_county`: the county's warehouse filled with those units' accepted months directly,
  without HTTP or validation (the benchmark's twenty counties);
- :class:`CountyServer`: an ``airflow api-server`` (FAB) with that config and warehouse, the role
  CountyReportsFederation and the city's service account ``city``; :func:`start_clone` starts
  another county's server from a first one's migrated metadata DB (a copy: same users, but its
  own JWT secret, so a token one county signed is refused by every other);
- :func:`city_config`: the city config (include/config/city) whose counties are the given
  ones, each with ``airflow_url`` + ``conn_id``, and no units of its own;
- :func:`logins_env`: the service accounts as ``AIRFLOW_CONN_<CONN_ID>``, as
  ``tokens.logins_from_env`` reads them.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from airflow_server import AIRFLOW, START_TIMEOUT, ApiServer

from county_reports.core import periods
from county_reports.core.catalog import Catalog
from county_reports.simulator.city import CitySimulator, county_units
from county_reports.simulator.server import SimulatorServer, make_tokens
from county_reports.validate.model import ACCEPTED, Verdict
from county_reports.warehouse import Warehouse

REPO = Path(__file__).resolve().parents[1]
COUNTY_CONFIG = REPO / "include" / "config"
CITY_CONFIG = COUNTY_CONFIG / "city"
SERVICE_ACCOUNT = "city"
FEDERATION_ROLE = "CountyReportsFederation"


def conn_id(code: str) -> str:
    return f"county_{code.lower()}"


def county_config(root: Path, code: str) -> Path:
    """A copy of the shipped county config whose bureau is ``code`` in the city's roster."""
    config = root / "config"
    shutil.copytree(COUNTY_CONFIG, config, ignore=shutil.ignore_patterns("city"))
    bureau = yaml.safe_load((config / "bureau.yaml").read_text(encoding="utf-8"))
    bureau["code"] = code
    (config / "bureau.yaml").write_text(yaml.safe_dump(bureau, allow_unicode=True), encoding="utf-8")
    return config


def city_config(root: Path, counties: dict[str, tuple[str, str]], scales: dict[str, float] | None = None) -> Path:
    """The city config over ``counties`` (code → (name, Airflow base URL)), without own units;
    a county the shipped simulator/city.yaml does not scale gets ``scales`` or 0.5 + a tenth per code."""
    config = root / "city-config"
    shutil.copytree(CITY_CONFIG, config)          # links resolved: files of its own
    units = yaml.safe_load((config / "units.yaml").read_text(encoding="utf-8"))
    units["units"] = [{"code": code, "name": name, "kind": "county", "airflow_url": url, "conn_id": conn_id(code),
                       "deadline_day": 7, "active_from": "2024-01", "channels": ["http"]}
                      for code, (name, url) in counties.items()]
    (config / "units.yaml").write_text(yaml.safe_dump(units, allow_unicode=True), encoding="utf-8")
    sim = yaml.safe_load((config / "simulator" / "city.yaml").read_text(encoding="utf-8"))
    shipped = sim["county_scale"]
    sim["county_scale"] = {code: (scales or {}).get(code, shipped.get(code, 0.5 + (i % 10) / 10))
                           for i, code in enumerate(counties)}
    (config / "simulator" / "city.yaml").write_text(yaml.safe_dump(sim), encoding="utf-8")
    targets = yaml.safe_load((config / "county_targets.yaml").read_text(encoding="utf-8"))
    (config / "county_targets.yaml").write_text(
        yaml.safe_dump({c: t for c, t in targets.items() if c in counties}, allow_unicode=True), encoding="utf-8")
    return config


def units_of(city: Catalog, city_cfg: Path, code: str, county_catalog: Catalog) -> SimulatorServer:
    """County ``code``'s units on a simulator server of their own, started (stop it), each with a
    token of the county's own (``server.tokens``)."""
    units = county_units(city, code, make_tokens(county_catalog, sum(map(ord, code))), city_config=city_cfg)
    units.start()
    return units


def collect_county(county: CountyServer, units: SimulatorServer, period: str, run_id: str) -> list[dict]:
    """The county's collect_monthly for ``period``, task by task as tests/runs/test_collect_monthly.py
    runs them (no scheduler), in this process with the county's environment for the while: its
    config, its data folder (the warehouse its api-server serves), its units at ``units`` with
    their tokens. Returns what store stored (unit, period, outcome, status …)."""
    from county_reports.runs import collect_monthly

    with pytest.MonkeyPatch.context() as env:
        env.setenv("COUNTY_REPORTS_CONFIG", str(county.config))
        env.setenv("COUNTY_REPORTS_DATA", str(county.data_dir))
        env.delenv("COUNTY_REPORTS_DB_URL", raising=False)      # the data folder's warehouse.db
        env.setenv("COUNTY_REPORTS_SIMULATOR_URL", units.url)   # units.yaml's base_url
        batches = collect_monthly.plan({"period": period}, datetime.now(UTC))
        pulled = [collect_monthly.pull(b, units.tokens.get, record_as=(run_id, 1)) for b in batches]
        return collect_monthly.store(collect_monthly.validate(pulled, run_id), run_id)


def seed_county(data_dir: Path, city: Catalog, city_cfg: Path, code: str, first: str, last: str,
                county_catalog: Catalog) -> None:
    """The county's warehouse: its units' accepted months, as the city simulator makes them."""
    generator = CitySimulator(city, city_config=city_cfg).counties[code]
    verdicts = []
    for period in periods.span(first, last):
        for unit in generator.catalog.units_active_in(period):
            p = generator.payload(unit.code, period)
            verdicts.append(Verdict(unit=unit.code, period=period, sha256=f"seed-{code}-{unit.code}-{period}",
                                    source="http", received_at="2026-01-01T00:00:00+00:00",
                                    submitted_at=p["submitted_at"], status=ACCEPTED,
                                    values={k: float(v) for k, v in p["values"].items()},
                                    raw_values={k: str(v) for k, v in p["values"].items()},
                                    narratives=tuple(p["narratives"]), contact=p["contact"]))
    data_dir.mkdir(parents=True, exist_ok=True)
    with Warehouse(f"sqlite:///{data_dir / 'warehouse.db'}") as warehouse:
        warehouse.migrate()
        warehouse.sync_roster(county_catalog, "seed")
        warehouse.record_verdicts(verdicts, "seed")


@dataclass
class CountyServer(ApiServer):
    """A county's api-server: its own config (COUNTY_REPORTS_CONFIG) and one uvicorn worker."""
    config: Path | None = None

    def env(self) -> dict[str, str]:
        env = super().env()
        env["COUNTY_REPORTS_CONFIG"] = str(self.config)
        env["AIRFLOW__API__WORKERS"] = "1"
        env["AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT"] = "300"     # a loaded machine parses slowly
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "include"), env.get("PYTHONPATH")]))
        return env


def county_server(root: Path, data: Path, config: Path, **users) -> CountyServer:
    return CountyServer(root / "airflow-work", data, config=config, scripts=("scripts/federation_role.py",),
                        extra_users={SERVICE_ACCOUNT: FEDERATION_ROLE, **users})


def start_clone(first: CountyServer, planned: CountyServer) -> CountyServer:
    """``planned`` (its workdir, port, warehouse, config) started on a copy of ``first``'s
    metadata DB (its users and roles), with a JWT secret of its own. Not waited for: see
    :func:`wait_up`."""
    clone = planned
    clone.passwords = dict(first.passwords)
    clone.workdir.mkdir(parents=True, exist_ok=True)
    clone._env = clone.environment = clone.env()
    with sqlite3.connect(first.workdir / "airflow.db") as source, \
            sqlite3.connect(clone.workdir / "airflow.db") as target:
        source.backup(target)          # consistent while the first server runs
    with clone.log.open("wb") as log:
        clone.proc = subprocess.Popen(AIRFLOW + ["api-server", "--host", "127.0.0.1", "--port", str(clone.port),
                                                 "--workers", "1"],
                                      env=clone._env, cwd=clone.workdir, stdin=subprocess.DEVNULL,
                                      stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return clone


def wait_up(server: ApiServer, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while server.get("/api/v2/monitor/health")[0] != 200:
        if server.proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"api-server did not come up:\n{server.tail()}")
        time.sleep(0.5)


def logins_env(servers: dict[str, ApiServer]) -> dict[str, str]:
    """AIRFLOW_CONN_COUNTY_<CODE> = {"login": "city", "password": …} per county."""
    return {f"AIRFLOW_CONN_{conn_id(code).upper()}": json.dumps(
        {"conn_type": "http", "login": SERVICE_ACCOUNT, "password": s.passwords[SERVICE_ACCOUNT]})
        for code, s in servers.items()}

