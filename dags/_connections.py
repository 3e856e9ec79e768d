"""Tokens from Airflow Connections, shared by the DAG files (this is Airflow glue: the domain
package never imports Airflow and takes a plain ``conn_id -> token`` function instead)."""
from __future__ import annotations

import re
from collections.abc import Iterable


def token(conn_id: str) -> str | None:
    """The connection's password, or None when the connection does not exist.

    Only "not found" means "no token": any other error (a secrets backend that is down) is
    raised, so the task fails and Airflow retries it instead of reporting units as unconfigured.
    """
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return BaseHook.get_connection(conn_id).password
    except AirflowNotFoundException:
        return None


def credentials(conn_id: str) -> tuple[str, str] | None:
    """(login, password) of a county's service account, or None when the connection does not exist."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return None
    return (conn.login, conn.password) if conn.login and conn.password else None


def tokens(conn_ids: Iterable[str]) -> dict[str, str | None]:
    """Many connections' passwords at once (None for one that does not exist), masked in the
    task's logs together.

    ``BaseHook.get_connection`` masks each password as it comes, and Airflow's masker recompiles
    its whole pattern for every new secret: a batch of 250 units cost ~5 s of CPU in the task
    and as much again in its supervisor, 1,000 units minutes (issue 18). Here the secrets
    backends are asked in the Task SDK's own order (an access denied is never passed over for a
    laxer backend), then the batch is masked with one compile in the task and one message to
    the supervisor, which does its own masking (it writes the log).
    """
    from airflow.sdk.exceptions import AirflowSecretsBackendAccessDenied
    from airflow.sdk.execution_time.supervisor import ensure_secrets_backend_loaded

    backends = ensure_secrets_backend_loaded()
    found: dict[str, str | None] = {}
    for conn_id in dict.fromkeys(conn_ids):
        found[conn_id] = None
        for backend in backends:
            try:
                conn = backend.get_connection(conn_id=conn_id)
            except AirflowSecretsBackendAccessDenied:
                raise
            except Exception:       # as the Task SDK's lookup: a failing backend, try the next
                continue
            if conn is not None:
                found[conn_id] = conn.password or None
                break
    mask_all([t for t in found.values() if t])
    return found


def mask_all(secrets: list[str]) -> None:
    """Mask these secrets in the logs with one compile of the masker's pattern (its own rules:
    minimum length, skipped words, the configured adapter), then tell the supervisor.

    The supervisor masks a list one secret at a time (a compile each: ~30 s for 250 tokens in
    12 tasks at once); with ``county_reports.core.tokens.mask_adaptations`` as Airflow's
    ``[logging] secret_mask_adapter`` the batch goes as one secret and it compiles once."""
    from airflow.sdk._shared.secrets_masker import _secrets_masker
    from airflow.sdk._shared.secrets_masker.secrets_masker import SECRETS_TO_SKIP_MASKING
    from airflow.sdk.log import mask_secret

    from county_reports.core.tokens import BATCH_MARK

    masker = _secrets_masker()      # the one airflow.sdk.log.mask_secret adds to
    if secrets and _batch_adapter(masker) and not any("\n" in s for s in secrets):
        mask_secret(BATCH_MARK + "\n".join(secrets))       # one compile here and in the supervisor
        return
    new = {re.escape(s) for secret in secrets for s in masker._adaptations(secret)
           if s and len(s) >= masker.min_length_to_mask and s.lower() not in SECRETS_TO_SKIP_MASKING}
    if new - masker.patterns:
        masker.patterns |= new
        masker.replacer = re.compile("|".join(masker.patterns))
    if secrets:
        mask_secret(secrets)        # here: every pattern known, no compile; the supervisor: one message


def _batch_adapter(masker) -> bool:
    """Whether Airflow's config names our adapter (task and supervisor read the same config)."""
    adapter = masker.secret_mask_adapter
    return (getattr(adapter, "__module__", None), getattr(adapter, "__name__", None)) == \
        ("county_reports.core.tokens", "mask_adaptations")
