"""Where things are: config, data and the warehouse (each overridable by one environment
variable), and the one place that names the data folder's subfolders.

Every step that reads or writes under the data folder asks here (``paths.inbox(period, unit=…)``,
``paths.reports(year)`` …) instead of spelling a folder name, so the layout below is the layout:

    {data}/inbox/{unit}/{period}/     one unit's Excel template (dropped or e-mailed in), its feedback
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

The data folder is a local folder by default, or an object-storage location when
``COUNTY_REPORTS_DATA`` is a URL (``s3://bucket/prefix``): workers on different machines then
share it without sharing a disk. Such a location is a ``upath.UPath`` — the fsspec path type
Airflow's ``ObjectStoragePath`` is built on (the package imports no Airflow) — with the S3
endpoint and keys from the standard ``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID`` and
``AWS_SECRET_ACCESS_KEY`` variables. Steps use the pathlib API on either; ``atomic``, ``archive``
and ``ledger`` do the few things an object store does differently (no rename, no append).
What one task hands another through XCom is a *key*, a path relative to the data folder
(``key``/``at``), never a path on one machine's disk.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path, PurePath, PurePosixPath
from typing import Any

DataPath = Path | Any   # a pathlib.Path, or a upath.UPath on an object store

PROJECT_ROOT = Path(__file__).resolve().parents[3]
RAW = "raw"          # also the prefix of archive paths stored in the warehouse (relative to {data})


def config_dir() -> Path:
    return Path(os.environ.get("COUNTY_REPORTS_CONFIG") or PROJECT_ROOT / "include" / "config")


def data_dir() -> DataPath:
    return location(os.environ.get("COUNTY_REPORTS_DATA") or PROJECT_ROOT / "data")


def is_url(value: object) -> bool:
    return "://" in str(value) and not str(value).startswith("file://")


def location(value: str | os.PathLike | DataPath) -> DataPath:
    """A path-like for ``value``: a local ``Path``, or a ``UPath`` for a URL. A path object
    given is returned as it is (a ``UPath`` keeps its file system and options)."""
    if isinstance(value, PurePath) or hasattr(value, "fs"):
        return value
    if is_url(value):
        from upath import UPath

        # Listings are not cached: another machine's worker may have written since.
        return UPath(str(value), use_listings_cache=False)
    return Path(str(value).removeprefix("file://"))


def is_remote(path: DataPath) -> bool:
    """True for an object-store location (no rename, no append, no file locks)."""
    return not isinstance(path, Path)


def key(path: str | DataPath, data: str | DataPath | None = None) -> str:
    """``path`` as a key relative to the data folder, what XComs carry (``reports/2025/x.docx``).
    A path outside the data folder is a bug in the caller: ValueError."""
    root, where = location(data) if data is not None else data_dir(), location(path)
    if not is_remote(root) and not is_remote(where):
        root, where = root.resolve(), where.resolve()
    root, where = str(root).rstrip("/"), str(where)
    if not where.startswith(root + "/"):
        raise ValueError(f"{where} is not in the data folder {root}")
    return where[len(root) + 1:]


def at(data_key: str, data: str | DataPath | None = None) -> DataPath:
    """The path of a key (see ``key``) in this machine's view of the data folder."""
    if PurePosixPath(data_key).is_absolute() or is_url(data_key) or ".." in PurePosixPath(data_key).parts:
        raise ValueError(f"not a data-folder key: {data_key}")
    return (location(data) if data is not None else data_dir()) / data_key


def keyed(record: dict, fields: tuple[str, ...], data: str | DataPath | None = None) -> dict:
    """``record`` with the paths in ``fields`` as keys: what a task hands on through XCom."""
    return {**record, **{f: key(record[f], data) for f in fields if record.get(f)}}


def located(record: dict, fields: tuple[str, ...], data: str | DataPath | None = None) -> dict:
    """``record`` (from XCom) with the keys in ``fields`` as paths on this machine's view."""
    return {**record, **{f: str(at(record[f], data)) for f in fields if record.get(f)}}


