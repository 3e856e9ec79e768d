"""Alerts for the admins, shared by the DAG files (Airflow glue over include/config/admins.yaml):
the failure notifier every task gets, the deadline alerts, and a plain e-mail through the SMTP
provider for notices a task sends itself (late corrections)."""
from __future__ import annotations

from datetime import timedelta

from county_reports.core import admins

SETTINGS = admins.load_settings()


def failure_notifier(mail: str = "task_failed"):
    """SmtpNotifier to every admin; rendered by Airflow with the failed task's context."""
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    text = SETTINGS.mail[mail]
    return SmtpNotifier(to=list(SETTINGS.addresses), from_email=SETTINGS.sender, subject=text.subject,
                        html_content=text.body, smtp_conn_id=SETTINGS.smtp_conn_id)


def deadline_alert(interval: timedelta, what: str, reference: str = "DAGRUN_LOGICAL_DATE",
                   mail: str = "deadline_missed"):
    """A Deadline Alert on the run's logical date (or another ``DeadlineReference``: a run an
    Asset triggers has no logical date); the triggerer e-mails the admins when missed."""
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier
    from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference

    text = SETTINGS.mail[mail]
    return DeadlineAlert(
        reference=getattr(DeadlineReference, reference), interval=interval,
        callback=AsyncCallback(SmtpNotifier, kwargs={
            "to": list(SETTINGS.addresses), "from_email": SETTINGS.sender, "subject": text.subject,
            "html_content": text.body.replace("{what}", SETTINGS.deadline_text[what]),
            "smtp_conn_id": SETTINGS.smtp_conn_id}))


def email_admins(subject: str, html: str) -> None:
    """One e-mail to every admin through the SMTP provider (host and login from the Connection)."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    with SmtpHook(smtp_conn_id=SETTINGS.smtp_conn_id) as hook:
        hook.send_email_smtp(to=list(SETTINGS.addresses), from_email=SETTINGS.sender, subject=subject,
                             html_content=html)
