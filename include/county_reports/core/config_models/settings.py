"""Models of the run settings: collection.yaml, reports.yaml, delivery.yaml, mail.yaml and
admins.yaml. Defaults are today's (the loaders' dataclasses hold the same)."""
from __future__ import annotations

from datetime import date, time
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from county_reports.core.config import ConfigError
from county_reports.core.config_models.base import ConfigModel, SettingsModel

# --------------------------------------------------------------------------- collection.yaml


class CollectionFile(SettingsModel):
    """collection.yaml: how collection talks to the units' endpoints, and the workbook bounds."""

    none_is_default: ClassVar[bool] = False
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    unit_deadline_seconds: float = 60.0
    retries: int = 3
    backoff: float = 0.5
    backoff_max: float = 10.0
    retry_after_max: float = 30.0
    max_body_bytes: int = 2_000_000
    concurrency: int = 16
    batch_size: int = 100
    per_unit_up_to: int = 200
    max_workbook_bytes: int = 10_000_000
    max_workbook_parts: int = 200
    max_workbook_unzipped_bytes: int = 10_000_000
    max_compression_ratio: int = 100
    max_sheet_rows: int = 5000
    max_sheet_cells: int = 100_000

    @field_validator("*", mode="before")
    @classmethod
    def _positive(cls, value: Any, info) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or \
                (value == 0 and info.field_name != "retries"):
            raise ValueError(f"{value!r} must be a positive number")
        if cls.model_fields[info.field_name].annotation in (int, "int") and not isinstance(value, int):
            raise ValueError(f"{value!r} must be a whole number")
        return value

    @model_validator(mode="after")
    def _deadline(self) -> CollectionFile:
        if self.unit_deadline_seconds <= self.connect_timeout:
            raise ConfigError("collection.yaml", "unit_deadline_seconds",
                              f"{self.unit_deadline_seconds!r} must be longer than connect_timeout "
                              f"({self.connect_timeout!r})")
        return self


# --------------------------------------------------------------------------- reports.yaml


def time_of_day(text: Any) -> time:
    """``HH:MM`` as a time; ValueError otherwise."""
    try:
        hour, minute = (int(x) for x in str(text).split(":"))
        return time(hour, minute)
    except ValueError:
        raise ValueError(f"{text!r} must be a time written HH:MM") from None


class ReportDay(ConfigModel):
    """When one report is made: the date printed on it (MM-DD) and when its DAG runs."""

    none_is_default: ClassVar[bool] = False
    report_day: str = Field(description="MM-DD, e.g. 07-10")
    run_at: str = Field("08:00", description="HH:MM on the report day")

    @field_validator("report_day", mode="before")
    @classmethod
    def _day(cls, value: Any) -> str:
        text = str(value)
        try:
            month, day = (int(x) for x in text.split("-"))
            date(2000, month, day)
        except ValueError:
            raise ValueError(f"{text!r} must be a day written MM-DD") from None
        return text

    @field_validator("run_at", mode="before")
    @classmethod
    def _run_at(cls, value: Any) -> str:
        time_of_day(value)
        return str(value)

    @property
    def month_day(self) -> tuple[int, int]:
        month, day = (int(x) for x in self.report_day.split("-"))
        return month, day


class ReportsFile(ConfigModel):
    """reports.yaml: report days, the coverage policy, the approval gate, the delivery deadline."""

    none_is_default: ClassVar[bool] = False
    half_year: ReportDay
    annual: ReportDay
    completeness_threshold: float = Field(description="0 to 1")
    below_threshold: Literal["refuse", "state_gap"]
    approval: Literal["required", "none"] = "required"
    approval_timeout_hours: float = 72.0
    late_run_hours: float = 24.0
    delivery_due_days: int = 10

    @field_validator("completeness_threshold", mode="before")
    @classmethod
    def _threshold(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ValueError(f"{value!r} must be a number from 0 to 1")
        return value

    @field_validator("approval_timeout_hours", "late_run_hours", "delivery_due_days", mode="before")
    @classmethod
    def _positive(cls, value: Any, info) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f"{value!r} must be a positive number")
        if info.field_name == "delivery_due_days" and not isinstance(value, int):
            raise ValueError(f"{value!r} must be a whole number of days")
        return value


# --------------------------------------------------------------------------- delivery.yaml


class HttpChannel(SettingsModel):
    url: str = Field(description="${VAR} is filled from the environment")
    token_conn_id: str
    connect_timeout: float = 10.0
    read_timeout: float = 120.0


class SmtpChannel(SettingsModel):
    conn_id: str
    sender: str = Field(alias="from")
    to: str | list[str]
    cc: str | list[str] = []
    attach: list[str] = [".docx", ".xlsx"]
    subject: str
    body: str


class FolderChannel(SettingsModel):
    path: str = Field("{data}/outbox", description="{data} is the data directory; ${VAR} from the environment")


class DeliveryFile(SettingsModel):
    """delivery.yaml: where the summaries go (the checks of the chosen channel: delivery_config)."""

    recipient: str
    channel: str = Field(description="http | smtp | folder")
    retries: int = 3
    backoff: float = 5.0
    backoff_max: float = 120.0
    http: HttpChannel | None = None
    smtp: SmtpChannel | None = None
    folder: FolderChannel | None = None


# --------------------------------------------------------------------------- mail.yaml


class Mailbox(ConfigModel):
    imap_conn_id: str
    folder: str = "INBOX"
    processed_keyword: str = "$CountyReports"
    max_message_bytes: int = 20_000_000
    authserv_id: str
    require_authentication_results: bool = True
    template_key_conn_id: str
    timeout_seconds: int = 60
    task_timeout_minutes: int = 20


class MailSmtp(ConfigModel):
    conn_id: str
    sender: str = Field(alias="from")
    timeout_seconds: int = 60


class Reminders(ConfigModel):
    days_before: int = 2


class Circular(ConfigModel):
    lookback_months: int = 6
    repeat_threshold: int = 2


class MailFile(ConfigModel):
    """mail.yaml: the mailbox units e-mail their templates to, and outgoing mail."""

    mailbox: Mailbox
    smtp: MailSmtp
    reminders: Reminders = Reminders()
    circular: Circular = Circular()

    @model_validator(mode="before")
    @classmethod
    def _no_admins(cls, data: Any) -> Any:
        if isinstance(data, dict) and "admins" in data:
            raise ConfigError("mail.yaml", "admins",
                              "the admins' addresses are in admins.yaml (one list for every alert)")
        return data
