"""migrate() serialised: two processes migrating one fresh database at once both succeed."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from county_reports.warehouse import Warehouse
from county_reports.warehouse.migrations import head_revision

INCLUDE = Path(__file__).resolve().parents[2] / "include"
MIGRATE = (
    "import sys, time; sys.path.insert(0, sys.argv[2])\n"
    "from county_reports.warehouse import Warehouse\n"
    "start = float(sys.argv[3])\n"
    "while time.time() < start: time.sleep(0.001)\n"      # both start migrating at the same moment
    "with Warehouse(sys.argv[1]) as w: print(w.migrate())\n"
)


def _migrate_together(url: str, n: int = 2) -> list[subprocess.CompletedProcess]:
    import time

    start = str(time.time() + 3)   # both interpreters are up and importing by then
    procs = [subprocess.Popen([sys.executable, "-c", MIGRATE, url, str(INCLUDE), start],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(n)]
    return [subprocess.CompletedProcess(p.args, p.wait(timeout=120), *p.communicate()) for p in procs]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_two_concurrent_migrations_of_a_fresh_database_both_succeed(backend, request, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}" if backend == "sqlite" else request.getfixturevalue("pg_url")
    done = _migrate_together(url)
    for proc in done:
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert proc.stdout.strip().splitlines()[-1] == head_revision()
    with Warehouse(url) as warehouse:
        assert warehouse.migrate() == head_revision()
        assert warehouse.submissions().empty


def test_without_the_lock_the_race_is_real(request, monkeypatch):
    """The guard is needed: with the advisory lock taken out, two fresh migrations collide."""
    url = request.getfixturevalue("pg_url")
    from county_reports.warehouse import migrations

    # A key nobody else takes makes the lock a no-op for this check: each process locks its own.
    script = MIGRATE.replace("from county_reports.warehouse import Warehouse\n",
                             "from county_reports.warehouse import Warehouse, migrations\n"
                             "import os; migrations.MIGRATE_LOCK_KEY = os.getpid()\n")
    import time

    failures = 0
    for _ in range(3):
        with Warehouse(url) as w, w.engine.begin() as conn:
            from sqlalchemy import text

            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        start = str(time.time() + 3)
        procs = [subprocess.Popen([sys.executable, "-c", script, url, str(INCLUDE), start],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        codes = [p.wait(timeout=120) for p in procs]
        failures += sum(c != 0 for c in codes)
        for p in procs:
            p.communicate()
        if failures:
            break
    assert migrations.MIGRATE_LOCK_KEY != 0
    assert failures > 0, "two unlocked migrations never collided: this test would not catch a missing lock"
