"""Fill a warehouse straight from the simulator's clean data, without HTTP or validation.

For tests and benchmarks of the later stages (aggregate, render, deliver) that need a realistic
warehouse quickly: every active unit's clean submission for each month, as accepted verdicts.
"""
from __future__ import annotations

from datetime import datetime, UTC

from county_reports import periods as months
from county_reports.catalog import Catalog
from county_reports.simulator.data import SubmissionGenerator
from county_reports.simulator.profile import load_profile
from county_reports.validate.model import ACCEPTED, Verdict


def accepted_verdicts(catalog: Catalog, first: str, last: str, *, skip: set[tuple[str, str]] = frozenset(),
                      seed: int | None = None) -> list[Verdict]:
    """Accepted verdicts for every active unit and month from ``first`` to ``last``, except ``skip``."""
    profile = load_profile()
    generator = SubmissionGenerator(catalog, seed=profile.seed if seed is None else seed, sizes=profile.sizes)
    received_at = datetime(2026, 1, 1, tzinfo=UTC).isoformat()
    out = []
    for period in months.span(first, last):
        for unit in catalog.units_active_in(period):
            if (unit.code, period) in skip:
                continue
            payload = generator.payload(unit.code, period)
            values = {k: float(v) for k, v in payload["values"].items()}
            out.append(Verdict(unit=unit.code, period=period, sha256=f"seed-{unit.code}-{period}",
                               source="http", received_at=received_at,
                               submitted_at=payload["submitted_at"], status=ACCEPTED, values=values,
                               raw_values={k: str(v) for k, v in payload["values"].items()},
                               narratives=tuple(payload["narratives"]), contact=payload["contact"]))
    return out
