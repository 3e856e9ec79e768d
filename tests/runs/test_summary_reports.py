"""The report DAGs' tasks as plain Python: coverage and refusals, the render, when an admin is
asked, and what deliver does with the answer — against a seeded SQLite warehouse and the folder
channel, no scheduler."""
from __future__ import annotations

import logging
from datetime import date, datetime, UTC

import pendulum
import config_copy
import pytest
import seeded_warehouse

from county_reports.core import admins, paths
from county_reports.deliver import approval
from county_reports.runs import summary_reports
from county_reports.warehouse import Warehouse

TEXTS = admins.load_settings().approval
APPROVERS = admins.load_settings().approver_ids
MOMENT = pendulum.datetime(2025, 7, 10, 8, tz="Asia/Shanghai")
FORM = {"year": None, "dry_run": False, "force_delivery": False, "correction": False}


@pytest.fixture
def setup(tmp_path, monkeypatch, catalog):
    """The shipped config with the folder channel and no approval; a warehouse with 2025's first half."""
    config_copy.with_folder_channel(tmp_path, monkeypatch)
    # TS01 sent nothing in 2024: the annual 2024 is 192 of 204 unit-months (94%)
    skip = {("TS01", f"2024-{m:02d}") for m in range(1, 13)}
    seeded_warehouse.seed(tmp_path, monkeypatch, catalog, "2024-01", "2025-06", skip=skip)
    return tmp_path


def test_coverage_of_the_dags_own_kind_and_the_span_still_open(setup):
    checked = summary_reports.check_coverage("half_year", FORM, MOMENT, today=date(2025, 7, 6))
    assert (checked["kind"], checked["year"]) == ("half_year", 2025)
    assert checked["span_open"] is True and checked["rate"] == 1.0 and checked["below"] is False
    later = summary_reports.check_coverage("half_year", FORM, MOMENT, today=date(2025, 7, 10))
    assert later["span_open"] is False and later["delivered_receipt"] is None
    assert summary_reports.check_coverage("annual", FORM, MOMENT, today=date(2025, 7, 10))["year"] == 2024


def test_a_correction_of_a_report_never_delivered_is_refused(setup):
    with pytest.raises(summary_reports.ReportRefused, match="Nothing to correct: half_year 2025"):
        summary_reports.check_coverage("half_year", FORM | {"correction": True}, MOMENT, today=date(2025, 7, 10))


def test_below_the_threshold_with_refuse_stops_the_run(setup, catalog):
    config = setup / "config" / "reports.yaml"
    checked = summary_reports.check_coverage("annual", FORM, MOMENT, today=date(2025, 7, 10))
    assert checked["state_gap"] is False and checked["gaps"] == {"TS01": [f"2024-{m:02d}" for m in range(1, 13)]}
    text = config.read_text(encoding="utf-8").replace("completeness_threshold: 0.9", "completeness_threshold: 0.99")
    config.write_text(text, encoding="utf-8")
    assert summary_reports.check_coverage("annual", FORM, MOMENT, today=date(2025, 7, 10))["state_gap"] is True
    config.write_text(text.replace("below_threshold: state_gap", "below_threshold: refuse"), encoding="utf-8")
    with pytest.raises(summary_reports.ReportRefused, match="below_threshold: refuse.*TS01"):
        summary_reports.check_coverage("annual", FORM, MOMENT, today=date(2025, 7, 10))


def test_held_back_dry_run_and_open_span_send_nothing_and_ask_nobody(setup):
    checked = summary_reports.check_coverage("half_year", FORM, MOMENT, today=date(2025, 7, 6))
    built = {"docx": "x.docx"}
    assert summary_reports.held_back(checked, FORM) == "span_open"
    assert summary_reports.held_back(checked, FORM | {"force_delivery": True}) is None
    assert summary_reports.held_back(checked, FORM | {"dry_run": True, "force_delivery": True}) == "dry_run"
    assert summary_reports.approval_request(built, checked, FORM, scheduled=None, now=MOMENT, texts=TEXTS,
                                       ui_url="http://ui") is None
    assert deliver(built, FORM, run_id="r", today=date(2025, 7, 6)) == {"status": "span_open"}


