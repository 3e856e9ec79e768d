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


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(SESSION_DIR, ignore_errors=True)


def service_unavailable(what: str) -> None:
    """Skip locally; in CI a missing service is a failure, never a silent skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required in CI but unavailable")
    pytest.skip(f"{what} unavailable")


@pytest.fixture(scope="session")
def catalog():
    from county_reports.catalog import load_catalog

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


class Dovecot:
    """A real Dovecot IMAP server as an unprivileged process: its own configuration, a static
    user ``jtj``/``secret`` and a Maildir under ``root``; messages are delivered by writing
    Maildir files. Run as ``nobody`` through setpriv when the tests run as root."""

    USER, PASSWORD = "jtj", "secret"

    def __init__(self, root: Path):
        import socket

        self.root = root
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.as_root = os.geteuid() == 0
        self.uid, self.gid = (65534, 65534) if self.as_root else (os.getuid(), os.getgid())
        self.process = None

    def start(self) -> "Dovecot":
        import grp
        import pwd
        import socket
        import time

        user, group = pwd.getpwuid(self.uid).pw_name, grp.getgrgid(self.gid).gr_name
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        conf = self.root / "dovecot.conf"
        conf.write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:{self.root}/mail/%u
passdb {{
  driver = static
  args = password={self.PASSWORD}
}}
userdb {{
  driver = static
  args = uid={self.uid} gid={self.gid} home={self.root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
""")
        self._own(self.root)
        command = ["/usr/sbin/dovecot", "-c", str(conf), "-F"]
        if self.as_root:
            command = ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups", *command]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        log = (self.root / "dovecot.log").read_text(errors="replace") if (self.root / "dovecot.log").exists() else ""
        out = self.process.stdout.read().decode(errors="replace") if self.process.poll() is not None else ""
        self.stop()
        raise RuntimeError(f"dovecot did not start: {out}\n{log}")

    def _own(self, path: Path) -> None:
        if self.as_root:
            for p in [path, *path.rglob("*")]:
                os.chown(p, self.uid, self.gid)

    def deliver(self, raw: bytes, user: str = USER) -> Path:
        """Put a message in the user's INBOX the way an MDA does (Maildir tmp/ then new/)."""
        import time
        import uuid

        box = self.root / "mail" / user
        for sub in ("tmp", "new", "cur"):
            (box / sub).mkdir(parents=True, exist_ok=True)
        self._own(box)
        name = f"{int(time.time())}.{uuid.uuid4().hex}.test"
        tmp = box / "tmp" / name
        tmp.write_bytes(raw)
        if self.as_root:
            os.chown(tmp, self.uid, self.gid)
        target = box / "new" / name
        os.rename(tmp, target)
        return target

    def client(self):
        import imaplib

        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(self.USER, self.PASSWORD)
        return client

    def connection_env(self) -> str:
        import json

        return json.dumps({"conn_type": "imap", "host": "127.0.0.1", "port": self.port,
                           "login": self.USER, "password": self.PASSWORD,
                           "extra": {"use_ssl": False}})

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def dovecot():
    """A fresh Dovecot per test (starts in ~0.2 s); FAILS in CI when dovecot is missing."""
    if not Path("/usr/sbin/dovecot").is_file() or (os.geteuid() == 0 and not shutil.which("setpriv")):
        service_unavailable("dovecot (/usr/sbin/dovecot, package dovecot-imapd)")
    # Not under pytest's tmp folder: that is private to the user running the tests (0700), and
    # dovecot runs as another user when the tests run as root.
    root = Path(tempfile.mkdtemp(prefix="dovecot-", dir=SESSION_DIR))
    os.chmod(SESSION_DIR, 0o755)
    server = Dovecot(root)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


class SmtpInbox:
    """What an aiosmtpd server received: parsed messages, in order."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        msg = message_from_bytes(envelope.content, policy=policy.default)
        msg.rcpt_tos = list(envelope.rcpt_tos)
        self.messages.append(msg)
        return "250 Message accepted for delivery"

    def to(self, address: str):
        return [m for m in self.messages if address in m.rcpt_tos]


@pytest.fixture
def smtp_inbox():
    """A real SMTP server (aiosmtpd) on 127.0.0.1; yields (host, port, inbox)."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield "127.0.0.1", port, inbox
    controller.stop()
