"""The bureau's mailbox and outgoing mail through Airflow's providers (Airflow glue shared by the
DAGs: the domain package takes an imaplib-compatible client and a ``send(message)`` callable)."""
from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def imap_client(conn_id: str, timeout: float | None = None):
    """A logged-in imaplib client from the IMAP provider's hook (the Connection ``conn_id``);
    ``timeout``: its socket time-out in seconds (a server that stops answering fails the call)."""
    from airflow.providers.imap.hooks.imap import ImapHook

    with ImapHook(imap_conn_id=conn_id) as hook:
        if timeout:
            hook.mail_client.sock.settimeout(timeout)
        yield hook.mail_client


def smtp_sender(conn_id: str, timeout: float | None = None):
    """``send(EmailMessage) -> Message-ID`` over the SMTP provider's hook; ``timeout``: the SMTP
    socket's time-out in seconds (on top of the Connection's own connect time-out)."""
    def send(message):
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        with SmtpHook(smtp_conn_id=conn_id) as hook:
            if timeout and getattr(hook._smtp_client, "sock", None) is not None:
                hook._smtp_client.sock.settimeout(timeout)
            # Private, on purpose: the provider (smtp 3.2) has no public call that sends a finished
            # message — send_email_smtp builds its own MIME and would drop our Message-ID (the
            # idempotency key), In-Reply-To and RFC 2231 names; get_conn() returns the hook itself.
            hook._smtp_client.send_message(message)
        return str(message["Message-ID"])
    return send


def connection_exists(conn_id: str) -> bool:
    """Whether the Connection is configured (a bureau without a mailbox simply has none)."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        BaseHook.get_connection(conn_id)
        return True
    except AirflowNotFoundException:
        return False
