"""docker-compose.yaml, Dockerfile and .env.example, checked statically (no Docker needed).

The same topology runs for real, as processes, in tests/topology/test_processes.py.
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yaml"
DOCKERFILE = REPO / "Dockerfile"
ENV_EXAMPLE = REPO / ".env.example"

# service -> the command it must run
AIRFLOW_COMMANDS = {
    "airflow-apiserver": ["api-server"],
    "airflow-scheduler": ["scheduler"],
    "airflow-dag-processor": ["dag-processor"],
    "airflow-triggerer": ["triggerer"],
    "airflow-worker": ["celery", "worker", "--skip-serve-logs"],   # logs read from the shared volume
    "simulator": ["python", "-m", "county_reports", "simulate", "--host", "0.0.0.0", "--port", "8765"],
}
SERVICES = {"postgres", "redis", "airflow-init", *AIRFLOW_COMMANDS}
AIRFLOW_SERVICES = {"airflow-init", *(s for s in AIRFLOW_COMMANDS if s != "simulator")}
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN(_|$)|PRIVATE|(^|_)KEY$|CREDENTIAL", re.I)
URL_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^/:@\s]+:(?P<password>[^@\s]*)@", re.I)
DEV_DEFAULTS: dict[str, str] = {}     # no secret has a default, not even for a trial
INIT_SCRIPT = REPO / "scripts" / "postgres-init" / "10-county-reports.sh"
CONTROL_PLANE = {"airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                 "airflow-triggerer"}
# What each service may hold, by the .env variable behind it, and nothing more. Airflow 3.3's
# "JWT Token Authentication" (security docs): the api-server signs the REST tokens and checks
# the execution API's; the scheduler's executor signs each task's token; the dag-processor and
# the triggerer call the execution API in-process (no JWT); the worker only carries its task's
# token. The Fernet key decrypts connections and variables in the metadata DB, which only the
# control plane reads (tasks get them decrypted through the execution API).
SECRETS = {
    "AIRFLOW__API_AUTH__JWT_SECRET": "jwt", "AIRFLOW__CORE__FERNET_KEY": "fernet",
    "AIRFLOW__API__SECRET_KEY": "api-secret-key", "POSTGRES_PASSWORD": "postgres-superuser",
    "AIRFLOW_DB_PASSWORD": "metadata-db", "WAREHOUSE_DB_PASSWORD": "warehouse",
    "WAREHOUSE_READER_PASSWORD": "warehouse-reader", "CELERY_RESULTS_DB_PASSWORD": "celery-results",
    "AIRFLOW_ADMIN_PASSWORD": "admin-password",
}
CONTROL = {"metadata-db", "fernet", "api-secret-key", "celery-results"}
HOLDS = {
    "postgres": {"postgres-superuser", "metadata-db", "warehouse", "warehouse-reader", "celery-results"},
    "redis": set(),
    "airflow-init": CONTROL | {"admin-password"},
    "airflow-apiserver": CONTROL | {"jwt", "warehouse-reader"},
    "airflow-scheduler": CONTROL | {"jwt"},
    "airflow-dag-processor": CONTROL,
    "airflow-triggerer": CONTROL,
    "airflow-worker": {"warehouse", "celery-results"},
    "simulator": set(),
}
FAB = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
VIEWER_ROLE = "CountyReportsViewer"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def _argv(command) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def _env(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def _strings(node, path=""):
    """Every (path, key, string) in the document, keys included."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}")
            if isinstance(value, (str, int, float)):
                yield f"{path}.{key}", str(key), str(value)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            if isinstance(value, str):
                yield f"{path}[{i}]", "", value
            else:
                yield from _strings(value, f"{path}[{i}]")


def _only_interpolation(value: str, name_hint: str) -> bool:
    """True when the value is exactly one ${VAR…} with no literal default (dev defaults aside)."""
    match = INTERPOLATION.fullmatch(value.strip())
    if not match:
        return False
    if match["op"] in (None, "?", ":?"):
        return True
    return DEV_DEFAULTS.get(match["name"]) == match["arg"] or DEV_DEFAULTS.get(name_hint) == match["arg"]


def _url_password(value: str) -> str | None:
    """The password of a ``scheme://user:password@host`` URL, ${…} interpolations kept whole."""
    found: list[str] = []

    def hide(match: re.Match) -> str:
        found.append(match.group(0))
        return f"\x01{len(found) - 1}\x02"

    url = URL_PASSWORD.match(INTERPOLATION.sub(hide, value))
    if not url:
        return None
    return re.sub(r"\x01(\d+)\x02", lambda m: found[int(m[1])], url["password"])


# --------------------------------------------------------------------------- structure


def test_compose_parses_and_has_every_service(compose, services):
    assert isinstance(compose, dict) and "x-airflow-common" in compose
    assert set(services) >= SERVICES, f"missing: {sorted(SERVICES - set(services))}"


