"""Every DAG file imports cleanly, is documented for the admin, and keeps heavy imports out of parsing."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[2] / "dags"
DAG_FILES = sorted(p for p in DAGS.glob("*.py") if not p.name.startswith("_"))
HELPERS = sorted(p for p in DAGS.glob("*.py") if p.name.startswith("_"))
HEAVY = ("great_expectations", "pandas", "docx", "openpyxl")
# Per DAG file, Airflow already imported (as the DAG processor has it). CPU seconds: on the shared
# 2-core machine (load 10 and more) wall time is mostly waiting for a core, not parsing.
PARSE_SECONDS = 0.3
# Being changed on another branch (the approval gate): the import of the helpers, the time zone, the
# tasks' names and multiple_outputs are applied there; strict, so this list goes once they are.
PENDING_FILES: set[str] = set()
PENDING_DAGS: set[str] = set()
PENDING_DICTS: set[str] = set()


def pending(items, names):
    """``items`` as parameters, those in ``names`` expected to fail (strict: a fix must remove them)."""
    return [pytest.param(i, marks=pytest.mark.xfail(strict=True, reason="applied on the approval-gate branch"))
            if (i.name if isinstance(i, Path) else i) in names else i for i in items]


@pytest.fixture(scope="module")
def dagbag():
    """The folder as the DAG processor reads it: on sys.path, with .airflowignore."""
    from airflow.dag_processing.dagbag import BundleDagBag

    return BundleDagBag(dag_folder=str(DAGS), bundle_path=DAGS)


def test_there_are_dag_files():
    assert DAG_FILES, "no DAG files found"


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    files = {Path(d.fileloc).name for d in dagbag.dags.values()}
    assert files == {p.name for p in DAG_FILES}


def test_every_dag_is_documented_tagged_and_owned(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags, f"{dag_id} has no tags"
        assert dag.doc_md and len(dag.doc_md) > 200, f"{dag_id} has no admin documentation"
        for task in dag.tasks:
            assert task.owner and task.owner != "airflow", f"{dag_id}.{task.task_id} has no owner"


REPORT_RETRIES = {"check_coverage": 1, "render": 1, "request_approval": 1,
                  "approve": 0,                # a person answers once; a timeout must fail, not ask again
                  "deliver": 3}                # the county office's endpoint, 15 min apart
# Each task's retries, from the DAG's default_args or the task's own setting.
RETRIES = {
    "collect_monthly": {"fetch_mail": 2, "plan": 2, "pull": 2, "validate": 2, "store": 2, "notify": 2,
                        "reply_mail": 2, "summarise": 2, "check_corrections": 2,
                        "announce": 2},
    "half_year_report": REPORT_RETRIES,
    "annual_report": REPORT_RETRIES,
    "reporting_circular": {"write": 2, "send": 2},
    "unit_reminders": {"remind": 2},
    "summary_drafts": {"draft": 1},
    "import_history": {"import_files": 0},     # a refused import waits for a corrected workbook
}
# Tasks that talk to the outside world (units' endpoints, mail servers, the county office): a
# passing network failure must be retried, not end the run.
OUTSIDE_WORLD = {("collect_monthly", t) for t in ("fetch_mail", "pull", "notify", "reply_mail",
                                                  "check_corrections")} | \
    {("half_year_report", "deliver"), ("annual_report", "deliver"), ("reporting_circular", "send"),
     ("unit_reminders", "remind")}


def test_every_task_has_the_retries_it_is_meant_to_have(dagbag):
    assert {dag_id: {t.task_id: t.retries for t in dag.tasks} for dag_id, dag in dagbag.dags.items()} \
        == RETRIES
    for dag_id, task_id in OUTSIDE_WORLD:
        assert dagbag.dags[dag_id].get_task(task_id).retries > 0, (dag_id, task_id)


def _parse_alone(path: Path) -> tuple[list[str], float]:
    """The heavy modules one DAG file imports and its parse time (CPU seconds), in a fresh interpreter (the test
    process may have imported pandas already) where Airflow is imported first, as the DAG
    processor pre-imports a file's Airflow modules before parsing it; the folder on sys.path as
    the bundle puts it."""
    code = (
        "import importlib.util, json, sys, time\n"
        f"sys.path.append({str(DAGS)!r})\n"
        "import airflow.sdk\n"
        "start = time.process_time()\n"
        f"spec = importlib.util.spec_from_file_location('dag_under_test', {str(path)!r})\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "seconds = time.process_time() - start\n"
        f"print(json.dumps([[m for m in {HEAVY!r} if m in sys.modules], seconds]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    heavy, seconds = json.loads(done.stdout.strip().splitlines()[-1])
    return heavy, seconds


@pytest.mark.parametrize("path", DAG_FILES, ids=[p.name for p in DAG_FILES])
def test_parsing_is_light_and_quick(path):
    heavy, seconds = _parse_alone(path)
    assert heavy == []
    if seconds > PARSE_SECONDS:         # a busy machine (caches, page faults): the best of three counts
        seconds = min([seconds] + [_parse_alone(path)[1] for _ in range(2)])
    assert seconds <= PARSE_SECONDS, f"{path.name} parses in {seconds:.3f} CPU s"


@pytest.mark.parametrize("path", pending(DAG_FILES, PENDING_FILES), ids=[p.name for p in DAG_FILES])
def test_no_dag_file_edits_sys_path_or_hard_codes_the_time_zone(path):
    """The DAG folder is on sys.path wherever Airflow parses it (the bundle); the time zone is bureau.yaml's."""
    source = path.read_text(encoding="utf-8")
    assert "sys.path" not in source and "E402" not in source and "import sys" not in source
    assert "Asia/Shanghai" not in source.split('"""', 2)[-1]        # the doc may say what is shipped


