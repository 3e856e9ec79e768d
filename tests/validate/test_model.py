"""validate/model.py: verdicts and their issues, and the JSON file that carries them between tasks."""
from __future__ import annotations

import json

from county_reports.validate import model as m


def _verdict():
    issues = (m.Issue("TS03", "2025-06", "ROAD_INVEST", "1,2", "NUMERIC", m.ERROR, "不是数字"),
              m.Issue("TS03", "2025-06", "HAZARD_FOUND", "900", "OUTLIER", m.WARNING, "偏离", effect=0.25),
              m.Issue("TS03", "2025-06", None, None, "RULE_X", m.ERROR, "整体"))
    return m.Verdict("TS03", "2025-06", "ab" * 32, "http", "2025-07-03T01:00:00+00:00", None, m.REJECTED,
                     values={"HAZARD_FOUND": 900.0}, raw_values={"ROAD_INVEST": "1,2", "HAZARD_FOUND": "900"},
                     narratives=({"kind": "plan", "section": "safety", "text": "计划"},),
                     contact={"name": "张三"}, issues=issues)


def test_errors_and_warnings_split_by_importance():
    verdict = _verdict()
    assert [i.rule for i in verdict.errors] == ["NUMERIC", "RULE_X"]
    assert [i.rule for i in verdict.warnings] == ["OUTLIER"]
    assert m.Verdict("a", "2025-06", "x", "http", "t", None, m.ACCEPTED).errors == ()


def test_dict_round_trip_keeps_every_field():
    verdict = _verdict()
    data = json.loads(json.dumps(m.verdict_to_dict(verdict)))      # as an XComs file holds it
    assert m.verdict_from_dict(data) == verdict
    assert isinstance(m.verdict_from_dict(data).narratives, tuple)


def test_file_round_trip(tmp_path):
    path = tmp_path / "verdicts" / "2025-06.json"
    path.parent.mkdir()
    m.write_verdicts(path, [_verdict(), _verdict()])
    assert "不是数字" in path.read_text(encoding="utf-8")           # Chinese written as is
    assert m.read_verdicts(path) == [_verdict(), _verdict()]
    assert not [p for p in path.parent.iterdir() if p != path]     # no temporary file left
