"""What a clerk e-mails (re-exported from the simulator, which the demo uses too)."""
from county_reports.simulator.mail import email, filled_template, mx_trace, plain_workbook  # noqa: F401


TEMPLATE_KEY = "test-template-key-9f2c"


def use_template_key(monkeypatch, key: str = TEMPLATE_KEY) -> str:
    """The bureau's template key as a Connection in the environment (as Airflow reads it)."""
    import json

    from county_reports.core import mail

    conn_id = mail.load_settings().template_key_conn_id
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "generic", "password": key}))
    return key


def fetch(dovecot, catalog, data, settings, wanted=("2025-06",), accepted=()):
    """One run of the mail step against the test's Dovecot, signed with ``TEMPLATE_KEY``."""
    from county_reports.collect import mailbox

    client = dovecot.client()
    try:
        return mailbox.fetch(client, catalog, data, wanted, settings, template_key=TEMPLATE_KEY,
                             accepted=accepted)
    finally:
        client.logout()


def unprocessed(dovecot, settings) -> list[bytes]:
    """The UIDs of the messages not yet marked processed on the server."""
    client = dovecot.client()
    try:
        client.select("INBOX")
        return client.uid("SEARCH", None, "UNKEYWORD", settings.processed_keyword)[1][0].split()
    finally:
        client.logout()
