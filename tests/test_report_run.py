"""The report DAGs' tasks as plain Python: coverage and refusals, the render, when an admin is
asked, and what deliver does with the answer — against a seeded SQLite warehouse and the folder
channel, no scheduler."""
from __future__ import annotations

import logging
from datetime import date, datetime, timezone

import pendulum
import config_copy
import pytest
import seeded_warehouse

from county_reports import admins, approval, paths, report_run
from county_reports.warehouse import Warehouse

TEXTS = admins.load_settings().approval
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
    checked = report_run.check_coverage("half_year", FORM, MOMENT, today=date(2025, 7, 6))
    assert (checked["kind"], checked["year"]) == ("half_year", 2025)
    assert checked["span_open"] is True and checked["rate"] == 1.0 and checked["below"] is False
    later = report_run.check_coverage("half_year", FORM, MOMENT, today=date(2025, 7, 10))
    assert later["span_open"] is False and later["delivered_receipt"] is None
    assert report_run.check_coverage("annual", FORM, MOMENT, today=date(2025, 7, 10))["year"] == 2024


def test_a_correction_of_a_report_never_delivered_is_refused(setup):
    with pytest.raises(report_run.ReportRefused, match="Nothing to correct: half_year 2025"):
        report_run.check_coverage("half_year", FORM | {"correction": True}, MOMENT, today=date(2025, 7, 10))


def test_below_the_threshold_with_refuse_stops_the_run(setup, catalog):
    config = setup / "config" / "reports.yaml"
    checked = report_run.check_coverage("annual", FORM, MOMENT, today=date(2025, 7, 10))
    assert checked["state_gap"] is False and checked["gaps"] == {"TS01": [f"2024-{m:02d}" for m in range(1, 13)]}
    text = config.read_text(encoding="utf-8").replace("completeness_threshold: 0.9", "completeness_threshold: 0.99")
    config.write_text(text, encoding="utf-8")
    assert report_run.check_coverage("annual", FORM, MOMENT, today=date(2025, 7, 10))["state_gap"] is True
    config.write_text(text.replace("below_threshold: state_gap", "below_threshold: refuse"), encoding="utf-8")
    with pytest.raises(report_run.ReportRefused, match="below_threshold: refuse.*TS01"):
        report_run.check_coverage("annual", FORM, MOMENT, today=date(2025, 7, 10))


def test_held_back_dry_run_and_open_span_send_nothing_and_ask_nobody(setup):
    checked = report_run.check_coverage("half_year", FORM, MOMENT, today=date(2025, 7, 6))
    built = {"docx": "x.docx"}
    assert report_run.held_back(checked, FORM) == "span_open"
    assert report_run.held_back(checked, FORM | {"force_delivery": True}) is None
    assert report_run.held_back(checked, FORM | {"dry_run": True, "force_delivery": True}) == "dry_run"
    assert report_run.approval_request(built, checked, FORM, scheduled=None, now=MOMENT, texts=TEXTS,
                                       ui_url="http://ui") is None
    assert report_run.deliver(built, checked, FORM, asked=None, answer=None, texts=TEXTS, run_id="r",
                              token_lookup=None, smtp_sender=None) == {"status": "span_open"}


