"""The approval gate without Airflow: why a run waits, what the admin reads, what an answer means."""
from __future__ import annotations

from datetime import datetime, timedelta, UTC

import pytest

from county_reports.core import admins, report_settings
from county_reports.deliver import approval

TEXTS = admins.load_settings().approval
CHECKED = {"kind": "half_year", "year": 2025, "rate": 0.8, "expected": 96, "reported": 77, "threshold": 0.9,
           "below": True, "gaps": {"TS03": ["2025-01", "2025-02", "2025-03", "2025-04"], "SC01": ["2025-02"]}}
BUILT = {"kind": "half_year", "year": 2025, "title": "清河县交通运输局2025年上半年工作总结及下半年工作计划",
         "docx": "/data/reports/2025/清河县交通运输局2025年上半年工作总结及下半年工作计划.docx",
         "behind": ["农村公路建设投资", "水路货运量"]}


def settings(**changes):
    return report_settings.ReportSettings(0.9, "state_gap", {"half_year": (7, 10), "annual": (1, 15)}, **changes)


def test_reasons_to_wait():
    assert approval.reasons(settings(), {"below": False}, late=False, correction=False) == ["required"]
    assert approval.reasons(settings(approval="none"), {"below": False}, late=False, correction=False) == []
    # approval: none never lets a short, late or corrected report leave unattended
    assert approval.reasons(settings(approval="none"), {"below": True}, late=True, correction=True) == \
        ["below_threshold", "late_run", "correction"]


def test_a_forced_re_delivery_asks_even_with_approval_none():
    # The office would get a second copy: someone must say so, whatever approval: says.
    assert approval.reasons(settings(approval="none"), {"below": False}, late=False, correction=False,
                            forced=True) == ["forced"]
    assert approval.reasons(settings(), {"below": False}, late=False, correction=False, forced=True) == \
        ["required", "forced"]
    assert TEXTS["reasons"]["forced"]


def test_a_catch_up_run_is_late():
    when = datetime(2025, 7, 10, 0, tzinfo=UTC)
    assert approval.is_late(when, when + timedelta(hours=25), settings())
    assert not approval.is_late(when, when + timedelta(minutes=3), settings())
    assert not approval.is_late(None, when, settings())


def test_the_request_shows_coverage_gap_units_behind_and_the_draft(catalog):
    asked = approval.request(catalog, TEXTS, CHECKED, BUILT, why=["required", "below_threshold"],
                             ui_url="https://airflow.example/base", recipient="县人民政府办公室")
    body = asked["body"]
    assert asked["subject"] == f"审批：《{BUILT['title']}》报送县政府办" and asked["below"] is True
    assert "77/96" in body and "80.0%" in body and "阈值 90%" in body and "报送率低于阈值" in body
    ts03 = catalog.unit_by_code["TS03"].name
    assert f"TS03 {ts03}（2025-01…2025-04，共4个月）" in body and "SC01" in body
    assert "滞后于时间进度的指标：农村公路建设投资、水路货运量" in body
    assert ("https://airflow.example/base/county-reports/documents/2025/"
            "%E6%B8%85%E6%B2%B3%E5%8E%BF") in body                     # under the UI's base_url, quoted
    assert "报送前须经批准" in body and "报送率低于阈值" in body


SHA = "a" * 64
APPROVERS = frozenset({"1"})


def response(option, note="", gap=False, by_id="1", sha=SHA):
    return {"chosen_options": [option], "params_input": {"note": note, "confirm_gap": gap},
            "by_id": by_id, "by": "王主任", "at": "2025-07-10T09:00:00+00:00", "docx_sha256": sha}


@pytest.mark.parametrize("why, below, answer, action, note", [
    ([], False, None, approval.NOT_REQUIRED, None),
    ([], False, response("批准"), approval.NOT_REQUIRED, None),
    (["required"], False, None, approval.UNANSWERED, "没有审批结果"),           # never a default to send
    (["forced"], False, None, approval.UNANSWERED, "没有审批结果"),
    (["required"], False, response("批准", "请查收"), approval.DELIVER, "请查收"),
    (["required"], False, response("驳回", "数据待核实"), approval.REJECTED, "数据待核实"),
    (["required"], False, response("驳回"), approval.REJECTED, "未写明理由"),
    (["below_threshold"], True, response("批准"), approval.NOT_CONFIRMED, None),   # the gap must be confirmed
    (["below_threshold"], True, response("批准", gap=True), approval.DELIVER, None),
    (["required"], False, response("批准", by_id="7"), approval.NOT_APPROVER, None),  # not in approvers
    (["required"], False, response("批准", by_id=""), approval.NOT_APPROVER, None),
    (["required"], False, response("批准", sha="b" * 64), approval.STALE, None),     # another document
    (["required"], False, response("批准", sha=None), approval.STALE, None),
])
def test_what_an_answer_means(why, below, answer, action, note):
    decision = approval.decide(why, below, answer, TEXTS, approvers=APPROVERS, sha256=SHA)
    assert decision.action == action and decision.note == note
    assert decision.delivers is (action in (approval.DELIVER, approval.NOT_REQUIRED))
    if answer and why:
        assert decision.by == "王主任" and decision.at.startswith("2025-07-10T09:00")


