"""warehouse/stored_verdict.py: a verdict's canonical content and hash, its arrival time clamped into
what the bureau saw, and its rows."""
from __future__ import annotations

from datetime import datetime, UTC

import pytest

from county_reports.validate.model import ACCEPTED, ERROR, Issue, Verdict
from county_reports.warehouse import stored_verdict as sv

UTC = UTC


def _v(**kw):
    base = dict(unit="TS03", period="2025-06", sha256="a" * 64, source="http",
                received_at="2025-07-05T06:00:00+08:00", submitted_at=None, status=ACCEPTED)
    return Verdict(**{**base, **kw})


def test_numeric():
    assert sv.numeric(12) == 12.0 and sv.numeric(-0.0) == 0.0 and str(sv.numeric(-0.0)) == "0.0"
    for bad in (True, "12", None, float("nan"), float("inf")):
        assert sv.numeric(bad) is None


def test_the_same_content_in_other_spelling_hashes_the_same():
    one = _v(values={"A": 12.0, "B": 1.5}, raw_values={"A": "12", "B": "1.5"},
             narratives=({"kind": "plan", "section": "s", "text": "计划\r\n完成 "},), contact={"name": "张三"})
    two = _v(values={"B": 1.5, "A": 12}, raw_values={"A": "12.00", "B": "1.50"}, sha256="b" * 64,
             narratives=({"text": "计划\n完成", "section": "s", "kind": "plan"},), contact={"name": " 张三"})
    assert sv.content_hash(one) == sv.content_hash(two)
    assert sv.content_hash(one) != sv.content_hash(_v(values={"A": 12.0, "B": 1.6}, contact={"name": "张三"}))
    swapped = _v(narratives=({"text": "b"}, {"text": "a"}))
    assert sv.content_hash(swapped) != sv.content_hash(_v(narratives=({"text": "a"}, {"text": "b"})))


def test_a_value_that_is_no_number_is_kept_as_text():
    rows, canonical = sv.canonical_values(_v(values={"A": 1.0}, raw_values={"A": "1", "B": "abc"}))
    assert rows == [("A", 1.0, "1"), ("B", None, "abc")]
    assert canonical == {"A": 1.0, "B": {"raw": "abc"}}


def test_unreadable_submissions_are_told_apart_by_their_bytes():
    assert sv.canonical_content(_v()) is None
    assert sv.content_hash(_v(sha256="1" * 64)) != sv.content_hash(_v(sha256="2" * 64))


def test_parse_time():
    assert sv.parse_time("2025-07-03T09:00:00", "Asia/Shanghai", field="f", required=True) == \
        datetime(2025, 7, 3, 1, tzinfo=UTC)
    assert sv.parse_time("  ", "UTC", field="f", required=False) is None
    assert sv.parse_time("3 July", "UTC", field="f", required=False) is None
    with pytest.raises(ValueError, match="received_at 'x' is not an ISO 8601"):
        sv.parse_time("x", "UTC", field="received_at", required=True)
    with pytest.raises(ValueError, match="missing"):
        sv.parse_time(None, "UTC", field="received_at", required=True)


SH = "Asia/Shanghai"


def test_arrival_believes_a_claim_only_within_what_the_bureau_saw():
    received = datetime(2025, 7, 4, 22, tzinfo=UTC)               # 5 July 06:00 in Shanghai
    claim = lambda text: sv.arrival(_v(submitted_at=text), SH)[2]  # noqa: E731
    assert claim("2025-07-03T09:12:00+08:00") == datetime(2025, 7, 3, 1, 12, tzinfo=UTC)
    assert claim("2025-07-09T00:00:00+08:00") == received          # never after our receipt
    assert claim("2025-06-15T00:00:00+08:00") == datetime(2025, 6, 30, 16, tzinfo=UTC)   # month not over
    assert claim("not a time") == received
    missing_at = datetime(2025, 7, 4, 0, tzinfo=UTC)                # a pull found nothing then
    assert sv.arrival(_v(submitted_at="2025-07-03T09:00:00+08:00"), SH, missing_at)[2] == missing_at
    received_at, submitted_at, _ = sv.arrival(_v(submitted_at="2025-07-03T09:00:00+08:00"), SH)
    assert received_at == received and submitted_at.hour == 9


def test_not_before_missing_never_passes_the_receipt():
    a, r = datetime(2025, 7, 3, tzinfo=UTC), datetime(2025, 7, 5, tzinfo=UTC)
    assert sv.not_before_missing(a, r, None) == a
    assert sv.not_before_missing(a, r, datetime(2025, 7, 4, tzinfo=UTC)) == datetime(2025, 7, 4, tzinfo=UTC)
    assert sv.not_before_missing(a, r, datetime(2025, 7, 9, tzinfo=UTC)) == r


def test_rows():
    issue = Issue("TS03", "2025-06", "A", "x", "NUMERIC", ERROR, "消息")
    v = _v(values={"A": 2.0}, raw_values={"A": "2"}, narratives=({"kind": None, "text": "t"},), issues=(issue,))
    assert sv.value_rows(7, v) == [{"submission_id": 7, "indicator": "A", "value": 2.0, "raw_value": "2"}]
    assert sv.narrative_rows(7, v) == [{"submission_id": 7, "seq": 1, "kind": "", "section": None, "text": "t"}]
    expected = {"submission_id": 7, "seq": 1, "indicator": "A", "value": "x", "rule": "NUMERIC",
                "importance": ERROR, "message": "消息"}
    assert expected.items() <= sv.issue_rows(7, v)[0].items()
    assert sv.raw_path("abcdef") == "raw/ab/abcdef"
