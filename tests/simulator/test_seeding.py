"""simulator/seeding.py: every active unit's clean month as an accepted verdict, reproducibly."""
from __future__ import annotations

from county_reports.simulator.seeding import accepted_verdicts
from county_reports.validate.model import ACCEPTED


def test_every_active_unit_and_month_but_the_skipped(catalog):
    verdicts = accepted_verdicts(catalog, "2024-11", "2025-01", skip={("TS03", "2024-12")})
    expected = {(u.code, p) for p in ("2024-11", "2024-12", "2025-01") for u in catalog.units_active_in(p)}
    got = [(v.unit, v.period) for v in verdicts]
    assert len(got) == len(set(got)) and set(got) == expected - {("TS03", "2024-12")}
    assert all(v.status == ACCEPTED and not v.issues for v in verdicts)


def test_values_are_numbers_with_their_text_beside(catalog):
    verdict = accepted_verdicts(catalog, "2025-06", "2025-06")[0]
    assert verdict.values and all(isinstance(x, float) for x in verdict.values.values())
    assert verdict.raw_values.keys() == verdict.values.keys()
    assert all(float(verdict.raw_values[k]) == verdict.values[k] for k in verdict.values)
    assert verdict.sha256 == f"seed-{verdict.unit}-2025-06" and verdict.submitted_at


def test_the_same_seed_gives_the_same_figures(catalog):
    first = accepted_verdicts(catalog, "2025-05", "2025-05")
    assert accepted_verdicts(catalog, "2025-05", "2025-05") == first
    other = accepted_verdicts(catalog, "2025-05", "2025-05", seed=7)
    assert [v.values for v in other] != [v.values for v in first]
