"""warehouse/deliveries.py: the delivery ledger: an attempt recorded before sending, concluded in
place; the open attempt is the one the next run resumes; never a delivered one."""
from __future__ import annotations

from datetime import datetime, UTC

import pytest

from county_reports.warehouse import Warehouse
from county_reports.core.delivery_status import DELIVERED, SENDING, UNCONFIRMED
from county_reports.warehouse.deliveries import WarehouseDeliveryLedger


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    # one warehouse for the module (a migration takes a second); each test its own kind or year
    with Warehouse(f"sqlite:///{tmp_path_factory.mktemp('deliveries') / 'wh.db'}") as wh:
        wh.migrate()
        yield WarehouseDeliveryLedger(wh.engine)


def _begin(ledger, sha="d" * 64, key="key-1", kind="annual", year=2024):
    return ledger.begin_attempt(kind=kind, year=year, sha256=sha, filename="x.docx", channel="http",
                                key=key, manifest_sha256="m" * 64)


def test_an_attempt_is_open_from_before_sending_until_delivered(ledger):
    assert ledger.open_attempt("annual", 2024) is None and ledger.already_delivered("annual", 2024) is None
    first = _begin(ledger)
    row = ledger.open_attempt("annual", 2024)
    assert row["id"] == first and row["status"] == SENDING and row["idempotency_key"] == "key-1"
    ledger.finish_attempt(first, status=UNCONFIRMED, attempts=3, error="answer lost")
    assert ledger.open_attempt("annual", 2024)["status"] == UNCONFIRMED
    when = datetime(2025, 1, 15, 2, tzinfo=UTC)
    ledger.finish_attempt(first, status=DELIVERED, attempts=4, receipt_id="R-1", delivered_at=when)
    assert ledger.open_attempt("annual", 2024) is None
    done = ledger.already_delivered("annual", 2024)
    assert done["receipt_id"] == "R-1" and done["attempts"] == 4 and done["manifest_sha256"] == "m" * 64


def test_an_older_open_attempt_does_not_reopen_a_delivery(ledger):
    stale = _begin(ledger, key="old", year=2023)
    delivered = _begin(ledger, key="new", year=2023)
    ledger.finish_attempt(delivered, status=DELIVERED, attempts=1, receipt_id="R-2")
    assert stale < delivered and ledger.open_attempt("annual", 2023) is None
    again = _begin(ledger, key="forced", year=2023)      # a forced second delivery after it
    assert ledger.open_attempt("annual", 2023)["id"] == again


def test_kinds_and_years_are_apart(ledger):
    _begin(ledger, kind="half_year", year=2025)
    ledger.record_delivery(kind="annual", year=2022, sha256="e" * 64, filename="y.docx", channel="folder",
                           status=DELIVERED, attempts=1, receipt_id="F-1")
    assert ledger.open_attempt("annual", 2022) is None and ledger.open_attempt("half_year", 2022) is None
    assert ledger.open_attempt("half_year", 2025)["status"] == SENDING
    assert ledger.already_delivered("annual", 2022)["receipt_id"] == "F-1"
    assert ledger.already_delivered("annual", 2025) is None


def test_a_failed_call_is_recorded_without_opening_anything(ledger):
    ledger.record_delivery(kind="annual", year=2021, sha256="e" * 64, filename="y.docx", channel="http",
                           status="failed", attempts=0, error="no token")
    assert ledger.open_attempt("annual", 2021) is None and ledger.already_delivered("annual", 2021) is None