def test_airflow_services_share_the_built_image(compose, services):
    common = compose["x-airflow-common"]
    assert common["build"]["context"] == "."
    assert common["build"].get("dockerfile", "Dockerfile") == "Dockerfile"
    for name in AIRFLOW_SERVICES | {"simulator"}:
        assert services[name].get("image") == common["image"], name
        assert services[name].get("build") == common["build"], name


def test_each_service_runs_its_command(services):
    for name, expected in AIRFLOW_COMMANDS.items():
        assert _argv(services[name]["command"]) == expected, name


def test_init_migrates_creates_the_pool_and_checks_the_config(services):
    script = " ".join(_argv(services["airflow-init"]["command"]))
    assert "airflow db migrate" in script
    assert 'airflow pools set unit_endpoints 8 "concurrent pulls of unit endpoints"' in script
    assert "python -m county_reports check-config" in script
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        depends = services[name]["depends_on"]
        assert depends["airflow-init"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["redis"]["condition"] == "service_healthy", name


def test_images_of_the_backing_services(services):
    assert services["postgres"]["image"].split(":")[1].startswith("16")
    assert services["redis"]["image"].split(":")[1].startswith("7")


def test_long_running_services_have_healthchecks(services):
    for name in SERVICES - {"airflow-init"}:
        check = services[name].get("healthcheck")
        assert check and check.get("test"), f"{name} has no healthcheck"


def test_api_server_is_published_on_8080_on_localhost_only_by_default(services):
    [port] = services["airflow-apiserver"]["ports"]
    host, published, target = INTERPOLATION.sub(lambda m: m["arg"] or "", str(port)).split(":")
    assert (host, target) == ("127.0.0.1", "8080"), port
    assert str(port).startswith("${AIRFLOW_BIND:-127.0.0.1}:"), "bind address configurable, localhost default"
    for name, service in services.items():
        if name != "airflow-apiserver":
            assert not service.get("ports"), f"{name} publishes a port"


def test_the_simulator_is_only_in_the_demo_profile_with_only_the_data_volume(services):
    simulator = services["simulator"]
    assert simulator.get("profiles") == ["demo"]
    for name in SERVICES - {"simulator"}:
        assert not services[name].get("profiles"), f"{name} must start without a profile"
    assert [str(v).split(":")[1] for v in simulator["volumes"]] == ["/opt/airflow/data"]
    env = _env(simulator)
    assert not [k for k in env if k.startswith("AIRFLOW__") or SECRET_NAME.search(k)], env


# --------------------------------------------------------------------------- sign-in


def test_every_airflow_service_runs_the_fab_auth_manager(compose, services):
    for name in AIRFLOW_SERVICES:
        assert _env(services[name])["AIRFLOW__CORE__AUTH_MANAGER"] == FAB, name
    text = COMPOSE.read_text(encoding="utf-8")
    assert "SIMPLE_AUTH_MANAGER" not in text, "the development auth manager is not for production"
    assert "passwords.json" not in text and "airflow-auth" not in text
    pins = (REPO / "requirements.txt").read_text(encoding="utf-8")
    assert re.search(r"^apache-airflow-providers-fab==3\.10\.2$", pins, re.M)


def test_init_creates_the_admin_and_the_read_only_role_of_the_status_page(services):
    init = services["airflow-init"]
    script = " ".join(_argv(init["command"]))
    steps = ["airflow db migrate", "airflow dags reserialize", f"airflow roles create {VIEWER_ROLE}",
             f"airflow roles add-perms {VIEWER_ROLE}", "get_application_builder"]
    positions = [script.find(step) for step in steps]
    assert -1 not in positions and positions == sorted(positions), dict(zip(steps, positions, strict=False))
    grant = re.search(rf"roles add-perms {VIEWER_ROLE} -r (?P<res>[^-]+) -a (?P<act>\S+)", script)
    assert grant and set(grant["res"].split()) == {"DAG:collect_monthly", "Plugins"}
    assert grant["act"] == "can_read", "read-only"
    # the admin is made by FAB's own add_user, the password read from the environment in Python
    # (tests/deploy/test_compose_init_steps.py runs that step for real)
    assert 'os.environ["AIRFLOW_ADMIN_PASSWORD"]' in script and 'sm.find_role("Admin")' in script
    env = _env(init)
    assert INTERPOLATION.fullmatch(env["AIRFLOW_ADMIN_PASSWORD"])["op"] == ":?", \
        "compose refuses to start without an admin password"
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        assert "AIRFLOW_ADMIN_PASSWORD" not in _env(services[name]), f"{name} sees the admin password"


def test_no_auth_files_are_mounted(compose, services):
    for name, service in services.items():
        for volume in service.get("volumes") or []:
            assert "auth" not in str(volume), f"{name} mounts {volume}"
    assert "airflow-auth" not in (compose.get("volumes") or {})


def test_compose_refuses_to_start_without_each_secret(compose):
    required = {m["name"] for _, _, value in _strings(compose) for m in INTERPOLATION.finditer(value)
                if m["op"] in ("?", ":?")}
    assert {"POSTGRES_PASSWORD", "AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET",
            "AIRFLOW__API__SECRET_KEY", "AIRFLOW_ADMIN_PASSWORD"} <= required
    defaults = {m["name"]: m["arg"] for _, _, value in _strings(compose)
                for m in INTERPOLATION.finditer(value) if m["op"] in ("-", ":-")}
    assert not [n for n in defaults if SECRET_NAME.search(n)], f"secrets with a default: {defaults}"


# --------------------------------------------------------------------------- configuration


def _db_user(url: str) -> str:
    return re.match(r"^[a-z0-9+]+://([^:@/]+)[:@]", url)[1]


def test_celery_executor_on_postgres_and_redis(services):
    for name in AIRFLOW_SERVICES:
        env = _env(services[name])
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"].lower() == "false", name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:6379/"), name
        # Celery's results in their own database, under their own role (the worker writes them)
        backend = env["AIRFLOW__CELERY__RESULT_BACKEND"]
        assert backend.startswith("db+postgresql") and backend.endswith("@postgres:5432/celery_results"), name
        assert _db_user(backend.removeprefix("db+")) == "celery_results", name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
        # the data volume by default; a bucket (s3://…) from .env, its keys passed on, never written here
        assert env["COUNTY_REPORTS_DATA"] == "${COUNTY_REPORTS_DATA:-/opt/airflow/data}", name
        assert all(env[k] == "" for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")), name
        assert env["COUNTY_REPORTS_SIMULATOR_URL"] == "http://simulator:8765", name
    for name in CONTROL_PLANE:
        conn = _env(services[name])["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert conn.startswith("postgresql") and conn.endswith("@postgres:5432/airflow"), name
        assert _db_user(conn) == "airflow", f"{name}: the metadata DB's own role, not the superuser"
    for name, role in (("airflow-worker", "county_reports"), ("airflow-apiserver", "county_reports_reader")):
        url = _env(services[name])["COUNTY_REPORTS_DB_URL"]
        assert url.endswith("@postgres:5432/county_reports") and _db_user(url) == role, name


def _secrets_held(service: dict) -> set[str]:
    """The secrets a service holds: every ${VAR} compose fills in anywhere in its definition
    (``$${VAR}`` is the container's own shell variable, not compose's)."""
    names = {m["name"] for _, _, value in _strings(service)
             for m in re.finditer(r"(?<!\$)\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)", value)}
    return {SECRETS[n] for n in names if n in SECRETS}


def test_each_service_holds_only_the_secrets_it_needs(services):
    assert set(HOLDS) == set(services), "a service without an entry in HOLDS"
    held = {name: _secrets_held(service) for name, service in services.items()}
    assert held == HOLDS
    worker = _env(services["airflow-worker"])
    for key in ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API__SECRET_KEY",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW_ADMIN_PASSWORD"):
        assert key not in worker, f"the worker parses units' files and must not hold {key}"
    assert "env_file" not in services["airflow-worker"]


def test_no_service_uses_the_postgres_superuser(services):
    superuser = INTERPOLATION.fullmatch(_env(services["postgres"])["POSTGRES_USER"])
    assert superuser and superuser["arg"] == "postgres"
    script = INIT_SCRIPT.read_text(encoding="utf-8")
    made = dict(re.findall(r"(\w+_(?:USER|READER))=\"\$\{\w+:-(\w+)\}\"", script))
    assert made == {"AIRFLOW_DB_USER": "airflow", "WAREHOUSE_USER": "county_reports",
                    "WAREHOUSE_READER": "county_reports_reader", "CELERY_RESULTS_USER": "celery_results"}
    for name in AIRFLOW_SERVICES:
        for key, value in _env(services[name]).items():
            if "postgresql" in value:
                assert _db_user(value.removeprefix("db+")) in made.values(), f"{name} {key}: {value}"


def test_no_secret_is_expanded_on_a_command_line(services):
    """A value on a command line is readable by every process on the host (/proc/*/cmdline)."""
    for name, service in services.items():
        command = " ".join(_argv(service.get("command") or []))
        expanded = re.findall(r"\$\$?\{(\w+)", command)
        assert not [v for v in expanded if v in SECRETS or SECRET_NAME.search(v)], (name, expanded)
        assert "--password" not in command and "--conn-password" not in command, name


def test_the_county_reports_database_is_created_by_an_init_script(services):
    mounts = [v for v in services["postgres"]["volumes"]
              if isinstance(v, str) and ":/docker-entrypoint-initdb.d" in v]
    assert mounts, "postgres has no init script mount"
    host = REPO / mounts[0].split(":")[0]
    assert sorted(p.name for p in host.iterdir()) == [INIT_SCRIPT.name]
    assert INIT_SCRIPT.stat().st_mode & 0o111, "executable: the image runs it (sourced, set -e would leak)"
    assert re.search(r"CREATE DATABASE %I OWNER %I", INIT_SCRIPT.read_text(encoding="utf-8"))


def test_code_config_and_data_are_mounted_code_read_only(compose, services):
    mounts = {str(v).split(":")[1]: str(v).split("#")[0].strip().split(":")[2:]
              for v in compose["x-airflow-common"]["volumes"]}
    assert {"/opt/airflow/dags", "/opt/airflow/plugins", "/opt/airflow/include",
            "/opt/airflow/data"} <= set(mounts)
    for code in ("/opt/airflow/dags", "/opt/airflow/plugins", "/opt/airflow/include"):
        assert mounts[code] == ["ro"], f"{code} must be mounted read-only: a task must not rewrite the code"
    assert mounts["/opt/airflow/data"] == [], "the data volume is written"
    for name in AIRFLOW_SERVICES:
        assert services[name]["volumes"] == compose["x-airflow-common"]["volumes"], name


def test_every_bind_mount_exists_and_every_named_volume_is_declared(compose, services):
    declared = set(compose.get("volumes") or {})
    for name, service in services.items():
        for volume in service.get("volumes") or []:
            if isinstance(volume, dict):
                source, kind = volume.get("source", ""), volume.get("type", "volume")
            else:
                source = str(volume).split(":")[0]
                kind = "bind" if source.startswith((".", "/", "~")) else "volume"
            if kind == "bind":
                assert not source.startswith(("/", "~")), f"{name}: absolute host path {source}"
                assert (REPO / source).exists(), f"{name}: bind mount {source} is not in the repo"
            else:
                assert source in declared, f"{name}: named volume {source} is not declared"


# --------------------------------------------------------------------------- image


def test_dockerfile_installs_the_pinned_requirements_and_the_package():
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM apache/airflow:3\.3\.2-python3\.11\s*$", text, re.M)
    assert "requirements.txt" in text and "constraints.txt" in text
    assert re.search(r"pip install .*-r \S*requirements\.txt .*-c \S*constraints\.txt", text)
    assert re.search(r"pip install .*--no-deps -e ", text)
    for line in re.findall(r"^COPY\s+(?:--\S+\s+)*(.+)$", text, re.M):
        for source in line.split()[:-1]:
            assert (REPO / source).exists(), f"Dockerfile copies {source}, which is not in the repo"


def test_requirements_pin_the_celery_executor_and_the_async_postgres_driver():
    pins = (REPO / "requirements.txt").read_text(encoding="utf-8")
    assert re.search(r"^apache-airflow==3\.3\.2$", pins, re.M)
    assert re.search(r"^apache-airflow-providers-celery==", pins, re.M), \
        "CeleryExecutor needs apache-airflow-providers-celery in requirements.txt"
    # Airflow 3 opens an async engine on the metadata DB: postgresql+asyncpg
    assert re.search(r"^asyncpg==", pins, re.M), "Airflow 3 on PostgreSQL needs asyncpg"


# --------------------------------------------------------------------------- secrets


def test_no_plaintext_secrets_in_compose(compose):
    for path, key, value in _strings(compose):
        if key.upper().startswith("AIRFLOW_CONN_"):
            pytest.fail(f"{path}: connections (unit tokens) do not belong in docker-compose.yaml")
        # the masker's adapter is the name of a function that says what to mask, not a secret
        if SECRET_NAME.search(key) and value and not key.endswith(("_FILE", "_SECRET_MASK_ADAPTER")):
            assert _only_interpolation(value, key), f"{path}: literal secret {value!r}"
        password = _url_password(value)
        if password is not None:
            assert _only_interpolation(password, ""), f"{path}: password in URL {value!r}"


def test_no_secrets_in_the_dockerfile():
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if re.match(r"\s*(ENV|ARG)\s", line):
            assert not SECRET_NAME.search(line.split()[1].split("=")[0]), line


def test_env_example_lists_every_required_variable_without_values(compose):
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    entries = dict(re.findall(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", text, re.M))
    required = {m["name"] for _, _, value in _strings(compose)
                for m in INTERPOLATION.finditer(value) if m["op"] in ("?", ":?")}
    assert required, "compose requires no secret from the environment"
    assert required | {"POSTGRES_PASSWORD"} <= set(entries), \
        f"not in .env.example: {sorted(required | {'POSTGRES_PASSWORD'} - set(entries))}"
    for name, value in entries.items():
        if SECRET_NAME.search(name):
            assert value.strip() == "", f".env.example gives {name} a value"
