"""The office's edited draft on a report's status page (issue 21 item 2), against the session's real
``airflow api-server`` with the FAB auth manager (``status_server``).

A half-year 2025 draft is really rendered (``summaries.write_summary`` over a seeded warehouse) into
the server's data folder; the edited .docx is made with python-docx as a clerk's Word leaves it (a
paragraph added, a figure changed, a heading restyled: ``render/test_edited.clerk_edit``). Proven:
a viewer, a missing/forged/other-session CSRF token, another report's document, a broken and an
oversized file are refused with a clear message and nothing stored; the admin's upload lists the
changed figure and the layout break, stores the bytes and the review, and writes an audit row;
"restore the layout" clears the break and stores the restored bytes as the new edited version.
"""
from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from county_reports.render import summaries
from county_reports.simulator.seeding import accepted_verdicts
from county_reports.warehouse import Warehouse

pytestmark = pytest.mark.airflow
YEAR = 2025


@pytest.fixture(scope="module")
def approver(status_server):
    """The server's admin (its FAB id: users are created in parallel) as the one approver in the
    server's copy of admins.yaml; the copy is put back afterwards."""
    import subprocess
    import sys

    import yaml

    listed = subprocess.run([sys.executable, "-m", "airflow", "users", "list", "--output", "json"],
                            env=status_server.environment, cwd=status_server.workdir, capture_output=True,
                            text=True, timeout=180, stdin=subprocess.DEVNULL)
    assert listed.returncode == 0, listed.stderr[-2000:]
    users = json.loads(listed.stdout[listed.stdout.index("[{"):])
    [admin_id] = [str(u["id"]) for u in users if u["username"] == "admin"]
    path = Path(status_server.environment["COUNTY_REPORTS_CONFIG"]) / "admins.yaml"
    shipped = path.read_text(encoding="utf-8")
    data = yaml.safe_load(shipped)
    data["approvers"] = [{"id": admin_id, "name": "admin"}]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    yield admin_id
    path.write_text(shipped, encoding="utf-8")


@pytest.fixture(scope="module")
def rendered(status_server, approver, catalog, tmp_path_factory):
    """Both summaries rendered in a scratch folder; the half-year one copied to the server's data."""
    root = tmp_path_factory.mktemp("edited-upload")
    with Warehouse(f"sqlite:///{root / 'wh.db'}") as warehouse:
        warehouse.migrate()
        warehouse.sync_roster(catalog, "test")
        warehouse.record_verdicts(accepted_verdicts(catalog, "2024-01", "2025-06"), "test")
        settings = summaries.load_settings()
        files = {kind: summaries.write_summary(warehouse, catalog, summaries.plan(kind, year, settings), root / kind)
                 for kind, year in (("half_year", YEAR), ("annual", 2024))}
    folder = status_server.data_dir / "reports" / str(YEAR)
    folder.mkdir(parents=True, exist_ok=True)
    for key in ("docx", "sidecar"):
        shutil.copy(files["half_year"][key], folder)
    docx = Path(files["half_year"]["docx"])
    yield {"name": docx.name, "folder": folder, "docx": docx.read_bytes(),
           "sidecar": json.loads(Path(files["half_year"]["sidecar"]).read_text("utf-8")),
           "annual": Path(files["annual"]["docx"]).read_bytes()}
    shutil.rmtree(folder / "edited", ignore_errors=True)
    for key in ("docx", "sidecar"):
        (folder / Path(files["half_year"][key]).name).unlink(missing_ok=True)


def _page(server, name: str, token: str) -> str:
    status, body = server.get(f"/county-reports/reports/{YEAR}/{name}", token)
    assert status == 200, body[:300]
    return body.decode()


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', page).group(1)


