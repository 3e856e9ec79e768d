"""The bureau's admins: who is alerted, how, and in which words (include/config/admins.yaml).

One place for the admins' addresses: every DAG's failure notifier, the deadline alerts, the
approval request and the late-correction notice read them from here. Also derives the time
limits of the tasks that talk to the outside world from the files that configure that talk
(collection.yaml, delivery.yaml, reports.yaml), so a limit moves when its cause does.
No Airflow import: the DAG files turn these settings into notifiers and deadlines.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import time, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from county_reports.core.config import ConfigError, fill_env, read_config_file
from county_reports.core.config_models.admins import (APPROVAL_TEXTS, DAG_FORMS, DEADLINE_TEXTS, MAILS,  # noqa: F401
                                                  REASONS, AdminsFile)
from county_reports.core.config_models.base import validate

FILE = "admins.yaml"
REPORT_FORM = ("year", "dry_run", "force_delivery", "correction")
# Each DAG's tasks, named in Chinese in the run's grid (dags.<dag_id>.tasks; both report DAGs share
# dags.report_tasks, and their approval task is named by approval.task_name).
DAG_TASKS = {"collect_monthly": ("fetch_mail", "plan", "pull", "validate", "store", "notify", "reply_mail",
                                 "summarise", "check_corrections", "announce"),
             "unit_reminders": ("remind",), "reporting_circular": ("write", "send"), "summary_drafts": ("draft",),
             "import_history": ("import_files",)}
REPORT_TASKS = ("check_coverage", "render", "request_approval", "deliver")


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str


@dataclass(frozen=True)
class DagTexts:
    """What the Airflow UI shows of the DAGs: owner, display names, the Trigger forms' fields."""
    owner: str
    display_name: dict[str, str]
    description: dict[str, str]
    forms: dict[str, dict[str, dict[str, str]]]   # DAG (or "report_form") → field → title, description
    tasks: dict[str, dict[str, str]]              # DAG (or "report_tasks") → task id → display name

    def field(self, form: str, name: str) -> dict[str, str]:
        """``title`` and ``description`` of one form field, to pass to Airflow's ``Param``."""
        return dict(self.forms[form][name])


@dataclass(frozen=True)
class AdminSettings:
    admins: tuple[str, ...]
    smtp_conn_id: str
    sender: str
    collection_due: time
    ui_url: str
    mail: dict[str, Mail]
    deadline_text: dict[str, str]
    approval: dict[str, Any]
    dags: DagTexts
    approvers: tuple[dict[str, str], ...] = ()    # Airflow users who may answer 审批: {id, name}

    @property
    def approver_ids(self) -> frozenset[str]:
        return frozenset(user["id"] for user in self.approvers)

    @property
    def addresses(self) -> list[str]:
        """Bare addresses (what SMTP's RCPT TO needs)."""
        return [parseaddr(a)[1] for a in self.admins]


def load_settings(config_dir: Path | None = None) -> AdminSettings:
    data = read_config_file(FILE, config_dir)
    if not isinstance(data, dict):
        raise ConfigError(FILE, "(file)", "expected a mapping at the top level")
    validate(AdminsFile, data, FILE)        # unknown keys, types; the checks below need the words
    admins = data.get("admins")
    if not isinstance(admins, list) or not admins:
        raise ConfigError(FILE, "admins", "missing or not a non-empty list of e-mail addresses")
    for i, address in enumerate(admins):
        if not isinstance(address, str) or "@" not in parseaddr(address)[1]:
            raise ConfigError(FILE, f"admins[{i}]", f"{address!r} is not an e-mail address")
    sender = _text(data, "from")
    if "@" not in parseaddr(sender)[1]:
        raise ConfigError(FILE, "from", f"{sender!r} is not an e-mail address")
    due = _text(data, "collection_due")
    try:
        hour, minute = (int(x) for x in due.split(":"))
        collection_due = time(hour, minute)
    except ValueError:
        raise ConfigError(FILE, "collection_due", f"{due!r} must be a time written HH:MM") from None
    ui_url = fill_env(_text(data, "ui_url"), FILE, "ui_url").rstrip("/")
    if not ui_url.startswith(("http://", "https://")):
        raise ConfigError(FILE, "ui_url", f"{ui_url!r} must start with http:// or https://")
    mail = {}
    for name in MAILS:
        entry = _mapping(data.get("mail"), "mail").get(name)
        mail[name] = Mail(_text(_mapping(entry, f"mail.{name}"), "subject", f"mail.{name}."),
                          _text(entry, "body", f"mail.{name}."))
    deadline_text = {k: _text(_mapping(data.get("deadline_text"), "deadline_text"), k, "deadline_text.")
                     for k in DEADLINE_TEXTS}
    approval_data = _mapping(data.get("approval"), "approval")
    approval: dict[str, Any] = {k: _text(approval_data, k, "approval.") for k in APPROVAL_TEXTS}
    reasons = _mapping(approval_data.get("reasons"), "approval.reasons")
    approval["reasons"] = {k: _text(reasons, k, "approval.reasons.") for k in REASONS}
    if approval["approve"] == approval["reject"]:
        raise ConfigError(FILE, "approval.reject", "must differ from approval.approve")
    return AdminSettings(tuple(admins), _text(data, "smtp_conn_id"), sender, collection_due, ui_url,
                         mail, deadline_text, approval, _dag_texts(_mapping(data.get("dags"), "dags")),
                         _approvers(data.get("approvers")))


