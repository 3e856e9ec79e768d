"""county_reports.core.messages: the collection messages' wording, with errors naming messages.yaml and the key."""
from __future__ import annotations

import shutil

import pytest

from county_reports.core import messages, paths
from county_reports.core.config import ConfigError


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


def test_check_names_a_missing_required_key_or_a_broken_placeholder(messages_dir):
    messages.check(messages_dir)
    text = (messages_dir / "messages.yaml").read_text(encoding="utf-8")
    (messages_dir / "messages.yaml").write_text(text.replace("  accepted_with_warnings: 接受（有待核实事项）\n", ""),
                                                encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^messages\.yaml: statuses\.accepted_with_warnings: missing"):
        messages.check(messages_dir)
    (messages_dir / "messages.yaml").write_text(text.replace("day: \"{year}年{month}月{day}日\"",
                                                             "day: \"{year年{month}月{day}日\""), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^messages\.yaml: dates\.day: bad \{placeholder\}"):
        messages.check(messages_dir)


def test_one_table_of_status_words_for_feedback_report_ledger_and_pages():
    """The unit-facing feedback's wording is the one everybody reads from messages.yaml."""
    from county_reports.collect import ledger
    from county_reports.render import status_page
    from county_reports.core.catalog import load_catalog
    from county_reports.validate import feedback, report
    from county_reports.validate.model import Issue, Verdict

    assert messages.status_word("accepted_with_warnings") == "接受（有待核实事项）"
    assert messages.outcome_word("failed") == "获取失败"
    catalog = load_catalog()
    issue = Issue("TS01", "2025-06", "INV_HIGHWAY", "9", "OUTLIER", "warning", "请核实。")
    verdict = Verdict("TS01", "2025-06", "sha", "http", "2025-07-01T00:00:00+00:00", None,
                      "accepted_with_warnings", issues=(issue,))
    html = report.render("2025-06", [], [verdict], catalog, engine="pandas")
    assert html.count("接受（有待核实事项）") == 2 and "接受（待核实）" not in html
    assert "接受（有待核实事项）" in "\n".join(feedback.summary_lines([verdict], catalog))
    table = ledger.outcome_table([{"unit": "TS01", "period": "2025-06", "status": "failed"}], catalog)
    assert "获取失败" in table
    env = status_page._environment(catalog.bureau.timezone)
    labels = env.get_template("_labels.html").module
    assert labels.VERDICT["accepted_with_warnings"][0] == "接受（有待核实事项）"
    assert labels.NOT_RECEIVED["failed"] == "获取失败"
