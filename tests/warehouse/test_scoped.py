"""warehouse/scoped.py: one county's view of a shared warehouse reads only its own units' rows."""
from __future__ import annotations

import pytest

from county_reports.simulator.seeding import accepted_verdicts
from county_reports.warehouse import Warehouse
from county_reports.warehouse.scoped import UnitsView

MINE = ("TS01", "TS02")


@pytest.fixture(scope="module")
def warehouse(catalog, tmp_path_factory):
    path = tmp_path_factory.mktemp("scoped") / "wh.db"
    with Warehouse(f"sqlite:///{path}") as wh:
        wh.migrate()
        wh.sync_roster(catalog, "test")
        # TS01 and TS02 up to May; somebody else's unit also has June
        verdicts = accepted_verdicts(catalog, "2025-05", "2025-06")
        wh.record_verdicts([v for v in verdicts if v.period == "2025-05" or v.unit not in MINE], "test")
        yield wh


def test_reads_only_its_units(warehouse):
    view = UnitsView(warehouse, ["TS02", "TS01", "TS01"])
    assert view.unit_codes == MINE and view.engine is warehouse.engine
    values = view.current_values(["2025-05", "2025-06"])
    assert set(values["unit"]) == set(MINE) and set(values["period"]) == {"2025-05"}
    assert len(set(warehouse.current_values(["2025-05"])["unit"])) > 2      # the others are there
    assert set(view.current_narratives(["2025-05"])["unit"]) <= set(MINE)


def test_latest_period_is_its_own(warehouse):
    assert warehouse.latest_period() == "2025-06"
    assert UnitsView(warehouse, MINE).latest_period() == "2025-05"


def test_history_never_leaves_the_view(warehouse):
    view = UnitsView(warehouse, MINE)
    assert set(view.history(None, ["2025-05"])["unit"]) == set(MINE)
    assert set(view.history(["TS01", "RC01"], ["2025-05"])["unit"]) == {"TS01"}
    assert view.history(["RC01"], ["2025-05"]).empty
