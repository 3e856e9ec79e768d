"""render/phrases.py: the documents' fixed phrases (wording.yaml numbers, layout, marks, words),
every key checked on load with an error naming the file and the key."""
from __future__ import annotations

import shutil

import pytest
import yaml

from county_reports.core.config import ConfigError
from county_reports.render import compose, phrases
from county_reports.core.paths import config_dir


def test_bundled_wording_has_every_phrase():
    for section, keys in phrases.REQUIRED.items():
        assert set(keys) <= set(phrases.section(section))
    assert phrases.section("marks")["comma"] == "，"


@pytest.mark.parametrize("section,key", [("numbers", "yoy_up"), ("layout", "attachment_lead"),
                                         ("marks", "semicolon"), ("words", "county")])
def test_a_missing_phrase_names_file_and_key(tmp_path, section, key):
    shutil.copy(config_dir() / "wording.yaml", tmp_path / "wording.yaml")
    data = yaml.safe_load((tmp_path / "wording.yaml").read_text(encoding="utf-8"))
    del data[section][key]
    (tmp_path / "wording.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    for load in (lambda: phrases.section(section, tmp_path), lambda: compose.load_wording(tmp_path)):
        with pytest.raises(ConfigError) as err:
            load()
        assert (err.value.file, err.value.key) == ("wording.yaml", f"{section}.{key}")


def test_a_section_that_is_not_a_mapping_is_named(tmp_path):
    shutil.copy(config_dir() / "wording.yaml", tmp_path / "wording.yaml")
    data = yaml.safe_load((tmp_path / "wording.yaml").read_text(encoding="utf-8"))
    data["marks"] = "，"
    (tmp_path / "wording.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^wording.yaml: marks: "):
        compose.load_wording(tmp_path)
