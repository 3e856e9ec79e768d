"""The model of admins.yaml, and the keys its texts have (the admins' mails, the approval's words,
the DAGs' names and Trigger forms); :mod:`county_reports.core.admins` reads the file through it."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, create_model

from county_reports.core.config_models.base import ConfigModel, SettingsModel

MAILS = ("task_failed", "approval_timeout", "approval_waiting", "approval_reminder", "deadline_missed",
         "correction", "unconfirmed_wait")
APPROVAL_TEXTS = ("subject", "task_name", "approve", "reject", "note_title", "note_description", "gap_title",
                  "gap_description", "correction", "intro", "coverage", "below", "missing",
                  "none_missing", "behind", "none_behind", "draft", "why", "document", "edited", "edited_changes",
                  "edited_figure_confirm", "edited_figure_traced", "edited_no_figures", "edited_layout",
                  "figures_title", "figures_description", "edited_stale", "unconfirmed", "unconfirmed_value",
                  "unconfirmed_unknown", "unconfirmed_title", "unconfirmed_description", "unconfirmed_use",
                  "unconfirmed_leave_out", "unconfirmed_wait", "unconfirmed_document", "unconfirmed_edited")
REASONS = ("required", "below_threshold", "late_run", "correction", "forced")
DEADLINE_TEXTS = ("collect_monthly", "report", "reporting_circular", "unit_reminders", "summary_drafts",
                  "import_history")
# Every DAG's display name, and the fields of its Trigger form (dags: in admins.yaml).
DAG_FORMS = {"collect_monthly": ("period", "through", "units"), "unit_reminders": ("day",),
             "reporting_circular": ("period", "send"), "half_year_report": (), "annual_report": (),
             "summary_drafts": (), "import_history": ("files", "year")}


def _texts(name: str, keys: tuple[str, ...], **more: Any) -> type[ConfigModel]:
    """A mapping of fixed keys, each a text."""
    return create_model(name, __base__=ConfigModel, **{k: (str, ...) for k in keys}, **more)


class MailText(ConfigModel):
    subject: str
    body: str


class FormField(ConfigModel):
    title: str
    description: str


def _mapping(value: Any) -> Any:
    if not isinstance(value, dict):
        raise ValueError("missing or not a mapping")
    return value


class Approver(SettingsModel):
    id: str | int
    name: str


class Dag(ConfigModel):
    display_name: str
    description: str | None = None
    form: dict[str, FormField] | None = None
    tasks: dict[str, str] | None = None


Dags = create_model("Dags", __base__=ConfigModel, **{dag_id: (Dag, ...) for dag_id in DAG_FORMS},
                    report_form=(dict[str, FormField], ...), report_tasks=(dict[str, str], ...), owner=(str, ...))


AdminMails = _texts("AdminMails", (), **{k: (MailText, ...) for k in MAILS})
DeadlineTexts = _texts("DeadlineTexts", DEADLINE_TEXTS)
ApprovalTexts = _texts("ApprovalTexts", APPROVAL_TEXTS,
                       reasons=(_texts("ApprovalReasons", REASONS), ...))


class AdminsFile(ConfigModel):
    """admins.yaml: the admins, their alerts and the words of the Airflow UI."""

    admins: list[str] = Field(min_length=1)
    smtp_conn_id: str
    sender: str = Field(alias="from")
    collection_due: str = Field(description="HH:MM")
    ui_url: str
    approvers: list[Annotated[Approver, BeforeValidator(_mapping)]] | None = Field(
        None, description="the Airflow users who may answer an approval (required, at least one)")
    mail: AdminMails  # type: ignore[valid-type]
    deadline_text: DeadlineTexts  # type: ignore[valid-type]
    approval: ApprovalTexts  # type: ignore[valid-type]
    dags: Dags  # type: ignore[valid-type]
