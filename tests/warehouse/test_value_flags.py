"""Warnings a unit must answer (issue 20 parts 3 and 4), as stored: a value flagged as a likely
slip is unconfirmed and out of the outlier history until the unit confirms it in a later version
of the month; a correction is a new version without the flag; flags are ranked by effect; the
span's unconfirmed values are listed with what they do to the county figure."""
from __future__ import annotations

import math
from dataclasses import replace

import pytest
from sqlalchemy import select, text

from county_reports.core import periods
from county_reports.aggregate.span import Span
from county_reports.aggregate.unconfirmed import unconfirmed_for_report
from county_reports.validate import intake
from county_reports.warehouse import schema as t
from county_reports.warehouse.flags import current_flags
from county_reports.warehouse.history import outlier_history

P = "2025-06"


def _flagged(make_verdict, make_issue, unit, value, *, effect, expected=100.0, confirmations=None, salt=""):
    slip = replace(make_issue(unit, P, "INV_HIGHWAY", "warning", "OUTLIER", str(value)),
                   effect=effect, expected=expected)
    v = make_verdict(unit, P, {"INV_HIGHWAY": value, "RURAL_ROAD_KM": 2.0}, status="accepted_with_warnings",
                     issues=(slip,), salt=salt, received_at="2025-07-03T10:00:00+08:00")
    return replace(v, confirmations=confirmations or {})


def _history(wh):
    months = intake.history_periods([periods.shift(P, 12)], 13)
    h = outlier_history(wh.engine, months).astype({"unit": object, "period": object, "indicator": object})
    return {(r.unit, r.indicator): r.value for r in h.itertuples(index=False) if r.period == P}


def _flags(wh):
    f = t.value_flags
    with wh.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(f.c.submission_id, f.c.indicator, f.c.confirmed, f.c.reason,
                                                      f.c.effect, f.c.expected).order_by(f.c.submission_id))]


def test_unconfirmed_is_not_history_until_the_unit_confirms_it(wh, make_verdict, make_issue):
    wh.record_verdicts([_flagged(make_verdict, make_issue, "A1", 1000.0, effect=0.45)], "run-1")
    assert _history(wh) == {("A1", "RURAL_ROAD_KM"): 2.0}                 # the slip is left out
    [(first, code, confirmed, reason, effect, expected)] = _flags(wh)
    assert (code, confirmed, reason, effect, expected) == ("INV_HIGHWAY", False, None, 0.45, 100.0)

    # The same figures sent again with the unit's answer: a new version (the answer is content),
    # the flag confirmed with its reason, and the value is history now.
    answer = _flagged(make_verdict, make_issue, "A1", 1000.0, effect=0.45, salt="confirmed",
                      confirmations={"INV_HIGHWAY": "本月一次性拨付省补资金"})
    [result] = wh.record_verdicts([answer], "run-2")
    assert result["outcome"] == "new" and result["superseded_id"] == first
    assert _flags(wh)[-1][1:4] == ("INV_HIGHWAY", True, "本月一次性拨付省补资金")
    assert _history(wh) == {("A1", "RURAL_ROAD_KM"): 2.0, ("A1", "INV_HIGHWAY"): 1000.0}
    # … and sent a third time, unchanged: a duplicate, nothing new.
    assert wh.record_verdicts([replace(answer, sha256="f" * 64)], "run-3")[0]["outcome"] == "duplicate"


def test_a_correction_is_a_new_version_without_the_flag(wh, make_verdict, make_issue):
    wh.record_verdicts([_flagged(make_verdict, make_issue, "A1", 1000.0, effect=0.45)], "run-1")
    corrected = make_verdict("A1", P, {"INV_HIGHWAY": 100.0, "RURAL_ROAD_KM": 2.0}, salt="fix",
                             received_at="2025-07-04T10:00:00+08:00")
    assert wh.record_verdicts([corrected], "run-2")[0]["outcome"] == "new"
    assert current_flags(wh.engine, [P]).empty
    assert _history(wh) == {("A1", "RURAL_ROAD_KM"): 2.0, ("A1", "INV_HIGHWAY"): 100.0}


def test_flags_and_warnings_ranked_by_effect(wh, make_verdict, make_issue):
    wh.record_verdicts([_flagged(make_verdict, make_issue, "A1", 300.0, effect=0.05),
                        _flagged(make_verdict, make_issue, "A2", 9000.0, effect=0.8),
                        _flagged(make_verdict, make_issue, "B1", 5.0, effect=None)], "run-1")
    ranked = current_flags(wh.engine, [P])
    assert list(ranked["unit"]) == ["A2", "A1", "B1"] and not ranked["confirmed"].any()
    assert list(ranked["value"]) == [9000.0, 300.0, 5.0]
    with wh.engine.connect() as conn:
        stored = dict(conn.execute(select(t.validation_issues.c.value, t.validation_issues.c.effect)).all())
    assert stored == {"300.0": 0.05, "9000.0": 0.8, "5.0": None}


def test_the_spans_unconfirmed_values_with_their_effect_on_the_county_figure(wh, make_verdict, make_issue, roster):
    months = [periods.make(2025, m) for m in range(1, 6)]
    wh.record_verdicts([make_verdict(u, m, {"INV_HIGHWAY": 100.0}, received_at=f"{periods.shift(m, 1)}-03T10:00:00+08:00")
                        for u in ("A1", "A2") for m in months], "seed")
    wh.record_verdicts([_flagged(make_verdict, make_issue, "A1", 1000.0, effect=0.82),      # ×10
                        _flagged(make_verdict, make_issue, "A2", 10.0, effect=0.08,         # ÷10, confirmed
                                 confirmations={"INV_HIGHWAY": "工程停工"})], "run-1")
    listed = unconfirmed_for_report(wh, roster, Span(2025, 1, 6))
    assert [(u.unit, u.period, u.indicator, u.value) for u in listed] == [("A1", P, "INV_HIGHWAY", 1000.0)]
    [u] = listed
    # county 1—6月: 5 × 200 + 1000 + 10 = 2010 as reported; 1010 leaving it out; 1110 with 100 expected
    assert (u.as_reported, u.left_out, u.as_expected, u.expected) == (2010.0, 1010.0, 1110.0, 100.0)
    assert math.isclose(u.effect, 900 / 1110) and u.month_effect == 0.82
    assert unconfirmed_for_report(wh, roster, Span(2025, 1, 5)) == []      # not in that span
    # Confirmed after all: nothing left to decide.
    wh.record_verdicts([_flagged(make_verdict, make_issue, "A1", 1000.0, effect=0.82, salt="ok",
                                 confirmations={"INV_HIGHWAY": "年中集中结算"})], "run-2")
    assert unconfirmed_for_report(wh, roster, Span(2025, 1, 6)) == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_migration_0008_carries_old_outlier_warnings_over_as_unconfirmed(wh, make_verdict, make_issue):
    from alembic import command

    from county_reports.warehouse import migrations

    wh.record_verdicts([_flagged(make_verdict, make_issue, "A1", 1000.0, effect=0.4)], "run-1")
    cfg = migrations.alembic_config(str(wh.engine.url))
    command.downgrade(cfg, "0007")
    command.upgrade(cfg, "head")
    with wh.engine.connect() as conn:
        rows = conn.execute(text("SELECT indicator, confirmed, reason FROM value_flags")).all()
    assert [tuple(r) for r in rows] == [("INV_HIGHWAY", False, None)] or \
        [tuple(r) for r in rows] == [("INV_HIGHWAY", 0, None)]
    assert ("A1", "INV_HIGHWAY") not in _history(wh)
