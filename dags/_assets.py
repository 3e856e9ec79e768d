"""The Assets the DAGs share (Airflow glue): one definition, imported by producer and consumer."""
from __future__ import annotations

from airflow.sdk import Asset

# An event whenever a collection run stores a new accepted version; its extra names the months
# ({"periods": [...]}). summary_drafts re-renders the open summary from it.
ACCEPTED_DATA = Asset("county_reports_accepted_submissions",
                      uri="county-reports://warehouse/accepted_submissions")


def months_named(triggering_asset_events) -> list[str]:
    """The months the ACCEPTED_DATA events that started a run name, sorted (none: a run not
    started by the Asset)."""
    return sorted({m for events in (triggering_asset_events or {}).values() for e in events
                   for m in (e.extra or {}).get("periods", [])})
