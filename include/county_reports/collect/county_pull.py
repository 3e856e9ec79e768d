"""The city's side of a county: where its Airflow is, and a token from it (issue 22).

A unit with ``airflow_url`` (kind ``county`` in a city's roster) is a county running this same
software. ``collect`` pulls it like any unit, in two bounded requests inside the unit's one
deadline: ``POST {airflow_url}/auth/token`` with the service account's login and password (the
Connection ``conn_id``, passed in by the DAG: this package never imports Airflow), then
``GET {airflow_url}/county-reports/federation/submissions/{period}`` with that token. The answer
goes through the same archive → parse → outcome path as every HTTP unit.

Both requests go through ``fetch``: size cap, time-outs, retries, no redirects (the password and
the token go to the configured address and nowhere else), and https unless the county's
Airflow is on this machine's loopback. Neither the password nor the token is ever in a reason.
"""
from __future__ import annotations

import json
from urllib.parse import urlsplit

from county_reports.collect import fetch
from county_reports.core import messages
from county_reports.core.catalog import Unit
from county_reports.core.config import ConfigError, fill_env
from county_reports.core.endpoint_policy import plain_http_problem

ROUTE = "/county-reports/federation/submissions/{period}"
MAX_TOKEN_CHARS = 16384      # a FAB JWT is well under 1 kB; anything larger is not one
HEADERS = {"Accept": "application/json", "Content-Type": "application/json",
           "User-Agent": "county-reports/0.1 (county to city)"}


def address(unit: Unit, environ: dict[str, str] | None = None) -> str:
    """The county's Airflow base URL (``${VAR}`` filled), https unless on the loopback
    (``endpoint_policy``: the service account's password and token would travel in clear)."""
    key = f"units.{unit.code}.airflow_url"
    url = fill_env(unit.airflow_url, "units.yaml", key, environ).rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("units.yaml", key, f"{url!r} must be https://…")
    if problem := plain_http_problem(url, environ):
        raise ConfigError("units.yaml", key, problem)
    return url


def month_url(base: str, period: str) -> str:
    return base + ROUTE.format(period=period)


def obtain_token(base: str, login: str, password: str, limits: fetch.Limits, watchdog: fetch.Watchdog, *,
                 started: float, on_attempt=None) -> tuple[str | None, str | None, int]:
    """(token, None, attempts) from the county's ``/auth/token``, or (None, reason, attempts)."""
    body = json.dumps({"username": login, "password": password}).encode()
    got = fetch.get(base + "/auth/token", HEADERS, limits, watchdog, started=started,
                    on_attempt=on_attempt, post=body)
    if got.outcome != fetch.COMPLETE or got.status not in (200, 201):
        return None, _refusal(got), got.attempts
    try:
        token = json.loads(got.body.decode("utf-8")).get("access_token")
    except (ValueError, AttributeError):
        token = None
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_CHARS or not token.isascii():
        return None, messages.text("failed", "county_token", status=got.status), got.attempts
    return token, None, got.attempts


def _refusal(got: fetch.Fetched) -> str:
    if got.outcome == fetch.COMPLETE:
        return messages.text("failed", "county_token", status=got.status)
    if got.outcome == fetch.UNREACHABLE:
        return messages.text("failed", "connection", detail=got.error, attempts=got.attempts)
    return messages.text("failed", "county_token", status=got.status or got.outcome)