def _post(server, path: str, token: str, fields: dict, file: bytes | None = None,
          length: str | None = None) -> tuple[int, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    if file is not None:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="edited.docx"\r\n'
                     "Content-Type: application/octet-stream\r\n\r\n".encode() + file + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"}
    if length is not None:
        headers["Content-Length"] = length
    request = urllib.request.Request(server.url + urllib.parse.quote(path), data=body, headers=headers,
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _message(page: str) -> str:
    found = re.search(r'<p class="(?:bad|ok)" id="message">(.*?)</p>', page, re.S)
    return html.unescape(found.group(1)) if found else ""


def _stored(rendered) -> list[str]:
    edited = rendered["folder"] / "edited"
    return sorted(p.name for p in edited.iterdir()) if edited.exists() else []


def _audit(server) -> list[tuple[str, dict]]:
    from county_reports.warehouse import report_audit

    with Warehouse(f"sqlite:///{server.data_dir / 'warehouse.db'}") as warehouse:
        return [(r.to_status, json.loads(r.note)) for r in report_audit.events(warehouse.engine, "report_edit")]


def test_refusals_change_nothing(status_server, rendered):
    from render.test_edited import clerk_edit

    edited, _ = clerk_edit(rendered["docx"], rendered["sidecar"])
    path = f"/county-reports/reports/{YEAR}/{rendered['name']}/edited"
    admin = status_server.token("admin")
    token = _csrf(_page(status_server, rendered["name"], admin))

    viewer = status_server.token("viewer")               # reads the status pages, is no approver
    status, page = _post(status_server, path, viewer, {"csrf_token": _csrf(_page(status_server, rendered["name"],
                                                                                 viewer))}, edited)
    assert status == 403 and "只有审批人" in _message(page)
    status, _ = _post(status_server, path, status_server.token("outsider"), {"csrf_token": token}, edited)
    assert status == 403                                  # not even the status pages

    for fields in ({}, {"csrf_token": "0" * 64}, {"csrf_token": token[:-1] + ("0" if token[-1] != "0" else "1")}):
        status, page = _post(status_server, path, admin, fields, edited)
        assert status == 403 and "校验码缺失或不符" in _message(page), fields
    # The token is bound to the session it was shown in: the same admin's next sign-in does not take it.
    status, page = _post(status_server, path, status_server.token("admin"), {"csrf_token": token}, edited)
    assert status == 403 and "校验码" in _message(page)

    for raw, says in ((rendered["annual"], "年份不符"), (b"PK\x03\x04 not a zip", "不是有效的 .docx"),
                      (b"", "没有收到文件")):
        status, page = _post(status_server, path, admin, {"csrf_token": token}, raw)
        assert status == 400 and says in _message(page), (says, _message(page))
    status, page = _post(status_server, path, admin, {"csrf_token": token}, b"x" * 1024, length="900000000")
    assert status in (413, 0) and (status == 0 or "超过上限" in _message(page))
    assert _stored(rendered) == [] and _audit(status_server) == []

    status, _ = status_server.get(f"/county-reports/reports/{YEAR}/..%2Fwarehouse.db", admin)
    assert status == 404


def test_an_edited_draft_is_reviewed_stored_and_its_layout_restored(status_server, rendered):
    from render.test_edited import clerk_edit

    edited, where = clerk_edit(rendered["docx"], rendered["sidecar"])
    admin = status_server.token("admin")
    token = _csrf(_page(status_server, rendered["name"], admin))
    base = f"/county-reports/reports/{YEAR}/{rendered['name']}"

    status, page = _post(status_server, f"{base}/edited", admin, {"csrf_token": token}, edited)
    assert status == 200 and hashlib.sha256(edited).hexdigest() in _message(page)
    confirm = html.unescape(re.search(r'<ul id="to-confirm">(.*?)</ul>', page, re.S).group(1))
    assert "“2.35亿元”" in confirm and where["old_total"] in confirm
    layout = html.unescape(re.search(r'<ul id="layout">(.*?)</ul>', page, re.S).group(1))
    assert "没有发现版式问题" not in layout and "恢复公文格式" in page
    assert 'class="diff-added"' in page and "县委主要领导到我局调研指导" in page
    stored = rendered["folder"] / "edited" / rendered["name"]
    assert stored.read_bytes() == edited and len(_stored(rendered)) == 3       # + its review and figure sidecar
    edit = json.loads((stored.parent / (stored.stem + ".figures.json")).read_text(encoding="utf-8"))["edited"]
    assert edit["edited_by"] == "admin" and edit["edited_paragraphs"] == sorted([where["first"], where["added"],
                                                                                 where["cell"]])
    assert [a for a, _ in _audit(status_server)] == ["uploaded"]
    assert _audit(status_server)[0][1]["by"] == "admin"

    status, page = _post(status_server, f"{base}/restore", admin, {"csrf_token": "forged"})
    assert status == 403 and stored.read_bytes() == edited
    status, page = _post(status_server, f"{base}/restore", admin, {"csrf_token": token})
    assert status == 200 and "恢复版式" in _message(page)
    assert "没有发现版式问题" in page and stored.read_bytes() != edited
    assert "县委主要领导到我局调研指导" in page                      # the words stay
    record = json.loads((rendered["folder"] / "edited" / (rendered["name"][:-5] + ".review.json")).read_text())
    assert record["sha256"] == hashlib.sha256(stored.read_bytes()).hexdigest() and record["layout"] == []
    assert [a for a, _ in _audit(status_server)] == ["uploaded", "uploaded", "restored"]
    status, body = status_server.get(f"{base}/edited", admin)
    assert status == 200 and body == stored.read_bytes()
