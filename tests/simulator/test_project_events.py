"""simulator/project_events.py: the simulated units' events pass the real events check, every month,
are deterministic by (seed, unit, month), and stay in their month."""
from __future__ import annotations

import pytest

from county_reports.core import periods
from county_reports.validate.projects.events import check_events
from county_reports.core.projects.vocabulary import load_vocabulary
from county_reports.simulator.project_events import events_for


@pytest.fixture(scope="module")
def vocabulary():
    return load_vocabulary()


def test_every_unit_and_month_passes_the_events_check(catalog, vocabulary):
    kinds = set()
    for period in periods.span("2025-01", "2025-12"):
        for unit in catalog.units_active_in(period):
            items = events_for(catalog, 11, unit.code, period)
            read, issues = check_events({"events": items}, unit=unit.code, unit_name=unit.name,
                                        period=period, vocabulary=vocabulary)
            assert issues == [], (unit.code, period, [i.message for i in issues])
            assert len(read) == len(items)
            kinds |= {item["kind"] for item in items}
            for item in items:
                for key in ("date", "start", "end"):
                    if key in item:
                        assert item[key][:7] == period
    # a year of 15 units shows every kind the simulator writes
    assert kinds == {"document", "meeting", "campaign", "petition", "proposal", "inspection", "honour"}


def test_deterministic_by_seed_unit_and_month(catalog):
    assert events_for(catalog, 5, "EB01", "2025-06") == events_for(catalog, 5, "EB01", "2025-06")
    year = [events_for(catalog, 5, "EB01", p) for p in periods.span("2025-01", "2025-12")]
    other = [events_for(catalog, 6, "EB01", p) for p in periods.span("2025-01", "2025-12")]
    assert year != other


def test_campaign_parts_never_exceed_what_was_found(catalog):
    campaigns = [e for p in periods.span("2024-01", "2025-12")
                 for e in events_for(catalog, 3, "EB01", p) if e["kind"] == "campaign"]
    assert campaigns
    for c in campaigns:
        assert sum(part["count"] for part in c["of_which"]) <= c["counts"]["found"]
        assert c["start"] <= c["end"]
