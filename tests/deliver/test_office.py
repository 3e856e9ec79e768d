"""Delivery to the county office: once only, retried, forced, refused; folder and SMTP channels.

Everything runs against real servers on 127.0.0.1: the simulated office intake
(:class:`OfficeReceiver`), an aiosmtpd SMTP server, and a migrated SQLite warehouse as the ledger.
"""
from __future__ import annotations

import copy
import io
import json
import logging
import re
import smtplib
import socket
import zipfile
from email import message_from_bytes, policy

import pytest
import yaml
from sqlalchemy import select

from county_reports.deliver import channels, office as d, office_settings
from county_reports.core import paths
from county_reports.core.config import ConfigError
from county_reports.simulator.office import OfficeReceiver, parse_multipart
from county_reports.warehouse.schema import deliveries

TOKEN = "office-token-7f3a9c1e5b2d4e6f"
WRONG_TOKEN = "wrong-token-c0ffee12345678"
ISSUER = "清河县交通运输局"
TITLE = "清河县交通运输局2025年上半年工作总结及下半年工作计划"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SHIPPED = yaml.safe_load((paths.PROJECT_ROOT / "include" / "config" / "delivery.yaml").read_text("utf-8"))


def _docx_bytes(text: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("word/document.xml", (2020, 1, 1, 0, 0, 0)), text)
    return buf.getvalue()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def document(tmp_path) -> d.Document:
    folder = tmp_path / "rendered"
    folder.mkdir()
    docx = folder / f"{TITLE}.docx"
    docx.write_bytes(_docx_bytes("<w:document>上半年工作总结</w:document>"))
    xlsx = folder / "附件1 2025年1—6月主要指标完成情况.xlsx"
    xlsx.write_bytes(_docx_bytes("<worksheet/>"))
    sidecar = folder / f"{TITLE}.json"
    sidecar.write_text(json.dumps({"kind": "half_year", "year": 2025}), encoding="utf-8")
    return d.Document("half_year", 2025, TITLE, ISSUER, docx, (xlsx, sidecar))


@pytest.fixture
def warehouse(tmp_path):
    from county_reports.warehouse import Warehouse

    wh = Warehouse(f"sqlite:///{tmp_path / 'warehouse.db'}")
    wh.migrate()
    yield wh
    wh.close()


@pytest.fixture
def ledger(warehouse) -> d.WarehouseDeliveryLedger:
    return d.WarehouseDeliveryLedger(warehouse.engine)


def ledger_rows(warehouse) -> list[dict]:
    with warehouse.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(deliveries).order_by(deliveries.c.id))]


@pytest.fixture
def office(tmp_path):
    with OfficeReceiver(token=TOKEN, root=tmp_path / "office") as receiver:
        yield receiver


def configured(channel: str, url: str = "http://127.0.0.1:9/office", **changes) -> office_settings.DeliverySettings:
    """The shipped delivery.yaml, on ``channel``, with tiny backoff so retries take milliseconds."""
    data = copy.deepcopy(SHIPPED)
    data.update(channel=channel, backoff=0.01, backoff_max=0.05)
    for key, value in changes.items():
        section, _, name = key.partition("__")
        (data[section].__setitem__(name, value) if name else data.__setitem__(section, value))
    return office_settings.parse_settings(data, environ={"COUNTY_REPORTS_OFFICE_URL": url})


def tokens(conn_id: str) -> str | None:
    return {"county_office": TOKEN}.get(conn_id)


# --------------------------------------------------------------------------- http: never twice


