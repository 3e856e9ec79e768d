"""The Assets the DAGs share (Airflow glue): one definition, imported by producer and consumer."""
from __future__ import annotations

from airflow.sdk import Asset

# An event whenever a collection run stores a new accepted version; its extra names the months
# ({"periods": [...]}). summary_drafts re-renders the open summary from it.
ACCEPTED_DATA = Asset("county_reports_accepted_submissions",
                      uri="county-reports://warehouse/accepted_submissions")
