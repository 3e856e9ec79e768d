"""The key-projects ledger and the events wired through collect_monthly's tasks, over HTTP against
the simulator (a hand-made month served on its route) and a SQLite warehouse: every ledger and
event rule rejects with its Chinese message in the unit's feedback and the month's validation
report; accepted rows are stored with their version, and projects count in the content hash."""
from __future__ import annotations

import copy
import json

import pendulum
import pytest

from county_reports.runs import collect_monthly
from county_reports.core import paths
from county_reports.simulator.http_server import Response
from county_reports.validate.key_projects import ProjectHistory, event_from_dict, event_to_dict, \
    row_from_dict, row_to_dict
from county_reports.warehouse import Warehouse
from county_reports.warehouse import projects as stored

from key_project_payloads import BEFORE, EXPECTED, PERIOD, UNIT, clean, faulty

MOMENT = pendulum.datetime(2025, 10, 5, 6, tz="Asia/Shanghai")


@pytest.fixture
def served(simulator):
    """``serve(body)``: RC01's PERIOD answers ``body`` until the test ends."""
    routes = list(simulator._routes)
    simulator.clear_faults()

    def serve(body: dict) -> None:
        simulator._routes = list(routes)
        simulator.add_route("GET", rf"/units/{UNIT}/submissions/{PERIOD}",
                            lambda request: Response.json(200, body))
    yield serve
    simulator._routes = routes


def run(period: str, units: list[str], tokens, run_id: str) -> tuple[dict, list[dict]]:
    batches = collect_monthly.plan({"period": period, "units": units}, MOMENT)
    pulled = [collect_monthly.pull(b, tokens.get, record_as=(run_id, 1)) for b in batches]
    validated = collect_monthly.validate(pulled, run_id)
    return validated, collect_monthly.store(validated, run_id)


def test_every_ledger_and_event_rule_rejects_over_http_with_its_message(data, simulator, served,
                                                                         demo_tokens, catalog):
    run(BEFORE, [UNIT], demo_tokens, "run-aug")             # August stored: what September's falls from
    served(faulty(simulator))
    validated, stored_rows = run(PERIOD, [UNIT], demo_tokens, "run-sep")
    [verdict] = collect_monthly.verdicts_of(validated)
    assert verdict.status == "rejected"
    found = {i.rule: i.message for i in verdict.issues}
    for rule, words in EXPECTED.items():
        assert words in found.get(rule, ""), (rule, found.get(rule))
        assert found[rule].startswith(catalog.unit_by_code[UNIT].name)
    assert "“柳林渡撤渡建桥工程”（QH2024-04）" in found["PROJECT_NOT_OWNED"]
    notified = collect_monthly.notify(validated, stored_rows, "run-sep", demo_tokens.get)
    assert notified["failed"] == []
    texts = [item["text"] for item in simulator.feedback[(UNIT, PERIOD)][-1]]
    assert all(any(words in t for t in texts) for words in EXPECTED.values())
    collect_monthly.summarise([[]], validated, notified)
    report = paths.validation(data).joinpath(f"{PERIOD}.html").read_text(encoding="utf-8")
    assert all(words in report for words in EXPECTED.values())
    with Warehouse() as warehouse:    # a rejected version's rows are kept out of the ledger
        assert stored.previous_rows(warehouse.engine, UNIT, "2025-10") == {}


def test_rows_stored_with_their_version_and_projects_in_the_content_hash(data, simulator, served,
                                                                          demo_tokens):
    body = clean(simulator)
    served(body)
    _, first = run(PERIOD, [UNIT, "TS03"], demo_tokens, "run-1")
    assert {r["unit"]: r["outcome"] for r in first} == {UNIT: "new", "TS03": "new"}
    with Warehouse() as warehouse:
        rows = stored.previous_rows(warehouse.engine, UNIT, "2025-10")
        land = stored.previous_rows(warehouse.engine, "TS03", "2025-10")
        events = stored.span_events(warehouse.engine, PERIOD, PERIOD, [UNIT])
    assert [r["code"] for r in body["projects"]] == list(rows)
    sent = body["projects"][0]
    assert (rows[sent["code"]].year_investment, rows[sent["code"]].status) == (sent["year_investment"], sent["status"])
    assert land["QH2024-01"].land_acres == 63.2 and land["QH2024-01"].kind == "land"
    assert [e["title"] for e in events] == [e.get("topic") or e.get("title") or e.get("name")
                                           for e in body["events"]]

    changed = copy.deepcopy(body)                   # the same figures, one project's 形象进度 changed
    changed["projects"][0]["progress"] = "路基完成36%，桥涵完成28%"
    served(changed)
    _, second = run(PERIOD, [UNIT], demo_tokens, "run-2")
    assert [(r["outcome"], r["status"]) for r in second] == [("new", "accepted")]
    served(json.loads(json.dumps(changed)))
    _, third = run(PERIOD, [UNIT], demo_tokens, "run-3")
    assert [r["outcome"] for r in third] == ["duplicate"]
    with Warehouse() as warehouse:
        now = stored.previous_rows(warehouse.engine, UNIT, "2025-10")
        code = changed["projects"][0]["code"]
        assert now[code].progress == "路基完成36%，桥涵完成28%"
        history = stored.validation_history(warehouse.engine, ["2025-10"], "INV_TOTAL")
    assert history.rows[(UNIT, PERIOD)][code].progress == "路基完成36%，桥涵完成28%"
    assert history.invested[(UNIT, PERIOD)] == body["values"]["INV_TOTAL"]


