"""One county's view of a warehouse shared by many: the summaries' reads restricted to its units."""
from __future__ import annotations

from collections.abc import Iterable

from county_reports.core.catalog import Catalog


class UnitsView:
    """A warehouse seen through a set of unit codes (a county's roster in a province warehouse):
    ``current_values``, ``current_narratives``, ``history`` and ``latest_period`` read only those
    units' rows; ``completeness`` and ``reporting_rate`` already follow the catalogue's roster.
    Hand it to ``summaries.write_summary`` in place of the warehouse."""

    def __init__(self, warehouse, unit_codes: Iterable[str]):
        self.warehouse = warehouse
        self.engine = warehouse.engine
        self.unit_codes = tuple(sorted(set(unit_codes)))

    def current_values(self, periods: Iterable[str]):
        return self.warehouse.current_values(periods, self.unit_codes)

    def current_narratives(self, periods: Iterable[str]):
        return self.warehouse.current_narratives(periods, self.unit_codes)

    def history(self, unit_codes: Iterable[str] | None, periods: Iterable[str]):
        codes = self.unit_codes if unit_codes is None else sorted(set(unit_codes) & set(self.unit_codes))
        return self.warehouse.history(codes, periods)

    def latest_period(self) -> str | None:
        return self.warehouse.latest_period(self.unit_codes)

    def completeness(self, catalog: Catalog, periods: Iterable[str]):
        return self.warehouse.completeness(catalog, periods)

    def reporting_rate(self, catalog: Catalog, periods: Iterable[str], completeness=None):
        return self.warehouse.reporting_rate(catalog, periods, completeness)