def _approvers(data: Any) -> tuple[dict[str, str], ...]:
    """The Airflow users assigned to every approval (HITLOperator ``assigned_users``): without
    them any account allowed to edit the DAG's HITL details (a User role) could answer."""
    if not isinstance(data, list) or not data:
        raise ConfigError(FILE, "approvers", "missing or not a non-empty list of {id, name} "
                                             "(the admins' Airflow user id and user name)")
    out, seen = [], set()
    for i, entry in enumerate(data):
        entry = _mapping(entry, f"approvers[{i}]")
        # YAML reads `id: 1` as a number; Airflow compares ids as text.
        user_id = str(entry["id"]) if isinstance(entry.get("id"), int) and not isinstance(entry["id"], bool) \
            else _text(entry, "id", f"approvers[{i}].")
        if user_id in seen:
            raise ConfigError(FILE, f"approvers[{i}].id", f"{user_id!r} is listed twice")
        seen.add(user_id)
        out.append({"id": user_id.strip(), "name": _text(entry, "name", f"approvers[{i}].").strip()})
    return tuple(out)


def _dag_texts(data: dict) -> DagTexts:
    names, descriptions, forms = {}, {}, {}
    for dag_id, fields in DAG_FORMS.items():
        entry = _mapping(data.get(dag_id), f"dags.{dag_id}")
        names[dag_id] = _text(entry, "display_name", f"dags.{dag_id}.")
        if not fields:
            descriptions[dag_id] = _text(entry, "description", f"dags.{dag_id}.")
        forms[dag_id] = _form(entry.get("form"), f"dags.{dag_id}.form", fields)
    forms["report_form"] = _form(data.get("report_form"), "dags.report_form", REPORT_FORM)
    tasks = {dag_id: _tasks(_mapping(data.get(dag_id), f"dags.{dag_id}").get("tasks"), f"dags.{dag_id}.tasks", ids)
             for dag_id, ids in DAG_TASKS.items()}
    tasks["report_tasks"] = _tasks(data.get("report_tasks"), "dags.report_tasks", REPORT_TASKS)
    return DagTexts(_text(data, "owner", "dags."), names, descriptions, forms, tasks)


def _tasks(data: Any, key: str, task_ids: tuple[str, ...]) -> dict[str, str]:
    """Every task's display name; a name for a task the DAG does not have is a typo."""
    data = _mapping(data, key)
    for extra in sorted(set(data) - set(task_ids), key=str):
        raise ConfigError(FILE, f"{key}.{extra}", f"no such task (the tasks: {', '.join(task_ids)})")
    return {task_id: _text(data, task_id, f"{key}.") for task_id in task_ids}


def _form(data: Any, key: str, fields: tuple[str, ...]) -> dict[str, dict[str, str]]:
    if not fields:
        return {}
    data = _mapping(data, key)
    return {name: {part: _text(_mapping(data.get(name), f"{key}.{name}"), part, f"{key}.{name}.")
                   for part in ("title", "description")} for name in fields}


def _mapping(value: Any, key: str) -> dict:
    if not isinstance(value, dict):
        raise ConfigError(FILE, key, "missing or not a mapping")
    return value


def _text(data: dict, key: str, prefix: str = "") -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(FILE, f"{prefix}{key}", "missing or empty text")
    return value


# --------------------------------------------------------------------------- time limits


def collection_deadline(settings: AdminSettings, run_time: time = time(6, 0)) -> timedelta:
    """From collect_monthly's scheduled start (06:00) to ``collection_due`` on the next day."""
    start = timedelta(hours=run_time.hour, minutes=run_time.minute)
    due = timedelta(days=1, hours=settings.collection_due.hour, minutes=settings.collection_due.minute)
    return due - start


def _numbers(name: str, config_dir: Path | None) -> dict:
    """The numeric settings of a file, read without filling ${VAR} (this runs when DAGs are
    parsed; the stage's own loader checks the whole file when the task runs)."""
    try:
        data = read_config_file(name, config_dir)
    except ConfigError:
        return {}
    return data if isinstance(data, dict) else {}


def _num(data: dict, key: str, default: float) -> float:
    value = data.get(key)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def delivery_timeout(config_dir: Path | None = None) -> timedelta:
    """One deliver() call at its longest: every attempt waiting its full time-outs, plus backoff."""
    data = _numbers("delivery.yaml", config_dir)
    http = data.get("http") if isinstance(data.get("http"), dict) else {}
    attempt = _num(http, "connect_timeout", 10) + _num(http, "read_timeout", 120)
    retries = int(_num(data, "retries", 3))
    backoff, cap = _num(data, "backoff", 5), _num(data, "backoff_max", 120)
    waits = sum(min(backoff * 2 ** i, cap) for i in range(retries))
    return timedelta(seconds=math.ceil(attempt * (retries + 1) + waits + 300))


def feedback_timeout(units: int, per_post: float = 10.0) -> timedelta:
    """The feedback task: one POST per unit (notify.py's 10 s time-out), one after the other."""
    return timedelta(seconds=math.ceil(per_post * max(units, 1) * 2 + 300))


def mail_timeout() -> timedelta:
    """A task whose only outside call is one e-mail to the admins."""
    return timedelta(minutes=10)
