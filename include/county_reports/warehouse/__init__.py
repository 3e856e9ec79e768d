"""The warehouse: versioned submissions, values, narratives, roster, audit (SQLite or PostgreSQL).

``Warehouse(url=None)`` (default ``paths.warehouse_url()``), then ``.migrate()``; see
``store`` for the version/duplicate/supersede rules and ``queries`` for what "current" and
"on time" mean.
"""
from county_reports.warehouse.store import Warehouse

__all__ = ["Warehouse"]
