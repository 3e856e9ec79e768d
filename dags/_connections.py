"""Tokens from Airflow Connections, shared by the DAG files (this is Airflow glue: the domain
package never imports Airflow and takes a plain ``conn_id -> token`` function instead)."""
from __future__ import annotations


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
