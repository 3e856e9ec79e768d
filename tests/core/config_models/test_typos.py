"""check-config (and every load) refuses a misspelt key, naming the file and the key path."""
from __future__ import annotations

import shutil

import pytest

from config_copy import edit_yaml
from county_reports import cli
from county_reports.core import config_models, paths
from county_reports.core.config import ConfigError


def _copy(tmp_path, city: bool = False):
    source = paths.config_dir() / "city" if city else paths.config_dir()
    config = tmp_path / "config"
    shutil.copytree(source, config, ignore=shutil.ignore_patterns("city", "simulator", "schema"))
    return config


def _rename(key: str, to: str):
    def change(data):
        data[to] = data.pop(key)
    return change


def _first_unit(change):
    return lambda data: change(data["units"][0])


TYPOS = [
    ("units.yaml", _first_unit(_rename("emails", "email")), "units.yaml: units.TS01.email: unknown key (did you mean emails?)"),
    ("units.yaml", _first_unit(_rename("deadline_day", "deadline_dy")),
     "units.yaml: units.TS01.deadline_dy: unknown key (did you mean deadline_day?)"),
    ("reports.yaml", _rename("approval_timeout_hours", "aproval_timeout_hours"),
     "reports.yaml: aproval_timeout_hours: unknown key (did you mean approval_timeout_hours?)"),
    ("reports.yaml", lambda data: _rename("run_at", "run_time")(data["annual"]),
     "reports.yaml: annual.run_time: unknown key (did you mean run_at?)"),
]


@pytest.mark.parametrize("file, change, message", TYPOS, ids=["email", "deadline_dy", "aproval", "run_time"])
def test_check_config_refuses_each_typo(tmp_path, capsys, file, change, message):
    config = _copy(tmp_path)
    edit_yaml(config / file, change)
    assert cli.main(["--config", str(config), "check-config"]) == 2
    assert message in capsys.readouterr().err
    with pytest.raises(ConfigError) as caught:          # the model, on its own: same file and key
        config_models.check_files(config)
    assert str(caught.value) == message


def test_the_shipped_configs_pass_every_model():
    assert "units.yaml" in config_models.check_files(paths.config_dir())
    assert "county_targets.yaml" in config_models.check_files(paths.config_dir() / "city")


def test_a_city_config_typo_is_named(tmp_path):
    config = _copy(tmp_path, city=True)
    edit_yaml(config / "county_targets.yaml", lambda data: data["CT01"].update({"2025": 1}))
    with pytest.raises(ConfigError, match=r"^county_targets\.yaml: CT01\.2025: a year like 2025 was expected$"):
        config_models.check_files(config)
    config = _copy(tmp_path / "again", city=True)
    edit_yaml(config / "units.yaml", lambda data: data["kinds"]["county"].update(report="all"))
    with pytest.raises(ConfigError, match=r"^units\.yaml: kinds\.county\.report: unknown key \(did you mean reports\?\)$"):
        config_models.check_files(config)


@pytest.mark.parametrize("file, change, message", [
    ("collection.yaml", lambda d: d.update(retrys=2), "collection.yaml: retrys: unknown setting (did you mean retries?)"),
    ("delivery.yaml", lambda d: d["smtp"].update(bcc=[]), "delivery.yaml: smtp.bcc: unknown setting (did you mean cc?)"),
    ("mail.yaml", lambda d: d["mailbox"].update(require_authentication=False),
     "mail.yaml: mailbox.require_authentication: unknown key (did you mean require_authentication_results?)"),
    ("bureau.yaml", lambda d: d.update(timezon="UTC"), "bureau.yaml: bureau.timezon: unknown key (did you mean timezone?)"),
    ("rules.yaml", lambda d: d["rules"][0].update(importanse="error"),
     "rules.yaml: rules.HAZARD_FIXED_LE_FOUND.importanse: unknown key (did you mean importance?)"),
    ("indicators.yaml", lambda d: d["sections"][0].update(title="x"), "indicators.yaml: sections.investment.title: unknown key"),
    ("wording.yaml", lambda d: d.update(opeining={}), "wording.yaml: opeining: unknown key (did you mean opening?)"),
    ("messages.yaml", lambda d: d.update(reminders={}), "messages.yaml: reminders: unknown key (did you mean reminder?)"),
    ("admins.yaml", lambda d: d["approval"].update(aprove="x"), "admins.yaml: approval.aprove: unknown key (did you mean approve?)"),
    ("validation.yaml", lambda d: d["outliers"].update(windows=12), "validation.yaml: outliers.windows: unknown setting (did you mean window?)"),
    ("reports.yaml", lambda d: d.update(approval_timeout_hours="72"), "reports.yaml: approval_timeout_hours: '72' must be a positive number"),
])
def test_each_file_refuses_a_typo_on_load(tmp_path, file, change, message):
    config = _copy(tmp_path)
    edit_yaml(config / file, change)
    with pytest.raises(ConfigError) as caught:
        config_models.check_files(config)
    assert str(caught.value).startswith(message)
