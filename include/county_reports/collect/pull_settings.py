"""Collection's limits: ``include/config/collection.yaml`` read and checked (:class:`PullSettings`),
the workbook bounds included; and what one batch's pulls share (:class:`PullContext`).

Its own module so that a step needing one limit (the offline check reads ``max_body_bytes``, the
same cap as collection's) does not import the collector; :mod:`county_reports.collect.pulls` re-exports
both names.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from county_reports.core.config import ConfigError, config_path, read_config_file
from county_reports.core.config_models.base import validate
from county_reports.core.config_models.settings import CollectionFile
from county_reports.core.tokens import CredentialsLookup, TokenLookup


def _default(name: str):
    """A limit's default, as collection.yaml's model states it (core/config_models/settings.py)."""
    return CollectionFile.model_fields[name].default


@dataclass(frozen=True)
class PullSettings:
    connect_timeout: float = _default("connect_timeout")
    read_timeout: float = _default("read_timeout")      # per socket read; the deadline bounds the whole unit
    # wall clock per unit: connect, headers, body, retries, waits
    unit_deadline_seconds: float = _default("unit_deadline_seconds")
    retries: int = _default("retries")
    backoff: float = _default("backoff")          # first backoff in seconds: 0.5 s, 1 s, 2 s …
    backoff_max: float = _default("backoff_max")     # the longest backoff between two requests
    # the longest Retry-After honoured (it still has to fit the deadline)
    retry_after_max: float = _default("retry_after_max")
    max_body_bytes: int = _default("max_body_bytes")
    concurrency: int = _default("concurrency")         # threads inside one batch
    batch_size: int = _default("batch_size")         # units per mapped task
    # a run with at most this many unit-months: one mapped task per unit
    per_unit_up_to: int = _default("per_unit_up_to")
    # Workbooks, checked before any parser reads them (county_reports.collect.workbook_bounds).
    max_workbook_bytes: int = _default("max_workbook_bytes")
    max_workbook_parts: int = _default("max_workbook_parts")
    max_workbook_unzipped_bytes: int = _default("max_workbook_unzipped_bytes")
    max_compression_ratio: int = _default("max_compression_ratio")
    max_sheet_rows: int = _default("max_sheet_rows")
    max_sheet_cells: int = _default("max_sheet_cells")

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class PullContext:
    """What every pull of a batch shares (``pulls.pull_batch``): where the bytes are archived, the
    units' tokens, the limits, the counties' logins, the environment that fills ``base_url``, and
    ``record_as=(run_id, attempt)`` to append each outcome to the collection ledger as it comes."""

    data_dir: Path
    token_lookup: TokenLookup
    settings: PullSettings = field(default_factory=PullSettings)
    credentials: CredentialsLookup | None = None   # conn_id -> (login, password): a city's counties
    environ: dict[str, str] | None = None
    record_as: tuple[str | None, int] | None = None


def load_settings(config_dir: Path | None = None) -> PullSettings:
    """PullSettings from collection.yaml, validated by its model (config_models.settings.CollectionFile):
    unknown keys and wrong types are configuration errors."""
    if not config_path("collection.yaml", config_dir).is_file():
        return PullSettings()
    from county_reports.core.config_models.settings import CollectionFile

    data = read_config_file("collection.yaml", config_dir) or {}
    if not isinstance(data, dict):
        raise ConfigError("collection.yaml", "(file)", "expected a mapping")
    settings = validate(CollectionFile, data, "collection.yaml").model_dump()
    return PullSettings(**{**settings, **data})      # the numbers as written (5, not 5.0)
