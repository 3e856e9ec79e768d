"""deliver/unit_endpoint.py: the one POST to a unit's endpoint — a missing token and a refused
base_url are results, not exceptions; the body reaches ``{base_url}/{path}`` with the bearer token,
against a real HTTP server on 127.0.0.1."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from county_reports.deliver.unit_endpoint import not_sent, post_to_unit

PERIOD = "2025-06"


def test_no_token_is_not_sent_and_names_the_connection(catalog):
    ts03 = catalog.unit_by_code["TS03"]
    assert post_to_unit(ts03, f"reminders/{PERIOD}", {}, None) == not_sent(
        f"no token configured (connection {ts03.token_conn_id})")


def test_a_refused_base_url_is_the_units_result(catalog):
    result = post_to_unit(catalog.unit_by_code["TS03"], "x", {}, "secret",
                          environ={"COUNTY_REPORTS_SIMULATOR_URL": "http://units.example"})
    assert result["delivered"] is False and result["http_status"] is None
    assert "units.TS03.base_url" in result["error"] and "secret" not in result["error"]


def test_the_body_reaches_the_path_with_the_token(catalog):
    got = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            got.append((self.path, self.headers["Authorization"], body))
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {"COUNTY_REPORTS_SIMULATOR_URL": f"http://127.0.0.1:{server.server_address[1]}"}
        result = post_to_unit(catalog.unit_by_code["TS03"], f"submissions/{PERIOD}/feedback", [{"text": "好"}],
                              "tok", environ=env)
    finally:
        server.shutdown()
        server.server_close()
    assert result == {"delivered": True, "http_status": 202, "error": None}
    assert got == [(f"/units/TS03/submissions/{PERIOD}/feedback", "Bearer tok", [{"text": "好"}])]
