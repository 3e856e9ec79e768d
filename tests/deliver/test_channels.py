"""channels.py: the three ways to the county office, each against a real counterpart — the
office's HTTP intake, an SMTP server, a folder — a receipt or an AttemptFailed saying whether a
retry helps and whether the office may hold the document."""
from __future__ import annotations

import hashlib
import socket

import pytest

from county_reports.deliver import channels as ch
from county_reports.deliver.office import Document
from county_reports.deliver.office_settings import FolderSettings, HttpSettings, load_settings
from county_reports.simulator.office import OfficeReceiver

DOCX, XLSX = b"PK docx", b"PK xlsx"


@pytest.fixture
def doc(tmp_path):
    (tmp_path / "总结.docx").write_bytes(DOCX)
    (tmp_path / "总结.xlsx").write_bytes(XLSX)
    return Document("annual", 2024, "2024年工作总结", "清河县交通运输局", tmp_path / "总结.docx",
                    extras=(tmp_path / "总结.xlsx",))


def _blobs(doc):
    return [(p, p.read_bytes()) for p in (doc.path, *doc.extras)]


def _meta(doc):
    return ch.metadata(doc, _blobs(doc), hashlib.sha256(DOCX).hexdigest(), "县政府办")


def test_metadata_names_every_file(doc):
    meta = _meta(doc)
    assert meta["filename"] == "总结.docx" and meta["sha256"] == hashlib.sha256(DOCX).hexdigest()
    assert meta["attachments"] == [{"filename": "总结.xlsx", "sha256": hashlib.sha256(XLSX).hexdigest(), "size": 7}]


def test_http_receipt_replay_and_refusals(doc, tmp_path):
    with OfficeReceiver(token="tok", root=tmp_path / "office") as office:
        cfg = HttpSettings(f"{office.url}/documents", "county_office", 2, 5)
        receipt = ch.send_http(cfg, "tok", "key-1", _meta(doc), _blobs(doc))
        assert receipt.startswith("OFF-") and ch.send_http(cfg, "tok", "key-1", _meta(doc), _blobs(doc)) == receipt
        assert len(office.received) == 1 and set(office.received[0]["files"]) == {"总结.docx", "总结.xlsx"}
        with pytest.raises(ch.AttemptFailed) as err:
            ch.send_http(cfg, "wrong", "key-2", _meta(doc), _blobs(doc))
        assert not err.value.retry and "county_office" in err.value.reason and "wrong" not in err.value.reason
        office.fail_next(1)
        with pytest.raises(ch.AttemptFailed) as err:
            ch.send_http(cfg, "tok", "key-3", _meta(doc), _blobs(doc))
        assert err.value.retry and not err.value.maybe_stored
        office.lose_next_response(1)
        with pytest.raises(ch.AttemptFailed) as err:
            ch.send_http(cfg, "tok", "key-4", _meta(doc), _blobs(doc))
        assert err.value.retry and err.value.maybe_stored


def test_http_nobody_there_is_certainly_not_stored(doc):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ch.AttemptFailed) as err:
        ch.send_http(HttpSettings(f"http://127.0.0.1:{port}/documents", "c", 1, 1), "tok", "k", _meta(doc), _blobs(doc))
    assert err.value.retry and not err.value.maybe_stored


def test_smtp_one_mail_with_its_key(doc, smtp_inbox):
    host, port, received = smtp_inbox
    cfg = load_settings(environ={"COUNTY_REPORTS_OFFICE_URL": "https://x"}).smtp
    sha = hashlib.sha256(DOCX).hexdigest()
    msg = ch.build_message(doc, _blobs(doc), sha, "key-9", cfg, "县政府办")
    assert msg["Message-ID"].startswith("<key-9@") and msg["X-Document-SHA256"] == sha
    assert "2024年工作总结" in msg["Subject"] and sha in msg.get_body().get_content()
    assert ch.send_smtp(ch.smtplib_sender(host, port, timeout=5), msg) == msg["Message-ID"]
    [got] = received.to(cfg.to[0].split("<")[-1].rstrip(">"))
    assert sorted(p.get_filename() for p in got.iter_attachments()) == ["总结.docx", "总结.xlsx"]


def test_smtp_failures(doc):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = load_settings(environ={"COUNTY_REPORTS_OFFICE_URL": "https://x"}).smtp
    msg = ch.build_message(doc, _blobs(doc), "s", "k", cfg, "r")
    with pytest.raises(ch.AttemptFailed) as err:
        ch.send_smtp(ch.smtplib_sender("127.0.0.1", port, timeout=2), msg)
    assert err.value.retry and not err.value.maybe_stored


def test_folder_whole_once_never_overwritten(doc, tmp_path):
    cfg = FolderSettings(tmp_path / "outbox")
    receipt = ch.send_folder(cfg, "key-1", _meta(doc), _blobs(doc))
    target = cfg.path / "key-1"
    assert receipt == "DIR-key-1" and sorted(p.name for p in target.iterdir()) == ["receipt.json", "总结.docx", "总结.xlsx"]
    assert not [p for p in cfg.path.iterdir() if p.name.startswith(".")]        # no partial folder left
    assert ch.send_folder(cfg, "key-1", _meta(doc), _blobs(doc)) == receipt       # the same again: its receipt
    other = {**_meta(doc), "sha256": "0" * 64}
    with pytest.raises(ch.AttemptFailed) as err:
        ch.send_folder(cfg, "key-1", other, _blobs(doc))
    assert not err.value.retry and (target / "总结.docx").read_bytes() == DOCX


def test_redact():
    assert ch.redact("token abc in abc", ["abc"]) == "token *** in ***"
