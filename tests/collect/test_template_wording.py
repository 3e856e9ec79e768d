"""county_reports.collect.template_wording: template.yaml's names and words, checked on load."""
from __future__ import annotations

import config_copy
import pytest

from county_reports.collect import template
from county_reports.core.config import ConfigError
from county_reports.collect.template_wording import load_layout


@pytest.fixture
def config_dir(tmp_path):
    return config_copy.one_file(tmp_path, "template.yaml")


def _edit(folder, change):
    config_copy.edit_yaml(folder / "template.yaml", change)


def test_the_bundled_layout_names_the_sheets_units_files_are_read_by(config_dir):
    names = load_layout(config_dir)
    assert names.sheet_order == ("填报说明", "指标", "工作动态", "meta")
    assert (names.code_header, names.value_header) == ("指标代码", "本月数值")
    assert names.narrative_kinds == {"highlight": "工作亮点", "problem": "存在问题", "plan": "下步计划"}
    assert names.say("requirement", kind="整数", min="0", max="9", when="月末数") == "必报；整数；取值0～9；月末数"
    # the simulator's constants read the same file
    assert (template.SHEET_VALUES, template.CONTACT_PHONE_LABEL) == ("指标", "联系电话")


@pytest.mark.parametrize("change, key", [
    (lambda d: d["layout"]["sheets"].pop("meta"), "layout.sheets.meta"),
    (lambda d: d["layout"]["sheets"].update(values="填报说明"), "layout.sheets"),
    (lambda d: d["layout"].update(value_headers=["指标代码"]), "layout.value_headers"),
    (lambda d: d["layout"]["narrative_kinds"].pop("plan"), "layout.narrative_kinds.plan"),
    (lambda d: d["layout"]["contact"].pop("phone"), "layout.contact.phone"),
    (lambda d: d["words"]["facts"].pop("due"), "words.facts.due"),
    (lambda d: d["words"].pop("range_title"), "words.range_title"),
    (lambda d: d["words"].update(requirement="必报；{kind}；{unknown}"), "words.requirement"),
    (lambda d: d.pop("layout"), "layout"),
])
def test_a_missing_or_broken_key_names_the_file_and_key(config_dir, change, key):
    _edit(config_dir, change)
    with pytest.raises(ConfigError) as err:
        load_layout(config_dir)
    assert (err.value.file, err.value.key) == ("template.yaml", key)
