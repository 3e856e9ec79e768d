"""Mail servers and a clerk's e-mail, for the demo and the tests (no Airflow import).

- :class:`Dovecot` — a real Dovecot IMAP server as an unprivileged process with its own
  configuration (static user, Maildir under its folder); messages are delivered by writing
  Maildir files, as an MDA does. Run as ``nobody`` through ``setpriv`` when started by root.
- :class:`SmtpCatcher` — what an aiosmtpd SMTP server received, parsed.
- :func:`filled_template`, :func:`email` — the unit's template (signed with the bureau's template
  key) filled in with openpyxl, in a MIME message from the clerk, with the trace headers the
  bureau's mail server adds on top (:func:`mx_trace`: its ``Authentication-Results`` and
  ``Received``); tests pass other traces to play a forger.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from openpyxl import Workbook, load_workbook

from county_reports.collect import template
from county_reports.simulator.data import SubmissionGenerator
from county_reports.simulator.profile import load_profile

DOVECOT = "/usr/sbin/dovecot"
# Dovecot's configuration: IMAP on 127.0.0.1 only, plain login, one static user, Maildir.
_DOVECOT_CONF = """
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def dovecot_available() -> bool:
    return Path(DOVECOT).is_file() and (os.geteuid() != 0 or shutil.which("setpriv") is not None)


class Dovecot:
    """A real Dovecot IMAP server as an unprivileged process: its own configuration, a static
    user ``jtj``/``secret`` and a Maildir under ``root``; messages are delivered by writing
    Maildir files. Run as ``nobody`` through setpriv when started by root."""

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

    def start(self) -> Dovecot:
        """Write the configuration, start Dovecot and wait until it listens (15 s at most)."""
        conf = self._write_config()
        self._own(self.root)
        command = [DOVECOT, "-c", str(conf), "-F"]
        if self.as_root:
            command = ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups", *command]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if self._listening_within(15):
            return self
        log = (self.root / "dovecot.log").read_text(errors="replace") if (self.root / "dovecot.log").exists() else ""
        out = self.process.stdout.read().decode(errors="replace") if self.process.poll() is not None else ""
        self.stop()
        raise RuntimeError(f"dovecot did not start: {out}\n{log}")

    def _write_config(self) -> Path:
        import grp
        import pwd

        user, group = pwd.getpwuid(self.uid).pw_name, grp.getgrgid(self.gid).gr_name
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        conf = self.root / "dovecot.conf"
        conf.write_text(_DOVECOT_CONF.format(root=self.root, user=user, group=group, password=self.PASSWORD,
                                             uid=self.uid, gid=self.gid, port=self.port))
        return conf

    def _listening_within(self, seconds: float) -> bool:
        """Whether the IMAP port accepts a connection before ``seconds`` pass or the process ends."""
        import socket
        import time

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return True
            except OSError:
                time.sleep(0.1)
        return False

    def _own(self, path: Path) -> None:
        if self.as_root:
            for p in [path, *path.rglob("*")]:
                os.chown(p, self.uid, self.gid)

    def deliver(self, raw: bytes, user: str = USER, *, received=None) -> Path:
        """Put a message in the user's INBOX the way an MDA does (Maildir tmp/ then new/);
        ``received`` (a datetime) is when the server took it: the file's time, which Dovecot
        reports as the message's INTERNALDATE."""
        import time
        import uuid

        box = self.root / "mail" / user
        for sub in ("tmp", "new", "cur"):
            (box / sub).mkdir(parents=True, exist_ok=True)
        self._own(box)
        name = f"{int(time.time())}.{uuid.uuid4().hex}.test"
        tmp = box / "tmp" / name
        tmp.write_bytes(raw)
        if received is not None:
            os.utime(tmp, (received.timestamp(), received.timestamp()))
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


class SmtpCatcher:
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

    def start(self, host: str = "127.0.0.1", port: int = 0):
        """Serve on ``host``:``port`` (0 = a free port); returns the aiosmtpd controller."""
        import socket

        from aiosmtpd.controller import Controller

        if not port:
            with socket.socket() as s:
                s.bind((host, 0))
                port = s.getsockname()[1]
        controller = Controller(self, hostname=host, port=port)
        controller.start()
        return controller


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template_key() -> str | None:
    """The bureau's template key as the DAG reads it (AIRFLOW_CONN_<ID> or the secrets file)."""
    from county_reports.core import mail, tokens

    return tokens.env_or_file()(mail.load_settings().template_key_conn_id)


def filled_template(catalog, unit: str, period: str, folder: Path, *, changes: dict | None = None,
                    key: str | None = None) -> bytes:
    """The unit's template for ``period`` filled with the simulator's clean figures; ``changes``
    overrides values by indicator code. Signed with ``key`` (default: :func:`template_key`)."""
    path = template.write_template(catalog, unit, period, Path(folder) / f"{unit}-{period}.xlsx",
                                   key=key or template_key())
    profile = load_profile()
    values = SubmissionGenerator(catalog, seed=profile.seed, sizes=profile.sizes).payload(unit, period)["values"]
    values = {**values, **(changes or {})}
    wb = load_workbook(path)
    ws = wb[template.SHEET_VALUES]
    for row in range(2, ws.max_row + 1):
        code = ws.cell(row=row, column=1).value
        if code in values:
            ws.cell(row=row, column=5, value=values[code])
    guide = wb[template.SHEET_GUIDE]
    for row in range(1, guide.max_row + 1):
        label = guide.cell(row=row, column=1).value
        if label == template.CONTACT_NAME_LABEL:
            guide.cell(row=row, column=2, value="王小明")
        elif label == template.CONTACT_PHONE_LABEL:
            guide.cell(row=row, column=2, value="0311-5550123")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def plain_workbook() -> bytes:
    """A spreadsheet that is not one of our templates (the clerk's own table)."""
    wb = Workbook()
    wb.active["A1"], wb.active["B1"] = "指标", "数值"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def mx_trace(sender: str, *, dmarc: str = "pass", server: str | None = None) -> list[tuple[str, str]]:
    """What the bureau's mail server adds on top of a message it took from ``sender``'s server:
    its verdict (``Authentication-Results`` with its authserv-id) and its ``Received`` line."""
    from email.utils import parseaddr

    from county_reports.core import mail

    server = server or mail.load_settings().authserv_id
    domain = parseaddr(sender)[1].rpartition("@")[2]
    return [("Authentication-Results", f"{server}; spf={dmarc} smtp.mailfrom={domain}; "
                                       f"dmarc={dmarc} (p=reject) header.from={domain}"),
            ("Received", f"from mail.{domain} (mail.{domain} [192.0.2.25]) by {server} with ESMTPS")]


def email(sender: str, subject: str, attachments=(), *, to: str = "jtj@qinghe.example",
          message_id: str | None = None, date=None, body: str = "请查收本月报表。",
          trace: list[tuple[str, str]] | None = None) -> bytes:
    """A clerk's message as the bureau's mailbox holds it: ``trace`` headers on top (default
    :func:`mx_trace`: the bureau's server vouches for the sender; ``[]``: it added none)."""
    msg = EmailMessage()
    for name, value in mx_trace(sender) if trace is None else trace:
        msg[name] = value
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain=sender.split("@")[-1].rstrip(">"))
    if date is not None:
        msg["Date"] = format_datetime(date)
    msg.set_content(body)
    for name, data in attachments:
        msg.add_attachment(data, maintype="application", subtype=XLSX.split("/")[1] if name.endswith(".xlsx")
                           else "octet-stream", filename=name)
    return msg.as_bytes()