def deliver(built, form=FORM, *, run_id, today=date(2025, 7, 10), kind="half_year", started=MOMENT):
    return summary_reports.deliver(built, kind, form, moment=MOMENT, today=today, scheduled=None, started=started,
                              texts=TEXTS, approvers=APPROVERS, run_id=run_id, token_lookup=None, smtp_sender=None)


def answer(run_id, built, option=None, *, by_id="1", gap=False, ti_id="ti-1", note="", kind="half_year",
           figures=None):
    """What the approve task records: its request (the .docx's hash) and Airflow's answer to it."""
    shown = summary_reports.ask(kind, built, run_id=run_id, ti_id=ti_id, texts=TEXTS)
    summary_reports.record_answer(kind, run_id=run_id, ti_id=ti_id, response={
        "chosen_options": [option or TEXTS["approve"]],
        "params_input": {approval.NOTE_PARAM: note, approval.GAP_PARAM: gap, approval.FIGURES_PARAM: figures},
        "responded_by_user": {"id": by_id, "name": "admin"}, "responded_at": datetime.now(UTC)})
    return shown


def actions(kind="half_year", year=2025):
    with Warehouse() as warehouse:
        return [h["action"] for h in approval.history(warehouse.engine, kind, year)]


def test_render_then_approval_then_delivery_once(setup, caplog):
    caplog.set_level(logging.INFO, logger="county_reports")     # the task log
    checked = summary_reports.check_coverage("half_year", FORM, MOMENT, today=date(2025, 7, 10))
    built = summary_reports.render(checked)
    assert built["docx"].startswith("reports/2025/") and paths.at(built["docx"], setup / "data").is_file()
    asked = summary_reports.approval_request(built, checked, FORM, scheduled=None, now=MOMENT, texts=TEXTS,
                                        ui_url="http://ui")
    assert asked["why"] == ["required"] and built["title"] in asked["subject"]
    # no answer recorded for the run: nothing is ever sent, and the run fails clearly
    with pytest.raises(summary_reports.ReportRefused, match="holds no answer"):
        deliver(built, run_id="r1")
    assert not (setup / "office").exists()
    # the request shows the document's hash; the answer is bound to it
    shown = summary_reports.ask("half_year", built, run_id="r2", ti_id="t2", texts=TEXTS)
    assert approval.fingerprint(paths.at(built["docx"], setup / "data")) in shown["text"]
    assert shown["confirm"] == []                          # the generated draft: no figure to confirm
    answer("r2", built, note="请审阅", ti_id="t2")
    sent = deliver(built, run_id="r2")
    assert sent["status"] == "delivered" and sent["channel"] == "folder"
    assert len(list((setup / "office").iterdir())) == 1
    assert actions() == ["unanswered", "approved", "delivered"]
    # delivered: the next run asks nobody and answers with the first receipt
    again = summary_reports.check_coverage("half_year", FORM, MOMENT, today=date(2025, 7, 10))
    assert again["delivered_receipt"] == sent["receipt_id"]
    assert summary_reports.approval_request(built, again, FORM, scheduled=None, now=MOMENT, texts=TEXTS,
                                       ui_url="http://ui") is None
    second = deliver(built, run_id="r3")
    assert second["status"] == "already_delivered" and second["receipt_id"] == sent["receipt_id"]
    assert "Delivery: already_delivered via folder" in caplog.text


def test_a_document_changed_after_approval_is_not_sent(setup):
    built = summary_reports.render(summary_reports.check_coverage("half_year", FORM, MOMENT, today=date(2025, 7, 10)))
    answer("r1", built)
    docx = paths.at(built["docx"], setup / "data")
    docx.write_bytes(docx.read_bytes() + b"\0")         # re-rendered (or edited) after the request
    with pytest.raises(summary_reports.ReportRefused, match="changed after it was put to the admin"):
        deliver(built, run_id="r1")
    assert not (setup / "office").exists() and actions() == ["stale"]


def test_an_answer_by_someone_not_among_the_approvers_sends_nothing(setup):
    built = summary_reports.render(summary_reports.check_coverage("half_year", FORM, MOMENT, today=date(2025, 7, 10)))
    answer("r1", built, by_id="2")
    with pytest.raises(summary_reports.ReportRefused, match="not among admins.yaml approvers"):
        deliver(built, run_id="r1")
    assert not (setup / "office").exists() and actions() == ["not_approver"]