def test_render_then_approval_then_delivery_once(setup, caplog):
    caplog.set_level(logging.INFO, logger="county_reports")     # the task log
    checked = report_run.check_coverage("half_year", FORM, MOMENT, today=date(2025, 7, 10))
    built = report_run.render(checked)
    assert built["docx"].startswith("reports/2025/") and paths.at(built["docx"], setup / "data").is_file()
    asked = report_run.approval_request(built, checked, FORM, scheduled=None, now=MOMENT, texts=TEXTS,
                                        ui_url="http://ui")
    assert asked["why"] == ["required"] and built["title"] in asked["subject"]
    # no answer: nothing is ever sent
    none = report_run.deliver(built, checked, FORM, asked=asked, answer=None, texts=TEXTS, run_id="r1",
                              token_lookup=None, smtp_sender=None)
    assert none["status"] == approval.REJECTED and not (setup / "office").exists()
    answer = {"chosen_options": [TEXTS["approve"]], "params_input": {approval.NOTE_PARAM: "请审阅"},
              "responded_by_user": {"name": "admin"}, "responded_at": datetime.now(timezone.utc).isoformat()}
    sent = report_run.deliver(built, checked, FORM, asked=asked, answer=answer, texts=TEXTS, run_id="r2",
                              token_lookup=None, smtp_sender=None)
    assert sent["status"] == "delivered" and sent["channel"] == "folder"
    assert len(list((setup / "office").iterdir())) == 1
    with Warehouse() as warehouse:
        actions = [h["action"] for h in approval.history(warehouse.engine, "half_year", 2025)]
    assert actions == ["rejected", "approved", "delivered"]
    # delivered: the next run asks nobody and answers with the first receipt
    again = report_run.check_coverage("half_year", FORM, MOMENT, today=date(2025, 7, 10))
    assert again["delivered_receipt"] == sent["receipt_id"]
    assert report_run.approval_request(built, again, FORM, scheduled=None, now=MOMENT, texts=TEXTS,
                                       ui_url="http://ui") is None
    second = report_run.deliver(built, again, FORM, asked=None, answer=None, texts=TEXTS, run_id="r3",
                                token_lookup=None, smtp_sender=None)
    assert second["status"] == "already_delivered" and second["receipt_id"] == sent["receipt_id"]
    assert "Delivery: already_delivered via folder" in caplog.text


def test_approved_without_confirming_the_gap_is_refused(setup):
    checked = report_run.check_coverage("half_year", FORM, MOMENT, today=date(2025, 7, 10)) | {"below": True}
    built = report_run.render(checked)
    asked = {"why": ["below_threshold"], "below": True}
    answer = {"chosen_options": [TEXTS["approve"]], "params_input": {approval.GAP_PARAM: False}}
    with pytest.raises(report_run.ReportRefused, match="确认缺报情况"):
        report_run.deliver(built, checked, FORM, asked=asked, answer=answer, texts=TEXTS, run_id="r",
                           token_lookup=None, smtp_sender=None)
    assert not (setup / "office").exists()


def test_which_summary_is_open_for_a_month():
    nothing = lambda kind, year: False                                    # noqa: E731
    assert report_run.open_summaries(["2025-03", "2025-06"], nothing) == [("half_year", 2025)]
    assert report_run.open_summaries(["2025-07"], nothing) == [("annual", 2025)]
    half_done = lambda kind, year: (kind, year) == ("half_year", 2025)  # noqa: E731
    assert report_run.open_summaries(["2025-03", "2025-09"], half_done) == [("annual", 2025)]
    assert report_run.open_summaries(["2024-11", "2025-02"], nothing) == [("annual", 2024), ("half_year", 2025)]
    assert report_run.open_summaries(["2024-11"], lambda kind, year: True) == []


def test_drafts_go_to_the_drafts_folder_and_are_never_delivered(setup):
    made = report_run.drafts(["2025-05"])
    assert [(d["kind"], d["year"]) for d in made] == [("half_year", 2025)]
    assert made[0]["docx"].startswith("drafts/2025/") and paths.at(made[0]["docx"], setup / "data").is_file()
    assert not paths.reports(2025, setup / "data").exists() and not (setup / "office").exists()
    with Warehouse() as warehouse:
        assert approval.history(warehouse.engine) == []
    # the annual 2024 is below 100% (TS01): a draft states the gap instead of refusing
    config = setup / "config" / "reports.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("below_threshold: state_gap", "below_threshold: refuse")
                      .replace("completeness_threshold: 0.9", "completeness_threshold: 0.99"), encoding="utf-8")
    [annual] = report_run.drafts(["2024-08"])
    assert annual["kind"] == "annual" and annual["rate"] < 0.99
