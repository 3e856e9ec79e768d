"""Airflow UI plugin: the bureau's reporting status pages (报送情况) in the Browse menu.

Served by the api-server as a FastAPI app under /county-reports. Airflow does not authenticate a
plugin's FastAPI app, so every route depends on the core API's own check: the caller's JWT
(``Authorization: Bearer`` or the UI's session cookie) resolved by the auth manager, and the
right to read the ``collect_monthly`` DAG (``requires_access_dag``). No credentials → 401, a bad
token or a user without that right → 403.

``/county-reports/reports/{year}/{name}`` is a summary's page: the office's edited draft is
uploaded there (POST ``…/edited``, multipart) and its layout restored (POST ``…/restore``) —
state-changing routes for a user in admins.yaml ``approvers`` whom the auth manager lets edit
the report's DAG, with a CSRF token (an HMAC of the user and their session's token) and an
audit row; the checking and storing is ``county_reports.deliver.edited_drafts``. An approval of
that report still waiting is rewritten to ask about the edited version (:func:`rebind_waiting`).

``/county-reports/federation/submissions/{period}`` serves the county's month to its city
(``county_reports.aggregate.federation``), to the role CountyReportsFederation only (see below).

The pages (``county_reports.render.status_page``) only read: the warehouse is opened read-only and
never migrated here. No OpenAPI or docs routes. Heavy imports happen per request, not when
Airflow loads plugins.
"""
from __future__ import annotations

import re