def test_the_answer_is_paired_with_what_was_asked_for_the_same_run_and_task(tmp_path):
    from county_reports.warehouse import Warehouse

    answered = {"chosen_options": ["批准"], "params_input": {"note": ""}, "responded_by_user": {"id": "1", "name": "admin"},
                "responded_at": datetime(2025, 7, 10, 9, tzinfo=UTC)}
    with Warehouse(f"sqlite:///{tmp_path / 'w.db'}") as warehouse:
        warehouse.migrate()
        engine = warehouse.engine
        assert approval.answer_of(engine, "half_year", "r1") is None
        approval.record_asked(engine, approval.Asked("half_year", 2025, "r1", "t1", "d", SHA))
        assert approval.answer_of(engine, "half_year", "r1") is None           # asked, not answered
        approval.record_answered(engine, kind="half_year", run_id="r1", ti_id="t-other", response=answered)
        assert approval.answer_of(engine, "half_year", "r1") is None           # an answer to no request of ours
        approval.record_answered(engine, kind="half_year", run_id="r1", ti_id="t1", response=answered)
        got = approval.answer_of(engine, "half_year", "r1")
        assert (got["by_id"], got["by"], got["docx_sha256"], got["chosen_options"]) == ("1", "admin", SHA, ["批准"])
        assert got["at"].startswith("2025-07-10T09:00")
        assert approval.answer_of(engine, "annual", "r1") is None and approval.answer_of(engine, "half_year", "r2") is None
        assert approval.history(engine) == []              # the gate's rows are not decisions


def test_a_file_is_fingerprinted_by_its_bytes(tmp_path):
    import hashlib

    path = tmp_path / "x.docx"
    path.write_bytes(b"PK" * 700_000)
    assert approval.fingerprint(path) == hashlib.sha256(b"PK" * 700_000).hexdigest()


def test_decisions_are_recorded_in_the_audit(tmp_path):
    from county_reports.warehouse import Warehouse

    with Warehouse(f"sqlite:///{tmp_path / 'w.db'}") as warehouse:
        warehouse.migrate()
        approval.record(warehouse.engine, kind="annual", year=2024, action="rejected", run_id="r1",
                        note="第三季度数据待核实", by="王主任")
        approval.record(warehouse.engine, kind="half_year", year=2025, action="approved", run_id="r2")
        [row] = approval.history(warehouse.engine, "annual", 2024)
    assert row["action"] == "rejected" and row["note"] == "第三季度数据待核实" and row["run_id"] == "r1"


def test_the_admins_mail_when_a_report_waits_carries_the_request_and_its_link(catalog):
    asked = approval.request(catalog, TEXTS, CHECKED | {"gaps": {"TS03": ["2025-01"]}},
                             BUILT | {"behind": ["<b>水路</b>货运量"]}, why=["required"],
                             ui_url="https://airflow.example/base", recipient="县人民政府办公室")
    link = approval.required_actions_url("https://airflow.example/base/", "half_year_report",
                                         "manual__2025-07-10T00:00:00+00:00", "approve")
    # The base_url's path is kept (Airflow's generate_link_to_ui drops it); the run id is quoted.
    assert link == ("https://airflow.example/base/dags/half_year_report/runs/"
                    "manual__2025-07-10T00%3A00%3A00%2B00%3A00/tasks/approve/required_actions?map_index=-1")
    mail = admins.load_settings().mail["approval_waiting"]
    subject, html = approval.waiting_mail(mail, asked["subject"], asked["body"], link)
    assert subject == f"【报表系统】待审批：审批：《{BUILT['title']}》报送县政府办"
    assert f'<a href="{link}">' in html and "77/96" in html and "TS03" in html
    assert '<a href="https://airflow.example/base/county-reports/documents/2025/' in html     # the draft
    # A value from config or the warehouse is text in the mail, never markup.
    assert "&lt;b&gt;水路&lt;/b&gt;货运量" in html and "<b>水路</b>" not in html
    assert "{request}" not in html and "{link}" not in html


# --------------------------------------------------------------------------- the office's edited version

CHANGED = "第4段：“2.15亿元”改为“2.35亿元”（完成投资2.35亿元。）"
ADDED = "第5段：新增“312.5万元”（新增养护资金312.5万元。）"
# As render.review's Review.as_dict gives them: each figure with the label the admin reads.
REVIEW = {"sha256": "e" * 64, "draft_sha256": "d" * 64,
          "diff": [{"op": "added"}, {"op": "changed"}, {"op": "changed"}],
          "diff_markdown": "- **新增** 第5段 **6月18日，县委主要领导到我局调研。**",
          "sidecar_record": {"edited_by": "王主任", "edited_paragraphs": [3, 4]},
          "layout": [{"what": "字体"}],
          "figures": [{"paragraph": 3, "new": "2.35亿元", "old": "2.15亿元", "sentence": "完成投资2.35亿元。",
                       "needs_confirmation": True, "label": CHANGED},
                      {"paragraph": 4, "new": "312.5万元", "old": None, "sentence": "新增养护资金312.5万元。",
                       "needs_confirmation": True, "label": ADDED},
                      {"paragraph": 9, "new": "18个", "old": "17个", "sentence": "协调解决问题18个。",
                       "needs_confirmation": False, "label": "第10段：“17个”改为“18个”（协调解决问题18个。）"}]}


