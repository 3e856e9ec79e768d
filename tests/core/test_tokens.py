"""tokens.py: unit tokens from Airflow connections in the environment or from a secrets file."""
from __future__ import annotations

from county_reports.core import tokens


def test_token_lookup_reads_airflow_connection_forms(monkeypatch, tmp_path):
    monkeypatch.setenv("AIRFLOW_CONN_UNIT_X1", '{"conn_type": "http", "password": "p-json"}')
    monkeypatch.setenv("AIRFLOW_CONN_UNIT_X2", "http://:p%2Furi@host:80/")
    secrets = tokens.write_secrets_file({"unit_x3": "p-file"}, tmp_path / "t.json")
    lookup = tokens.env_or_file(secrets)
    assert [lookup("unit_x1"), lookup("unit_x2"), lookup("unit_x3"), lookup("unit_x4")] == \
        ["p-json", "p/uri", "p-file", None]
    assert oct(secrets.stat().st_mode & 0o777) == "0o600"


def test_a_batch_of_tokens_is_one_secret_for_the_masker_adapter():
    batch = tokens.BATCH_MARK + "tok-one-1\ntok-two-2\n"
    assert tokens.mask_adaptations(batch) == ["tok-one-1", "tok-two-2"]
    assert tokens.mask_adaptations("any other secret") == []
    assert tokens.mask_adaptations({"not": "a string"}) == []
