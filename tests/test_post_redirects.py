"""Every POST to a unit (validation feedback, reminders) refuses redirects: against real HTTP
servers on 127.0.0.1, the unit's endpoint answers 307 to another local port; the body must never
reach that port, and the unit counts as not told (tried again on the next run)."""
from __future__ import annotations

import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest

from county_reports.core import mail
from county_reports.deliver import notify, reminders

PERIOD = "2025-06"


def _server(answer):
    """A real HTTP server on a free loopback port; ``answer(handler)`` -> (status, headers)."""
    hits: list[tuple[str, str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def _any(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            hits.append((self.command, self.path, body))
            status, headers = answer(self)
            self.send_response(status)
            for name, value in {**headers, "Content-Length": "0"}.items():
                self.send_header(name, value)
            self.end_headers()

        do_GET = do_POST = do_PUT = _any

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, hits


@pytest.fixture
def redirecting(request):
    """(environ pointing the units at an endpoint that answers ``status`` (default 307) with a
    Location on another local port, the endpoint's hits, the other port's hits)."""
    status = getattr(request, "param", 307)
    elsewhere, taken = _server(lambda h: (200, {}))
    target = f"http://127.0.0.1:{elsewhere.server_address[1]}/collect"
    endpoint, asked = _server(lambda h: (status, {"Location": target + h.path}))
    environ = {"COUNTY_REPORTS_SIMULATOR_URL": f"http://127.0.0.1:{endpoint.server_address[1]}"}
    yield environ, asked, taken
    for server in (endpoint, elsewhere):
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("redirecting", [301, 302, 303, 307, 308], indirect=True)
def test_feedback_answered_by_a_redirect_is_not_delivered_and_not_sent_on(catalog, redirecting):
    environ, asked, taken = redirecting
    result = notify.send_feedback(catalog.unit_by_code["TS03"], PERIOD, [{"text": "值不能为负"}],
                                  "secret-token", environ=environ)
    assert result["delivered"] is False and 300 <= result["http_status"] < 400
    assert "redirect" in result["error"] and "secret-token" not in result["error"]
    assert [(m, p) for m, p, _ in asked] == [("POST", f"/units/TS03/submissions/{PERIOD}/feedback")]
    assert taken == [], "the redirect's target got a request"


def test_a_reminder_answered_by_307_is_not_sent_on_and_is_tried_again(catalog, redirecting, tmp_path):
    environ, asked, taken = redirecting
    units = [u.code for u in catalog.units_active_in(PERIOD) if u.channel == "http"]
    nobody_reported = pd.DataFrame(columns=["unit", "period", "status", "collection_status"])
    settings = mail.load_settings()

    def day(d):
        context = reminders.ReminderContext(catalog, tmp_path, settings, send=None,
                                            token_lookup=lambda conn: "secret-token", environ=environ)
        return reminders.run(d, nobody_reported, context)

    first = day(date(2025, 7, 3))
    due_then = {u.code for u in catalog.units_active_in(PERIOD) if u.deadline_day in (3, 4, 5)} & set(units)
    assert due_then and first["reminded"] == [] and set(first["failed"]) >= due_then
    assert taken == [], "a reminder's body went to the host the 307 named"
    assert {p for _, p, _ in asked} >= {f"/units/{c}/reminders/{PERIOD}" for c in due_then}
    rows = reminders.sent(tmp_path, PERIOD)
    assert not [r for r in rows if r[1] in due_then], "a redirected reminder counted as delivered"
    again = day(date(2025, 7, 4))                       # not delivered: tried again the next day
    assert set(again["failed"]) >= due_then and taken == []


def test_a_plain_2xx_is_still_delivered(catalog):
    server, hits = _server(lambda h: (204, {}))
    try:
        env = {"COUNTY_REPORTS_SIMULATOR_URL": f"http://127.0.0.1:{server.server_address[1]}"}
        result = notify.send_feedback(catalog.unit_by_code["TS03"], PERIOD, [{"text": "好"}], "t", environ=env)
    finally:
        server.shutdown()
        server.server_close()
    assert result == {"delivered": True, "http_status": 204, "error": None} and len(hits) == 1