def safe_name(text: str) -> str:
    """``text`` (a run id, a ledger key) as one file or object name: other characters become _."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def secrets_file() -> Path:
    """Bearer tokens by connection id (JSON), the fallback secret source outside Airflow; always
    a local file (with object-storage data, name one with ``COUNTY_REPORTS_SECRETS``)."""
    if os.environ.get("COUNTY_REPORTS_SECRETS"):
        return Path(os.environ["COUNTY_REPORTS_SECRETS"])
    data = data_dir()
    return (PROJECT_ROOT / "data" if is_remote(data) else data) / "secrets" / "unit_tokens.json"


def warehouse_url() -> str:
    if os.environ.get("COUNTY_REPORTS_DB_URL"):
        return os.environ["COUNTY_REPORTS_DB_URL"]
    data = data_dir()
    if is_remote(data):
        raise RuntimeError(f"COUNTY_REPORTS_DATA is {data}: set COUNTY_REPORTS_DB_URL to a PostgreSQL "
                           f"URL (a SQLite warehouse needs a local file)")
    return f"sqlite:///{data / 'warehouse.db'}"


# --------------------------------------------------------------------------- the data folder

# On a host install the data folder holds units' figures, raw submissions and mail: the service's
# user alone reads it. Folders are made 0700 and files written 0600 (archived ones 0400),
# whatever the umask; an object store has no modes (its bucket policy decides).
FOLDER_MODE, FILE_MODE = 0o700, 0o600


def make_folder(folder: DataPath) -> DataPath:
    """``mkdir -p`` where every folder it creates is ``FOLDER_MODE`` (``os.makedirs`` gives only
    the last one its mode); existing folders are left as they are."""
    if is_remote(folder):
        folder.mkdir(parents=True, exist_ok=True)      # no modes on an object store
        return folder
    if folder.is_dir():
        return folder
    if folder.parent != folder:
        make_folder(folder.parent)
    with contextlib.suppress(FileExistsError):
        os.mkdir(folder, FOLDER_MODE)
    return folder



def _under(data: str | DataPath | None, *parts: str | int | None) -> DataPath:
    root = location(data) if data is not None else data_dir()
    return root.joinpath(*(str(p) for p in parts if p is not None))


def raw(data: str | DataPath | None = None) -> DataPath:
    """The content-addressed archive."""
    return _under(data, RAW)


def raw_relative(sha256: str) -> str:
    """An archived file's path relative to the data folder (``raw/ab/<sha256>``)."""
    return str(PurePosixPath(RAW) / sha256[:2] / sha256)


def inbox(period: str | None = None, data: str | DataPath | None = None, unit: str | None = None) -> DataPath:
    """The inbox; with ``unit``, that unit's own folder (only the unit, the bureau's mail step
    and the admins can write there: docs/production.md), or its folder for one month."""
    if period is not None and unit is None:
        raise ValueError("the inbox has one folder per unit: name the unit")
    return _under(data, "inbox", unit, period)


def collections(data: str | DataPath | None = None) -> DataPath:
    """The collection ledgers, one ``{period}.jsonl`` each."""
    return _under(data, "collections")


def mailbox(data: str | DataPath | None = None) -> DataPath:
    return _under(data, "mailbox")


def quarantine(data: str | DataPath | None = None) -> DataPath:
    """Attachments of refused messages."""
    return _under(data, "mailbox", "quarantine")


def verdicts(run: str | None = None, data: str | DataPath | None = None) -> DataPath:
    """Validation verdict files, one folder per run."""
    return _under(data, "verdicts", run)


def validation(data: str | DataPath | None = None) -> DataPath:
    """The months' validation reports (HTML)."""
    return _under(data, "validation")


def validation_checks(data: str | DataPath | None = None) -> DataPath:
    """The last run's Great Expectations checks."""
    return _under(data, "validation", "checks")


def reports(year: int | None = None, data: str | DataPath | None = None) -> DataPath:
    """The summaries, or one year's folder."""
    return _under(data, "reports", year)


def drafts(year: int | None = None, data: str | DataPath | None = None) -> DataPath:
    """Drafts of the open summary, re-rendered after late data; never delivered."""
    return _under(data, "drafts", year)


def circulars(period: str | None = None, data: str | DataPath | None = None) -> DataPath:
    """The monthly circulars, or one month's folder."""
    return _under(data, "circulars", period)


def reminders(data: str | DataPath | None = None) -> DataPath:
    """The reminder ledgers, one ``{period}.jsonl`` each."""
    return _under(data, "reminders")


def templates(period: str | None = None, data: str | DataPath | None = None) -> DataPath:
    """Excel templates made for the units."""
    return _under(data, "templates", period)


def history(data: str | DataPath | None = None) -> DataPath:
    """Old workbooks an admin brings for ``import-history`` and the label mapping to confirm."""
    return _under(data, "history")
