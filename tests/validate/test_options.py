"""county_reports.validate.options: validation.yaml's wording and data, checked on load."""
from __future__ import annotations

import config_copy
import pytest

from county_reports.core.config import ConfigError
from county_reports.validate.options import load_options


@pytest.fixture
def config_dir(tmp_path):
    return config_copy.one_file(tmp_path, "validation.yaml")


def _edit(folder, change):
    config_copy.edit_yaml(folder / "validation.yaml", change)


def test_the_moved_wording_and_units_are_there(config_dir):
    options = load_options(config_dir)
    assert {"万元", "公里", "%"} <= options.common_uoms
    assert options.fill(options.text("message"), head="H", text="T", todo="D", outcome="O") == "H：TDO"
    assert options.fill(options.text("descriptions", "KNOWN_CODE"), count=12) == "指标代码属于指标目录（12 项）"


@pytest.mark.parametrize("change, key", [
    (lambda d: d["messages"]["descriptions"].pop("OUTLIER"), "messages.descriptions.OUTLIER"),
    (lambda d: d["messages"]["summary"].pop("unit"), "messages.summary.unit"),
    (lambda d: d["messages"].pop("unknown_unit_name"), "messages.unknown_unit_name"),
    (lambda d: d["messages"].update(message="{head：{text}"), "messages.message"),
    (lambda d: d.pop("common_uoms"), "common_uoms"),
    (lambda d: d.update(common_uoms=["万元", 3]), "common_uoms"),
])
def test_a_missing_or_broken_key_names_the_file_and_key(config_dir, change, key):
    _edit(config_dir, change)
    with pytest.raises(ConfigError) as err:
        load_options(config_dir)
    assert (err.value.file, err.value.key) == ("validation.yaml", key)
