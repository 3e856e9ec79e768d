"""county_reports.messages: the collection messages' wording, with errors naming messages.yaml and the key."""
from __future__ import annotations

import shutil

import pytest

from county_reports import messages, paths
from county_reports.config import ConfigError


@pytest.fixture
def messages_dir(tmp_path, monkeypatch):
    shutil.copy(paths.config_dir() / "messages.yaml", tmp_path / "messages.yaml")
    monkeypatch.setenv("COUNTY_REPORTS_CONFIG", str(tmp_path))
    return tmp_path


def test_messages_missing_key_names_file_and_key(messages_dir):
    assert messages.text("refused", "not_object", detail="list") == "报送内容应为 JSON 对象，实际为 list。"
    with pytest.raises(ConfigError) as err:
        messages.text("refused", "no_such_key")
    assert (err.value.file, err.value.key) == ("messages.yaml", "refused.no_such_key")
    with pytest.raises(ConfigError, match=r"^messages\.yaml: no_such_group: missing"):
        messages.text("no_such_group", "x")


def test_messages_missing_placeholder_names_file_and_key(messages_dir):
    (messages_dir / "messages.yaml").write_text("refused:\n  late: '已逾期 {days} 天'\n", encoding="utf-8")
    assert messages.text("refused", "late", days=3) == "已逾期 3 天"
    with pytest.raises(ConfigError, match=r"^messages\.yaml: refused\.late: unknown placeholder \{days\}"):
        messages.text("refused", "late")


def test_messages_missing_file_names_the_file(messages_dir):
    (messages_dir / "messages.yaml").unlink()
    with pytest.raises(ConfigError) as err:
        messages.text("refused", "late")
    assert (err.value.file, err.value.key) == ("messages.yaml", "(file)")
    assert "file not found" in err.value.problem
