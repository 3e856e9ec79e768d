"""required_actions.py: answering an approval over Airflow's REST API: sign-in, the pending requests,
the answer. Against a small real HTTP server on 127.0.0.1 speaking those three calls (the real
api-server is used by tests/dags/test_report_dags_e2e.py; it takes a minute to start)."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from county_reports.deliver.required_actions import AirflowApi, answer_when_asked

DETAIL = {"task_instance": {"dag_id": "annual_report", "dag_run_id": "manual__1", "task_id": "approve",
                            "map_index": -1, "state": "awaiting_input"}, "subject": "审批"}


class Airflow(BaseHTTPRequestHandler):
    pending: list = []
    seen: list = []

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"null")

    def do_POST(self):
        body = self._body()
        if self.path == "/auth/token" and body == {"username": "admin", "password": "pw"}:
            return self._send(201, {"access_token": "tok"})
        self._send(401, {"detail": "no"})

    def do_GET(self):
        url = urlsplit(self.path)
        self.seen.append(("GET", url.path, parse_qs(url.query), self.headers.get("Authorization")))
        if self.headers.get("Authorization") != "Bearer tok":
            return self._send(401, {})
        self._send(200, {"hitl_details": list(self.pending)})

    def do_PATCH(self):
        body = self._body()
        self.seen.append(("PATCH", self.path, body, self.headers.get("Authorization")))
        if body["chosen_options"] == ["bad"]:
            return self._send(409, {"detail": "already answered"})
        self.pending.clear()
        self._send(200, {"chosen_options": body["chosen_options"], "params_input": body["params_input"]})

    def log_message(self, *args):
        pass


@pytest.fixture
def airflow():
    Airflow.pending, Airflow.seen = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Airflow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_refused_sign_in(airflow):
    with pytest.raises(PermissionError, match="'admin'.*401"):
        AirflowApi(airflow, "admin", "wrong", timeout=5)


def test_pending_and_respond(airflow):
    api = AirflowApi(airflow, "admin", "pw", timeout=5)
    Airflow.pending = [dict(DETAIL)]
    assert api.pending("annual_report") == [DETAIL]
    method, path, query, auth = Airflow.seen[-1]
    assert path == "/api/v2/dags/annual_report/dagRuns/~/hitlDetails" and auth == "Bearer tok"
    assert query == {"response_received": ["false"], "order_by": ["created_at"]}
    answer = api.respond(DETAIL, "批准", {"note": "同意"})
    assert answer == {"chosen_options": ["批准"], "params_input": {"note": "同意"}}
    assert Airflow.seen[-1][1] == "/api/v2/dags/annual_report/dagRuns/manual__1/taskInstances/approve/-1/hitlDetails"
    with pytest.raises(RuntimeError, match="409"):
        api.respond(DETAIL, "bad", {})
    assert api.required_actions_url(DETAIL) == \
        f"{airflow.rstrip('/')}/dags/annual_report/runs/manual__1/tasks/approve/required_actions"


def test_answer_when_asked(airflow):
    api = AirflowApi(airflow, "admin", "pw", timeout=5)
    assert answer_when_asked(api, "annual_report", lambda d: ("批准", {}), timeout=0.3, poll=0.05) is None
    Airflow.pending = [dict(DETAIL)]
    assert answer_when_asked(api, "annual_report", lambda d: None, timeout=5, poll=0.05) is None
    assert not [s for s in Airflow.seen if s[0] == "PATCH"]          # left unanswered
    answered = answer_when_asked(api, "annual_report", lambda d: ("驳回", {"reason": "数据有误"}), poll=0.05)
    assert answered["answer"]["chosen_options"] == ["驳回"] and Airflow.pending == []
    assert answer_when_asked(api, "x", lambda d: ("批准", {}), stop=lambda: True) is None


def test_a_request_is_answered_only_once_its_task_waits(airflow):
    # Still "running", the task has written its request but not yet handed over (it mails the
    # admins first): an answer then is lost, and the run would wait for ever. Asked again later.
    api = AirflowApi(airflow, "admin", "pw", timeout=5)
    Airflow.pending = [{**DETAIL, "task_instance": {**DETAIL["task_instance"], "state": "running"}}]
    assert answer_when_asked(api, "annual_report", lambda d: ("批准", {}), timeout=0.5, poll=0.05) is None
    assert not [s for s in Airflow.seen if s[0] == "PATCH"]
    Airflow.pending = [dict(DETAIL)]                                 # now awaiting_input
    assert answer_when_asked(api, "annual_report", lambda d: ("批准", {}), timeout=5, poll=0.05)["answer"]


def test_first_choices_fills_only_the_choice_fields_left_out():
    from county_reports.deliver.required_actions import first_choices

    detail = {"params": {"unconfirmed": {"schema": {"type": "string", "enum": ["按报送数使用", "剔除后汇总", "暂缓报送"]}},
                         "note": {"schema": {"type": "string"}}}}
    assert first_choices(detail, {"note": "同意"}) == {"unconfirmed": "按报送数使用", "note": "同意"}
    assert first_choices(detail, {"unconfirmed": "暂缓报送"}) == {"unconfirmed": "暂缓报送"}      # an answer stays
    assert first_choices({"params": {}}, {"note": ""}) == {"note": ""}