def test_the_generated_draft_is_asked_about_by_its_hash_alone():
    text, confirm = approval.document_section(TEXTS, "x.docx", SHA, None)
    assert text == TEXTS["document"].format(filename="x.docx", sha256=SHA) and confirm == []


def test_the_edited_version_shows_hash_uploader_diff_and_every_hand_changed_figure():
    text, confirm = approval.document_section(TEXTS, "x.docx", "e" * 64, REVIEW)
    assert confirm == [CHANGED, ADDED]                   # the traceable one needs no tick
    assert "e" * 64 in text and "王主任" in text and "d" * 64 in text
    assert "新增 1 段，修改 2 段，删除 0 段" in text and "6月18日" in text
    assert f"**须逐项确认**（数据仓库中查不到）：{CHANGED}" in text
    assert "数据仓库可查：第10段：“17个”改为“18个”" in text and "1 处不符合公文格式" in text
    untouched = REVIEW | {"figures": [], "layout": []}
    assert TEXTS["edited_no_figures"] in approval.document_section(TEXTS, "x.docx", "e" * 64, untouched)[0]


def test_the_form_lists_the_figures_to_confirm_and_the_body_its_document_once():
    field = approval.figures_field(TEXTS, [CHANGED, ADDED])
    assert field["examples"] == [CHANGED, ADDED] and "null" in field["type"]       # a multi-select, optional
    assert "examples" not in approval.figures_field(TEXTS, [])
    body = approval.with_document("请求", "文件一")
    assert approval.with_document(body, "文件二") == "请求" + approval.SEPARATOR + "文件二"


@pytest.mark.parametrize("ticked, action", [
    (None, approval.FIGURES_NOT_CONFIRMED),               # approving without confirming: refused
    ([CHANGED], approval.FIGURES_NOT_CONFIRMED),          # one by one: every figure
    ([ADDED, CHANGED], approval.DELIVER),
    ([ADDED, CHANGED, "另一个数字"], approval.DELIVER),
])
def test_each_hand_changed_figure_must_be_confirmed(ticked, action):
    answer = response("批准") | {"to_confirm": [CHANGED, ADDED]}
    answer["params_input"][approval.FIGURES_PARAM] = ticked
    assert approval.decide(["required"], False, answer, TEXTS, approvers=APPROVERS, sha256=SHA).action == action
    # a gap to confirm as well: each is checked, the gap first
    assert approval.decide(["below_threshold"], True, answer, TEXTS, approvers=APPROVERS,
                           sha256=SHA).action == approval.NOT_CONFIRMED


def test_a_later_request_of_the_same_task_binds_and_waiting_lists_the_unanswered(tmp_path):
    from county_reports.warehouse import Warehouse

    answered = {"chosen_options": ["批准"], "params_input": {approval.FIGURES_PARAM: [CHANGED]},
                "responded_by_user": {"id": "1", "name": "admin"}, "responded_at": datetime(2025, 7, 10, tzinfo=UTC)}
    with Warehouse(f"sqlite:///{tmp_path / 'w.db'}") as warehouse:
        warehouse.migrate()
        engine = warehouse.engine
        approval.record_asked(engine, approval.Asked("half_year", 2025, "r1", "t1", "reports/2025/d.docx", SHA))
        approval.record_asked(engine, approval.Asked("annual", 2024, "r9", "t9", "reports/2025/d.docx", SHA))
        assert [w["ti_id"] for w in approval.waiting(engine, "half_year", "reports/2025/d.docx")] == ["t1"]
        # the office's edited version uploaded while t1 waits: the same task now binds it
        approval.record_asked(engine, approval.Asked("half_year", 2025, "r1", "t1", "reports/2025/edited/d.docx",
                                                     "e" * 64, draft="reports/2025/d.docx", edited_by="王主任",
                                                     to_confirm=(CHANGED,)))
        [waits] = approval.waiting(engine, "half_year", "reports/2025/d.docx")
        assert waits["docx_sha256"] == "e" * 64 and waits["run_id"] == "r1"
        approval.record_answered(engine, kind="half_year", run_id="r1", ti_id="t1", response=answered)
        got = approval.answer_of(engine, "half_year", "r1")
        assert got["docx_sha256"] == "e" * 64 and got["to_confirm"] == [CHANGED] and got["edited_by"] == "王主任"
        assert approval.waiting(engine, "half_year", "reports/2025/d.docx") == []     # answered: nothing waits