def test_delivers_once_and_answers_already_delivered_afterwards(document, office, ledger, warehouse):
    cfg = configured("http", office.url)
    first = d.deliver(document, cfg, ledger=ledger, token_lookup=tokens)
    assert (first.status, first.attempts, first.error) == ("delivered", 1, None)
    assert re.fullmatch(r"OFF-\d{4}-000001", first.receipt_id)

    second = d.deliver(document, cfg, ledger=ledger, token_lookup=tokens)
    assert (second.status, second.receipt_id, second.attempts) == ("already_delivered", first.receipt_id, 0)
    assert "same document" in second.note
    assert len(office.received) == 1 and office.office.requests == 1

    got = office.received[0]
    assert (got["kind"], got["year"], got["title"], got["sender"]) == ("half_year", 2025, TITLE, ISSUER)
    assert got["sha256"] == document.sha256() and got["idempotency_key"] == f"half_year-2025-{document.sha256()[:16]}"
    stored = office.root / first.receipt_id
    assert (stored / document.path.name).read_bytes() == document.path.read_bytes()
    assert {p.name for p in document.extras} <= set(got["files"])
    assert got["files"][document.path.name]["content_type"] == DOCX

    [row] = ledger_rows(warehouse)
    assert (row["document_kind"], row["year"], row["status"], row["channel"], row["receipt_id"], row["attempts"]) \
        == ("half_year", 2025, "delivered", "http", first.receipt_id, 1)
    assert row["document_sha256"] == document.sha256() and row["delivered_at"] is not None


def test_a_different_rendering_is_not_sent_without_force(document, office, ledger):
    cfg = configured("http", office.url)
    first = d.deliver(document, cfg, ledger=ledger, token_lookup=tokens)
    document.path.write_bytes(_docx_bytes("<w:document>重新生成</w:document>"))
    again = d.deliver(document, cfg, ledger=ledger, token_lookup=tokens)
    assert again.status == "already_delivered" and again.receipt_id == first.receipt_id
    assert "different rendering" in again.note
    assert len(office.received) == 1


def test_the_office_lists_what_it_received(document, office, ledger):
    import requests

    d.deliver(document, configured("http", office.url), ledger=ledger, token_lookup=tokens)
    answer = requests.get(f"{office.url}/documents", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    assert answer.status_code == 200
    assert [x["title"] for x in answer.json()["documents"]] == [TITLE]
    assert requests.get(f"{office.url}/documents", timeout=5).status_code == 401


# --------------------------------------------------------------------------- http: failures and retries


def test_retried_after_the_office_fails_and_delivered_on_attempt_3(document, office, ledger, warehouse):
    office.fail_next(2)
    result = d.deliver(document, configured("http", office.url), ledger=ledger, token_lookup=tokens)
    assert (result.status, result.attempts) == ("delivered", 3)
    assert len(office.received) == 1
    assert ledger_rows(warehouse)[0]["attempts"] == 3


def test_a_lost_answer_is_retried_and_the_office_stores_once(document, office, ledger):
    office.lose_next_response(1)       # stored, but the receipt never reaches the bureau
    result = d.deliver(document, configured("http", office.url), ledger=ledger, token_lookup=tokens)
    assert (result.status, result.attempts) == ("delivered", 2)
    assert len(office.received) == 1
    assert result.receipt_id == office.received[0]["receipt_id"]
    assert sorted(p.name for p in office.root.iterdir()) == [result.receipt_id]


def test_failure_after_all_retries_is_recorded_and_does_not_block_a_later_run(document, office, ledger, warehouse):
    office.fail_next(10)
    failed = d.deliver(document, configured("http", office.url, retries=2), ledger=ledger, token_lookup=tokens)
    assert (failed.status, failed.attempts, failed.receipt_id) == ("failed", 3, None)
    assert "HTTP 503" in failed.error
    office.fail_next(0)
    later = d.deliver(document, configured("http", office.url), ledger=ledger, token_lookup=tokens)
    assert later.status == "delivered"
    assert [(r["status"], r["attempts"]) for r in ledger_rows(warehouse)] == [("failed", 3), ("delivered", 1)]
    assert ledger_rows(warehouse)[0]["error"] == failed.error


class _ReceiptOffice:
    """A real HTTP office on 127.0.0.1 that answers 201 with a receipt built by ``answer(key, sha)``."""

    def __init__(self, answer):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                sha = json.loads(body.split(b'name="metadata"', 1)[1].split(b"\r\n\r\n", 1)[1]
                                 .split(b"\r\n--", 1)[0])["sha256"]
                data = json.dumps(answer(self.headers["Idempotency-Key"], sha)).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/office"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("answer, names", [
    (lambda key, sha: {"receipt_id": "OFF-1"}, "sha256 and idempotency_key"),
    (lambda key, sha: {"receipt_id": "OFF-1", "sha256": "0" * 64, "idempotency_key": key}, "sha256"),
    (lambda key, sha: {"receipt_id": "OFF-1", "sha256": sha, "idempotency_key": "someone-else"},
     "idempotency_key"),
])
def test_a_receipt_that_does_not_echo_the_hash_and_key_is_unconfirmed_not_delivered(document, ledger, warehouse,
                                                                                     answer, names):
    office = _ReceiptOffice(answer)
    try:
        result = d.deliver(document, configured("http", office.url), ledger=ledger, token_lookup=tokens)
    finally:
        office.close()
    assert (result.status, result.receipt_id, result.attempts) == ("failed", None, 1)
    assert f"does not echo this document's {names}" in result.error
    [row] = ledger_rows(warehouse)
    assert (row["status"], row["receipt_id"]) == ("unconfirmed", None)
    assert ledger.already_delivered("half_year", 2025) is None


