"""Answer an approval request through Airflow's REST API, as an admin in the UI would.

Used by the demo (one unattended command) and by the end-to-end tests; an admin uses the
Required Actions page (Browse ▸ Required Actions, or the run's ``approve`` task) instead. Plain
HTTP with ``requests``: a bearer token from ``POST /auth/token``, the pending requests from
``GET /api/v2/dags/{dag_id}/dagRuns/~/hitlDetails?response_received=false``, the answer with
``PATCH …/taskInstances/{task_id}/{map_index}/hitlDetails``. No Airflow import.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests


class AirflowApi:
    def __init__(self, base_url: str, username: str, password: str, *, timeout: float = 30.0):
        self.base_url, self.timeout = base_url.rstrip("/"), timeout
        answer = requests.post(f"{self.base_url}/auth/token", json={"username": username, "password": password},
                               timeout=timeout)
        if answer.status_code not in (200, 201):
            raise PermissionError(f"Airflow refused the sign-in of {username!r} (HTTP {answer.status_code})")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def pending(self, dag_id: str = "~", run_id: str = "~") -> list[dict[str, Any]]:
        """Requests still waiting for an answer, oldest first. A request whose task no longer waits
        (timed out, its run failed or cleared) keeps "no response" in Airflow's list: left out."""
        answer = self.session.get(f"{self.base_url}/api/v2/dags/{dag_id}/dagRuns/{run_id}/hitlDetails",
                                  params={"response_received": "false", "order_by": "created_at"},
                                  timeout=self.timeout)
        answer.raise_for_status()
        return [d for d in answer.json()["hitl_details"]
                if still_waiting((d.get("task_instance") or {}).get("state"))]

    def respond(self, detail: dict[str, Any], option: str, params_input: dict[str, Any]) -> dict[str, Any]:
        ti = detail["task_instance"]
        url = (f"{self.base_url}/api/v2/dags/{ti['dag_id']}/dagRuns/{ti['dag_run_id']}/taskInstances/"
               f"{ti['task_id']}/{ti['map_index']}/hitlDetails")
        answer = self.session.patch(url, json={"chosen_options": [option], "params_input": params_input},
                                    timeout=self.timeout)
        if answer.status_code != 200:
            raise RuntimeError(f"Airflow did not take the answer (HTTP {answer.status_code}): {answer.text[:300]}")
        return answer.json()

    def required_actions_url(self, detail: dict[str, Any]) -> str:
        ti = detail["task_instance"]
        return f"{self.base_url}/dags/{ti['dag_id']}/runs/{ti['dag_run_id']}/tasks/{ti['task_id']}/required_actions"


# A task instance in one of these states waits for nobody (a waiting one is awaiting_input or deferred).
_NO_LONGER_WAITING = {"success", "failed", "skipped", "upstream_failed", "removed", "up_for_retry"}
# … and in one of these it has handed over and waits (still "running", it is between writing its
# request and deferring: an answer given then can be lost, and the run waits for ever).
_AWAITING = {"awaiting_input", "deferred"}


def awaiting(state) -> bool:
    """Whether a request's task has handed over and waits for its answer (the only time an answer
    is safe to give)."""
    return str(getattr(state, "value", state)) in _AWAITING


def still_waiting(state) -> bool:
    """Whether a request's task still waits for its answer, from the task instance's state (a
    timed-out or cleared request keeps "no response" in Airflow's list)."""
    return str(getattr(state, "value", state)) not in _NO_LONGER_WAITING


def first_choices(detail: dict[str, Any], params_input: dict[str, Any]) -> dict[str, Any]:
    """``params_input`` with the first offered option of every choice field it leaves out (e.g.
    未核实数据的处理 → 按报送数使用): the demo's automatic admin, and tests that approve as it does."""
    offered = {name: param.get("schema", {}).get("enum") for name, param in (detail.get("params") or {}).items()}
    return {name: options[0] for name, options in offered.items() if options and name not in params_input} \
        | params_input


def answer_when_asked(api: AirflowApi, dag_id: str, choose: Callable[[dict], tuple[str, dict] | None], *,
                      timeout: float = 300.0, poll: float = 0.5,
                      stop: Callable[[], bool] = lambda: False) -> dict[str, Any] | None:
    """Wait for the DAG's next pending request and answer it with ``choose(detail)``.

    ``choose`` returns (option, params_input), or None to leave the request unanswered.
    Returns the request that was answered (with ``answer``), or None on timeout / stop.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stop():
        for detail in api.pending(dag_id):
            if not awaiting((detail.get("task_instance") or {}).get("state")):
                break           # its task is still handing over: asked again at the next poll
            choice = choose(detail)
            if choice is None:
                return None
            option, params_input = choice
            detail["answer"] = api.respond(detail, option, params_input)
            return detail
        time.sleep(poll)
    return None
