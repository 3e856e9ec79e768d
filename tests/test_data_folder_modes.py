"""On a host install the data folder is the service user's alone: after a month is collected —
pulled, archived, validated, stored in the default SQLite warehouse inside the data folder,
feedback told (HTTP and an inbox unit's file) — every folder under it is 0700 and every file 0600
(archived raw bytes 0400), with the usual umask 022 (so the modes are ours, not the umask's)."""
from __future__ import annotations

import os
import stat

import pendulum
import pytest

from county_reports.core import atomic, paths
from county_reports.runs import collect_monthly

PERIOD = "2025-09"
MOMENT = pendulum.datetime(2025, 10, 5, 6, tz="Asia/Shanghai")


@pytest.fixture
def umask_022():
    before = os.umask(0o022)
    yield
    os.umask(before)


def _modes(root):
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            yield os.path.relpath(path, root), stat.S_IMODE(os.lstat(path).st_mode), os.path.isdir(path)


def test_a_collected_month_leaves_nothing_readable_by_others(tmp_path, monkeypatch, umask_022, simulator,
                                                           demo_tokens):
    data = tmp_path / "county" / "data"        # nothing exists yet: every folder is made by us
    monkeypatch.setenv("COUNTY_REPORTS_DATA", str(data))
    monkeypatch.delenv("COUNTY_REPORTS_DB_URL", raising=False)    # the default: data/warehouse.db
    simulator.clear_faults()
    simulator.set_fault("TS07", PERIOD, "invalid_values")          # rejected: feedback POSTed
    try:
        batches = collect_monthly.plan({"period": PERIOD, "units": ["TS05", "TS07"]}, MOMENT)
        pulled = [collect_monthly.pull(b, demo_tokens.get, record_as=("run-1", 1)) for b in batches]
    finally:
        simulator.clear_faults()
    validated = collect_monthly.validate(pulled, "run-1")
    stored = collect_monthly.store(validated, "run-1")
    collect_monthly.notify(validated, stored, "run-1", demo_tokens.get)
    from county_reports.deliver import notify

    notify.write_inbox_feedback(data, "TS03", PERIOD, [{"text": "请补报"}])   # an inbox unit's feedback

    seen = list(_modes(data))
    kinds = {p.split(os.sep)[0] for p, _, _ in seen}
    assert {"raw", "collections", "verdicts", "validation", "inbox"} <= kinds, kinds
    assert stat.S_IMODE(data.stat().st_mode) == 0o700 and stat.S_IMODE(data.parent.stat().st_mode) == 0o700
    wrong = [(p, oct(m)) for p, m, is_dir in seen
             if (is_dir and m != 0o700) or (not is_dir and m not in (0o600, 0o400))]
    assert wrong == [], f"readable by others or wrong mode: {wrong}"
    raw = [m for p, m, is_dir in seen if p.startswith("raw" + os.sep) and not is_dir]
    assert raw and set(raw) == {0o400}


def test_atomic_writes_and_appends_are_the_owners_alone(tmp_path, umask_022):
    atomic.write_text(tmp_path / "a" / "b" / "verdicts.json", "{}")
    atomic.append_lines(tmp_path / "c" / "d.jsonl", ["{}"])
    for path in ("a", "a/b", "c"):
        assert stat.S_IMODE((tmp_path / path).stat().st_mode) == 0o700, path
    for path in ("a/b/verdicts.json", "c/d.jsonl"):
        assert stat.S_IMODE((tmp_path / path).stat().st_mode) == 0o600, path
    assert paths.make_folder(tmp_path / "a") == tmp_path / "a"            # an existing folder: as it is