def test_a_receipt_that_echoes_both_is_delivered(document, ledger):
    office = _ReceiptOffice(lambda key, sha: {"receipt_id": "OFF-9", "sha256": sha, "idempotency_key": key})
    try:
        result = d.deliver(document, configured("http", office.url), ledger=ledger, token_lookup=tokens)
    finally:
        office.close()
    assert (result.status, result.receipt_id) == ("delivered", "OFF-9")


def test_unreachable_office_is_retried_then_failed(document, ledger):
    url = f"http://127.0.0.1:{_free_port()}/office"
    result = d.deliver(document, configured("http", url, retries=1), ledger=ledger, token_lookup=tokens)
    assert (result.status, result.attempts) == ("failed", 2)
    assert "could not reach the county office" in result.error


def test_wrong_token_fails_at_once_with_a_reason_and_no_token_anywhere(document, office, ledger, warehouse, caplog):
    caplog.set_level(logging.DEBUG)
    result = d.deliver(document, configured("http", office.url), ledger=ledger,
                       token_lookup=lambda conn_id: WRONG_TOKEN)
    assert (result.status, result.attempts) == ("failed", 1)      # a 401 is not retried
    assert "401" in result.error and "county_office" in result.error
    [row] = ledger_rows(warehouse)
    for text in (result.error, row["error"], caplog.text, json.dumps(result.as_dict(), ensure_ascii=False)):
        assert WRONG_TOKEN not in text and TOKEN not in text
    assert office.received == []


def test_missing_token_fails_without_sending(document, office, ledger):
    result = d.deliver(document, configured("http", office.url), ledger=ledger, token_lookup=lambda c: None)
    assert (result.status, result.attempts) == ("failed", 0)
    assert "county_office" in result.error and office.office.requests == 0


# --------------------------------------------------------------------------- forced re-delivery


def test_force_delivers_again_with_a_second_receipt(document, office, ledger, warehouse):
    cfg = configured("http", office.url)
    first = d.deliver(document, cfg, ledger=ledger, token_lookup=tokens)
    forced = d.deliver(document, cfg, ledger=ledger, token_lookup=tokens, force=True)
    assert forced.status == "delivered" and forced.receipt_id != first.receipt_id
    assert forced.note == "forced re-delivery"
    assert len(office.received) == 2
    assert office.received[1]["idempotency_key"].startswith(office.received[0]["idempotency_key"] + "-re-")
    assert [r["receipt_id"] for r in ledger_rows(warehouse)] == [first.receipt_id, forced.receipt_id]
    assert ledger.already_delivered("half_year", 2025)["receipt_id"] == forced.receipt_id
    assert d.deliver(document, cfg, ledger=ledger, token_lookup=tokens).status == "already_delivered"


def test_the_office_mounted_on_the_unit_simulator(document, ledger, tmp_path, catalog):
    from county_reports.simulator import Profile, SimulatorServer
    from county_reports.simulator.office import OfficeDocuments

    intake = OfficeDocuments(tmp_path / "office", TOKEN)
    with SimulatorServer(catalog, {}, profile=Profile()) as simulator:
        intake.mount(simulator)
        intake.fail_next(1)
        result = d.deliver(document, configured("http", f"{simulator.url}/office"), ledger=ledger,
                           token_lookup=tokens)
    assert (result.status, result.attempts) == ("delivered", 2)
    assert [x["receipt_id"] for x in intake.received] == [result.receipt_id]


# --------------------------------------------------------------------------- folder channel


