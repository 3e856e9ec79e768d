"""A county serves its month to its city: the accepted county totals as a protocol-1 submission.

The city bureau runs the same software and pulls each county like a unit (``collect`` with a
unit's ``airflow_url``): ``GET {airflow}/county-reports/federation/submissions/{period}``,
authorised by the county's own Airflow (plugins/county_reports_status.py). The body is ours:

- ``protocol`` 1, ``unit`` = ``bureau.yaml`` ``code``, ``period``;
- ``values``: the county total of every catalogue indicator for that one month, computed by
  ``aggregate.county_figures`` exactly as the summaries compute it (derived indicators are left
  out: the city derives them from its own sums, a ratio of sums, never a mean of ratios);
- ``submitted_at``: when the month's accepted figures last changed (the newest arrival among the
  current accepted versions), on the bureau's clock;
- ``content_sha256``: SHA-256 of the values as canonical JSON: a late correction changes it,
  and the city's warehouse, versioning by content, stores a new version;
- ``narratives`` empty for now. Key projects and events join through :func:`_registers` once
  their tables exist.

Read-only: the warehouse is the status pages' read-only one. No month with accepted figures →
None (the route answers 404, the city records the county as missing).
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from county_reports.core import periods
from county_reports.aggregate import Span, county_figures
from county_reports.core.catalog import Catalog, Indicator
from county_reports.core.config import ConfigError
from county_reports.warehouse.schema import ACCEPTED_STATUSES

MEDIA_TYPE = "application/json; charset=utf-8"


def canonical_values(values: dict[str, float | int]) -> bytes:
    """The values as the hash reads them: sorted keys, no spaces, UTF-8."""
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def county_submission(warehouse, catalog: Catalog, period: str) -> dict[str, Any] | None:
    """The county's month as a protocol-1 envelope, or None when nothing is accepted for it."""
    periods.parse(period)
    if catalog.bureau.code is None:
        raise ConfigError("bureau.yaml", "bureau.code", "missing: the county's code is the unit the city knows it by")
    changed = _last_change(warehouse, period)
    if changed is None:
        return None
    values = county_totals(warehouse, catalog, period)
    tz = ZoneInfo(catalog.bureau.timezone)
    return {
        "protocol": 1, "unit": catalog.bureau.code, "period": period,
        "submitted_at": changed.astimezone(tz).isoformat(timespec="seconds"),
        "values": values,
        "content_sha256": hashlib.sha256(canonical_values(values)).hexdigest(),
        "narratives": [], **_registers(warehouse, period),
    }


def county_totals(warehouse, catalog: Catalog, period: str) -> dict[str, float | int]:
    """Every catalogue indicator's county figure for the month, as the summaries compute it."""
    year, month = periods.parse(period)
    figures = county_figures(catalog, warehouse.current_values([period]), Span(year, month, month),
                             completeness=warehouse.completeness(catalog, [period]))
    out: dict[str, float | int] = {}
    for row in figures.itertuples():
        item = catalog.indicator_by_code.get(row.code)
        if item is not None and row.value is not None:
            out[row.code] = _number(item, float(row.value))
    return out


def to_bytes(submission: dict[str, Any]) -> bytes:
    return json.dumps(submission, ensure_ascii=False, sort_keys=True, indent=1).encode()


def _number(item: Indicator, value: float) -> float | int:
    return int(value) if item.integer and value.is_integer() else value


def _last_change(warehouse, period: str) -> datetime | None:
    """When the month's accepted figures last changed: the newest current accepted version's arrival."""
    versions = warehouse.submissions(period=period)
    current = versions[versions["superseded_by"].isna() & versions["status"].isin(ACCEPTED_STATUSES)]
    if current.empty:
        return None
    return current["received_at"].max().to_pydatetime()


def _registers(warehouse, period: str) -> dict[str, Any]:
    """The seam for the bureau's registers: key projects and events (another change adds their
    tables) are to travel here, as a compatible extension of protocol 1. Nothing yet."""
    return {}
