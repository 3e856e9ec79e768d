"""county_reports.core.timeliness: "reported" is on time + late, counted in one place."""
from __future__ import annotations

from county_reports.core import timeliness


def test_reported_counts_on_time_and_late_only():
    assert timeliness.reported({"on_time": 3, "late": 2, "rejected": 4, "missing": 5}) == 5
    assert timeliness.reported({"late": 1}) == 1
    assert timeliness.reported({}) == 0
    assert set(timeliness.REPORTED) < set(timeliness.STATUSES)


def test_every_count_of_reported_goes_through_it():
    """The reporting rate, the completeness summary and the circular call it; none adds the
    statuses itself again."""
    from pathlib import Path

    package = Path(timeliness.__file__).resolve().parents[1]
    calls = {"warehouse/queries.py": "timeliness.reported(", "render/circular.py": "timeliness.reported(",
             "aggregate/completeness.py": "count_reported("}
    for relative, call in calls.items():
        source = (package / relative).read_text(encoding="utf-8")
        assert call in source, relative
        assert '["on_time"] + ' not in source and "['on_time'] + " not in source, relative
