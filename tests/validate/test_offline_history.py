"""``python -m county_reports validate FILE`` checks outliers as the bureau will: against the
unit's history in the warehouse, and says so — or says that no warehouse could be read."""
from __future__ import annotations

import json

import pytest
import seeded_warehouse

from county_reports import cli
from county_reports.simulator.data import SubmissionGenerator
from county_reports.simulator.profile import load_profile

P = "2025-06"
UNIT, CODE = "RC01", "MAINT_FUNDS"     # the road centre's maintenance funds, 万元


def _file(tmp_path, catalog, **changes):
    profile = load_profile()
    payload = SubmissionGenerator(catalog, seed=profile.seed, sizes=profile.sizes).payload(UNIT, P)
    payload["values"].update(changes)
    path = tmp_path / "submission.json"
    path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return path, payload["values"]


def _check(path, capsys, *engine):
    code = cli.main(["validate", str(path), *engine])
    return code, capsys.readouterr().out


@pytest.fixture
def warehouse(tmp_path, monkeypatch, vcatalog):
    """Accepted simulator figures of every unit, January 2024 – May 2025."""
    return seeded_warehouse.seed(tmp_path, monkeypatch, vcatalog, "2024-01", "2025-05")


def test_a_slip_is_warned_about_with_the_warehouse_history(warehouse, tmp_path, vcatalog, capsys):
    clean, values = _file(tmp_path, vcatalog)
    code, text = _check(clean, capsys, "--engine", "pandas")
    assert code == 0 and "需要核实" not in text, text
    assert "异常值检查已对照本局数据仓库中本单位2024年5月至2025年5月的" in text, text

    slipped, _ = _file(tmp_path, vcatalog, **{CODE: round(values[CODE] / 10, 2)})   # ÷10: a digit lost
    code, text = _check(slipped, capsys)                                               # GX, as the DAG
    assert code == 0, text
    assert "校验通过，可以报送；有 1 项需要核实" in text, text
    assert f"（{CODE}）本月填报“{round(values[CODE] / 10, 2)}”" in text and "相差很大" in text, text
    assert text.rstrip().endswith("与本局收到报表时的检查相同。"), text


def test_without_a_warehouse_the_file_is_checked_and_the_output_says_so(tmp_path, monkeypatch, vcatalog,
                                                                          capsys):
    missing = tmp_path / "nowhere" / "warehouse.db"
    monkeypatch.setenv("COUNTY_REPORTS_DB_URL", f"sqlite:///{missing}")
    monkeypatch.setenv("COUNTY_REPORTS_DATA", str(tmp_path / "data"))
    path, values = _file(tmp_path, vcatalog, **{CODE: 1.0})
    code, text = _check(path, capsys, "--engine", "pandas")
    assert code == 0 and "校验通过，可以报送。" in text, text
    assert "未能读取本局数据仓库（OperationalError），异常值检查未与本单位历史数据比对" in text, text
    assert "nowhere" not in text and "sqlite" not in text        # no URL, no path
    assert not missing.exists() and not missing.parent.exists()  # nothing created


def test_a_warehouse_without_the_units_months_says_there_was_nothing_to_compare(
        tmp_path, monkeypatch, vcatalog, capsys):
    seeded_warehouse.seed(tmp_path, monkeypatch, vcatalog, "2023-01", "2023-12")   # too old to count
    path, _ = _file(tmp_path, vcatalog)
    code, text = _check(path, capsys, "--engine", "pandas")
    assert code == 0
    assert "本局数据仓库中没有本单位2024年5月至2025年5月的数值" in text, text
