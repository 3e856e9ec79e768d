"""Airflow UI plugin: the bureau's reporting status page (报送情况) in the navigation.

Served by the api-server as a FastAPI app under /county-reports; the page itself is built by
``county_reports.status_page`` from the warehouse. Heavy imports happen per request, not when
Airflow loads plugins.
"""
from __future__ import annotations

import re

from airflow.plugins_manager import AirflowPlugin
from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import FileResponse, HTMLResponse

app = FastAPI(title="County reporting status", docs_url=None, redoc_url=None)
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@app.get("/", response_class=HTMLResponse)
def reporting_status(months: int = Query(12, ge=1, le=36)) -> str:
    from datetime import date

    from county_reports import periods, settings, status_page
    from county_reports.catalog import load_catalog
    from county_reports.warehouse import Warehouse

    catalog = load_catalog()
    with Warehouse() as warehouse:
        warehouse.migrate()
        last = status_page.latest_period(warehouse, periods.previous(periods.of_date(date.today())))
        window = status_page.window(last, months)
        completeness = warehouse.completeness(catalog, window)
        rates = warehouse.reporting_rate(catalog, window)
    reports = {p.stem for p in (settings.data_dir() / "validation").glob("*.html")}
    return status_page.render(catalog, completeness, rates, window, validation_reports=reports,
                              document_links=status_page.documents(settings.data_dir()),
                              circular_links=status_page.circulars(settings.data_dir()))


@app.get("/validation/{period}")
def validation_report(period: str) -> FileResponse:
    from county_reports import settings

    path = settings.data_dir() / "validation" / f"{period}.html"
    if not _PERIOD.match(period) or not path.is_file():
        raise HTTPException(404, "no validation report for that month")
    return FileResponse(path, media_type="text/html; charset=utf-8")


@app.get("/documents/{year}/{name}")
def document(year: str, name: str) -> FileResponse:
    from county_reports import settings

    root = (settings.data_dir() / "reports").resolve()
    path = (root / year / name).resolve()
    if not year.isdigit() or path.parent.parent != root or path.suffix != ".docx" or not path.is_file():
        raise HTTPException(404, "no such document")
    return FileResponse(path, filename=name)


@app.get("/circulars/{period}")
def circular(period: str) -> FileResponse:
    from county_reports import settings

    path = settings.data_dir() / "circulars" / period / f"circular-{period}.docx"
    if not _PERIOD.match(period) or not path.is_file():
        raise HTTPException(404, "no circular for that month")
    return FileResponse(path, filename=path.name)


class CountyReportsStatusPlugin(AirflowPlugin):
    name = "county_reports_status"
    fastapi_apps = [{"app": app, "url_prefix": "/county-reports", "name": "County reporting status"}]
    external_views = [{"name": "报送情况 Reporting status", "href": "/county-reports/",
                       "url_route": "county-reports", "destination": "nav", "category": "browse"}]
