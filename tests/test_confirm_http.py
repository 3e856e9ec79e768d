"""Warnings a unit must answer, over HTTP (issue 20 part 3): collect_monthly's tasks as plain Python
against the simulator on 127.0.0.1 and a SQLite warehouse. A ×10 slip is stored unconfirmed, out of
the history, listed for the report's approval with its effect, and the unit's feedback (a real
POST) asks it to confirm or correct; the unit answers with ``confirmations`` (the value enters the
history) or with the corrected figure (a new version, the flag gone)."""
from __future__ import annotations

import copy

import pendulum
import pytest

from county_reports.runs import collect_monthly
from county_reports.core import periods
from county_reports.aggregate.span import Span
from county_reports.aggregate.unconfirmed import unconfirmed_for_report
from county_reports.simulator.http_server import Response
from county_reports.validate.model import Verdict
from county_reports.warehouse import Warehouse
from county_reports.warehouse.flags import current_flags
from county_reports.warehouse.history import outlier_history

PERIOD = "2025-09"
UNIT = "TS05"
MOMENT = pendulum.datetime(2025, 10, 5, 6, tz="Asia/Shanghai")


@pytest.fixture
def served(simulator):
    """What the unit's endpoint answers for PERIOD: set ``served["body"]``; the route is removed after."""
    routes = simulator._routes
    state: dict = {}
    simulator.add_route("GET", f"/units/{UNIT}/submissions/{PERIOD}", lambda request: Response.json(200, state["body"]))
    yield state
    simulator._routes = routes


def _seed(simulator):
    """12 months before PERIOD with a steady INV_HIGHWAY (about 100 万元), stored as accepted."""
    verdicts = []
    for k in range(1, 13):
        month = periods.shift(PERIOD, -k)
        values = {c: float(v) for c, v in simulator.generator.payload(UNIT, month)["values"].items()}
        values["INV_TOTAL"] += 100.0 + k - values["INV_HIGHWAY"]
        values["INV_HIGHWAY"] = 100.0 + k
        verdicts.append(Verdict(UNIT, month, f"{k:064x}", "http", f"{periods.shift(month, 1)}-03T10:00:00+08:00",
                                None, "accepted", values, {c: str(v) for c, v in values.items()}))
    with Warehouse() as warehouse:
        warehouse.migrate()
        warehouse.record_verdicts(verdicts, "seed")


def _body(simulator, highway: float, confirmations=None) -> dict:
    body = copy.deepcopy(simulator.generator.payload(UNIT, PERIOD))
    values = body["values"]
    values["INV_TOTAL"] = round(values["INV_TOTAL"] - values["INV_HIGHWAY"] + highway, 2)
    values["INV_HIGHWAY"] = highway
    if confirmations is not None:
        body["confirmations"] = confirmations
    return body


def _run(run_id: str, demo_tokens):
    batches = collect_monthly.plan({"period": PERIOD, "units": [UNIT]}, MOMENT)
    pulled = [collect_monthly.pull(b, demo_tokens.get, record_as=(run_id, 1)) for b in batches]
    validated = collect_monthly.validate(pulled, run_id)
    stored = collect_monthly.store(validated, run_id)
    notified = collect_monthly.notify(validated, stored, run_id, demo_tokens.get)
    assert notified["failed"] == []
    return stored


def _state():
    with Warehouse() as warehouse:
        flags = current_flags(warehouse.engine, [PERIOD])
        history = outlier_history(warehouse.engine, [PERIOD])
        from county_reports.core.catalog import load_catalog

        listed = unconfirmed_for_report(warehouse, load_catalog(), Span(2025, 1, 9))
    mine = flags[flags["indicator"] == "INV_HIGHWAY"]
    in_history = set(history.loc[history["indicator"] == "INV_HIGHWAY", "value"])
    return mine, in_history, [u for u in listed if u.indicator == "INV_HIGHWAY"]


def _feedback(simulator) -> str:
    [message] = [m for m in simulator.feedback[(UNIT, PERIOD)][-1] if m["indicator"] == "INV_HIGHWAY"]
    assert message["rule"] == "OUTLIER" and message["importance"] == "warning"
    return message["text"]


def test_a_slip_confirmed_through_the_http_feedback(data, simulator, served, demo_tokens):
    _seed(simulator)
    served["body"] = _body(simulator, 1060.0)                 # ×10
    [first] = _run("run-1", demo_tokens)
    assert first["status"] == "accepted_with_warnings"
    flags, in_history, listed = _state()
    assert list(flags["confirmed"]) == [False] and 1060.0 not in in_history
    asked = _feedback(simulator)
    assert "核实无误" in asked and "confirmations" in asked
    [u] = listed                                             # what the approval request will list
    assert u.value == 1060.0 and u.as_reported - u.left_out == 1060.0 and u.effect > 0

    served["body"] = _body(simulator, 1060.0, [{"indicator": "INV_HIGHWAY", "reason": "年中集中拨付省补资金"}])
    [second] = _run("run-2", demo_tokens)
    assert second["outcome"] == "new" and second["submission_id"] != first["submission_id"]
    flags, in_history, listed = _state()
    assert list(flags["confirmed"]) == [True] and list(flags["reason"]) == ["年中集中拨付省补资金"]
    assert 1060.0 in in_history and listed == []
    assert "本单位已核实无误（说明：年中集中拨付省补资金）" in _feedback(simulator)


def test_a_slip_corrected_is_a_new_version_without_the_flag(data, simulator, served, demo_tokens):
    _seed(simulator)
    served["body"] = _body(simulator, 1060.0)
    [first] = _run("run-1", demo_tokens)
    served["body"] = _body(simulator, 106.0)                  # the clerk's real figure
    [second] = _run("run-2", demo_tokens)
    assert second["outcome"] == "new" and second["submission_id"] != first["submission_id"]
    flags, in_history, listed = _state()
    assert flags.empty and in_history == {106.0} and listed == []
