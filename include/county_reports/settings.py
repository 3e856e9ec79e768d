"""Where things are: config, data and the warehouse, each overridable by one environment variable."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def config_dir() -> Path:
    return Path(os.environ.get("COUNTY_REPORTS_CONFIG") or PROJECT_ROOT / "include" / "config")


def data_dir() -> Path:
    return Path(os.environ.get("COUNTY_REPORTS_DATA") or PROJECT_ROOT / "data")


def secrets_file() -> Path:
    """Bearer tokens by connection id (JSON), the fallback secret source outside Airflow."""
    return Path(os.environ.get("COUNTY_REPORTS_SECRETS") or data_dir() / "secrets" / "unit_tokens.json")


def warehouse_url() -> str:
    return os.environ.get("COUNTY_REPORTS_DB_URL") or f"sqlite:///{data_dir() / 'warehouse.db'}"
