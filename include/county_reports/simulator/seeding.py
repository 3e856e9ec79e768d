"""Fill a warehouse straight from the simulator's clean data, without HTTP or validation.

For tests and benchmarks of the later stages (aggregate, render, deliver) that need a realistic
warehouse quickly: every active unit's clean submission for each month, as accepted verdicts.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, UTC

from county_reports.core import periods as months
from county_reports.core.catalog import Catalog
from county_reports.simulator.data import SubmissionGenerator
from county_reports.simulator.profile import load_profile
from county_reports.validate.model import ACCEPTED, Verdict


def accepted_verdicts(catalog: Catalog, first: str, last: str, *, skip: set[tuple[str, str]] = frozenset(),
                      seed: int | None = None) -> list[Verdict]:
    """Accepted verdicts for every active unit and month from ``first`` to ``last``, except ``skip``."""
    profile = load_profile()
    generator = SubmissionGenerator(catalog, seed=profile.seed if seed is None else seed, sizes=profile.sizes)
    return verdicts_of(generator.payload, catalog, first, last, skip=skip)


def verdicts_of(payload: Callable[[str, str], dict], catalog: Catalog, first: str, last: str, *,
                skip: set[tuple[str, str]] = frozenset()) -> list[Verdict]:
    """``payload(unit, period)`` of every active unit and month, as accepted verdicts (the demo
    county's generator, or a city's counties)."""
    received_at = datetime(2026, 1, 1, tzinfo=UTC).isoformat()
    out = []
    for period in months.span(first, last):
        for unit in catalog.units_active_in(period):
            if (unit.code, period) in skip:
                continue
            sent = payload(unit.code, period)
            out.append(Verdict(unit=unit.code, period=period, sha256=f"seed-{unit.code}-{period}",
                               source="http", received_at=received_at,
                               submitted_at=sent["submitted_at"], status=ACCEPTED,
                               values={k: float(v) for k, v in sent["values"].items()},
                               raw_values={k: str(v) for k, v in sent["values"].items()},
                               narratives=tuple(sent["narratives"]), contact=sent["contact"]))
    return out
