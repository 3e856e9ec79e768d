"""The reporting status page, served by the plugin's FastAPI app from a real warehouse."""
from __future__ import annotations

import importlib.util

import pytest
from fastapi.testclient import TestClient

from county_reports import settings
from county_reports.simulator.seeding import accepted_verdicts
from county_reports.warehouse import Warehouse


@pytest.fixture(scope="module")
def client(catalog, tmp_path_factory):
    data = tmp_path_factory.mktemp("plugin-data")
    mp = pytest.MonkeyPatch()
    mp.setenv("COUNTY_REPORTS_DATA", str(data))
    with Warehouse() as warehouse:
        warehouse.migrate()
        warehouse.sync_roster(catalog, "t")
        warehouse.record_verdicts(accepted_verdicts(catalog, "2025-01", "2025-06",
                                                    skip={("TS03", "2025-06")}), "t")
    (data / "validation").mkdir()
    (data / "validation" / "2025-06.html").write_text("<html>report 2025-06</html>", encoding="utf-8")
    (data / "reports" / "2025").mkdir(parents=True)
    (data / "reports" / "2025" / "总结.docx").write_bytes(b"PK docx")
    (data / "circulars" / "2025-06").mkdir(parents=True)
    (data / "circulars" / "2025-06" / "circular-2025-06.docx").write_bytes(b"PK circular")
    spec = importlib.util.spec_from_file_location("status_plugin", settings.PROJECT_ROOT / "plugins" / "county_reports_status.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield TestClient(module.app), module
    mp.undo()


def test_plugin_registers_a_fastapi_app_and_a_nav_view(client):
    _, module = client
    plugin = module.CountyReportsStatusPlugin
    assert plugin.fastapi_apps[0]["url_prefix"] == "/county-reports"
    assert plugin.external_views[0]["href"] == "/county-reports/"


def test_status_grid_shows_who_reported(client, catalog):
    http, _ = client
    page = http.get("/", params={"months": 6})
    assert page.status_code == 200
    html = page.text
    assert catalog.bureau.name in html and "石桥镇交通运输管理站" in html
    row = html.split("石桥镇交通运输管理站")[1].split("</tr>")[0]
    assert row.count("✓") == 5 and row.count("缺") == 1           # TS03 missed June
    assert '<a href="validation/2025-06">2025-06</a>' in html
    assert "documents/2025/总结.docx" in html


def test_reports_and_documents_are_served_and_paths_are_guarded(client):
    http, _ = client
    assert "report 2025-06" in http.get("/validation/2025-06").text
    assert http.get("/validation/2025-13").status_code == 404
    assert http.get("/documents/2025/总结.docx").content == b"PK docx"
    assert http.get("/documents/2025/..%2F..%2Fwarehouse.db").status_code == 404


def test_the_monthly_circular_is_linked_and_served(client):
    http, _ = client
    assert 'href="circulars/2025-06"' in http.get("/").text
    assert http.get("/circulars/2025-06").content == b"PK circular"
    assert http.get("/circulars/..%2Fwarehouse.db").status_code == 404
