"""What a clerk e-mails (re-exported from the simulator, which the demo uses too)."""
from county_reports.simulator.mail import email, filled_template, mx_trace, plain_workbook  # noqa: F401


TEMPLATE_KEY = "test-template-key-9f2c"


def use_template_key(monkeypatch, key: str = TEMPLATE_KEY) -> str:
    """The bureau's template key as a Connection in the environment (as Airflow reads it)."""
    import json

    from county_reports import mail

    conn_id = mail.load_settings().template_key_conn_id
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "generic", "password": key}))
    return key
