"""admins.yaml: one list of admins, checked on load with the file and key named."""
from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
import yaml

from county_reports.core import admins, paths
from county_reports.core.config import ConfigError


@pytest.fixture
def config(tmp_path):
    folder = tmp_path / "config"
    shutil.copytree(paths.PROJECT_ROOT / "include" / "config", folder)
    return folder


def edit(folder, **changes):
    path = folder / "admins.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(changes)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_the_shipped_file_loads():
    loaded = admins.load_settings()
    assert loaded.addresses == ["jtj-office@qinghe.example"] and loaded.smtp_conn_id == "smtp_default"
    assert admins.collection_deadline(loaded) == timedelta(hours=30)      # 06:00 → 12:00 next day
    assert loaded.approval["approve"] == "批准" and loaded.approval["reject"] == "驳回"
    assert loaded.approvers == ({"id": "1", "name": "admin"},) and loaded.approver_ids == {"1"}


@pytest.mark.parametrize("approvers, key, problem", [
    (None, "approvers", "non-empty list"),
    ([], "approvers", "non-empty list"),
    (["admin"], "approvers[0]", "not a mapping"),
    ([{"name": "admin"}], "approvers[0].id", "missing"),
    ([{"id": "1"}], "approvers[0].name", "missing"),
    ([{"id": "1", "name": "a"}, {"id": 1, "name": "b"}], "approvers[1].id", "listed twice"),
    ([{"id": "1", "name": "a", "role": "Admin"}], "approvers[0].role", "unknown setting"),
])
def test_approvers_are_checked_on_load(config, approvers, key, problem):
    edit(config, approvers=approvers)
    with pytest.raises(ConfigError) as err:
        admins.load_settings(config)
    assert (err.value.file, err.value.key) == ("admins.yaml", key) and problem in err.value.problem


def test_a_numeric_approver_id_is_read_as_text(config):
    edit(config, approvers=[{"id": 3, "name": "王主任"}, {"id": "admin", "name": "admin"}])
    assert admins.load_settings(config).approver_ids == {"3", "admin"}


@pytest.mark.parametrize("changes, key", [
    ({"admins": []}, "admins"),
    ({"admins": ["办公室"]}, "admins[0]"),
    ({"from": "nobody"}, "from"),
    ({"collection_due": "noon"}, "collection_due"),
    ({"ui_url": "airflow.local"}, "ui_url"),
    ({"mail": {"task_failed": {"subject": "x", "body": "y"}}}, "mail.approval_timeout"),
    ({"approval": {"approve": "批准"}}, "approval.subject"),
    ({"dags": {"collect_monthly": {}}}, "dags.collect_monthly.display_name"),
])
def test_mistakes_name_the_file_and_key(config, changes, key):
    edit(config, **changes)
    with pytest.raises(ConfigError) as caught:
        admins.load_settings(config)
    assert caught.value.file == "admins.yaml" and caught.value.key == key


def test_reports_yaml_approval_is_checked(config):
    from county_reports.core import report_settings

    path = config / "reports.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("approval: required", "approval: maybe"),
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="reports.yaml: approval: 'maybe' is not one of required, none"):
        report_settings.load_settings(config)


def test_time_limits_follow_the_config(config):
    path = config / "delivery.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    base = admins.delivery_timeout(config)
    data["retries"] = data["retries"] + 2
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert admins.delivery_timeout(config) > base > timedelta(minutes=5)
    assert admins.feedback_timeout(3000) > admins.feedback_timeout(17)


def test_the_dags_labels_and_forms_come_from_the_file(config):
    texts = admins.load_settings().dags
    assert texts.owner == "县交通运输局办公室"
    assert texts.display_name["half_year_report"] == "工作总结：上半年工作总结及下半年工作计划"
    assert texts.field("collect_monthly", "period") == {"title": "采集月份（YYYY-MM）", "description": "留空：上个月。"}
    data = yaml.safe_load((config / "admins.yaml").read_text(encoding="utf-8"))
    del data["dags"]["report_form"]["correction"]["description"]
    edit(config, dags=data["dags"])
    with pytest.raises(ConfigError, match="admins.yaml: dags.report_form.correction.description: missing"):
        admins.load_settings(config)


def test_every_task_is_named_and_a_name_for_no_task_is_refused(config):
    texts = admins.load_settings().dags
    assert texts.tasks["collect_monthly"]["pull"] == "获取单位报表"
    assert texts.tasks["report_tasks"]["deliver"] == "报送县政府办"
    assert set(texts.tasks) == set(admins.DAG_TASKS) | {"report_tasks"}
    data = yaml.safe_load((config / "admins.yaml").read_text(encoding="utf-8"))
    data["dags"]["collect_monthly"]["tasks"]["pul"] = data["dags"]["collect_monthly"]["tasks"].pop("pull")
    edit(config, dags=data["dags"])
    with pytest.raises(ConfigError, match=r"admins.yaml: dags.collect_monthly.tasks.pul: no such task \(the tasks: "
                                          r"fetch_mail, plan, pull,"):
        admins.load_settings(config)
    data["dags"]["collect_monthly"]["tasks"]["pull"] = data["dags"]["collect_monthly"]["tasks"].pop("pul")
    data["dags"]["report_tasks"]["render"] = " "
    edit(config, dags=data["dags"])
    with pytest.raises(ConfigError, match="admins.yaml: dags.report_tasks.render: missing or empty text"):
        admins.load_settings(config)
