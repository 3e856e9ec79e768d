"""check-config covers every file admins edit, not just the catalogue."""
from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml

from county_reports import config_check
from county_reports.core.catalog import load_catalog
from county_reports.core.config import ConfigError

CONFIG = Path(__file__).resolve().parents[1] / "include" / "config"


def broken(tmp_path: Path, file: str, edit) -> Path:
    root = tmp_path / "config"
    shutil.copytree(CONFIG, root)
    data = yaml.safe_load((root / file).read_text(encoding="utf-8"))
    edit(data)
    (root / file).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return root


CASES = [
    ("delivery.yaml", lambda d: d.update(channel="https"), "delivery.yaml", "channel"),
    ("reports.yaml", lambda d: d.update(below_threshold="refused"), "reports.yaml", "below_threshold"),
    ("reports.yaml", lambda d: d["half_year"].update(report_day="07-32"), "reports.yaml", "half_year.report_day"),
    ("reports.yaml", lambda d: d["annual"].update(run_at="8 o'clock"), "reports.yaml", "annual.run_at"),
    ("validation.yaml", lambda d: d["checks"].update(BOUNDS="eror"), "validation.yaml", "checks"),
    ("wording.yaml", lambda d: d["opening"].update(headline_indicators=["INV_TOTALS"]),
     "wording.yaml", "opening.headline_indicators"),
    ("wording.yaml", lambda d: d["figures"].update(item="{name}{valeu}"), "wording.yaml", "(half_year)"),
    ("wording.yaml", lambda d: d["headings"].pop("problems"), "wording.yaml", "(half_year)"),
    ("wording.yaml", lambda d: d["attachments"]["indicators"].update(key_indicators=["BUS_LINE"]),
     "wording.yaml", "attachments.indicators.key_indicators"),
    ("wording.yaml", lambda d: d["attachments"]["workbook"].update(unit_title="{span_titel}"),
     "wording.yaml", "(half_year)"),
    ("wording.yaml", lambda d: d.update(title_breaks={"before": {"及": 0}}), "wording.yaml", "title_breaks.before"),
    ("wording.yaml", lambda d: d["themes"][0].update(sections=["roads"]), "wording.yaml", "themes[0].sections"),
    ("wording.yaml", lambda d: d["themes"][1].update(lead=["RURAL_KM"]), "wording.yaml", "themes[1].lead"),
    ("wording.yaml", lambda d: d["merge"].update(scorer="cosine"), "wording.yaml", "merge.scorer"),
    ("indicators.yaml", lambda d: d["indicators"][0].update(style="fancy"),
     "indicators.yaml", "indicators.INV_HIGHWAY.style"),
    ("messages.yaml", lambda d: d["failed"].pop("timeout"), "messages.yaml", "failed.timeout"),
    ("rules.yaml", lambda d: d["rules"][1].update(tolerance=-1), "rules.yaml", "rules.INVESTMENT_PARTS_SUM.tolerance"),
    ("indicators.yaml", lambda d: d["derived"][3].update(formula="HAZARD_FIXED / 'x'"),
     "indicators.yaml", "derived.HAZARD_FIX_RATE.formula"),
    ("edited.yaml", lambda d: d["limits"].update(max_ratio=-5), "edited.yaml", "limits.max_ratio"),
    ("projects.yaml", lambda d: d.update(projectz=[]), "projects.yaml", "(top).projectz"),
    ("template.yaml", lambda d: d["layout"]["project_headers"].pop(), "template.yaml", "layout.project_headers"),
    ("template.yaml", lambda d: d["words"].update(project_note="{plann}"), "template.yaml", "words"),
]


@pytest.mark.parametrize("file,edit,err_file,err_key", CASES, ids=[f"{c[0]}:{c[3]}" for c in CASES])
def test_each_broken_file_is_named(tmp_path, file, edit, err_file, err_key):
    root = broken(tmp_path, file, edit)
    with pytest.raises(ConfigError) as info:
        config_check.check_all(load_catalog(root), root, today=date(2025, 7, 1))
    assert info.value.file == err_file and info.value.key.startswith(err_key), str(info.value)


def test_shipped_config_passes_with_warnings_only(monkeypatch):
    monkeypatch.delenv("COUNTY_REPORTS_OFFICE_URL", raising=False)
    warnings = config_check.check_all(load_catalog(), today=date(2026, 3, 1))
    assert any("COUNTY_REPORTS_OFFICE_URL" in w for w in warnings)
    assert any("2026: no annual targets" in w for w in warnings)
    monkeypatch.setenv("COUNTY_REPORTS_OFFICE_URL", "https://office.example")
    assert config_check.check_all(load_catalog(), today=date(2025, 7, 1)) == []


def test_cli_reports_a_wording_typo_with_file_and_key(tmp_path):
    root = broken(tmp_path, "wording.yaml", lambda d: d["figures"].update(item="{name}{valeu}"))
    done = subprocess.run([sys.executable, "-m", "county_reports", "--config", str(root), "check-config"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "wording.yaml" in done.stderr and "valeu" in done.stderr
    assert "Traceback" not in done.stderr
