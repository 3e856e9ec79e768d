"""reports.yaml's report days and hours: the report DAGs' schedules come from here."""
from __future__ import annotations

import shutil

import pytest

from county_reports.core import paths, report_settings
from county_reports.core.config import ConfigError


@pytest.fixture
def config(tmp_path):
    folder = tmp_path / "config"
    shutil.copytree(paths.config_dir(), folder)
    return folder


def test_the_shipped_schedules():
    loaded = report_settings.load_settings()
    assert loaded.cron("half_year") == "0 8 10 7 *" and loaded.cron("annual") == "0 8 15 1 *"


def test_the_schedule_follows_report_day_and_run_at(config):
    path = config / "reports.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('report_day: "07-10"', 'report_day: "07-12"')
                        .replace('run_at: "08:00"            # half_year', 'run_at: "09:30"            # half_year'),
                    encoding="utf-8")
    loaded = report_settings.load_settings(config)
    assert loaded.cron("half_year") == "30 9 12 7 *" and loaded.cron("annual") == "0 8 15 1 *"
    path.write_text(text.replace('run_at: "08:00"            # annual', 'run_at: "25:00"            # annual'),
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="reports.yaml: annual.run_at: '25:00' must be a time written HH:MM"):
        report_settings.load_settings(config)


def test_run_at_may_be_left_out(config):
    path = config / "reports.yaml"
    path.write_text("\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                              if "run_at" not in line), encoding="utf-8")
    assert report_settings.load_settings(config).cron("annual") == "0 8 15 1 *"
