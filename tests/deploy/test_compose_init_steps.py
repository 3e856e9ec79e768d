"""The two Python steps of docker-compose.yaml's airflow-init, taken from the compose file and run
for real (no Docker): the admin made with the password read from the environment — against a
fresh metadata DB with the FAB auth manager — and the demo tokens imported as connections
(the step that used to import a module which no longer exists)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
FAB = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"


@pytest.fixture(scope="module")
def init_script() -> str:
    compose = yaml.safe_load((REPO / "docker-compose.yaml").read_text(encoding="utf-8"))
    return compose["services"]["airflow-init"]["command"][2]


def test_the_admin_is_created_from_the_environment_and_kept_on_a_second_run(init_script, tmp_path):
    step = re.search(r"python - <<'PY'\n(.*?)\nPY\n", init_script, re.S)[1]
    home = tmp_path / "airflow"
    (home / "dags").mkdir(parents=True)
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__AUTH_MANAGER": FAB,
           "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
           "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"), "AIRFLOW__CORE__LOAD_EXAMPLES": "false",
           "AIRFLOW_ADMIN_USERNAME": "bureau-admin", "AIRFLOW_ADMIN_EMAIL": "admin@jtj.example",
           "AIRFLOW_ADMIN_PASSWORD": "Pw-from-the-env-7"}
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, check=True,
                   capture_output=True, timeout=300)
    for password in ("Pw-from-the-env-7", "another-one"):     # init again: the user stays as it is
        run = subprocess.run([sys.executable, "-"], input=step, text=True, env={**env, "AIRFLOW_ADMIN_PASSWORD": password},
                             capture_output=True, timeout=300)
        assert run.returncode == 0, run.stderr[-3000:]
        assert password not in run.stdout + run.stderr
    check = """
from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder
from werkzeug.security import check_password_hash
with get_application_builder() as ab:
    u = ab.sm.find_user("bureau-admin")
    print("RESULT", [r.name for r in u.roles], check_password_hash(u.password, "Pw-from-the-env-7"),
          check_password_hash(u.password, "another-one"), u.email)
"""
    run = subprocess.run([sys.executable, "-"], input=check, text=True, env=env, capture_output=True, timeout=300)
    assert "RESULT ['Admin'] True False admin@jtj.example" in run.stdout, run.stderr[-3000:]


def test_the_demo_token_step_writes_every_units_connection(init_script, tmp_path, catalog):
    code = re.search(r"python -c '([^']+)' > /tmp/unit-connections.json", init_script)[1]
    assert init_script.index("umask 077") < init_script.index("/tmp/unit-connections.json"), \
        "the tokens' file is the owner's alone"
    env = {**os.environ, "COUNTY_REPORTS_DATA": str(tmp_path / "data"),
           "PYTHONPATH": os.pathsep.join([str(REPO / "include"), os.environ.get("PYTHONPATH", "")])}
    env.pop("COUNTY_REPORTS_SECRETS", None)
    subprocess.run([sys.executable, "-m", "county_reports", "dev-secrets"], env=env, check=True,
                   capture_output=True, timeout=120)
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    connections = json.loads(run.stdout)
    tokens = json.loads((tmp_path / "data" / "secrets" / "unit_tokens.json").read_text(encoding="utf-8"))
    assert connections == {c: {"conn_type": "http", "password": t} for c, t in tokens.items()}
    assert {u.token_conn_id for u in catalog.units if u.channel == "http"} <= set(connections)
