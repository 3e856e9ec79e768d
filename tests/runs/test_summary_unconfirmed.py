"""The report run with unconfirmed values in its span (issue 20 part 3), as plain Python: the request
lists them with their effect, the approval task renders the span without them, and each of the
admin's choices — 按报送数使用, 剔除后汇总, 暂缓报送, or none — does what it says. The seeded
warehouse and folder channel of test_summary_reports."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime

from sqlalchemy import select, update

import pytest

from county_reports.core import admins, paths
from county_reports.deliver import approval, unconfirmed
from county_reports.runs import summary_reports
from county_reports.warehouse import Warehouse
from county_reports.warehouse import schema as t
from runs.test_summary_reports import FORM, MOMENT, TEXTS, actions, deliver
from runs.test_summary_reports import setup as setup  # noqa: F401 (the fixture)

SLIP = ("RC01", "2025-03", "INV_HIGHWAY")


def flag(key=SLIP, *, times: float = 10.0, effect: float = 0.3) -> float:
    """The value ``key`` made ``times`` too large and stored as an unconfirmed likely slip."""
    unit, period, indicator = key
    s, v = t.submissions, t.submission_values
    with Warehouse() as warehouse, warehouse.engine.begin() as conn:
        sid, value = conn.execute(select(s.c.id, v.c.value).join(v, v.c.submission_id == s.c.id).where(
            (s.c.unit == unit) & (s.c.period == period) & (v.c.indicator == indicator)
            & s.c.superseded_by.is_(None))).one()
        conn.execute(update(v).where((v.c.submission_id == sid) & (v.c.indicator == indicator))
                     .values(value=value * times))
        conn.execute(t.value_flags.insert().values(submission_id=sid, indicator=indicator, expected=value,
                                                   effect=effect, confirmed=False))
    return value


def answer(run_id, built, choice, *, ti_id="t1"):
    shown = summary_reports.ask("half_year", built, run_id=run_id, ti_id=ti_id, texts=TEXTS)
    params = {approval.NOTE_PARAM: "", approval.GAP_PARAM: False, approval.FIGURES_PARAM: shown["confirm"] or None}
    if choice:
        params[unconfirmed.PARAM] = TEXTS[f"unconfirmed_{choice}"]
    summary_reports.record_answer("half_year", run_id=run_id, ti_id=ti_id, response={
        "chosen_options": [TEXTS["approve"]], "params_input": params,
        "responded_by_user": {"id": "1", "name": "admin"}, "responded_at": datetime.now(UTC)})
    return shown


@pytest.fixture
def flagged(setup):
    expected = flag()
    checked = summary_reports.check_coverage("half_year", FORM, MOMENT, today=date(2025, 7, 10))
    return setup, checked, summary_reports.render(checked), expected


def test_the_request_lists_the_values_with_their_effect(flagged, catalog):
    _, checked, built, expected = flagged
    asked = summary_reports.approval_request(built, checked, FORM, scheduled=None, now=MOMENT, texts=TEXTS,
                                             ui_url="http://ui")
    [listed] = unconfirmed.span_values("half_year", 2025)
    assert (listed.unit, listed.period, listed.indicator, listed.expected) == (*SLIP, expected)
    assert listed.effect > 0 and listed.as_reported > listed.left_out
    assert unconfirmed.listing(TEXTS, catalog, [listed]) in asked["body"]
    assert f"影响县汇总数 {listed.effect * 100:.1f}%" in asked["body"] and "县公路事务中心 2025-03" in asked["body"]


def test_use_as_reported_sends_the_draft(flagged):
    root, _, built, _ = flagged
    shown = answer("r1", built, "use")
    assert shown["choices"] == ["按报送数使用", "剔除后汇总", "暂缓报送"]
    sent = deliver(built, run_id="r1")
    [folder] = (root / "office").iterdir()
    assert sent["status"] == "delivered" and (folder / paths.at(built["docx"]).name).read_bytes() == \
        paths.at(built["docx"]).read_bytes()
    with Warehouse() as warehouse:
        approved = approval.history(warehouse.engine, "half_year", 2025)[0]
    assert approved["action"] == "approved" and approved["unconfirmed_choice"] == "use"
    assert approved["unconfirmed"] == [list(SLIP)]


def test_leave_out_sends_the_span_rendered_without_them(flagged):
    root, _, built, _ = flagged
    shown = answer("r1", built, "leave_out")
    left = paths.reports(2025) / unconfirmed.FOLDER / paths.at(built["docx"]).name
    left_sha = approval.fingerprint(left)
    assert left_sha in shown["text"] and left.read_bytes() != paths.at(built["docx"]).read_bytes()
    sidecar = json.loads(left.with_suffix(".figures.json").read_text(encoding="utf-8"))
    assert sidecar["left_out"] == [list(SLIP)]
    sent = deliver(built, run_id="r1")
    [folder] = (root / "office").iterdir()
    assert sent["status"] == "delivered" and sent["sha256"] == left_sha
    assert (folder / left.name).read_bytes() == left.read_bytes()           # the bytes the admin was shown
    with Warehouse() as warehouse:
        approved = approval.history(warehouse.engine, "half_year", 2025)[0]
    assert approved["unconfirmed_choice"] == "leave_out" and approved["approved_sha256"] == left_sha


def test_wait_sends_nothing_and_says_so(flagged):
    root, _, built, _ = flagged
    answer("r1", built, "wait")
    result = deliver(built, run_id="r1")
    assert result["status"] == approval.UNCONFIRMED_WAIT and result["unconfirmed"] == [list(SLIP)]
    assert not (root / "office").exists() and actions() == ["unconfirmed_wait"]
    subject, html = summary_reports.wait_mail(result, texts=TEXTS, mail=admins.load_settings().mail["unconfirmed_wait"],
                                              run_id="r1", dag_id="half_year_report")
    assert built["title"] in subject and "县公路事务中心 2025-03" in html and "没有</b>报送" in html


def test_approved_without_a_choice_is_refused(flagged):
    root, _, built, _ = flagged
    answer("r1", built, None)
    with pytest.raises(summary_reports.ReportRefused, match="without a choice on the span's unconfirmed values"):
        deliver(built, run_id="r1")
    assert not (root / "office").exists() and actions() == ["unconfirmed_not_decided"]


def test_without_unconfirmed_values_nothing_is_asked_or_rendered_again(setup):
    checked = summary_reports.check_coverage("half_year", FORM, MOMENT, today=date(2025, 7, 10))
    built = summary_reports.render(checked)
    asked = summary_reports.approval_request(built, checked, FORM, scheduled=None, now=MOMENT, texts=TEXTS,
                                             ui_url="http://ui")
    shown = answer("r1", built, None)
    assert "未核实" not in asked["body"] and "剔除" not in shown["text"] and shown["choices"] == []
    assert not (paths.reports(2025) / unconfirmed.FOLDER).exists()
    assert deliver(built, run_id="r1")["status"] == "delivered"


def test_the_edited_version_offers_no_leave_out(flagged):
    from runs.test_summary_reports import edited_upload

    root, _, built, _ = flagged
    edited_upload(root, built)
    shown = answer("r1", built, "leave_out")          # asked about the edited version; 剔除后汇总 forged
    assert shown["choices"] == ["按报送数使用", "暂缓报送"] and TEXTS["unconfirmed_edited"] in shown["text"]
    assert not (paths.reports(2025) / unconfirmed.FOLDER).exists()
    with pytest.raises(summary_reports.ReportRefused, match="without a choice"):
        deliver(built, run_id="r1")
    assert not (root / "office").exists() and actions() == ["unconfirmed_not_decided"]
