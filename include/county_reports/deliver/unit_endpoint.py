"""Speaking to a unit's endpoint (protocol v1): the one way feedback and reminders are POSTed.

``post_to_unit(unit, "submissions/2025-06/feedback", body, token)`` checks the token, fills the
unit's ``base_url`` (a refused URL is the unit's result, not an exception) and POSTs the body as
JSON with ``fetch.post_json`` (a redirect is not followed and counts as not delivered). The result
is always ``{delivered, http_status, error}``, and no text in it carries the token.
"""
from __future__ import annotations

from typing import Any

from county_reports.collect import fetch
from county_reports.core.catalog import Unit
from county_reports.core.config import ConfigError


def post_to_unit(unit: Unit, path: str, body: Any, token: str | None, *, timeout: float = 10.0,
                 environ: dict[str, str] | None = None) -> dict[str, Any]:
    """POST ``body`` to ``{base_url}/{path}``; never raises for the unit's fault (its token, its URL,
    its endpoint)."""
    if not token:
        return not_sent(f"no token configured (connection {unit.token_conn_id})")
    try:
        url = f"{unit.endpoint(environ)}/{path}"
    except ConfigError as exc:
        return not_sent(str(exc))
    return fetch.post_json(url, body, token, timeout=timeout)


def not_sent(error: str) -> dict[str, Any]:
    """The result of a POST that was never made."""
    return {"delivered": False, "http_status": None, "error": error}
