"""Unconfirmed values at the approval gate without Airflow: the listing the admin reads (largest
effect first), the form's one choice, and what each answer means (deliver.unconfirmed, approval.decide)."""
from __future__ import annotations

import math

from county_reports.aggregate.unconfirmed import UnconfirmedValue
from county_reports.core import admins
from county_reports.deliver import approval, unconfirmed

TEXTS = admins.load_settings().approval
APPROVERS = frozenset({"1"})
SLIP = UnconfirmedValue("RC01", "2025-03", "INV_HIGHWAY", 12000.0, 1200.0, 0.41, 20800.0, 8800.0, 10000.0, 1.08)
SMALL = UnconfirmedValue("TS01", "2025-05", "INV_HIGHWAY", 30.5, 3.05, 0.01, 20800.0, 20769.5, 20772.55, 0.0013)
NO_EXPECTATION = UnconfirmedValue("TS02", "2025-02", "INV_HIGHWAY", 7.0, None, None, 20800.0, 20793.0, 20800.0, None)


def test_the_listing_names_unit_month_indicator_value_expected_and_effect_in_order(catalog):
    text = unconfirmed.listing(TEXTS, catalog, [SLIP, SMALL, NO_EXPECTATION])
    first, *items = text.split("\n")
    assert "未核实的数据" in first and "3 项" in first and "按报送数使用、剔除后汇总、暂缓报送" in first
    assert TEXTS["unconfirmed_title"] in first
    assert items[0].startswith("1. 县公路事务中心 2025-03「公路建设完成投资」")
    assert "报送 12000万元" in items[0] and "预期 1200万元" in items[0] and "影响县汇总数 108.0%" in items[0]
    assert "按报送数 20800万元" in items[0] and "剔除后 8800万元" in items[0]
    assert items[1].startswith("2. ") and "报送 30.5万元" in items[1] and "0.1%" in items[1]
    assert items[2].startswith("3. ") and "预期 无法估计" in items[2] and "影响县汇总数 无法估计" in items[2]
    assert unconfirmed.listing(TEXTS, catalog, []) == ""


def test_the_request_carries_the_listing_only_when_there_are_values(catalog):
    checked = {"kind": "half_year", "year": 2025, "rate": 1.0, "expected": 96, "reported": 96, "threshold": 0.9,
               "below": False, "gaps": {}}
    built = {"title": "T", "year": 2025, "docx": "reports/2025/T.docx", "behind": []}
    plain = approval.request(catalog, TEXTS, checked, built, why=["required"], ui_url="http://ui", recipient="县政府办")
    listed = approval.request(catalog, TEXTS, checked, built, why=["required"], ui_url="http://ui", recipient="县政府办",
                              unconfirmed=unconfirmed.listing(TEXTS, catalog, [SLIP]))
    assert "未核实" not in plain["body"]
    assert listed["body"].replace(unconfirmed.listing(TEXTS, catalog, [SLIP]) + "\n\n", "") == plain["body"]


def test_the_choices_and_the_field():
    assert unconfirmed.choices(TEXTS, edited=False) == ["按报送数使用", "剔除后汇总", "暂缓报送"]
    assert unconfirmed.choices(TEXTS, edited=True) == ["按报送数使用", "暂缓报送"]   # the edited version
    field = unconfirmed.field(TEXTS, ["按报送数使用", "暂缓报送"])
    assert field["type"] == "string" and field["enum"] == ["按报送数使用", "暂缓报送"] and "default" not in field
    assert [unconfirmed.choice_of(TEXTS, word) for word in ("按报送数使用", "剔除后汇总", "暂缓报送", "x", None)] == \
        ["use", "leave_out", "wait", None, None]
    assert unconfirmed.share(math.inf, "?") == "∞" and unconfirmed.share(None, "?") == "?"


def test_the_wait_mail_escapes_and_lists():
    subject, html = unconfirmed.wait_mail(admins.load_settings().mail["unconfirmed_wait"], title="T<1>",
                                          run_id="r1", dag_id="half_year_report", by="admin",
                                          lines=["县公路事务中心 2025-03 <x>"])
    assert subject == "【报表系统】《T<1>》暂缓报送：等待单位核实数据"
    assert "T&lt;1&gt;" in html and "<li>县公路事务中心 2025-03 &lt;x&gt;</li>" in html and "half_year_report" in html


def _answer(choice: str | None, *, left_out=True, option=None):
    params = {approval.NOTE_PARAM: "", approval.GAP_PARAM: False}
    if choice is not None:
        params[unconfirmed.PARAM] = TEXTS[f"unconfirmed_{choice}"]
    return {"chosen_options": [option or TEXTS["approve"]], "params_input": params, "by_id": "1", "by": "admin",
            "at": "now", "docx_sha256": "a" * 64, "to_confirm": [],
            "unconfirmed": [["RC01", "2025-03", "INV_HIGHWAY"]],
            "left_out": {"docx": "reports/2025/left_out/T.docx", "sha256": "b" * 64} if left_out else None}


def _decide(answer, sha="a" * 64, left_sha="b" * 64):
    return approval.decide(["required"], False, answer, TEXTS, approvers=APPROVERS, sha256=sha,
                           left_out_sha256=left_sha)


def test_use_as_reported_delivers_the_draft_the_admin_saw():
    decision = _decide(_answer("use"))
    assert (decision.action, decision.unconfirmed, decision.leaves_out) == (approval.DELIVER, "use", False)
    assert _decide(_answer("use"), sha="c" * 64).action == approval.STALE


def test_leave_out_delivers_the_document_rendered_without_them():
    decision = _decide(_answer("leave_out"))
    assert (decision.action, decision.unconfirmed, decision.leaves_out) == (approval.DELIVER, "leave_out", True)
    assert _decide(_answer("leave_out"), left_sha="c" * 64).action == approval.STALE     # changed since asked
    assert _decide(_answer("leave_out"), left_sha=None).action == approval.STALE         # gone since asked
    # no such document (the office's edited version was asked about): refused, not guessed
    assert _decide(_answer("leave_out", left_out=False)).action == approval.UNCONFIRMED_NOT_DECIDED


def test_wait_sends_nothing_and_no_choice_is_refused():
    decision = _decide(_answer("wait"))
    assert (decision.action, decision.unconfirmed, decision.delivers) == (approval.UNCONFIRMED_WAIT, "wait", False)
    assert _decide(_answer(None)).action == approval.UNCONFIRMED_NOT_DECIDED
    assert _decide(_answer("use", option=TEXTS["reject"])).action == approval.REJECTED     # 驳回 is 驳回


def test_without_unconfirmed_values_the_choice_is_not_asked_for():
    answer = _answer(None) | {"unconfirmed": [], "left_out": None}
    assert _decide(answer).action == approval.DELIVER and _decide(answer).unconfirmed is None