def test_a_rejection_sends_nothing(setup):
    built = summary_reports.render(summary_reports.check_coverage("half_year", FORM, MOMENT, today=date(2025, 7, 10)))
    answer("r1", built, TEXTS["reject"], note="数据待核实")
    assert deliver(built, run_id="r1") == {"status": "rejected", "reason": "数据待核实"}
    assert not (setup / "office").exists() and actions() == ["rejected"]


def test_a_forced_re_delivery_asks_even_with_approval_none(setup):
    config = setup / "config" / "reports.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("approval: required", "approval: none"),
                      encoding="utf-8")
    checked = summary_reports.check_coverage("half_year", FORM, MOMENT, today=date(2025, 7, 10))
    built = summary_reports.render(checked)
    assert summary_reports.approval_request(built, checked, FORM, scheduled=None, now=MOMENT, texts=TEXTS,
                                       ui_url="http://ui") is None
    first = deliver(built, run_id="r1")                   # approval: none — sent without asking
    assert first["status"] == "delivered" and actions() == ["delivered"]
    forced = FORM | {"force_delivery": True}
    again = summary_reports.check_coverage("half_year", forced, MOMENT, today=date(2025, 7, 10))
    asked = summary_reports.approval_request(built, again, forced, scheduled=None, now=MOMENT, texts=TEXTS,
                                        ui_url="http://ui")
    assert asked["why"] == ["forced"] and TEXTS["reasons"]["forced"] in asked["body"]
    with pytest.raises(summary_reports.ReportRefused, match="holds no answer"):
        deliver(built, forced, run_id="r2")
    assert len(list((setup / "office").iterdir())) == 1
    answer("r3", built)
    assert deliver(built, forced, run_id="r3")["status"] == "delivered"
    assert len(list((setup / "office").iterdir())) == 2


def test_approved_without_confirming_the_gap_is_refused(setup):
    config = setup / "config" / "reports.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("completeness_threshold: 0.9",
                                                                 "completeness_threshold: 0.99"), encoding="utf-8")
    checked = summary_reports.check_coverage("annual", FORM, MOMENT, today=date(2025, 7, 10))
    assert checked["below"] is True                     # TS01 sent nothing in 2024: 94%
    built = summary_reports.render(checked)
    answer("r1", built, gap=False, kind="annual")
    with pytest.raises(summary_reports.ReportRefused, match="确认缺报情况"):
        deliver(built, run_id="r1", kind="annual")
    assert not (setup / "office").exists()
    answer("r2", built, gap=True, kind="annual")
    assert deliver(built, run_id="r2", kind="annual")["status"] == "delivered"


def test_which_summary_is_open_for_a_month():
    nothing = lambda kind, year: False                                    # noqa: E731
    assert summary_reports.open_summaries(["2025-03", "2025-06"], nothing) == [("half_year", 2025)]
    assert summary_reports.open_summaries(["2025-07"], nothing) == [("annual", 2025)]
    half_done = lambda kind, year: (kind, year) == ("half_year", 2025)  # noqa: E731
    assert summary_reports.open_summaries(["2025-03", "2025-09"], half_done) == [("annual", 2025)]
    assert summary_reports.open_summaries(["2024-11", "2025-02"], nothing) == [("annual", 2024), ("half_year", 2025)]
    assert summary_reports.open_summaries(["2024-11"], lambda kind, year: True) == []


def test_drafts_go_to_the_drafts_folder_and_are_never_delivered(setup):
    made = summary_reports.drafts(["2025-05"])
    assert [(d["kind"], d["year"]) for d in made] == [("half_year", 2025)]
    assert made[0]["docx"].startswith("drafts/2025/") and paths.at(made[0]["docx"], setup / "data").is_file()
    assert not paths.reports(2025, setup / "data").exists() and not (setup / "office").exists()
    with Warehouse() as warehouse:
        assert approval.history(warehouse.engine) == []
    # the annual 2024 is below 100% (TS01): a draft states the gap instead of refusing
    config = setup / "config" / "reports.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("below_threshold: state_gap", "below_threshold: refuse")
                      .replace("completeness_threshold: 0.9", "completeness_threshold: 0.99"), encoding="utf-8")
    [annual] = summary_reports.drafts(["2024-08"])
    assert annual["kind"] == "annual" and annual["rate"] < 0.99


