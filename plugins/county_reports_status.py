"""Airflow UI plugin: the bureau's reporting status pages (报送情况) in the Browse menu.

Served by the api-server as a FastAPI app under /county-reports. Airflow does not authenticate a
plugin's FastAPI app, so every route depends on the core API's own check: the caller's JWT
(``Authorization: Bearer`` or the UI's session cookie) resolved by the auth manager, and the
right to read the ``collect_monthly`` DAG (``requires_access_dag``). No credentials → 401, a bad
token or a user without that right → 403.

``/county-reports/federation/submissions/{period}`` serves the county's month to its city
(``county_reports.federation``), to the role CountyReportsFederation only (see below).

The pages (``county_reports.status_page``) only read: the warehouse is opened read-only and
never migrated here. No OpenAPI or docs routes. Heavy imports happen per request, not when
Airflow loads plugins.
"""
from __future__ import annotations

import re

from airflow.api_fastapi.core_api.security import bearer_scheme, get_user, requires_access_dag
from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

DAG_ID = "collect_monthly"          # who may read this DAG may read the status pages
authorized = requires_access_dag("GET", param_dag_id=DAG_ID)

app = FastAPI(title="County reporting status", docs_url=None, redoc_url=None, openapi_url=None,
              dependencies=[Depends(authorized)])
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_UNIT = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
_YEAR = re.compile(r"[0-9]{4}")     # ASCII digits only: "²" and "٢٠٢٥" pass str.isdigit()
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _download(path, name: str) -> Response:
    """A document from the data folder (a local folder or a bucket: read whole, they are small);
    404 for a missing file and for one that is or passes through a symbolic link."""
    from urllib.parse import quote

    from county_reports import paths, status_page

    data = status_page.read_document(path, paths.data_dir())
    if data is None:
        raise HTTPException(404, "no such document")
    return Response(data, media_type=DOCX,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


def _page(build) -> HTMLResponse:
    from county_reports import status_page
    from county_reports.catalog import load_catalog

    catalog = load_catalog()
    try:
        warehouse = status_page.open_warehouse()
    except status_page.WarehouseUnavailable as exc:
        return HTMLResponse(status_page.unavailable_page(catalog, str(exc)), status_code=503)
    with warehouse:
        return HTMLResponse(build(warehouse, catalog))


@app.get("/", response_class=HTMLResponse)
def reporting_status(months: int = Query(12, ge=1, le=36)) -> HTMLResponse:
    from county_reports import paths, status_page

    return _page(lambda w, c: status_page.grid_page(w, c, months, paths.data_dir()))


@app.get("/units/{code}", response_class=HTMLResponse)
def unit_status(code: str) -> HTMLResponse:
    from county_reports import status_page
    from county_reports.catalog import load_catalog

    unit = load_catalog().unit_by_code.get(code) if _UNIT.match(code) else None
    if unit is None:
        raise HTTPException(404, "no such unit")
    return _page(lambda w, c: status_page.unit_page(w, c, unit))


@app.get("/validation/{period}", response_class=HTMLResponse)
def validation_report(period: str) -> HTMLResponse:
    from county_reports import status_page

    if not _PERIOD.match(period):
        raise HTTPException(404, "no validation report for that month")
    return _page(lambda w, c: status_page.month_page(w, c, period))


@app.get("/projects/{code}", response_class=HTMLResponse)
def project_status(code: str, year: int | None = Query(None, ge=2000, le=2100)) -> HTMLResponse:
    from county_reports import status_page
    from county_reports.catalog import load_catalog

    project = status_page.find_project(load_catalog(), code)      # the register, never a path
    if project is None:
        raise HTTPException(404, "no such project")
    return _page(lambda w, c: status_page.project_page(w, c, project, year))


@app.get("/documents/{year}/{name}")
def document(year: str, name: str) -> Response:
    from county_reports import paths

    # one name inside one year's folder: no separators, no hidden files, only .docx
    if not _YEAR.fullmatch(year) or "/" in name or "\\" in name or name.startswith(".") or not name.endswith(".docx"):
        raise HTTPException(404, "no such document")
    return _download(paths.reports(int(year)) / name, name)


@app.get("/circulars/{period}")
def circular(period: str) -> Response:
    from county_reports import paths

    if not _PERIOD.match(period):
        raise HTTPException(404, "no circular for that month")
    path = paths.circulars(period) / f"circular-{period}.docx"
    return _download(path, path.name)


# --------------------------------------------------------------------------- county → city
# The city's pull (issue 22): a sub-app of its own, so the status pages' right (read
# collect_monthly) is neither needed nor enough. Who may call it is Airflow's decision: the
# caller's JWT through get_user, then the auth manager's is_authorized_custom_view on a resource
# only the role CountyReportsFederation holds (FAB: scripts/federation_role.py creates both).
FEDERATION_RESOURCE = "County Reports Federation"


async def _federation_caller(request: Request, credentials=Depends(bearer_scheme)):
    """Airflow's get_user; a credential it does not accept (none, expired, another Airflow's
    signature — which Airflow itself answers 403) is a 401 here: the city must get a new token."""
    try:
        return await get_user(request, None, credentials)
    except HTTPException as exc:
        raise HTTPException(401, exc.detail, headers={"WWW-Authenticate": "Bearer"}) from None


def _federation_reader(user=Depends(_federation_caller)) -> None:
    from airflow.api_fastapi.app import get_auth_manager

    if not get_auth_manager().is_authorized_custom_view(method="GET", resource_name=FEDERATION_RESOURCE,
                                                        user=user):
        raise HTTPException(403, "Forbidden")


federation = FastAPI(title="County to city", docs_url=None, redoc_url=None, openapi_url=None,
                     dependencies=[Depends(_federation_reader)])


@federation.get("/submissions/{period}")
def county_month(period: str) -> Response:
    from county_reports import federation as serve
    from county_reports import status_page
    from county_reports.catalog import load_catalog

    if not _PERIOD.match(period):
        raise HTTPException(404, "no such month")
    catalog = load_catalog()
    try:
        warehouse = status_page.open_warehouse()
    except status_page.WarehouseUnavailable:
        raise HTTPException(503, "warehouse unavailable") from None
    with warehouse:
        submission = serve.county_submission(warehouse, catalog, period)
    if submission is None:
        raise HTTPException(404, "no accepted figures for that month")
    return Response(serve.to_bytes(submission), media_type=serve.MEDIA_TYPE,
                    headers={"Cache-Control": "no-store"})


app.mount("/federation", federation)


class CountyReportsStatusPlugin(AirflowPlugin):
    name = "county_reports_status"
    fastapi_apps = [{"app": app, "url_prefix": "/county-reports", "name": "County reporting status"}]
    # href relative (no leading slash): the UI resolves it against its base URL, so the page
    # also works when AIRFLOW__API__BASE_URL has a path (https://host/airflow/).
    external_views = [{"name": "报送情况", "href": "county-reports/",
                       "url_route": "county-reports", "destination": "nav", "category": "browse"}]
