"""Where things are: config, data and the warehouse (each overridable by one environment
variable), and the one place that names the data folder's subfolders.

Every step that reads or writes under the data folder asks here (``paths.inbox(period)``,
``paths.reports(year)`` …) instead of spelling a folder name, so the layout below is the layout:

    {data}/inbox/{period}/            Excel templates dropped or e-mailed in, and their feedback
    {data}/raw/ab/<sha256>            every byte received or sent, content-addressed
    {data}/collections/{period}.jsonl the collection ledger, one outcome per unit and attempt
    {data}/mailbox/                   the mailbox's history; quarantine/ for refused messages
    {data}/verdicts/{run}/            one run's validation verdicts (read by store and notify)
    {data}/validation/{period}.html   the month's validation report; checks/ the last GX run
    {data}/reports/{year}/            the delivered summaries (.docx, sidecar, .xlsx)
    {data}/drafts/{year}/             drafts re-rendered after late data, never delivered
    {data}/circulars/{period}/        the monthly reporting circular
    {data}/reminders/{period}.jsonl   reminders and escalations sent
    {data}/templates/{period}/        Excel templates made for the units

Every function takes the data folder or, without one, reads it from ``COUNTY_REPORTS_DATA``.
"""
from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RAW = "raw"          # also the prefix of archive paths stored in the warehouse (relative to {data})


def config_dir() -> Path:
    return Path(os.environ.get("COUNTY_REPORTS_CONFIG") or PROJECT_ROOT / "include" / "config")


def data_dir() -> Path:
    return Path(os.environ.get("COUNTY_REPORTS_DATA") or PROJECT_ROOT / "data")


def secrets_file() -> Path:
    """Bearer tokens by connection id (JSON), the fallback secret source outside Airflow."""
    return Path(os.environ.get("COUNTY_REPORTS_SECRETS") or data_dir() / "secrets" / "unit_tokens.json")


def warehouse_url() -> str:
    return os.environ.get("COUNTY_REPORTS_DB_URL") or f"sqlite:///{data_dir() / 'warehouse.db'}"


# --------------------------------------------------------------------------- the data folder


def _under(data: str | Path | None, *parts: str | int | None) -> Path:
    root = Path(data) if data is not None else data_dir()
    return root.joinpath(*(str(p) for p in parts if p is not None))


def raw(data: str | Path | None = None) -> Path:
    """The content-addressed archive."""
    return _under(data, RAW)


def raw_relative(sha256: str) -> str:
    """An archived file's path relative to the data folder (``raw/ab/<sha256>``)."""
    return str(PurePosixPath(RAW) / sha256[:2] / sha256)


def inbox(period: str | None = None, data: str | Path | None = None) -> Path:
    """The inbox, or one month's folder in it."""
    return _under(data, "inbox", period)


def collections(data: str | Path | None = None) -> Path:
    """The collection ledgers, one ``{period}.jsonl`` each."""
    return _under(data, "collections")


def mailbox(data: str | Path | None = None) -> Path:
    return _under(data, "mailbox")


def quarantine(data: str | Path | None = None) -> Path:
    """Attachments of refused messages."""
    return _under(data, "mailbox", "quarantine")


def verdicts(run: str | None = None, data: str | Path | None = None) -> Path:
    """Validation verdict files, one folder per run."""
    return _under(data, "verdicts", run)


def validation(data: str | Path | None = None) -> Path:
    """The months' validation reports (HTML)."""
    return _under(data, "validation")


def validation_checks(data: str | Path | None = None) -> Path:
    """The last run's Great Expectations checks."""
    return _under(data, "validation", "checks")


def reports(year: int | None = None, data: str | Path | None = None) -> Path:
    """The summaries, or one year's folder."""
    return _under(data, "reports", year)


def drafts(year: int | None = None, data: str | Path | None = None) -> Path:
    """Drafts of the open summary, re-rendered after late data; never delivered."""
    return _under(data, "drafts", year)


def circulars(period: str | None = None, data: str | Path | None = None) -> Path:
    """The monthly circulars, or one month's folder."""
    return _under(data, "circulars", period)


def reminders(data: str | Path | None = None) -> Path:
    """The reminder ledgers, one ``{period}.jsonl`` each."""
    return _under(data, "reminders")


def templates(period: str | None = None, data: str | Path | None = None) -> Path:
    """Excel templates made for the units."""
    return _under(data, "templates", period)