def test_every_helper_is_ignored_by_the_dag_processor(dagbag):
    """Only DAG files are parsed on every loop: each _*.py helper is in .airflowignore."""
    assert HELPERS and {Path(s.file).name for s in dagbag.dagbag_stats} == {p.name for p in DAG_FILES}
    for stat in dagbag.dagbag_stats:
        assert stat.dag_num > 0, f"{stat.file} is parsed but defines no DAG: name it _*.py"


@pytest.mark.parametrize("dag_id", pending(sorted(RETRIES), PENDING_DAGS))
def test_every_task_has_a_chinese_name_from_admins_yaml(dagbag, dag_id):
    import re

    from county_reports.core import admins

    names = admins.load_settings().dags.tasks
    for task in dagbag.dags[dag_id].tasks:
        assert re.search(r"[\u4e00-\u9fff]", task.task_display_name), (dag_id, task.task_id)
        expected = names.get(dag_id, names["report_tasks"]).get(task.task_id)
        assert expected is None or task.task_display_name == expected, (dag_id, task.task_id)


@pytest.mark.parametrize("dag_id", pending(sorted(RETRIES), PENDING_DICTS))
def test_no_task_returning_a_dict_pushes_its_keys_as_xcoms(dagbag, dag_id):
    """A task annotated ``-> dict`` gets multiple_outputs=True from Airflow unless told otherwise."""
    for task in dagbag.dags[dag_id].tasks:
        callable_ = getattr(task, "python_callable", None) or getattr(task, "partial_kwargs", {}).get("python_callable")
        returns = str(getattr(callable_, "__annotations__", {}).get("return", ""))
        if returns.startswith("dict"):
            assert task.multiple_outputs is False, (dag_id, task.task_id)


def test_the_circular_follows_the_asset_of_new_figures(dagbag):
    from _assets import ACCEPTED_DATA
    from airflow.sdk.definitions.timetables.assets import AssetTriggeredTimetable

    dag = dagbag.dags["reporting_circular"]
    assert isinstance(dag.timetable, AssetTriggeredTimetable)
    assert list(dag.timetable.asset_condition.objects) == [ACCEPTED_DATA] and dag.schedule == [ACCEPTED_DATA]
    assert type(dag.deadline[0].reference).__name__ == "DagRunQueuedAtDeadline"   # no logical date
    producer = dagbag.dags["collect_monthly"].get_task("announce")
    assert producer.outlets == [ACCEPTED_DATA]
    assert set(dag.params) == {"period", "send"}                    # the manual trigger stays