# --------------------------------------------------------------------------- the office's edited version


def edited_upload(setup, built, by="王主任"):
    """The clerk's edit of the rendered draft (render/test_edited.clerk_edit) uploaded by ``by``."""
    import json

    from render.test_edited import clerk_edit

    from county_reports.deliver import edited_drafts

    target = edited_drafts.draft(built["year"], paths.at(built["docx"], setup / "data").name, setup / "data")
    raw, _ = clerk_edit(target.docx.read_bytes(), json.loads(target.sidecar.read_text(encoding="utf-8")))
    with Warehouse() as warehouse:
        record = edited_drafts.upload(target, raw, user=by, engine=warehouse.engine)
    return target, record, raw


def test_the_edited_version_is_approved_figure_by_figure_and_its_bytes_leave(setup):
    import hashlib
    import json

    built = summary_reports.render(summary_reports.check_coverage("half_year", FORM, MOMENT, today=date(2025, 7, 10)))
    target, record, raw = edited_upload(setup, built)
    sha = hashlib.sha256(raw).hexdigest()
    shown = answer("r1", built)                                   # approved, no figure ticked
    assert sha in shown["text"] and "王主任" in shown["text"]
    assert shown["confirm"] == record["confirmation_labels"] and any("2.35亿元" in c for c in shown["confirm"])
    with pytest.raises(summary_reports.ReportRefused, match="confirming each figure"):
        deliver(built, run_id="r1")
    answer("r2", built, figures=shown["confirm"][:-1], ti_id="t2")          # all but one
    with pytest.raises(summary_reports.ReportRefused, match="confirming each figure"):
        deliver(built, run_id="r2")
    assert not (setup / "office").exists() and actions() == ["figures_not_confirmed"] * 2
    answer("r3", built, figures=shown["confirm"], ti_id="t3")
    sent = deliver(built, run_id="r3")
    assert sent["status"] == "delivered" and sent["sha256"] == sha
    [folder] = (setup / "office").iterdir()
    assert (folder / target.name).read_bytes() == raw                        # exactly the edited bytes, once
    sidecar = json.loads((folder / target.sidecar.name).read_text(encoding="utf-8"))
    assert sidecar["edited"]["edited_by"] == "王主任" and sidecar["edited"]["sha256"] == sha
    assert sidecar["edited"]["edited_paragraphs"] == record["edited_paragraphs"]
    with Warehouse() as warehouse:
        approved, delivered = approval.history(warehouse.engine, "half_year", 2025)[-2:]
    assert approved["edited"] and approved["edited_by"] == "王主任" and approved["figures_confirmed"] == shown["confirm"]
    assert delivered["docx_sha256"] == sha and delivered["receipt_id"] == sent["receipt_id"]


def test_an_edited_version_changed_after_approval_is_not_sent(setup):
    from county_reports.deliver import edited_drafts

    built = summary_reports.render(summary_reports.check_coverage("half_year", FORM, MOMENT, today=date(2025, 7, 10)))
    target, record, raw = edited_upload(setup, built)
    shown = answer("r1", built, figures=None)
    answer("r1", built, figures=shown["confirm"])
    with Warehouse() as warehouse:          # "restore the layout" after the approval: new bytes
        edited_drafts.restore(target, user="王主任", engine=warehouse.engine)
    with pytest.raises(summary_reports.ReportRefused, match="changed after it was put to the admin"):
        deliver(built, run_id="r1")
    target.edited.write_bytes(raw + b"\0")    # or touched on disk: the stored review no longer holds
    with pytest.raises(summary_reports.ReportRefused, match="重新审批"):
        deliver(built, run_id="r1")
    assert not (setup / "office").exists() and actions() == ["stale", "stale"]



@pytest.fixture
def late_ts03(tmp_path, monkeypatch, catalog):
    """As ``setup``, but TS03 has not reported March 2025 yet: its verdicts, to store later."""
    config_copy.with_folder_channel(tmp_path, monkeypatch)
    seeded_warehouse.seed(tmp_path, monkeypatch, catalog, "2024-01", "2025-06", skip={("TS03", "2025-03")})
    from county_reports.simulator.seeding import accepted_verdicts

    return tmp_path, [v for v in accepted_verdicts(catalog, "2025-03", "2025-03") if v.unit == "TS03"]


