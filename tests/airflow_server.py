"""A real ``airflow api-server`` with the FAB auth manager, for the status-page and browser tests.

Set up as the compose file's airflow-init does it (docs/production.md), on a fresh SQLite
metadata DB in a temporary AIRFLOW_HOME:

    airflow db migrate                          # Airflow's and the FAB auth manager's tables
    airflow dags reserialize                    # the DAGs in the DB, so DAG:collect_monthly exists
    airflow roles create CountyReportsViewer    # the read-only role of the status page …
    airflow roles add-perms …                   # … may read collect_monthly and list plugins
    airflow users create …                      # admin (Admin), viewer, outsider (Public: no rights)

then ``airflow api-server`` on a free port, under a base_url with a path (``/airflow``), the way
a reverse proxy would publish it. One server per test module; its process group is killed at
the end, and its log is printed when something failed.
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AIRFLOW = [sys.executable, "-m", "airflow"]
FAB = "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager"
VIEWER_ROLE = "CountyReportsViewer"
VIEWER_RESOURCES = ["DAG:collect_monthly", "Plugins"]     # can_read on each
BASE_PATH = "/airflow"
START_TIMEOUT = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ApiServer:
    workdir: Path
    data_dir: Path
    port: int = field(default_factory=free_port)
    passwords: dict[str, str] = field(default_factory=lambda: {
        name: secrets.token_urlsafe(12) for name in ("admin", "viewer", "outsider")})
    proc: subprocess.Popen | None = None
    extra_users: dict[str, str] = field(default_factory=dict)    # name → role, beside the three
    scripts: tuple[str, ...] = ()     # repo scripts run with the server's environment before the users

    @property
    def url(self) -> str:
        """Where the UI and the API answer: the base_url, path included, no trailing slash."""
        return f"http://127.0.0.1:{self.port}{BASE_PATH}"

    @property
    def log(self) -> Path:
        return self.workdir / "api-server.log"

    def env(self) -> dict[str, str]:
        """The server's environment (fresh secrets); after start(), ``environment`` is the one in use."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AIRFLOW_", "AIRFLOW__", "COUNTY_REPORTS_"))}
        env.update({
            "AIRFLOW_HOME": str(self.workdir / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__AUTH_MANAGER": FAB,
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.workdir / 'airflow.db'}",
            "AIRFLOW__API__BASE_URL": self.url + "/",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "COUNTY_REPORTS_DATA": str(self.data_dir),
            # A copy of the shipped config, so a test may name the server's own admin an approver.
            "COUNTY_REPORTS_CONFIG": str(self.workdir / "config"),
            "PYTHONUNBUFFERED": "1",
        })
        return env

    def _run(self, *argv: str, timeout: float = 180) -> None:
        done = subprocess.run(AIRFLOW + list(argv), env=self._env, cwd=self.workdir,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise AssertionError(f"`airflow {' '.join(argv[:3])} …` exited {done.returncode}:\n"
                                 f"{(done.stdout + done.stderr)[-3000:]}")

    def start(self) -> ApiServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._env = self.environment = self.env()
        shutil.copytree(REPO / "include" / "config", self.workdir / "config", dirs_exist_ok=True)
        started = time.monotonic()
        self._run("db", "migrate")
        self._run("dags", "reserialize")
        self._run("roles", "create", VIEWER_ROLE)
        self._run("roles", "add-perms", VIEWER_ROLE, "-r", *VIEWER_RESOURCES, "-a", "can_read")
        for script in self.scripts:
            done = subprocess.run([sys.executable, str(REPO / script)], env=self._env, cwd=self.workdir,
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180)
            assert done.returncode == 0, f"{script} failed:\n{(done.stdout + done.stderr)[-3000:]}"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(AIRFLOW + ["api-server", "--host", "127.0.0.1", "--port", str(self.port)],
                                         env=self._env, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._create_users({"admin": "Admin", "viewer": VIEWER_ROLE, "outsider": "Public"})
        if self.extra_users:    # a second wave: more processes at once only slow a shared machine down
            self._create_users(self.extra_users)
        deadline = time.monotonic() + START_TIMEOUT
        while self.get("/api/v2/monitor/health")[0] != 200:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"api-server did not come up:\n{self.tail()}")
            time.sleep(0.5)
        self.setup_seconds = time.monotonic() - started
        return self

    def _create_users(self, roles: dict[str, str]) -> None:
        for name in roles:
            self.passwords.setdefault(name, secrets.token_urlsafe(12))
        creating = [subprocess.Popen(
            AIRFLOW + ["users", "create", "--username", name, f"--password={self.passwords[name]}",
                       "--role", role, "--firstname", name, "--lastname", "test",
                       "--email", f"{name}@example.org"],
            env=self._env, cwd=self.workdir, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for name, role in roles.items()]
        failed = {}
        for name, proc in zip(roles, creating, strict=True):
            _, err = proc.communicate(timeout=180)
            if proc.returncode != 0:
                failed[name] = err.decode()
        # Each `users create` syncs FAB's permissions first; processes started together (and the
        # api-server starting beside them) can race on the same permission row (UNIQUE failed on
        # ab_permission_view_role). Such a loser is run again, alone; an existing user is a no-op.
        for name, err in failed.items():
            assert "IntegrityError" in err, f"users create failed: {err[-2000:]}"
            self._run("users", "create", "--username", name, f"--password={self.passwords[name]}",
                      "--role", roles[name], "--firstname", name, "--lastname", "test",
                      "--email", f"{name}@example.org")

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text("utf-8", "replace").splitlines()[-lines:])
        except OSError as exc:
            return f"(no log: {exc})"

    # ------------------------------------------------------------------ HTTP

    def token(self, user: str) -> str:
        """A JWT from the FAB auth manager's token endpoint (POST {base_url}/auth/token)."""
        status, body = self.request("POST", "/auth/token",
                                    {"username": user, "password": self.passwords[user]})
        assert status == 201, f"no token for {user}: {status} {body[:300]!r}"
        return json.loads(body)["access_token"]

    def get(self, path: str, token: str | None = None) -> tuple[int, bytes]:
        return self.request("GET", path, token=token)

    def request(self, method: str, path: str, payload: dict | None = None,
                token: str | None = None) -> tuple[int, bytes]:
        headers = {"Accept": "*/*"}
        data = None
        if payload is not None:
            data = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.url + urllib.parse.quote(path, safe="/?=&%"), data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except (urllib.error.URLError, OSError) as exc:
            return 0, str(exc).encode()
