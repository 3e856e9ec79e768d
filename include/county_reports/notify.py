"""Feedback to units: POST the validation messages back to the unit's endpoint (protocol v1),
or, for a unit that reports by Excel, a feedback file beside its workbook in the inbox.

``POST {base_url}/submissions/{period}/feedback`` with a JSON list of messages. A unit whose
endpoint is down does not stop the run: the result says so and the warehouse records it, so the
next run can try again.
"""
from __future__ import annotations

import json
from pathlib import Path
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


def write_inbox_feedback(data_dir: Path, unit_code: str, period: str,
                         messages: list[dict[str, Any]]) -> Path:
    """A unit that reports by Excel reads its feedback beside its workbook in the inbox."""
    folder = Path(data_dir) / "inbox" / period
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{unit_code}.feedback.json").write_text(
        json.dumps(messages, ensure_ascii=False, indent=1), encoding="utf-8")
    path = folder / f"{unit_code}.feedback.txt"
    path.write_text("\n".join(f"{n}. {m['text']}" for n, m in enumerate(messages, 1)) + "\n",
                    encoding="utf-8")
    return path


def send(unit: Unit, period: str, messages: list[dict[str, Any]], *, source: str,
         token: str | None, data_dir: Path) -> dict[str, Any]:
    """Feedback the way the submission came: POST for an endpoint, a file for the inbox."""
    if source == "http":
        return send_feedback(unit, period, messages, token)
    path = write_inbox_feedback(data_dir, unit.code, period, messages)
    return {"delivered": True, "http_status": None, "error": None, "file": str(path)}