from airflow.api_fastapi.core_api.security import GetUserDep, bearer_scheme, get_user, requires_access_dag
from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request
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

    from county_reports.core import paths
    from county_reports.render import status_page

    data = status_page.read_document(path, paths.data_dir())
    if data is None:
        raise HTTPException(404, "no such document")
    return Response(data, media_type=DOCX,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


def _page(build) -> HTMLResponse:
    from county_reports.render import status_page
    from county_reports.core.catalog import load_catalog

    catalog = load_catalog()
    try:
        warehouse = status_page.open_warehouse()
    except status_page.WarehouseUnavailable as exc:
        return HTMLResponse(status_page.unavailable_page(catalog, str(exc)), status_code=503)
    with warehouse:
        return HTMLResponse(build(warehouse, catalog))


@app.get("/", response_class=HTMLResponse)
def reporting_status(months: int = Query(12, ge=1, le=36)) -> HTMLResponse:
    from county_reports.core import paths
    from county_reports.render import status_page

    return _page(lambda w, c: status_page.grid_page(w, c, months, paths.data_dir()))


@app.get("/units/{code}", response_class=HTMLResponse)
def unit_status(code: str) -> HTMLResponse:
    from county_reports.render import status_page
    from county_reports.core.catalog import load_catalog

    unit = load_catalog().unit_by_code.get(code) if _UNIT.match(code) else None
    if unit is None:
        raise HTTPException(404, "no such unit")
    return _page(lambda w, c: status_page.unit_page(w, c, unit))


@app.get("/validation/{period}", response_class=HTMLResponse)
def validation_report(period: str) -> HTMLResponse:
    from county_reports.render import status_page

    if not _PERIOD.match(period):
        raise HTTPException(404, "no validation report for that month")
    return _page(lambda w, c: status_page.month_page(w, c, period))


@app.get("/projects/{code}", response_class=HTMLResponse)
def project_status(code: str, year: int | None = Query(None, ge=2000, le=2100)) -> HTMLResponse:
    from county_reports.render import status_page
    from county_reports.core.catalog import load_catalog

    project = status_page.find_project(load_catalog(), code)      # the register, never a path
    if project is None:
        raise HTTPException(404, "no such project")
    return _page(lambda w, c: status_page.project_page(w, c, project, year))


@app.get("/documents/{year}/{name}")
def document(year: str, name: str) -> Response:
    from county_reports.core import paths

    # one name inside one year's folder: no separators, no hidden files, only .docx
    if not _YEAR.fullmatch(year) or "/" in name or "\\" in name or name.startswith(".") or not name.endswith(".docx"):
        raise HTTPException(404, "no such document")
    return _download(paths.reports(int(year)) / name, name)


@app.get("/circulars/{period}")
def circular(period: str) -> Response:
    from county_reports.core import paths

    if not _PERIOD.match(period):
        raise HTTPException(404, "no circular for that month")
    path = paths.circulars(period) / f"circular-{period}.docx"
    return _download(path, path.name)


# --------------------------------------------------------------------------- the edited draft


def _session(request: Request) -> str:
    """The caller's credential (the UI's cookie or a bearer token): the CSRF token is bound to it."""
    header = request.headers.get("authorization", "")
    return header[7:] if header.lower().startswith("bearer ") else request.cookies.get("_token", "")


def _secret() -> str:
    from airflow.configuration import conf

    return conf.get("api_auth", "jwt_secret", fallback="") or conf.get("api", "secret_key", fallback="")


def _target(year: str, name: str):
    from county_reports.deliver import edited_drafts
    from county_reports.core import paths

    target = edited_drafts.draft(int(year), name, paths.data_dir()) if _YEAR.fullmatch(year) else None
    if target is None:
        raise HTTPException(404, "no such report")
    return target


def _report_html(target, user_id: str, request: Request, root: str, message=None, refused=False, code=200):
    from county_reports.deliver import edited_drafts
    from county_reports.render import status_page
    from county_reports.core.catalog import load_catalog

    csrf = edited_drafts.csrf_token(_secret(), user_id, _session(request))
    html = status_page.report_page(load_catalog(), target.year, target.name, edited_drafts.current(target), csrf,
                                   root, message, refused)
    return HTMLResponse(html, status_code=code)


def _may_edit(user, target) -> bool:
    """An approver (admins.yaml) whom the auth manager lets edit the report's DAG."""
    import json

    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import DagDetails

    from county_reports.core import admins
    from county_reports.core.report_settings import DAG_IDS

    kind = json.loads(target.sidecar.read_text(encoding="utf-8")).get("kind")
    dag_id = DAG_IDS.get(kind)
    return (dag_id is not None and str(user.get_id()) in admins.load_settings().approver_ids
            and get_auth_manager().is_authorized_dag(method="PUT", details=DagDetails(id=dag_id), user=user))


@app.get("/reports/{year}/{name}", response_class=HTMLResponse)
def report(year: str, name: str, request: Request, user: GetUserDep) -> HTMLResponse:
    return _report_html(_target(year, name), str(user.get_id()), request, "../../")


@app.get("/reports/{year}/{name}/edited")
def edited_document(year: str, name: str) -> Response:
    return _download(_target(year, name).edited, name)


def _change(year, name, request, user, csrf_token, change, refusal: str | None = None) -> HTMLResponse:
    """One state change: approver, CSRF, then ``change(target, engine)``; a refusal changes nothing."""
    from county_reports.deliver import edited_drafts
    from county_reports.core import messages
    from county_reports.warehouse import Warehouse

    target, user_id = _target(year, name), str(user.get_id())
    if not _may_edit(user, target):
        return _report_html(target, user_id, request, "../../../", messages.text("edited_upload", "not_admin"),
                            True, 403)
    if refusal:                 # a body refused unread (too large): no form, so no token to check
        return _report_html(target, user_id, request, "../../../", refusal, True, 413)
    if not edited_drafts.csrf_ok(_secret(), user_id, _session(request), csrf_token):
        return _report_html(target, user_id, request, "../../../", messages.text("edited_upload", "csrf"),
                            True, 403)
    try:
        with Warehouse() as warehouse:
            message = change(target, warehouse, user.get_name())
    except edited_drafts.UploadRefused as exc:
        return _report_html(target, user_id, request, "../../../", str(exc), True, 400)
    return _report_html(target, user_id, request, "../../../", message)


def _review_args(target, warehouse) -> dict:
    import json

    from county_reports.deliver import edited_drafts
    from county_reports.core.catalog import load_catalog

    catalog = load_catalog()
    sidecar = json.loads(target.sidecar.read_text(encoding="utf-8"))
    return {"engine": warehouse.engine, "unit_names": {u.name: u.code for u in catalog.units},
            "traceable": edited_drafts.warehouse_traceable(warehouse, catalog, sidecar)}


@app.post("/reports/{year}/{name}/edited", response_class=HTMLResponse)
async def upload_edited(year: str, name: str, request: Request, user: GetUserDep) -> HTMLResponse:
    """Bounded before parsing: a declared body over the limit (or none declared) is refused unread."""
    from county_reports.deliver import edited_drafts
    from county_reports.core import messages
    from county_reports.render.review.settings import load_settings

    settings = load_settings()
    limit, raw, sent = settings.limits["max_bytes"], b"", None
    declared = request.headers.get("content-length", "")
    if not declared.isascii() or not declared.isdigit():
        refusal = messages.text("edited_upload", "no_file")
    elif int(declared) > limit + (1 << 16):           # the file plus the form's few small fields
        refusal = settings.says("too_large", size=declared, limit=limit)
    else:
        refusal = None
        form = await request.form(max_files=1, max_fields=4)
        upload, sent = form.get("file"), form.get("csrf_token")
        raw = await upload.read(limit + 1) if hasattr(upload, "read") else b""

    def change(target, warehouse, by):
        if not raw:
            raise edited_drafts.UploadRefused(messages.text("edited_upload", "no_file"))
        record = edited_drafts.upload(target, raw, user=by, **_review_args(target, warehouse))
        return messages.text("edited_upload", "uploaded", sha256=record["sha256"]) + _rebound(target, warehouse)

    return _change(year, name, request, user, sent if isinstance(sent, str) else None, change, refusal)


@app.post("/reports/{year}/{name}/restore", response_class=HTMLResponse)
def restore_edited(year: str, name: str, request: Request, user: GetUserDep,
                   csrf_token: str | None = Form(None)) -> HTMLResponse:
    from county_reports.deliver import edited_drafts
    from county_reports.core import messages

    def change(target, warehouse, by):
        record = edited_drafts.restore(target, user=by, **_review_args(target, warehouse))
        return messages.text("edited_upload", "restored", sha256=record["sha256"]) + _rebound(target, warehouse)

    return _change(year, name, request, user, csrf_token, change)


def _rebound(target, warehouse) -> str:
    """The admin's notice that the approvals waiting on this draft now bind its edited version."""
    from county_reports.core import messages

    count = rebind_waiting(target, warehouse.engine)
    return messages.text("edited_upload", "rebound", count=count) if count else ""


def rebind_waiting(target, engine) -> int:
    """Every approval request still waiting on ``target``'s draft is rewritten to ask about what the
    draft now binds (``edited_drafts.bound``: the edited version just stored): the request's document
    part and the ``confirm_figures`` choices in Airflow's HITL record, then the audit's ``asked`` row
    that deliver pairs the answer with. An answer given already is never touched."""
    import json
    import uuid

    from airflow.models.hitl import HITLDetail
    from airflow.sdk import Param
    from airflow.utils.session import create_session

    from county_reports.core import admins, paths
    from county_reports.deliver import approval, edited_drafts
    from county_reports.deliver.required_actions import still_waiting
    from county_reports.runs.summary_reports import asked_about

    kind, data, texts = json.loads(target.sidecar.read_text(encoding="utf-8"))["kind"], paths.data_dir(), \
        admins.load_settings().approval
    draft_key = paths.key(target.docx, data)
    bound = edited_drafts.bound(target.year, draft_key, paths.key(target.sidecar, data), data)
    text, confirm = approval.document_section(texts, paths.at(bound.docx, data).name, bound.sha256, bound.review)
    count = 0
    for asked in approval.waiting(engine, kind, draft_key):
        with create_session() as session:
            detail = session.get(HITLDetail, uuid.UUID(asked["ti_id"]))
            if detail is None or detail.response_received or \
                    (detail.task_instance is not None and not still_waiting(detail.task_instance.state)):
                continue            # answered, or its task gave up (timed out, failed, cleared)
            detail.body = approval.with_document(detail.body or "", text)
            detail.params = dict(detail.params or {}) | {
                approval.FIGURES_PARAM: Param(None, **approval.figures_field(texts, confirm)).serialize()}
        approval.record_asked(engine, asked_about(kind, target.year, bound, confirm, asked["run_id"], asked["ti_id"],
                                                  unconfirmed=tuple(asked.get("unconfirmed") or ())))
        count += 1
    return count


# --------------------------------------------------------------------------- county → city
# The city's pull (issue 22): a sub-app of its own, so the status pages' right (read
# collect_monthly) is neither needed nor enough. Who may call it is Airflow's decision: the
# caller's JWT through get_user, then the auth manager's is_authorized_custom_view on a resource
# only the role CountyReportsFederation holds (FAB: scripts/federation_role.py creates both).
FEDERATION_RESOURCE = "County Reports Federation"


async def _federation_caller(request: Request, credentials=Depends(bearer_scheme)):  # noqa: B008  (FastAPI declares dependencies so)
    """Airflow's get_user; a credential it does not accept (none, expired, another Airflow's
    signature — which Airflow itself answers 403) is a 401 here: the city must get a new token."""
    try:
        return await get_user(request, None, credentials)
    except HTTPException as exc:
        raise HTTPException(401, exc.detail, headers={"WWW-Authenticate": "Bearer"}) from None


def _federation_reader(user=Depends(_federation_caller)) -> None:  # noqa: B008  (FastAPI declares dependencies so)
    from airflow.api_fastapi.app import get_auth_manager

    if not get_auth_manager().is_authorized_custom_view(method="GET", resource_name=FEDERATION_RESOURCE,
                                                        user=user):
        raise HTTPException(403, "Forbidden")


federation = FastAPI(title="County to city", docs_url=None, redoc_url=None, openapi_url=None,
                     dependencies=[Depends(_federation_reader)])


@federation.get("/submissions/{period}")
def county_month(period: str) -> Response:
    from county_reports.aggregate import federation as serve
    from county_reports.render import status_page
    from county_reports.core.catalog import load_catalog

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
