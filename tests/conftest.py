"""Shared test set-up: one Airflow home, one migrated metadata DB and one simulator per session.

Environment variables are set here, at import, because Airflow reads its configuration when it
is first imported.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SESSION_DIR = Path(tempfile.mkdtemp(prefix="county-reports-tests-"))

os.environ["AIRFLOW_HOME"] = str(SESSION_DIR / "airflow")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(REPO / "plugins")
os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"
os.environ["COUNTY_REPORTS_DATA"] = str(SESSION_DIR / "data")
os.environ.pop("COUNTY_REPORTS_DB_URL", None)
os.environ.pop("COUNTY_REPORTS_CONFIG", None)

from object_store import s3_data, s3_server  # noqa: E402,F401  (fixtures: a moto S3 server, a bucket)


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(SESSION_DIR, ignore_errors=True)


def service_unavailable(what: str) -> None:
    """Skip locally; in CI a missing service is a failure, never a silent skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required in CI but unavailable")
    pytest.skip(f"{what} unavailable")


@pytest.fixture
def data(tmp_path, monkeypatch):
    """A data folder and a SQLite warehouse of the test's own, where the package looks for them
    (a module with another idea of ``data`` defines its own fixture)."""
    monkeypatch.setenv("COUNTY_REPORTS_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("COUNTY_REPORTS_DB_URL", f"sqlite:///{tmp_path / 'wh.db'}")
    return tmp_path / "data"


@pytest.fixture(scope="session")
def catalog():
    from county_reports.core.catalog import load_catalog

    return load_catalog()


@pytest.fixture(scope="session")
def demo_tokens(catalog):
    from county_reports.simulator import server

    return server.make_tokens(catalog, 20240101)


@pytest.fixture(scope="session")
def simulator(catalog, demo_tokens):
    """The bundled unit simulator on 127.0.0.1, with its fault profile; tokens in env like Airflow's."""
    import json

    from county_reports.simulator import server

    sim = server.SimulatorServer(catalog, demo_tokens, host="127.0.0.1", port=0,
                                 profile=server.load_profile())
    url = sim.start()
    os.environ["COUNTY_REPORTS_SIMULATOR_URL"] = url
    for conn_id, token in demo_tokens.items():
        os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps({"conn_type": "http", "password": token})
    yield sim
    sim.stop()


@pytest.fixture(scope="session")
def airflow_db():
    """Migrate the session's SQLite metadata DB once (~5 s) for every dag.test() in the run."""
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True,
                   capture_output=True, env=os.environ.copy())
    return os.environ["AIRFLOW_HOME"]


# --------------------------------------------------------------------------- mail servers


@pytest.fixture
def dovecot():
    """A fresh Dovecot per test (starts in ~0.2 s); FAILS in CI when dovecot is missing."""
    from county_reports.simulator.mail import Dovecot, dovecot_available

    if not dovecot_available():
        service_unavailable("dovecot (/usr/sbin/dovecot, package dovecot-imapd; setpriv when root)")
    # Not under pytest's tmp folder: that is private to the user running the tests (0700), and
    # dovecot runs as another user when the tests run as root.
    root = Path(tempfile.mkdtemp(prefix="dovecot-", dir=SESSION_DIR))
    os.chmod(SESSION_DIR, 0o755)
    server = Dovecot(root)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def smtp_inbox():
    """A real SMTP server (aiosmtpd) on 127.0.0.1; yields (host, port, what it received)."""
    from county_reports.simulator.mail import SmtpCatcher

    inbox = SmtpCatcher()
    controller = inbox.start()
    yield controller.hostname, controller.port, inbox
    controller.stop()


@pytest.fixture(scope="session")
def status_server(catalog, tmp_path_factory):
    """A real ``airflow api-server`` (FAB auth manager, users admin/viewer/outsider) serving a
    seeded warehouse: shared by the status-page and browser tests (tests/airflow_server.py)."""
    import status_seed
    from airflow_server import ApiServer

    root = tmp_path_factory.mktemp("api-server")
    data = root / "data"
    data.mkdir()
    status_seed.seed(data, catalog, url=f"sqlite:///{data / 'warehouse.db'}")
    yield from _serving(ApiServer(root / "airflow-work", data), "api-server with the FAB auth manager")


@pytest.fixture(scope="session")
def county_server(catalog, tmp_path_factory):
    """A county's ``airflow api-server`` (FAB) serving its month to the city (issue 22): a warehouse
    with 2025-05 and 2025-06 accepted (TS03 missing June), the role CountyReportsFederation made by
    scripts/federation_role.py, and the city's service account ``city`` holding only that role
    (beside admin, viewer — the status pages' role —, outsider and clerk, Airflow's User role)."""
    from airflow_server import ApiServer

    from county_reports.simulator.seeding import accepted_verdicts
    from county_reports.warehouse import Warehouse

    root = tmp_path_factory.mktemp("county-server")
    data = root / "data"
    data.mkdir()
    with Warehouse(f"sqlite:///{data / 'warehouse.db'}") as warehouse:
        warehouse.migrate()
        warehouse.sync_roster(catalog, "seed")
        warehouse.record_verdicts(accepted_verdicts(catalog, "2025-05", "2025-06", skip={("TS03", "2025-06")}),
                                  "seed")
    api = ApiServer(root / "airflow-work", data, scripts=("scripts/federation_role.py",),
                    extra_users={"city": "CountyReportsFederation", "clerk": "User"})
    yield from _serving(api, "county api-server")


def _serving(api, label: str):
    """A session fixture's body: the api-server started, handed out, its log tail shown on failure,
    stopped at the end."""
    try:
        api.start()
        print(f"\n{label} up in {api.setup_seconds:.1f} s at {api.url}")
        yield api
    except BaseException:
        print(api.tail())
        raise
    finally:
        api.stop()
