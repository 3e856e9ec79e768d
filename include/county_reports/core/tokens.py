"""Where a unit's bearer token comes from: never from code or config files in the repository.

Inside Airflow the DAG passes a lookup through Airflow Connections (metadata DB, environment,
or a secrets backend). Outside Airflow, ``env_or_file`` reads ``AIRFLOW_CONN_<CONN_ID>`` (JSON or
URI form, the same variables Airflow reads) and then the local secrets file.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

from county_reports.core import paths

TokenLookup = Callable[[str], "str | None"]
# A county's service account on its Airflow (city side): conn_id -> (login, password).
CredentialsLookup = Callable[[str], "tuple[str, str] | None"]

# many connection ids → their tokens in one call (the DAG's: Airflow masks the batch at once)
BatchTokenLookup = Callable[[Sequence[str]], Mapping[str, "str | None"]]


# A batch of tokens handed to Airflow's secrets masker as one secret: the mark, then a token a line.
BATCH_MARK = "county-reports-token-batch\n"


def mask_adaptations(secret: object) -> list[str]:
    """Airflow's ``[logging] secret_mask_adapter`` (set it to ``county_reports.core.tokens.mask_adaptations``):
    what else to mask for a secret. A batch (``BATCH_MARK`` + tokens) gives its tokens, so the
    masker of the task's supervisor — the one that writes the log — compiles its pattern once for
    a pull task's 250 tokens instead of once per token; any other secret, nothing more."""
    if isinstance(secret, str) and secret.startswith(BATCH_MARK):
        return [t for t in secret[len(BATCH_MARK):].split("\n") if t]
    return []


def from_connection_value(value: str) -> str | None:
    """The password of a connection written as Airflow JSON or URI."""
    value = value.strip()
    if value.startswith("{"):
        try:
            return json.loads(value).get("password") or None
        except (ValueError, AttributeError):
            return None
    parts = urlsplit(value)
    return unquote(parts.password) if parts.password else None


def env_or_file(secrets_path: Path | None = None) -> TokenLookup:
    path = Path(secrets_path) if secrets_path else paths.secrets_file()
    file_tokens: dict[str, str] = {}
    if path.is_file():
        file_tokens = json.loads(path.read_text(encoding="utf-8"))

    def lookup(conn_id: str) -> str | None:
        env_value = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
        if env_value:
            return from_connection_value(env_value)
        return file_tokens.get(conn_id)

    return lookup


def logins_from_env(environ: dict[str, str] | None = None) -> CredentialsLookup:
    """(login, password) of ``AIRFLOW_CONN_<CONN_ID>`` (JSON or URI), for a county's service
    account outside Airflow (``python -m county_reports collect``)."""
    env = os.environ if environ is None else environ

    def lookup(conn_id: str) -> tuple[str, str] | None:
        value = (env.get(f"AIRFLOW_CONN_{conn_id.upper()}") or "").strip()
        try:
            if value.startswith("{"):
                data = json.loads(value)
                login, password = data.get("login"), data.get("password")
            else:
                parts = urlsplit(value)
                login, password = unquote(parts.username or ""), unquote(parts.password or "")
        except (ValueError, AttributeError):
            return None
        return (login, password) if isinstance(login, str) and isinstance(password, str) and login and password \
            else None

    return lookup


def write_secrets_file(tokens: dict[str, str], path: Path | None = None) -> Path:
    """Store tokens by connection id, readable by the owner only (demo and development use)."""
    target = Path(path) if path else paths.secrets_file()
    paths.make_folder(target.parent)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(tokens, fh, indent=1, sort_keys=True)
    return target