def test_folder_channel_copies_whole_with_a_receipt_and_never_overwrites(document, ledger, tmp_path, warehouse):
    outbox = tmp_path / "outbox"
    cfg = configured("folder", folder={"path": str(outbox)})
    result = d.deliver(document, cfg, ledger=ledger)
    assert result.status == "delivered" and result.receipt_id.startswith("DIR-half_year-2025-")
    [delivered] = outbox.iterdir()                        # no partial folder left behind
    for path in document.files:
        assert (delivered / path.name).read_bytes() == path.read_bytes()
    receipt = json.loads((delivered / "receipt.json").read_text("utf-8"))
    assert (receipt["receipt_id"], receipt["sha256"], receipt["title"]) == (result.receipt_id, document.sha256(), TITLE)

    assert d.deliver(document, cfg, ledger=ledger).status == "already_delivered"
    # The ledger lost (a fresh warehouse): the folder is found, taken over, not rewritten.
    before = (delivered / "receipt.json").stat().st_mtime_ns
    from county_reports.warehouse import Warehouse

    fresh = Warehouse(f"sqlite:///{tmp_path / 'fresh.db'}")
    fresh.migrate()
    again = d.deliver(document, cfg, ledger=d.WarehouseDeliveryLedger(fresh.engine))
    fresh.close()
    assert (again.status, again.receipt_id) == ("delivered", result.receipt_id)
    assert (delivered / "receipt.json").stat().st_mtime_ns == before
    assert len(list(outbox.iterdir())) == 1


# --------------------------------------------------------------------------- smtp channel


class _Mailbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    mailbox = _Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


def test_smtp_sends_the_docx_with_a_chinese_subject_once(document, ledger, smtp_server, warehouse):
    controller, mailbox = smtp_server
    cfg = configured("smtp")
    send = channels.smtplib_sender(controller.hostname, controller.port, timeout=5)
    result = d.deliver(document, cfg, ledger=ledger, smtp_send=send)
    assert result.status == "delivered" and result.receipt_id.startswith("<half_year-2025-")
    assert d.deliver(document, cfg, ledger=ledger, smtp_send=send).status == "already_delivered"
    [envelope] = mailbox.envelopes
    assert envelope.rcpt_tos == ["zfb@qinghe.example"]

    msg = message_from_bytes(envelope.content, policy=policy.default)
    assert msg["Subject"] == f"{ISSUER}关于报送《{TITLE}》的函"
    assert msg["Message-ID"] == result.receipt_id
    assert "现将《" in msg.get_body(("plain",)).get_content()
    attachments = {a.get_filename(): a for a in msg.iter_attachments()}
    assert set(attachments) == {document.path.name, document.extras[0].name}   # the .json stays home
    assert attachments[document.path.name].get_content_type() == DOCX
    assert attachments[document.path.name].get_content() == document.path.read_bytes()
    assert re.search(rb"filename\*0?\*?=utf-8''%E6%B8%85", envelope.content)     # RFC 2231
    assert ledger_rows(warehouse)[0]["channel"] == "smtp"


def test_smtp_permanent_refusal_is_not_retried_but_a_temporary_one_is(document, ledger):
    calls = []

    def refuse(msg):
        calls.append(msg)
        raise smtplib.SMTPRecipientsRefused({"zfb@qinghe.example": (550, b"no such user")})

    failed = d.deliver(document, configured("smtp"), ledger=ledger, smtp_send=refuse)
    assert (failed.status, failed.attempts, len(calls)) == ("failed", 1, 1)
    assert "refused every recipient" in failed.error

    def busy_then_ok(msg):
        calls.append(msg)
        if len(calls) < 3:
            raise smtplib.SMTPDataError(451, b"try again later")
        return msg["Message-ID"]

    result = d.deliver(document, configured("smtp"), ledger=ledger, smtp_send=busy_then_ok)
    assert (result.status, result.attempts) == ("delivered", 2)


def test_smtp_needs_a_sender(document, ledger):
    with pytest.raises(ValueError, match="smtp_send"):
        d.deliver(document, configured("smtp"), ledger=ledger)


# --------------------------------------------------------------------------- configuration


