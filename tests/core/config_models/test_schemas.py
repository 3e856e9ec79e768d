"""The committed JSON Schemas are the models' own; the models' defaults and choices are the loaders'."""
from __future__ import annotations

import json
from typing import get_args

import pytest

from county_reports import cli
from county_reports.core import catalog, config_models, mail, paths, report_settings
from county_reports.collect import pull_settings
from county_reports.core.config import ConfigError
from county_reports.core.config_models import catalog as catalog_models
from county_reports.core.config_models import settings as settings_models
from county_reports.core.config_models.base import validate

SCHEMAS = paths.PROJECT_ROOT / "include" / "config" / config_models.SCHEMA_DIR


def test_committed_schemas_are_up_to_date():
    """After changing a model: python -m county_reports config-schema --write, and commit."""
    expected = config_models.schema_files()
    assert sorted(p.name for p in SCHEMAS.glob("*.schema.json")) == sorted(expected)
    for name, text in expected.items():
        assert (SCHEMAS / name).read_text(encoding="utf-8") == text, f"{name} is out of date"
    assert cli.main(["config-schema"]) == 0


def test_a_schema_refuses_unknown_keys():
    units = json.loads((SCHEMAS / "units.schema.json").read_text(encoding="utf-8"))
    assert units["$defs"]["UnitEntry"]["additionalProperties"] is False
    assert units["$defs"]["UnitEntry"]["properties"]["deadline_day"]["default"] == 5


def test_model_defaults_are_the_loaders():
    assert pull_settings.PullSettings(**settings_models.CollectionFile().model_dump()) == pull_settings.PullSettings()
    fields = settings_models.ReportsFile.model_fields
    defaults = report_settings.ReportSettings(0.9, "refuse", {})
    assert (fields["approval"].default, fields["approval_timeout_hours"].default, fields["late_run_hours"].default,
            fields["delivery_due_days"].default) == (defaults.approval, defaults.approval_timeout_hours,
                                                     defaults.late_run_hours, defaults.delivery_due_days)
    box, smtp = settings_models.Mailbox.model_fields, settings_models.MailSmtp.model_fields
    m = mail.MailSettings()
    assert (box["folder"].default, box["processed_keyword"].default, box["max_message_bytes"].default,
            box["timeout_seconds"].default, box["task_timeout_minutes"].default, smtp["timeout_seconds"].default) == \
        (m.folder, m.processed_keyword, m.max_message_bytes, m.imap_timeout_seconds, m.task_timeout_minutes,
         m.smtp_timeout_seconds)


def test_the_catalogue_reads_its_vocabularies_from_the_models():
    """Stated once: the loaders' choices are the models' (an unknown style is refused by both)."""
    assert catalog.STYLES is catalog_models.STYLES and get_args(catalog_models.Style) == catalog_models.STYLES
    assert catalog.CHANNELS is catalog_models.CHANNELS and "sms" not in get_args(catalog_models.Channel)


@pytest.mark.parametrize("data, message", [
    ({"kinds": {"a": {"name": "A"}}, "units": [{"code": "X1", "name": "n", "kind": "a", "active_from": "2024-01",
                                                "deadline_day": "5"}]},
     "units.yaml: units.X1.deadline_day: expected a whole number, got '5'"),
    ({"kinds": {"a": {"name": "A"}}, "units": [{"name": "n", "kind": "a", "active_from": "2024-01"}]},
     "units.yaml: units[0].code: missing"),
    ({"kinds": {"a": {"name": "A"}}, "units": [{"code": "X1", "name": "n", "kind": "a", "active_from": "2024-01",
                                                "channels": ["fax"]}]},
     "units.yaml: units.X1.channels[0]: 'fax' is not one of http, email, inbox"),
    ([1], "units.yaml: (file): expected a mapping, got [1]"),
    ({"kinds": {"a": {"name": "A"}}, "units": [], "unit": []}, "units.yaml: units:"),
])
def test_messages_name_the_key_as_the_loaders_do(data, message):
    with pytest.raises(ConfigError) as caught:
        validate(catalog_models.UnitsFile, data, "units.yaml")
    assert str(caught.value).startswith(message)
