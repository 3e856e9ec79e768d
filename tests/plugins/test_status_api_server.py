"""The 报送情况 pages on a real ``airflow api-server`` with the FAB auth manager.

Who may see them is decided by Airflow's own check (requires_access_dag on collect_monthly):
no credentials → 401, a bad token or a user without the right → 403, the read-only role or an
admin → 200. And a GET never writes to the warehouse. One api-server for the whole module.
"""
from __future__ import annotations

import hashlib
import os
import time

import pytest

import status_seed

pytestmark = pytest.mark.airflow

YEAR, NAME = status_seed.DOCUMENT
PAGES = {
    "grid": "/county-reports/",
    "unit": "/county-reports/units/TS02",
    "validation report": f"/county-reports/validation/{status_seed.PERIOD}",
    "document": f"/county-reports/documents/{YEAR}/{NAME}",
}


@pytest.fixture(scope="module")
def server(status_server):
    return status_server          # tests/conftest.py: one api-server for the session


def _fingerprint(path):
    return hashlib.sha256(path.read_bytes()).hexdigest(), os.stat(path).st_mtime_ns


@pytest.fixture(scope="module")
def warehouse_file(server):
    return server.data_dir / "warehouse.db"


@pytest.mark.parametrize("page", PAGES)
def test_without_credentials_401(server, page):
    status, _ = server.get(PAGES[page])
    assert status == 401, page


@pytest.mark.parametrize("page", PAGES)
def test_bad_token_and_user_without_the_right_403(server, page):
    assert server.get(PAGES[page], token="not-a-jwt")[0] == 403, page
    forged = server.token("viewer")[:-6] + "AAAAAA"            # signature no longer matches
    assert server.get(PAGES[page], token=forged)[0] == 403, page
    assert server.get(PAGES[page], token=server.token("outsider"))[0] == 403, page


def test_authorised_users_see_every_page_and_nothing_is_written(server, warehouse_file, catalog):
    before = _fingerprint(warehouse_file)
    files_before = sorted(p.name for p in server.data_dir.iterdir() if p.name.startswith("warehouse"))
    time.sleep(0.01)   # an mtime change would be visible
    for user in ("viewer", "admin"):
        token = server.token(user)
        for page, path in PAGES.items():
            status, body = server.get(path, token=token)
            assert status == 200, (user, page, body[:300])
        assert "石桥镇交通运输管理站" in server.get(PAGES["grid"], token)[1].decode()
        unit = server.get(PAGES["unit"], token)[1].decode()
        assert "河口镇交通运输管理站" in unit and "第 2 版" in unit and status_seed.REJECTION in unit
        report = server.get(PAGES["validation report"], token)[1].decode()
        assert report.count("#m2025-06") == len(catalog.units_active_in(status_seed.PERIOD)) and "未报送" in report
        assert server.get(PAGES["document"], token)[1] == b"PK docx"
    assert _fingerprint(warehouse_file) == before, "a GET wrote to the warehouse"
    # (the seeding migration left its lock file beside the database; a GET adds no journal or WAL)
    assert sorted(p.name for p in server.data_dir.iterdir() if p.name.startswith("warehouse")) \
        == files_before, "no journal or WAL file either"


def test_no_openapi_or_docs_on_the_plugin_app(server):
    token = server.token("admin")
    for path in ("/county-reports/openapi.json", "/county-reports/docs", "/county-reports/redoc"):
        assert server.get(path, token=token)[0] == 404, path


def test_the_ui_lists_the_page_under_browse_with_a_relative_link(server):
    status, body = server.get("/api/v2/plugins", token=server.token("viewer"))
    assert status == 200, body[:300]
    import json

    views = [v for p in json.loads(body)["plugins"] for v in p["external_views"]]
    assert {"name": "报送情况", "href": "county-reports/", "category": "browse"}.items() \
        <= next(v for v in views if v["url_route"] == "county-reports").items()