def test_a_month_collected_after_the_one_before_in_one_run_is_checked_against_it(simulator, catalog):
    """A run over several months: September's falling figure is caught against August's rows
    validated earlier in the same run (nothing in the warehouse yet)."""
    from county_reports.validate import run as validation
    from county_reports.validate.model import Received

    history = ProjectHistory()
    august = Received(UNIT, BEFORE, "a", "http", "2025-09-03T00:00:00+00:00", clean(simulator, UNIT, BEFORE))
    history.add(validation.validate_period([august], catalog, engine="pandas", projects=history), "INV_TOTAL")
    body = clean(simulator)
    body["projects"][-1]["total_investment"] = 1.0
    september = Received(UNIT, PERIOD, "b", "http", "2025-10-03T00:00:00+00:00", body)
    [verdict] = validation.validate_period([september], catalog, engine="pandas", projects=history)
    assert [i.rule for i in verdict.errors] == ["PROJECT_CUMULATIVE"]
    body["projects"][-1]["total_investment"] = clean(simulator)["projects"][-1]["total_investment"]
    [verdict] = validation.validate_period([september], catalog, engine="pandas", projects=history)
    assert verdict.status == "accepted" and len(verdict.projects) == len(body["projects"])


def test_rows_and_events_survive_the_verdict_file(simulator):
    from county_reports.validate.projects.events import check_events
    from county_reports.validate.projects.ledger import check_rows
    from county_reports.core.projects.register import load_register
    from county_reports.core.projects.vocabulary import load_vocabulary

    words = load_vocabulary()
    body = clean(simulator, "TS03")
    body["events"] = faulty(simulator)["events"][:1] + [
        {"kind": "campaign", "name": "治超百日行动", "start": "2025-09-01", "end": "2025-09-30",
         "counts": {"deployed": 40, "found": 12}, "of_which": [{"name": "超限超载", "count": 9}]}]
    body["events"][0]["number"] = "X交发〔2025〕12号"
    rows, _ = check_rows(body, unit="TS03", unit_name="x", period=PERIOD,
                         register=load_register(simulator.catalog, vocabulary=words), vocabulary=words)
    events, issues = check_events(body, unit="TS03", unit_name="x", period=PERIOD, vocabulary=words)
    assert issues == [] and len(events) == 2
    assert [row_from_dict(json.loads(json.dumps(row_to_dict(r)))) for r in rows] == rows
    assert [event_from_dict(json.loads(json.dumps(event_to_dict(e)))) for e in events] == events


def test_the_years_investment_is_compared_only_when_every_earlier_month_is_known(simulator, catalog):
    from county_reports.validate import run as validation
    from county_reports.validate.model import Received

    body = clean(simulator)
    september = Received(UNIT, PERIOD, "b", "http", "2025-10-03T00:00:00+00:00", body)
    history = ProjectHistory(invested={(UNIT, f"2025-{m:02d}"): 1.0 for m in range(1, 9)})
    [verdict] = validation.validate_period([september], catalog, engine="pandas", projects=history)
    [issue] = verdict.errors
    assert issue.rule == "PROJECT_OVER_INDICATOR" and "2025年1—9月" in issue.message
    del history.invested[(UNIT, "2025-03")]            # March unknown: the year is not compared
    [verdict] = validation.validate_period([september], catalog, engine="pandas", projects=history)
    assert verdict.status == "accepted"


def _offline(tmp_path, body, capsys):
    from county_reports import cli

    path = tmp_path / "submission.json"
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    code = cli.main(["validate", str(path), "--engine", "pandas"])
    return code, capsys.readouterr().out


def test_offline_validate_checks_the_ledger_against_the_warehouse(data, simulator, served, demo_tokens,
                                                                   tmp_path, capsys):
    run(BEFORE, [UNIT], demo_tokens, "run-aug")
    capsys.readouterr()
    code, text = _offline(tmp_path, faulty(simulator), capsys)
    assert code == 1 and all(words in text for words in EXPECTED.values()), text
    assert "已对照本局数据仓库中本单位2025年8月的 4 行台账" in text
    code, text = _offline(tmp_path, clean(simulator), capsys)
    assert code == 0 and "2025年8月的 4 行台账" in text


def test_offline_validate_without_a_warehouse_says_the_ledger_was_not_compared(tmp_path, monkeypatch,
                                                                                simulator, capsys):
    monkeypatch.setenv("COUNTY_REPORTS_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("COUNTY_REPORTS_DB_URL", f"sqlite:///{tmp_path / 'none' / 'wh.db'}")
    code, text = _offline(tmp_path, faulty(simulator), capsys)
    assert code == 1
    assert all(words in text for rule, words in EXPECTED.items() if rule != "PROJECT_CUMULATIVE")
    assert EXPECTED["PROJECT_CUMULATIVE"] not in text
    assert "重点项目台账的累计数未与上月比较" in text and not (tmp_path / "none").exists()
    body = clean(simulator)
    body.pop("projects")                   # no ledger: nothing said about one
    code, text = _offline(tmp_path, body, capsys)
    assert code == 0 and "重点项目台账" not in text
