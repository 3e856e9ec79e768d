"""Feedback to units: POST the validation messages back to the unit's endpoint (protocol v1).

``POST {base_url}/submissions/{period}/feedback`` with a JSON list of messages. A unit whose
endpoint is down does not stop the run: the result says so and the warehouse records it, so the
next run can try again.
"""
from __future__ import annotations

from typing import Any

import requests

from county_reports.catalog import ConfigError, Unit


def send_feedback(unit: Unit, period: str, messages: list[dict[str, Any]], token: str | None, *,
                  timeout: float = 10.0, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Returns {delivered, http_status, error}; never raises for the unit's fault."""
    if not token:
        return {"delivered": False, "http_status": None,
                "error": f"no token configured (connection {unit.token_conn_id})"}
    try:
        url = f"{unit.endpoint(environ)}/submissions/{period}/feedback"
    except ConfigError as exc:
        return {"delivered": False, "http_status": None, "error": str(exc)}
    try:
        response = requests.post(url, json=messages, timeout=timeout,
                                 headers={"Authorization": f"Bearer {token}"})
    except requests.RequestException as exc:
        return {"delivered": False, "http_status": None,
                "error": f"{type(exc).__name__} while posting feedback"}
    ok = 200 <= response.status_code < 300
    return {"delivered": ok, "http_status": response.status_code,
            "error": None if ok else f"HTTP {response.status_code}"}
