"""The reporting status pages, served by the plugin's FastAPI app from a real warehouse.

Authentication is Airflow's own dependency and is exercised against a real api-server in
test_status_api_server.py; here it is replaced by "allowed" to test what the pages show.
"""
from __future__ import annotations

import hashlib
import os
import importlib.util
from datetime import datetime, UTC

import pytest
from fastapi.testclient import TestClient

import status_seed
from county_reports.core import paths
from county_reports.render import status_page


def _load_plugin():
    spec = importlib.util.spec_from_file_location(
        "status_plugin", paths.PROJECT_ROOT / "plugins" / "county_reports_status.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def client(catalog, tmp_path_factory):
    data = tmp_path_factory.mktemp("plugin-data")
    mp = pytest.MonkeyPatch()
    mp.setenv("COUNTY_REPORTS_DATA", str(data))
    status_seed.seed(data, catalog)
    module = _load_plugin()
    module.app.dependency_overrides[module.authorized] = lambda: None
    yield TestClient(module.app), module, data
    module.app.dependency_overrides.clear()
    mp.undo()


def test_plugin_registers_a_fastapi_app_and_a_nav_view_without_docs(client):
    http, module, _ = client
    plugin = module.CountyReportsStatusPlugin
    assert plugin.fastapi_apps[0]["url_prefix"] == "/county-reports"
    view = plugin.external_views[0]
    assert view["name"] == "报送情况" and view["category"] == "browse"
    assert not view["href"].startswith("/"), "relative, so a base_url with a path works"
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert http.get(path).status_code == 404, path


def test_every_route_requires_the_dag_read_right(client):
    """The status pages need the right to read collect_monthly; the county → city sub-app, mounted
    at /federation, needs the federation permission instead (and only that: the city's service
    account has no DAG right), on every one of its routes."""
    from starlette.routing import Mount

    _, module, _ = client
    mounts = [r for r in module.app.routes if isinstance(r, Mount)]
    assert [(m.path, m.app) for m in mounts] == [("/federation", module.federation)]
    for app, check in ((module.app, module.authorized), (module.federation, module._federation_reader)):
        routes = [r for r in app.routes if not isinstance(r, Mount) and getattr(r, "path", "").startswith("/")]
        assert routes
        for route in routes:
            dependants = [d.call for d in route.dependant.dependencies]
            assert check in dependants, route.path


def test_status_grid_shows_who_reported(client, catalog):
    http, _, _ = client
    page = http.get("/", params={"months": 6})
    assert page.status_code == 200
    html = page.text
    assert catalog.bureau.name in html and "石桥镇交通运输管理站" in html
    row = html.split("石桥镇交通运输管理站")[1].split("</tr>")[0]
    assert row.count("✓") == 5 and row.count("缺") == 1           # TS03 missed June
    assert '<a href="./validation/2025-06"' in html
    assert '<a href="./units/TS03">' in html
    assert "./documents/2025/" in html and status_seed.DOCUMENT[1] in html
    assert "href=\"/" not in html, "every link relative to the page"


def test_unit_page_shows_versions_raw_and_normalised_values_feedback_and_issues(client):
    http, _, _ = client
    page = http.get("/units/TS02")
    assert page.status_code == 200
    html = page.text
    june = html.split('id="m2025-06"')[1].split('<h2 id="m2025-05"')[0]
    assert "第 2 版" in june and "现行版本" in june and "第 1 版" in june and "退回" in june
    assert status_seed.RAW in june and "abc" in june              # as received
    assert ">1,234<" in june                                       # normalised
    assert status_seed.REJECTION in june and "已送达" in june
    assert june.index("第 2 版") < june.index("第 1 版"), "newest version first"
    assert '<a href="../validation/2025-06">' in html and '<a href="../">' in html
    assert http.get("/units/XX99").status_code == 404
    assert http.get("/units/..%2F..").status_code == 404


def test_month_report_is_rebuilt_from_the_warehouse_for_every_unit(client, catalog):
    http, _, _ = client
    html = http.get("/validation/2025-06").text
    active = catalog.units_active_in("2025-06")
    for unit in active:
        assert f'units/{unit.code}#m2025-06' in html, unit.code
    assert "HTTP 404" in html and "未报送" in html                 # TS03
    assert status_seed.REJECTION not in html.split("TS02")[1].split("</tr>")[0], \
        "the current (corrected) version's issues, not the rejected one's"
    assert http.get("/validation/2025-13").status_code == 404


def test_month_report_file_is_written_for_the_whole_month(client, catalog, tmp_path):
    _, _, data = client
    with status_page.open_warehouse() as warehouse:
        [path] = status_page.write_validation_reports(warehouse, catalog, ["2025-06"], tmp_path)
    html = path.read_text("utf-8")
    assert len(catalog.units_active_in("2025-06")) == html.count("#m2025-06")
    assert 'href="../' not in html


def test_documents_are_served_and_paths_are_guarded(client):
    http, _, _ = client
    year, name = status_seed.DOCUMENT
    assert http.get(f"/documents/{year}/{name}").content == b"PK docx"
    assert http.get("/documents/2025/..%2F..%2Fwarehouse.db").status_code == 404


def test_gets_never_write_to_the_warehouse(client):
    http, _, data = client
    db = data / "warehouse.db"
    before = (hashlib.sha256(db.read_bytes()).hexdigest(), db.stat().st_mtime_ns)
    files = sorted(p.name for p in data.iterdir() if p.name.startswith("warehouse"))
    assert "warehouse.db-journal" not in files and "warehouse.db-wal" not in files
    for path in ("/", "/units/TS02", "/validation/2025-06", "/validation/2024-01"):
        assert http.get(path).status_code == 200, path
    assert (hashlib.sha256(db.read_bytes()).hexdigest(), db.stat().st_mtime_ns) == before
    assert sorted(p.name for p in data.iterdir() if p.name.startswith("warehouse")) == files


def test_a_warehouse_without_schema_shows_a_clear_page_and_creates_nothing(client, tmp_path):
    http, _, _ = client
    mp = pytest.MonkeyPatch()
    mp.setenv("COUNTY_REPORTS_DATA", str(tmp_path))
    try:
        page = http.get("/")
    finally:
        mp.undo()
    assert page.status_code == 503 and "数据仓库尚未就绪" in page.text
    assert list(tmp_path.iterdir()) == []


def test_months_are_counted_on_the_bureau_clock(catalog):
    # 16:30 UTC on 31 July is already 1 August in Asia/Shanghai
    now = datetime(2025, 7, 31, 16, 30, tzinfo=UTC)
    assert str(status_page.bureau_today(catalog, now)) == "2025-08-01"


def test_the_monthly_circular_is_linked_and_served(client):
    http, _, data = client
    (data / "circulars" / "2025-06").mkdir(parents=True)
    (data / "circulars" / "2025-06" / "circular-2025-06.docx").write_bytes(b"PK circular")
    assert 'href="./circulars/2025-06"' in http.get("/").text
    assert http.get("/circulars/2025-06").content == b"PK circular"
    assert http.get("/circulars/..%2Fwarehouse.db").status_code == 404


def test_a_symlink_in_the_data_folder_is_never_followed(client, tmp_path):
    http, _, data = client
    year, name = status_seed.DOCUMENT
    outside = tmp_path / "outside.docx"
    outside.write_bytes(b"PK not a report")
    folder = data / "reports" / year
    (folder / "leak.docx").symlink_to(data / "warehouse.db")            # a file inside the data folder
    (folder / "out.docx").symlink_to(outside)                           # a file outside it
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.docx").write_bytes(b"PK elsewhere")
    (elsewhere / "circular-2031-01.docx").write_bytes(b"PK elsewhere")
    (data / "reports" / "2031").symlink_to(elsewhere, target_is_directory=True)   # a folder link
    (data / "circulars").mkdir(exist_ok=True)
    (data / "circulars" / "2031-01").symlink_to(elsewhere, target_is_directory=True)
    os.mkfifo(folder / "fifo.docx")                                     # must not hang the server
    for path in (f"/documents/{year}/leak.docx", f"/documents/{year}/out.docx", "/documents/2031/a.docx",
                 "/circulars/2031-01", f"/documents/{year}/fifo.docx"):
        answer = http.get(path)
        assert answer.status_code == 404 and b"PK" not in answer.content, path
    assert http.get(f"/documents/{year}/{name}").content == b"PK docx"   # the real one still served


@pytest.mark.parametrize("year", ["²", "٢٠٢٥", "２０２５", "²⁰²⁵", "20255", "0x7e9", "+2025", " 2025"])
def test_a_year_not_in_ascii_digits_is_404_never_a_server_error(client, year):
    http, _, _ = client
    answer = http.get(f"/documents/{year}/{status_seed.DOCUMENT[1]}")
    assert answer.status_code == 404, (year, answer.status_code)
