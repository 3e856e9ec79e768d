"""The shipped configuration loads, and each kind of broken file gets a clear file/key/problem error."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from county_reports.core.catalog import load_catalog
from county_reports.core.config import ConfigError

CONFIG = Path(__file__).resolve().parents[2] / "include" / "config"


def test_shipped_config_is_a_realistic_county(catalog):
    assert len(catalog.units) >= 15
    assert len({u.kind for u in catalog.units}) >= 4
    assert len(catalog.indicators) + len(catalog.derived) >= 40
    assert len({i.section for i in catalog.indicators}) >= 8
    assert {2024, 2025} <= set(catalog.targets)
    for unit in catalog.units:
        assert catalog.required_indicators(unit.kind), unit.code
    fix_rate = {d.code: d for d in catalog.derived}["HAZARD_FIX_RATE"]
    assert fix_rate.inputs == ("HAZARD_FIXED", "HAZARD_FOUND")


def test_roster_dates(catalog):
    merged, opened = catalog.unit_by_code["TS09"], catalog.unit_by_code["TS11"]
    assert merged.active_in("2024-09") and not merged.active_in("2024-10")
    assert not opened.active_in("2024-06") and opened.active_in("2024-07")
    assert str(catalog.unit_by_code["TS01"].due_date("2024-12")) == "2025-01-05"


def test_check_config_cli_passes_on_shipped_config():
    done = subprocess.run([sys.executable, "-m", "county_reports", "check-config"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "configuration OK" in done.stdout and "清河县交通运输局" in done.stdout


class RawText:
    """An edit that replaces the whole file with this text (for syntax errors)."""

    def __init__(self, text: str):
        self.text = text


def _broken(tmp_path: Path, file: str, edit) -> Path:
    root = tmp_path / "config"
    shutil.copytree(CONFIG, root)
    path = root / file
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    result = edit(data)
    text = result.text if isinstance(result, RawText) else yaml.safe_dump(data, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return root


def _unit(data, code):
    return next(u for u in data["units"] if u["code"] == code)


def _indicator(data, code):
    return next(i for i in data["indicators"] if i["code"] == code)


BROKEN = [
    ("units.yaml", lambda d: _unit(d, "TS02").update(kind="ferry_station"),
     "units.yaml", "units.TS02.kind", "is not one of"),
    ("units.yaml", lambda d: _unit(d, "TS03").update(code="TS01"),
     "units.yaml", "units.TS01.code", "duplicate unit code TS01"),
    ("units.yaml", lambda d: _unit(d, "TS04").update(deadline_day=31),
     "units.yaml", "units.TS04.deadline_day", "must be a day from 1 to 7"),
    ("units.yaml", lambda d: _unit(d, "TS05").update(active_from="2024-13"),
     "units.yaml", "units.TS05.active_from", "not a month written YYYY-MM"),
    ("units.yaml", lambda d: _unit(d, "TS06").update(active_to="2023-01"),
     "units.yaml", "units.TS06.active_to", "before active_from"),
    ("units.yaml", lambda d: _unit(d, "TS07").pop("token_conn_id"),
     "units.yaml", "units.TS07.token_conn_id", "missing"),
    ("units.yaml", lambda d: _unit(d, "TS08").update(emails=["not-an-address"]),
     "units.yaml", "units.TS08.emails[0]", "is not an e-mail address"),
    ("units.yaml", lambda d: _unit(d, "TS08").update(emails=["TS01@qinghe.example"]),
     "units.yaml", "units.TS08.emails[0]", "already registered to unit TS01"),
    ("units.yaml", lambda d: _unit(d, "TS08").update(channel="email", emails=[]),
     "units.yaml", "units.TS08.emails", "needs at least one address"),
    ("units.yaml", lambda d: _unit(d, "TS08").update(channel="fax"),
     "units.yaml", "units.TS08.channel", "is not one of"),
    ("indicators.yaml", lambda d: _indicator(d, "HAZARD_FOUND").update(over_time="median"),
     "indicators.yaml", "indicators.HAZARD_FOUND.over_time", "'median' is not one of sum, last, max, mean"),
    ("indicators.yaml", lambda d: _indicator(d, "ENF_CASES").update(max=-1),
     "indicators.yaml", "indicators.ENF_CASES.max", "below min"),
    ("indicators.yaml", lambda d: _indicator(d, "DRILLS").update(reported_by=["road_centre", "airport"]),
     "indicators.yaml", "indicators.DRILLS.reported_by", "unknown unit kind 'airport'"),
    ("indicators.yaml", lambda d: d["derived"][0].update(formula="VILLAGES_WITH_BUS / VILLAGE_COUNT"),
     "indicators.yaml", "derived.VILLAGE_BUS_RATE.formula", "unknown indicator VILLAGE_COUNT"),
    ("indicators.yaml", lambda d: d["derived"][1].update(formula="__import__('os')"),
     "indicators.yaml", "derived.OVERLOAD_RATE.formula", "may only use"),
    ("rules.yaml", lambda d: d["rules"][0].update(importance="fatal"),
     "rules.yaml", "rules.HAZARD_FIXED_LE_FOUND.importance", "is not one of error, warning"),
    ("rules.yaml", lambda d: d["rules"][1].update(parts=["INV_HIGHWAY", "INV_AIRPORT"]),
     "rules.yaml", "rules.INVESTMENT_PARTS_SUM.parts", "unknown indicator 'INV_AIRPORT'"),
    ("targets.yaml", lambda d: d[2025].update(INV_TOTAL="很多"),
     "targets.yaml", "2025.INV_TOTAL", "must be a number"),
    ("targets.yaml", lambda d: d[2024].update(NOT_AN_INDICATOR=1),
     "targets.yaml", "2024.NOT_AN_INDICATOR", "unknown indicator code"),
    ("bureau.yaml", lambda d: RawText("name: [unclosed\n"), "bureau.yaml", "line", "not valid YAML"),
]


@pytest.mark.parametrize("file,edit,err_file,err_key,problem", BROKEN,
                         ids=[f"{b[0]}:{b[3]}" for b in BROKEN])
def test_broken_config_names_file_key_and_problem(tmp_path, file, edit, err_file, err_key, problem):
    root = _broken(tmp_path, file, edit)
    with pytest.raises(ConfigError) as info:
        load_catalog(root)
    assert info.value.file == err_file
    assert info.value.key.startswith(err_key)
    assert problem in info.value.problem


def test_broken_config_cli_exits_2_with_one_line(tmp_path):
    root = _broken(tmp_path, "units.yaml", lambda d: _unit(d, "TS02").update(kind="ferry_station"))
    done = subprocess.run([sys.executable, "-m", "county_reports", "--config", str(root), "check-config"],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "units.yaml: units.TS02.kind: 'ferry_station' is not one of" in done.stderr
    assert "Traceback" not in done.stderr


def test_missing_file_is_named(tmp_path):
    root = tmp_path / "config"
    shutil.copytree(CONFIG, root)
    (root / "rules.yaml").unlink()
    with pytest.raises(ConfigError, match="rules.yaml: \\(file\\): file not found"):
        load_catalog(root)


def test_collection_settings_are_checked(tmp_path):
    from county_reports.collect import pull_settings

    root = tmp_path / "config"
    shutil.copytree(CONFIG, root)
    (root / "collection.yaml").write_text("retries: -1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="collection.yaml: retries: -1 must be a positive number"):
        pull_settings.load_settings(root)


def test_unset_endpoint_variable_is_a_config_error(catalog):
    with pytest.raises(ConfigError, match="COUNTY_REPORTS_SIMULATOR_URL is not set"):
        catalog.unit_by_code["TS01"].endpoint({})
    assert catalog.unit_by_code["TS01"].endpoint({"COUNTY_REPORTS_SIMULATOR_URL": "https://h:1/"}) \
        == "https://h:1/units/TS01"
