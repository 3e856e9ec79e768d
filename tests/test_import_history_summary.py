"""The 2024 annual summary compares with an imported 2023: 同比 in the text and the attachment's
上年同期 column, read back from the .docx; without the import, neither (today's behaviour)."""
from __future__ import annotations

import re

import pytest
from docx import Document

from county_reports.render import summaries
from county_reports.runs import import_history
from county_reports.simulator import old_workbooks as old
from county_reports.simulator.profile import load_profile
from county_reports.simulator.seeding import accepted_verdicts
from county_reports.warehouse import Warehouse


def _annual_2024(tmp_path, catalog, *, history: bool):
    with Warehouse(f"sqlite:///{tmp_path / 'wh.db'}") as warehouse:
        warehouse.migrate()
        warehouse.sync_roster(catalog, "test")
        warehouse.record_verdicts(accepted_verdicts(catalog, "2024-01", "2024-12"), "test")
        if history:
            profile = load_profile()
            book = old.write_by_month(tmp_path / "history" / "2023.xlsx", catalog,
                                      old.figures(catalog, seed=profile.seed, sizes=profile.sizes))
            first = import_history.import_files([book], catalog, warehouse, data=tmp_path, run_id="test")
            import_history.confirm(first.mapping_path, catalog)
            assert import_history.import_files([book], catalog, warehouse, data=tmp_path, run_id="test").state == import_history.STORED
        plan = summaries.plan("annual", 2024, summaries.load_settings())
        built = summaries.write_summary(warehouse, catalog, plan, tmp_path / "out")
    document = Document(built["docx"])
    text = "\n".join(p.text for p in document.paragraphs)
    table = [[c.text for c in row.cells] for row in document.tables[0].rows]
    return text, table


@pytest.mark.parametrize("history", [False, True], ids=["without_2023", "with_imported_2023"])
def test_annual_2024_compares_with_the_imported_year(tmp_path, catalog, history):
    text, table = _annual_2024(tmp_path, catalog, history=history)
    header = table[0]
    yoy = re.findall(r"同比(?:增长|下降)\d+(?:\.\d)?%", text)
    if not history:
        assert header == ["序号", "指标", "单位", "全年", "年度\n目标", "完成率", "备注"]
        assert "同比" not in text and "上年同期" not in "".join(header)
        return
    assert header == ["序号", "指标", "单位", "全年", "上年\n同期", "比上年同期\n增减", "年度\n目标",
                      "完成率", "备注"]
    assert len(yoy) >= 3, text[:2000]
    # every indicator row prints last year's figure, and a change computed from the two
    rows = [r for r in table[1:] if r[2]]
    base, change = header.index("上年\n同期"), header.index("比上年同期\n增减")
    assert rows and all(r[base] not in ("", "—") for r in rows), rows
    assert sum(r[change] not in ("", "—") for r in rows) >= len(rows) - 2
    # growth of about 7 % a year in the simulator: the investment total is up, not doubled
    invest = next(r for r in rows if r[1].startswith("交通建设完成投资"))
    now, before = (float(invest[i].replace(",", "")) for i in (3, base))
    assert 1.0 < now / before < 1.25, invest
