"""The template's 重点项目 and 重要事项 sheets: pre-filled with the unit's projects (a township's
with its land rows), read back by the inbox into the same ``projects`` / ``events`` lists as the
HTTP payload, and checked offline by ``validate FILE`` with every ledger and event rule."""
from __future__ import annotations

import sys
from pathlib import Path

import pendulum
from openpyxl import load_workbook

from county_reports import cli
from county_reports.runs import collect_monthly
from county_reports.collect import template
from county_reports.collect.inbox import read_template

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "validate"))
from key_project_payloads import BEFORE, EXPECTED, clean, faulty, fill_template  # noqa: E402

MOMENT = pendulum.datetime(2025, 10, 5, 6, tz="Asia/Shanghai")


def test_the_sheets_are_prefilled_with_the_units_projects(catalog, tmp_path):
    path = template.write_template(catalog, "TS03", "2025-09", tmp_path / "TS03.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames[3:] == ["重点项目", "重要事项", "meta"]
    ws = wb["重点项目"]
    rows = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value}
    assert list(rows) == ["QH2025-03", "QH2024-01"]            # its own project, then its land row
    own, land = rows["QH2025-03"], rows["QH2024-01"]
    assert ws.cell(own, 3).protection.locked is False and ws.cell(own, 12).protection.locked is True
    assert ws.cell(land, 12).protection.locked is False and ws.cell(land, 3).protection.locked is True
    assert ws.cell(own, 1).protection.locked is True                 # the code is not the clerk's
    assert "年度计划投资" in ws.cell(own, 14).value
    # a unit without projects gets the events sheet only
    wb = load_workbook(template.write_template(catalog, "QS01", "2025-09", tmp_path / "QS01.xlsx"))
    assert "重点项目" not in wb.sheetnames and "重要事项" in wb.sheetnames


def test_a_filled_template_reads_back_as_the_payload_sent_over_http(catalog, simulator, tmp_path):
    for unit in ("RC01", "TS03"):
        body = clean(simulator, unit)
        body["events"] = faulty(simulator)["events"] + body.get("events", [])
        path = tmp_path / f"{unit}.xlsx"
        fill_template(catalog, body, path)
        payload = read_template(path, catalog)
        assert payload["projects"] == [_as_read(r) for r in body["projects"]]
        assert payload["events"] == body["events"]


def _as_read(row: dict) -> dict:
    return {k: v for k, v in row.items() if v not in (None, "")}


def test_offline_validate_of_a_filled_template_names_every_rule(catalog, simulator, tmp_path, monkeypatch,
                                                                 demo_tokens, capsys):
    monkeypatch.setenv("COUNTY_REPORTS_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("COUNTY_REPORTS_DB_URL", f"sqlite:///{tmp_path / 'wh.db'}")
    simulator.clear_faults()
    batches = collect_monthly.plan({"period": BEFORE, "units": ["RC01"]}, MOMENT)
    pulled = [collect_monthly.pull(b, demo_tokens.get, record_as=("aug", 1)) for b in batches]
    collect_monthly.store(collect_monthly.validate(pulled, "aug"), "aug")     # August: what September falls from
    capsys.readouterr()
    fill_template(catalog, faulty(simulator), tmp_path / "RC01.xlsx")
    code = cli.main(["validate", str(tmp_path / "RC01.xlsx"), "--engine", "pandas"])
    text = capsys.readouterr().out
    assert code == 1 and all(words in text for words in EXPECTED.values()), text
    fill_template(catalog, clean(simulator), tmp_path / "RC01.xlsx")
    code = cli.main(["validate", str(tmp_path / "RC01.xlsx"), "--engine", "pandas"])
    assert code == 0, capsys.readouterr().out
