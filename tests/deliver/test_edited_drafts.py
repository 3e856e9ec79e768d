"""edited_drafts without a server: the CSRF token's binding, the draft's name, the warehouse lookup."""
from __future__ import annotations

from county_reports.deliver import edited_drafts
from county_reports.simulator.seeding import accepted_verdicts
from county_reports.warehouse import Warehouse


def test_the_csrf_token_is_bound_to_secret_user_and_session():
    token = edited_drafts.csrf_token("s3cret", "1", "session-a")
    assert edited_drafts.csrf_ok("s3cret", "1", "session-a", token)
    for secret, user, session, sent in (("other", "1", "session-a", token), ("s3cret", "2", "session-a", token),
                                        ("s3cret", "1", "session-b", token), ("s3cret", "1", "session-a", None),
                                        ("s3cret", "1", "session-a", ""), ("", "1", "session-a",
                                                                           edited_drafts.csrf_token("", "1", "session-a"))):
        assert not edited_drafts.csrf_ok(secret, user, session, sent)


def test_only_a_plain_docx_name_of_an_existing_draft(tmp_path):
    folder = tmp_path / "reports" / "2025"
    folder.mkdir(parents=True)
    (folder / "a.docx").write_bytes(b"x")
    assert edited_drafts.draft(2025, "a.docx", tmp_path) is None             # no sidecar
    (folder / "a.figures.json").write_text("{}")
    assert edited_drafts.draft(2025, "a.docx", tmp_path).edited == folder / "edited" / "a.docx"
    for name in ("../a.docx", "..\\a.docx", ".a.docx", "a.figures.json", "sub/a.docx"):
        assert edited_drafts.draft(2025, name, tmp_path) is None


def test_traceable_means_the_same_value_for_the_same_span_and_unit_or_county(tmp_path, catalog):
    with Warehouse(f"sqlite:///{tmp_path / 'wh.db'}") as warehouse:
        warehouse.migrate()
        warehouse.sync_roster(catalog, "test")
        warehouse.record_verdicts(accepted_verdicts(catalog, "2025-01", "2025-06"), "test")
        frame = warehouse.current_values(["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"])
        row = frame.loc[frame["value"].idxmax()]       # a large value: no other figure is equal by chance
        unit_total = frame[(frame.unit == row.unit) & (frame.indicator == row.indicator)]["value"].sum()
        county_total = frame[frame.indicator == row.indicator]["value"].sum()
        traceable = edited_drafts.warehouse_traceable(warehouse, catalog, {"span": ["2025-01", "2025-06"]})
        assert traceable(unit_total, row.unit, ("2025-01", "2025-06"))
        assert traceable(county_total, "county", ("2025-01", "2025-06"))
        assert not traceable(unit_total + 1234.5, row.unit, ("2025-01", "2025-06"))
        assert county_total != unit_total and not traceable(county_total, row.unit, ("2025-01", "2025-06"))
        assert not traceable(unit_total, row.unit, ("2024-01", "2024-06"))  # another span: nothing there


def test_the_approval_binds_the_edited_version_of_exactly_these_draft_bytes(tmp_path):
    import hashlib
    import json

    folder = tmp_path / "reports" / "2025"
    (folder / "edited").mkdir(parents=True)
    (folder / "a.docx").write_bytes(b"draft")
    (folder / "a.figures.json").write_text("{}")
    sha = hashlib.sha256
    generated = edited_drafts.bound(2025, "reports/2025/a.docx", "reports/2025/a.figures.json", tmp_path)
    assert not generated.edited and generated.sha256 == sha(b"draft").hexdigest()
    assert generated.files({"docx": "x", "xlsx": "y"}) == {"docx": "reports/2025/a.docx", "xlsx": "y",
                                                          "sidecar": "reports/2025/a.figures.json"}
    target = edited_drafts.draft(2025, "a.docx", tmp_path)
    target.edited.write_bytes(b"edited")
    target.edited_sidecar.write_text(json.dumps({"edited": {"edited_by": "王主任"}}))
    review = {"sha256": sha(b"edited").hexdigest(), "draft_sha256": sha(b"draft").hexdigest()}
    target.review.write_text(json.dumps(review))
    bound = edited_drafts.bound(2025, "reports/2025/a.docx", "reports/2025/a.figures.json", tmp_path)
    assert bound.edited and bound.sha256 == review["sha256"] and bound.draft == "reports/2025/a.docx"
    assert (bound.docx, bound.sidecar) == ("reports/2025/edited/a.docx", "reports/2025/edited/a.figures.json")
    # the draft rendered again with other figures: the edit was of another draft, not bound
    (folder / "a.docx").write_bytes(b"draft, rendered again")
    assert not edited_drafts.bound(2025, "reports/2025/a.docx", "reports/2025/a.figures.json", tmp_path).edited
    (folder / "a.docx").write_bytes(b"draft")
    target.edited.write_bytes(b"edited, then touched")       # the stored review no longer describes it
    assert not edited_drafts.bound(2025, "reports/2025/a.docx", "reports/2025/a.figures.json", tmp_path).edited
