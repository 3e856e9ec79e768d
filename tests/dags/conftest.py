"""Real processes for the DAG runs: an SMTP server (aiosmtpd, mail into a Maildir) that the
admins' alerts go to, and an Airflow api-server on the session's metadata DB through whose REST
API the tests answer approval requests, as an admin would in the Required Actions page."""
from __future__ import annotations

import json
import mailbox
import os
import socket
import subprocess
import sys
import time
from email.header import decode_header, make_header
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[2] / "dags"
sys.path.insert(0, str(DAGS))       # as Airflow's bundle does: the tests import dags/_dag_test.py
ADMIN, ADMIN_PASSWORD = "admin", "admin-password-for-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process ended with {process.returncode}: "
                               + (log.read_text(errors="replace")[-3000:] if log else ""))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port} after {seconds} s")


class Mails:
    """The Maildir the SMTP server process writes to."""

    def __init__(self, folder: Path):
        self.folder = folder

    def all(self) -> list:
        if not (self.folder / "new").exists():
            return []
        return list(mailbox.Maildir(self.folder, create=False))

    @staticmethod
    def subject(message) -> str:
        return str(make_header(decode_header(message["Subject"] or "")))

    @staticmethod
    def text(message) -> str:
        parts = [p for p in message.walk() if p.get_content_maintype() == "text"]
        return "\n".join(p.get_payload(decode=True).decode(p.get_content_charset() or "utf-8") for p in parts)

    def wait_for(self, predicate, seconds: float = 20.0) -> list:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = [m for m in self.all() if predicate(m)]
            if found:
                return found
            time.sleep(0.2)
        return []


@pytest.fixture(scope="session")
def smtp_server(tmp_path_factory):
    """aiosmtpd as a process; smtp_default (admins' alerts, SMTP delivery) points at it."""
    port = free_port()
    folder = tmp_path_factory.mktemp("admin-mail") / "maildir"
    server = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                               "-c", "aiosmtpd.handlers.Mailbox", str(folder)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, server, 30)
        os.environ["AIRFLOW_CONN_SMTP_DEFAULT"] = json.dumps({
            "conn_type": "smtp", "host": "127.0.0.1", "port": port,
            "extra": {"disable_tls": True, "disable_ssl": True}})
        yield Mails(folder)
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def api_server(airflow_db, tmp_path_factory):
    """``airflow api-server`` on the session's metadata DB, one admin user (SimpleAuthManager)."""
    from county_reports.deliver.required_actions import AirflowApi

    home = Path(os.environ["AIRFLOW_HOME"])
    passwords = home / "test_passwords.json"
    passwords.write_text(json.dumps({ADMIN: ADMIN_PASSWORD}), encoding="utf-8")
    port = free_port()
    env = {**os.environ, "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin",
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
           "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}"}
    log = tmp_path_factory.mktemp("api-server") / "api-server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "airflow", "api-server", "--host", "127.0.0.1", "--port", str(port),
                                    "--workers", "1"], env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        wait_for_port(port, process, 120, log)
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                api = AirflowApi(url, ADMIN, ADMIN_PASSWORD)
                break
            except Exception:
                time.sleep(0.3)
        else:
            raise RuntimeError(log.read_text(errors="replace")[-3000:])
        yield api
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=20)
