"""From outcomes to verdicts: unreadable times, surprises in archived bytes, one unit's failure alone."""
from __future__ import annotations

import json

from county_reports.core import archive
from county_reports.validate import intake, run
from county_reports.validate.model import REJECTED, WARNING

from validate_helpers import PERIOD, clean_payload, received


def test_an_unreadable_submitted_at_is_a_warning_naming_the_field(vcatalog):
    payload = {**clean_payload(vcatalog, "TS01"), "submitted_at": "yesterday-ish"}
    [verdict] = run.validate_period([received("TS01", payload)], vcatalog, engine="pandas")
    [issue] = [i for i in verdict.issues if i.rule == "SUBMITTED_AT"]
    assert issue.importance == WARNING and verdict.status == "accepted_with_warnings"
    assert "submitted_at" in issue.message and "yesterday-ish" in issue.message
    assert "收到报送的时间" in issue.message            # timeliness now uses the receipt time, and says so
    assert verdict.submitted_at is None                # so the warehouse uses received_at


def test_a_readable_submitted_at_gives_no_warning(vcatalog):
    [verdict] = run.validate_period([received("TS01", clean_payload(vcatalog, "TS01"))], vcatalog,
                                    engine="pandas")
    assert not [i for i in verdict.issues if i.rule == "SUBMITTED_AT"]
    assert verdict.submitted_at == "2025-07-03T09:12:00+08:00"


def test_archived_bytes_that_no_longer_read_are_refused_for_that_unit_alone(vcatalog, tmp_path):
    good = archive.store(tmp_path, json.dumps(clean_payload(vcatalog, "TS01")).encode())
    dup = archive.store(tmp_path, b'{"protocol": 1, "unit": "TS02", "period": "2025-06", '
                                  b'"values": {"HAZARD_FOUND": 1, "HAZARD_FOUND": 2}}')
    outcomes = [
        {"unit": "TS01", "period": PERIOD, "source": "http", "status": "received", "sha256": good.sha256,
         "payload_sha256": good.sha256, "content_type": "application/json", "received_at": "2025-07-03T09:00:00+08:00"},
        {"unit": "TS02", "period": PERIOD, "source": "http", "status": "received", "sha256": dup.sha256,
         "payload_sha256": dup.sha256, "content_type": "application/json", "received_at": "2025-07-03T09:00:00+08:00"},
        # a refused outcome from an old ledger, without received_at: still gets a receipt time
        {"unit": "TS03", "period": PERIOD, "source": "http", "status": "refused", "sha256": None,
         "reason": "报送内容超过 2000000 字节的上限", "received_at": None},
    ]
    items = {r.unit: r for r in intake.received_from_outcomes(outcomes, tmp_path)}
    assert items["TS01"].payload is not None
    assert items["TS02"].payload is None and "HAZARD_FOUND" in items["TS02"].unreadable_reason
    assert items["TS03"].received_at and items["TS03"].payload is None


def test_a_unit_whose_validation_raises_is_rejected_alone(vcatalog, monkeypatch):
    real = run.validate_period

    def fragile(recs, catalog, **kwargs):
        if any(r.unit == "TS02" for r in recs):
            raise RuntimeError("a surprise in TS02's figures")
        return real(recs, catalog, engine="pandas", **{k: v for k, v in kwargs.items() if k != "engine"})

    monkeypatch.setattr(run, "validate_period", fragile)
    recs = [received(u, clean_payload(vcatalog, u)) for u in ("TS01", "TS02", "TS03")]
    verdicts = {v.unit: v for v in intake.validate_each(recs, vcatalog, history=None, docs_dir=None)}
    assert verdicts["TS01"].status == verdicts["TS03"].status == "accepted"
    assert verdicts["TS02"].status == REJECTED
    assert "RuntimeError" in verdicts["TS02"].issues[0].message