def test_the_schedules_follow_bureau_yaml(tmp_path):
    """Another time zone in bureau.yaml moves every schedule and start date, read once through the package."""
    import shutil

    config = tmp_path / "config"
    shutil.copytree(DAGS.parent / "include" / "config", config)
    bureau = config / "bureau.yaml"
    bureau.write_text(bureau.read_text(encoding="utf-8").replace("Asia/Shanghai", "Asia/Urumqi"), encoding="utf-8")
    code = (
        "import json\n"
        "from pathlib import Path\n"
        "from airflow.dag_processing.dagbag import BundleDagBag\n"
        f"bag = BundleDagBag(dag_folder={str(DAGS)!r}, bundle_path=Path({str(DAGS)!r}))\n"
        "assert not bag.import_errors, bag.import_errors\n"
        "zones = {d.dag_id: [str(d.timezone)] + [getattr(t, '_timezone', None) and str(t._timezone)\n"
        "        for t in getattr(d.timetable, '_timetables', [d.timetable])] for d in bag.dags.values()}\n"
        "print(json.dumps(zones))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "COUNTY_REPORTS_CONFIG": str(config)})
    assert done.returncode == 0, done.stderr[-2000:]
    zones = json.loads(done.stdout.strip().splitlines()[-1])
    mine = {d: z for d, z in zones.items() if d not in PENDING_DAGS}
    assert set(mine) == {"collect_monthly", "unit_reminders", "reporting_circular", "import_history", "summary_drafts",
                         "half_year_report", "annual_report"}
    for dag_id, found in mine.items():
        assert {z for z in found if z} == {"Asia/Urumqi"}, (dag_id, found)


def test_plugins_load_without_errors():
    """The api-server loads plugins/ at start: an import error there hides the status page."""
    done = subprocess.run([sys.executable, "-m", "airflow", "plugins", "-o", "json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    plugins = {p["name"]: p for p in json.loads(done.stdout)}
    assert plugins["county_reports_status"]["fastapi_apps"][0]["url_prefix"] == "/county-reports"


def test_every_dag_alerts_the_admins_and_has_time_limits(dagbag):
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    from county_reports.core import admins

    addresses = admins.load_settings().addresses
    for dag_id, dag in dagbag.dags.items():
        assert dag.dagrun_timeout, f"{dag_id} has no dagrun_timeout"
        assert dag.deadline, f"{dag_id} has no deadline alert"
        for alert in dag.deadline:
            assert alert.callback.kwargs["to"] == addresses
        for task in dag.tasks:
            [notifier] = task.on_failure_callback if isinstance(task.on_failure_callback, list) \
                else [task.on_failure_callback]
            assert isinstance(notifier, SmtpNotifier) and list(notifier.to) == addresses, (dag_id, task.task_id)
    outside = {("collect_monthly", "notify"), ("collect_monthly", "check_corrections"),
               ("collect_monthly", "fetch_mail"), ("collect_monthly", "reply_mail"),
               ("half_year_report", "deliver"), ("annual_report", "deliver")}
    for dag_id, task_id in outside:
        assert dagbag.dags[dag_id].get_task(task_id).execution_timeout, (dag_id, task_id)
    assert dagbag.dags["annual_report"].get_task("approve").response_timeout.total_seconds() == 72 * 3600


def test_the_mail_never_holds_the_month(dagbag):
    from county_reports.core import mail

    dag = dagbag.dags["collect_monthly"]
    plan = dag.get_task("plan")
    # plan (and with it every HTTP pull) runs when fetch_mail failed, once it has finished
    assert "fetch_mail" in plan.upstream_task_ids and plan.trigger_rule == "all_done"
    limit = mail.task_timeout(mail.load_settings())
    for task_id in ("fetch_mail", "reply_mail"):
        assert dag.get_task(task_id).execution_timeout == limit, task_id


def test_only_the_approvers_of_admins_yaml_are_assigned_the_approval(dagbag):
    # Without assigned_users any account allowed to edit the DAG's HITL details can answer.
    for dag_id in ("half_year_report", "annual_report"):
        approve = dagbag.dags[dag_id].get_task("approve")
        assert approve.assigned_users == [{"id": "1", "name": "admin"}], dag_id
        # deliver takes only render's file keys (no check_coverage result, no request XCom)
        assert dagbag.dags[dag_id].get_task("deliver").upstream_task_ids == {"render", "request_approval", "approve"}


def test_trigger_forms_are_in_chinese_and_report_dags_render_their_own_kind(dagbag, catalog):
    import re

    chinese = re.compile(r"[\u4e00-\u9fff]")
    for dag_id, dag in dagbag.dags.items():
        for name, param in dag.params.items():
            param = dag.params.get_param(name)
            assert chinese.search(param.schema.get("title", "")) and chinese.search(param.description or ""), \
                (dag_id, name)
    for dag_id in ("half_year_report", "annual_report"):
        assert "kind" not in dagbag.dags[dag_id].params
    units = dagbag.dags["collect_monthly"].params.get_param("units").schema
    codes = [u.code for u in catalog.units]
    assert units["type"] == "array" and units["items"]["enum"] == codes and units["examples"] == codes
    assert units["values_display"]["TS03"] == f"TS03 {catalog.unit_by_code['TS03'].name}"


def test_report_dags_are_scheduled_by_reports_yaml_and_labelled_by_admins_yaml(dagbag):
    from county_reports.core import admins, report_settings

    reports, texts = report_settings.load_settings(), admins.load_settings().dags
    for kind, dag_id in (("half_year", "half_year_report"), ("annual", "annual_report")):
        dag = dagbag.dags[dag_id]
        assert dag.timetable.expression == reports.cron(kind), dag_id
        assert dag.dag_display_name == texts.display_name[dag_id]
    for dag_id, dag in dagbag.dags.items():
        assert {t.owner for t in dag.tasks} == {texts.owner}, dag_id


def test_the_admins_are_told_when_a_report_waits_and_reminded_before_the_timeout(dagbag):
    from datetime import timedelta

    from county_reports.core import report_settings

    timeout = timedelta(hours=report_settings.load_settings().approval_timeout_hours)
    for dag_id in ("half_year_report", "annual_report"):
        dag = dagbag.dags[dag_id]
        assert [type(n).__name__ for n in dag.get_task("approve").notifiers] == ["AdminsToldOfWaiting"]
        reminders = [d for d in dag.deadline if d.interval < timeout]
        assert [d.interval for d in reminders] == [timeout * 2 / 3]
        assert "仍在等待审批" in str(reminders[0].callback.kwargs["subject"])
