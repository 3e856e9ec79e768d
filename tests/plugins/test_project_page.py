"""A key project's page (重点项目) on the status plugin, from a real SQLite warehouse holding the
simulator's months as collect_monthly stores them: months against plan and schedule, milestones,
status history with causes, land by township; linked from the unit's page; an unknown code 404s."""
from __future__ import annotations

import importlib.util
import re

import pytest
from fastapi.testclient import TestClient

from county_reports.core import paths, periods
from county_reports.core.projects.register import load_register
from county_reports.simulator.profile import Profile
from county_reports.simulator.server import SimulatorServer
from county_reports.validate import run
from county_reports.validate.key_projects import ProjectHistory
from county_reports.validate.model import Received
from county_reports.warehouse import Warehouse

MONTHS = periods.span("2025-01", "2025-09")
UNITS = ("RC01", "TS03", "TS04")


@pytest.fixture(scope="module")
def client(catalog, tmp_path_factory):
    folder = tmp_path_factory.mktemp("project-page")
    mp = pytest.MonkeyPatch()
    mp.setenv("COUNTY_REPORTS_DATA", str(folder / "data"))
    mp.setenv("COUNTY_REPORTS_DB_URL", f"sqlite:///{folder / 'wh.db'}")
    sim, history, sent = SimulatorServer(catalog, {}, profile=Profile()), ProjectHistory(), {}
    with Warehouse() as warehouse:
        warehouse.migrate()
        warehouse.sync_roster(catalog, "seed")
        for period in MONTHS:
            received = []
            for unit in UNITS:
                body = sim.generator.payload(unit, period)
                body.update(sim.projects.keys_for(body, unit, period))
                sent[(unit, period)] = body
                received.append(Received(unit, period, f"{unit}{period}", "http", f"{period}-28T00:00:00+00:00", body))
            verdicts = run.validate_period(received, catalog, engine="pandas", projects=history)
            assert {v.status for v in verdicts} <= {"accepted", "accepted_with_warnings"}
            history.add(verdicts, "INV_TOTAL")
            warehouse.record_verdicts(verdicts, "seed")
    spec = importlib.util.spec_from_file_location("status_plugin_projects",
                                                  paths.PROJECT_ROOT / "plugins" / "county_reports_status.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.app.dependency_overrides[module.authorized] = lambda: None
    yield TestClient(module.app), sent
    module.app.dependency_overrides.clear()
    mp.undo()


def rows(html: str, table: str) -> list[list[str]]:
    block = re.search(rf'<table id="{table}">(.*?)</table>', html, re.S).group(1)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
            for r in re.findall(r"<tr>(.*?)</tr>", block, re.S)][1:]


def test_a_projects_page_shows_its_months_milestones_status_and_land(client, catalog):
    http, sent = client
    page = http.get("/projects/QH2024-01")
    assert page.status_code == 200
    html = page.text
    project = load_register(catalog).by_code["QH2024-01"]
    assert project.name in html and "年度计划投资 9,000 万元" in html
    months = rows(html, "months")
    assert [m[0] for m in months] == MONTHS
    september = next(r for r in sent[("RC01", "2025-09")]["projects"] if r["code"] == "QH2024-01")
    due = project.years[2025].due(9)
    assert months[-1][2] == f"{september['year_investment']:,.2f}".rstrip("0").rstrip(".")
    assert months[-1][6] == f"{september['year_investment'] - due:+.2f}"          # against 序时进度
    assert [m[0] for m in rows(html, "milestones")] == [m.name for m in project.years[2025].milestones]
    history = rows(html, "status")
    assert history[0][1] == "正常" and history[-1][1] == "滞后" and september["cause_text"] in history[-1][2]
    land = rows(html, "land")
    assert [r[0] for r in land] == [catalog.unit_by_code[c].name for c in ("TS03", "TS04")]
    acres = next(r for r in sent[("TS03", "2025-09")]["projects"] if r["code"] == "QH2024-01")["land_acres"]
    assert land[0][1] == "2025-09" and land[0][2] == f"{acres:g}"
    assert http.get("/projects/QH2024-01?year=2024").text.count("2024年尚无已接收的月报") == 1


def test_the_units_page_links_its_projects_and_an_unknown_code_is_404(client):
    http, _ = client
    unit = http.get("/units/RC01").text
    assert 'href="../projects/QH2024-01"' in unit and 'href="../projects/QH2025-02"' in unit
    assert 'href="../projects/QH2024-01"' in http.get("/units/TS03").text       # its land row
    assert 'id="projects"' not in http.get("/units/QS01").text
    for code in ("NOPE-1", "..%2F..%2Fetc", "QH2024-01.html"):
        assert http.get(f"/projects/{code}").status_code == 404, code