def test_a_correction_after_an_edited_delivery_starts_from_the_clerks_text_and_is_what_leaves(late_ts03):
    """TS03 reports March 2025 only after the office's edited version was delivered: the correction
    run's corrected version keeps the clerk's paragraph and restyled heading, replaces the changed
    figures, is what the approval binds and what leaves as the 更正."""
    import io
    import json

    import docx
    from render.test_edited import ADDED

    from county_reports.deliver import corrections, edited_drafts
    from county_reports.render.review.paragraphs import paragraphs

    setup, late = late_ts03
    built = summary_reports.render(summary_reports.check_coverage("half_year", FORM, MOMENT, today=date(2025, 7, 10)))
    target, record, raw = edited_upload(setup, built)
    answer("r1", built, figures=answer("r0", built)["confirm"])
    delivered = deliver(built, run_id="r1")
    assert delivered["status"] == "delivered" and delivered["sha256"] == record["sha256"]

    with Warehouse() as warehouse:
        warehouse.record_verdicts(late, "test")
    correction = FORM | {"correction": True}
    again = summary_reports.render(summary_reports.check_coverage("half_year", correction, MOMENT,
                                                                  today=date(2025, 7, 10)))
    bound = edited_drafts.bound(2025, again["docx"], again["sidecar"])
    assert bound.edited and bound.draft == again["docx"] and bound.sha256 != record["sha256"]
    assert bound.review["correction"]["receipt_id"] == delivered["receipt_id"]
    located = bound.review["correction"]["located"]
    replaced = [c for c in located if c["status"] == corrections.REPLACED]
    assert replaced, located
    corrected = paths.at(bound.docx, setup / "data").read_bytes()
    texts = _texts(corrected)
    assert ADDED in texts and _restyled_heading(raw) in texts              # the clerk's paragraph and heading kept
    corrected_paras = {p.index + 1: p.text for p in paragraphs(docx.Document(io.BytesIO(corrected)))}
    for change in replaced:                                                # each changed figure replaced …
        assert all(change["new"] in corrected_paras[where] for where in change["paragraphs"])
    left = {(f["old"], f["new"]) for f in bound.review["figures"]}          # … so no longer a difference from
    assert not left & {(c["new"], c["old"]) for c in replaced}              # the new draft
    assert any(c["status"] == corrections.CHECK for c in located)         # in the paragraph the clerk rewrote
    assert json.loads(paths.at(bound.sidecar, setup / "data").read_text(encoding="utf-8"))["edited"]["edited_by"] \
        == "报表系统（据王主任的修改稿更正）"

    shown = answer("r2", again, ti_id="t2")
    assert bound.sha256 in shown["text"] and "本更正版以已报送的办公室修改稿（王主任 修改" in shown["text"]
    assert f"{replaced[0]['old']} → {replaced[0]['new']}：以新数字替换" in shown["text"]
    answer("r2", again, ti_id="t2", figures=shown["confirm"])
    sent = deliver(again, correction, run_id="r2")
    assert sent["status"] == "delivered" and sent["sha256"] == bound.sha256 and sent["title"].endswith("（更正）")
    left = [p for p in (setup / "office").rglob("*.docx") if p.read_bytes() == corrected]
    assert [p.name for p in left] == [sent["title"] + ".docx"]             # exactly the corrected bytes, once
    with Warehouse() as warehouse:
        last = approval.history(warehouse.engine, "half_year", 2025)[-1]
    assert last["action"] == "delivered" and last["docx_sha256"] == bound.sha256
    assert last["correction_of"] == delivered["receipt_id"]


def _texts(raw: bytes) -> list[str]:
    """Every paragraph's text, the tables' cells included."""
    import io

    import docx

    document = docx.Document(io.BytesIO(raw))
    cells = [p.text for t in document.tables for r in t.rows for c in r.cells for p in c.paragraphs]
    return [p.text for p in document.paragraphs] + cells


def _restyled_heading(raw: bytes) -> str:
    """The text of the heading the clerk restyled (render/test_edited.clerk_edit: the first 一级标题)."""
    import io

    import docx

    from county_reports.render import layout

    return next(p.text for p in docx.Document(io.BytesIO(raw)).paragraphs if p.style.name == layout.STYLE_HEADING1)
