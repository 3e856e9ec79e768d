"""What "reported" means for a unit's month: an accepted report, on time or late.

``completeness`` (warehouse/queries.py) gives each expected (unit, period) one status; the
reporting rate, the completeness summary of the documents, the circular and the status pages
all count "reported" from those statuses through :func:`reported`, so they cannot disagree.
"""
from __future__ import annotations

from collections.abc import Mapping

# The statuses of an expected (unit, period), best first.
STATUSES = ("on_time", "late", "rejected", "missing")
# Which of them count as reported: a rejected report was sent but not accepted.
REPORTED = ("on_time", "late")


def reported(counts: Mapping[str, int]) -> int:
    """How many reported, from counts by status (``{"on_time": 3, "late": 1, …}``)."""
    return sum(int(counts.get(status, 0)) for status in REPORTED)