def test_shipped_configuration_loads(monkeypatch):
    monkeypatch.setenv("COUNTY_REPORTS_OFFICE_URL", "https://office.example:8080/office/")
    cfg = office_settings.load_settings()
    assert (cfg.channel, cfg.recipient) == ("http", "县人民政府办公室")
    assert cfg.http.url == "https://office.example:8080/office/documents"
    assert cfg.http.token_conn_id == "county_office" and cfg.smtp.conn_id == "smtp_default"
    assert cfg.folder.path == paths.data_dir() / "outbox"


@pytest.mark.parametrize("change, key, problem", [
    ({"channel": "fax"}, "channel", "not one of http, smtp, folder"),
    ({"retries": "three"}, "retries", "expected a whole number"),
    ({"backoff": 0}, "backoff", "must be > 0"),
    ({"colour": "red"}, "colour", "unknown setting"),
    ({"http": {"token_conn_id": "county_office"}}, "http.url", "missing"),
    ({"http": {"url": "ftp://x", "token_conn_id": "c"}}, "http.url", "must start with http"),
    ({"http": {"url": "${NOT_SET_ANYWHERE}/documents", "token_conn_id": "c"}}, "http.url", "NOT_SET_ANYWHERE"),
    ({"channel": "smtp", "smtp": {**SHIPPED["smtp"], "to": ["nobody"]}}, "smtp.to", "not a mail address"),
    ({"channel": "smtp", "smtp": {**SHIPPED["smtp"], "subject": "{titel}"}}, "smtp.subject", "{titel}"),
    ({"channel": "folder", "folder": {"path": "outbox"}}, "folder.path", "must be absolute"),
    ({"channel": "folder", "folder": None}, "folder", "missing"),
])
def test_configuration_errors_name_file_key_and_problem(change, key, problem):
    data = {**copy.deepcopy(SHIPPED), **change}
    with pytest.raises(ConfigError) as err:
        office_settings.parse_settings(data, environ={"COUNTY_REPORTS_OFFICE_URL": "https://o.example/office"})
    assert (err.value.file, err.value.key) == ("delivery.yaml", key)
    assert problem in err.value.problem


@pytest.mark.parametrize("url", ["http://office.example/office", "http://10.0.0.5:8080/office",
                                 "http://127.0.0.1.example.org/office", "http://[::ffff:8.8.8.8]/office"])
def test_plain_http_office_refused_except_on_loopback(url):
    # The bearer token and the document would cross the network in the clear.
    with pytest.raises(ConfigError) as err:
        office_settings.parse_settings(copy.deepcopy(SHIPPED), environ={"COUNTY_REPORTS_OFFICE_URL": url})
    assert (err.value.file, err.value.key) == ("delivery.yaml", "http.url")
    assert "https://" in err.value.problem


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765/office", "http://localhost/office",
                                 "http://[::1]:80/office", "https://office.example/office"])
def test_https_or_loopback_office_accepted(url):
    cfg = office_settings.parse_settings(copy.deepcopy(SHIPPED), environ={"COUNTY_REPORTS_OFFICE_URL": url})
    assert cfg.http.url == f"{url}/documents"


def test_multipart_parser_reads_rfc2231_and_html5_filenames():
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"document\"; filename*=UTF-8''%E6%96%87.docx\r\n"
            b"Content-Type: application/octet-stream\r\n\r\n\x00\r\n--\r\n"
            b"--XyZ\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"\xe9\x99\x84%22.xlsx\"\r\n"
            b"\r\nabc\r\n--XyZ--\r\n")
    first, second = parse_multipart(body, 'multipart/form-data; boundary="XyZ"')
    assert (first.name, first.filename, first.data) == ("document", "文.docx", b"\x00\r\n--")
    assert (second.filename, second.data) == ('附".xlsx', b"abc")


# --------------------------------------------------------------------------- killed after the office stored it

KILLED_AFTER_STORING = r"""
import json, os, signal, sys
sys.path.insert(0, sys.argv[1])
import requests
from sqlalchemy import create_engine
from county_reports.deliver import office as d, office_settings

args = json.loads(sys.argv[2])
real_post = requests.Session.post

def post_then_die(self, *a, **kw):
    real_post(self, *a, **kw)                 # the office stores the document and answers …
    os.kill(os.getpid(), signal.SIGKILL)      # … and the worker dies before it records the receipt

requests.Session.post = post_then_die
document = d.Document("half_year", 2025, args["title"], args["issuer"], args["docx"], tuple(args["extras"]))
settings = office_settings.parse_settings(args["settings"], environ={"COUNTY_REPORTS_OFFICE_URL": args["url"]})
d.deliver(document, settings, ledger=d.WarehouseDeliveryLedger(create_engine(args["db"])),
          token_lookup={"county_office": args["token"]}.get, archive_dir=args["data"])
"""


