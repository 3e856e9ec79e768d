"""simulator/office.py: the county office's intake over real HTTP — a bearer token, multipart with
metadata and document, a receipt, an Idempotency-Key replayed and never stored twice, names made
safe, and the faults tests need (503, a lost answer)."""
from __future__ import annotations

import hashlib
import json

import pytest
import requests

from county_reports.simulator.office import OfficeReceiver, parse_multipart


def _post(url, doc=b"PK docx bytes", *, token="tok", key=None, meta=None, filename="../../etc/passwd.docx"):
    meta = {"kind": "annual", "year": 2024, "title": "总结", "sha256": hashlib.sha256(doc).hexdigest(),
            "filename": filename, **(meta or {})}
    headers = {"Authorization": f"Bearer {token}", **({"Idempotency-Key": key} if key else {})}
    files = {"metadata": (None, json.dumps(meta, ensure_ascii=False), "application/json"),
             "document": ("x.docx", doc, "application/octet-stream"),
             "attachment": ("附件.xlsx", b"xlsx", "application/octet-stream")}
    return requests.post(f"{url}/documents", files=files, headers=headers, timeout=5)


@pytest.fixture
def office(tmp_path):
    with OfficeReceiver(token="tok", root=tmp_path / "office") as receiver:
        yield receiver


def test_a_document_gets_a_receipt_and_is_kept_safely(office):
    answer = _post(office.url, key="k1")
    assert answer.status_code == 201 and answer.json()["receipt_id"].startswith("OFF-")
    [entry] = office.received
    folder = office.root / entry["receipt_id"]
    # the sender's file name, climbing out, is kept as its last part only, inside the receipt's folder
    assert sorted(p.name for p in folder.iterdir()) == ["metadata.json", "passwd.docx", "附件.xlsx"]
    assert entry["files"]["passwd.docx"]["sha256"] == hashlib.sha256(b"PK docx bytes").hexdigest()
    listed = requests.get(f"{office.url}/documents", headers={"Authorization": "Bearer tok"}, timeout=5).json()
    assert listed["documents"][0]["receipt_id"] == entry["receipt_id"]


def test_an_idempotency_key_is_replayed_never_stored_twice(office):
    first = _post(office.url, key="k1").json()["receipt_id"]
    again = _post(office.url, key="k1")
    assert again.status_code == 200
    assert (again.json()["receipt_id"], again.json()["replayed"]) == (first, True)
    assert len(office.received) == 1
    assert _post(office.url, b"other bytes", key="k1").status_code == 409


def test_refusals(office):
    assert _post(office.url, token="wrong").status_code == 401
    assert _post(office.url, meta={"sha256": "0" * 64}).status_code == 422
    assert _post(office.url, meta={"title": ""}).status_code == 422
    bad = requests.post(f"{office.url}/documents", data=b"not multipart", timeout=5,
                        headers={"Authorization": "Bearer tok", "Content-Type": "text/plain"})
    assert bad.status_code == 400
    assert requests.get(f"{office.url}/elsewhere", headers={"Authorization": "Bearer tok"}, timeout=5).status_code == 404
    assert office.received == []


def test_faults_for_tests(office):
    office.fail_next(1)
    assert _post(office.url).status_code == 503
    office.lose_next_response(1)
    with pytest.raises(requests.ConnectionError):
        _post(office.url, key="lost")
    assert len(office.received) == 1                           # stored, the answer lost
    assert _post(office.url, key="lost").json()["replayed"] is True


def test_a_token_is_required():
    with pytest.raises(ValueError):
        OfficeReceiver(token="")


def test_parse_multipart_reads_names_and_files():
    body = (b"--b\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{}\r\n"
            b"--b\r\nContent-Disposition: form-data; name=\"document\"; filename=\"a b.docx\"\r\n"
            b"Content-Type: application/octet-stream\r\n\r\nDATA\r\n--b--\r\n")
    parts = parse_multipart(body, 'multipart/form-data; boundary="b"')
    assert [(p.name, p.filename, p.data) for p in parts] == [("metadata", None, b"{}"), ("document", "a b.docx", b"DATA")]
    with pytest.raises(ValueError):
        parse_multipart(body, "text/plain")