def test_a_retry_after_a_kill_and_a_re_render_delivers_the_first_document_once(document, office, ledger,
                                                                               warehouse, tmp_path):
    import subprocess
    import sys

    data = copy.deepcopy(SHIPPED)
    data.update(channel="http", backoff=0.01, backoff_max=0.05)
    original = document.path.read_bytes()
    args = {"title": TITLE, "issuer": ISSUER, "docx": str(document.path), "extras": [str(p) for p in document.extras],
            "settings": data, "url": office.url, "db": warehouse.url, "token": TOKEN, "data": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-c", KILLED_AFTER_STORING, str(paths.PROJECT_ROOT / "include"),
                           json.dumps(args, ensure_ascii=False)], capture_output=True, text=True, timeout=60)
    assert done.returncode == -9, done.stderr[-2000:]
    assert len(office.received) == 1                                   # the office has it …
    [row] = ledger_rows(warehouse)
    assert row["status"] == "sending" and row["receipt_id"] is None     # … the bureau does not know

    document.path.write_bytes(_docx_bytes("<w:document>数据已更正后重新生成</w:document>"))   # re-rendered
    cfg = configured("http", office.url)
    again = d.deliver(document, cfg, ledger=ledger, token_lookup=tokens, archive_dir=tmp_path / "data")
    assert again.status == "delivered" and again.receipt_id == office.received[0]["receipt_id"]
    assert again.sha256 == office.received[0]["sha256"] != document.sha256()
    assert "resumed" in again.note and "use force" in again.note
    assert len(office.received) == 1                                   # one document for that report
    stored = office.root / again.receipt_id
    assert (stored / document.path.name).read_bytes() == original
    [row] = ledger_rows(warehouse)
    assert (row["status"], row["receipt_id"]) == ("delivered", again.receipt_id)

    later = d.deliver(document, cfg, ledger=ledger, token_lookup=tokens, archive_dir=tmp_path / "data")
    assert later.status == "already_delivered" and "different rendering" in later.note
    assert len(office.received) == 1


def test_a_lost_answer_leaves_the_attempt_open_and_a_new_rendering_needs_force(document, office, ledger,
                                                                               warehouse, tmp_path):
    office.lose_next_response(1)        # stored; the answer lost on the way, no retry left
    cfg = configured("http", office.url, retries=0)
    lost = d.deliver(document, cfg, ledger=ledger, token_lookup=tokens, archive_dir=tmp_path / "data")
    assert lost.status == "failed" and len(office.received) == 1
    assert ledger_rows(warehouse)[-1]["status"] == "unconfirmed"
    office.lose_next_response(0)
    document.path.write_bytes(_docx_bytes("<w:document>另一版</w:document>"))
    forced = d.deliver(document, cfg, ledger=ledger, token_lookup=tokens, archive_dir=tmp_path / "data",
                       force=True)
    assert forced.status == "delivered" and forced.sha256 == document.sha256()
    assert len(office.received) == 2 and office.received[1]["idempotency_key"] != office.received[0]["idempotency_key"]


def test_an_office_that_refused_the_document_does_not_hold_back_a_new_rendering(document, office, ledger,
                                                                               warehouse, tmp_path):
    office.fail_next(10)                # 503s: certainly not stored
    cfg = configured("http", office.url, retries=1)
    assert d.deliver(document, cfg, ledger=ledger, token_lookup=tokens, archive_dir=tmp_path / "data").status == "failed"
    assert ledger_rows(warehouse)[-1]["status"] == "failed"
    office.fail_next(0)
    document.path.write_bytes(_docx_bytes("<w:document>新版</w:document>"))
    result = d.deliver(document, cfg, ledger=ledger, token_lookup=tokens, archive_dir=tmp_path / "data")
    assert result.status == "delivered" and result.sha256 == document.sha256() and result.note is None
