"""import-history on real workbooks (written by the simulator in the three old layouts, read back
by openpyxl) into a real SQLite warehouse: the mapping file first and nothing stored, then the
figures once it is confirmed, every wrong cell named and nothing half-imported, no change on a
re-import."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from county_reports.runs import import_history
from county_reports.collect.history.settings import COUNTY_TOTAL, SOURCE
from county_reports.simulator import old_workbooks as old
from county_reports.simulator.profile import load_profile
from county_reports.validate.model import ACCEPTED, ACCEPTED_WITH_WARNINGS, Verdict
from county_reports.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def figures(catalog):
    profile = load_profile()
    return old.figures(catalog, seed=profile.seed, sizes=profile.sizes)


@pytest.fixture
def warehouse(tmp_path):
    with Warehouse(f"sqlite:///{tmp_path / 'wh.db'}") as wh:
        wh.migrate()
        yield wh


def imported(files, catalog, warehouse, data, **kw) -> import_history.Outcome:
    return import_history.import_files(files, catalog, warehouse, data=data, run_id="test", **kw)


def confirmed_import(files, catalog, warehouse, data, **kw) -> import_history.Outcome:
    before = warehouse.table_snapshot()
    first = imported(files, catalog, warehouse, data, **kw)
    assert first.state == import_history.MAPPING and warehouse.table_snapshot() == before, first.lines
    import_history.confirm(first.mapping_path, catalog)
    return imported(files, catalog, warehouse, data, **kw)


def stored_values(warehouse, periods=None) -> dict[tuple[str, str, str], float]:
    periods = periods or [f"2023-{m:02d}" for m in range(1, 13)]
    frame = warehouse.current_values(periods)
    return {(r.unit, r.period, r.indicator): r.value for r in frame.itertuples(index=False)}


def test_by_month_mapping_first_then_stored_then_unchanged(tmp_path, catalog, warehouse, figures):
    book = old.write_by_month(tmp_path / "in" / "2023.xlsx", catalog, figures)
    first = imported([book], catalog, warehouse, tmp_path)
    # nothing stored before the admin confirms; the mapping shows the clerk's labels and proposals
    assert first.state == import_history.MAPPING and warehouse.submissions().empty
    assert "confirmed" in first.lines[-1] and "2个近似匹配" in first.lines[-1]
    mapping = yaml.safe_load(Path(first.mapping_path).read_text(encoding="utf-8"))
    units = {u["label"]: u for u in mapping["units"]}
    indicators = {i["label"]: i for i in mapping["indicators"]}
    assert mapping["confirmed"] is False
    assert units["城关镇交通管理站"] | {} == {"label": "城关镇交通管理站", "code": "TS01", "match": "fuzzy",
                                             "score": 88.9, "status": "active", "name": "城关镇交通运输管理站"}
    assert units[old.RETIRED_NAME]["status"] == "retired" and units[old.RETIRED_NAME]["code"] == "OLD01"
    assert units[old.RETIRED_NAME]["kind"] == "township_station"
    assert indicators["新改建农村公路里程（公里）"]["code"] == "RURAL_ROAD_KM"
    assert indicators["新改建农村公路里程（公里）"]["match"] == "fuzzy"
    assert indicators["客运站数量（个）"]["code"] is None           # gone from the catalogue
    assert "合计" not in units                                       # the old table's own total row
    # an unconfirmed mapping stays a mapping, however often it is run
    assert imported([book], catalog, warehouse, tmp_path).state == import_history.MAPPING
    assert warehouse.submissions().empty

    import_history.confirm(first.mapping_path, catalog)
    second = imported([book], catalog, warehouse, tmp_path)
    assert second.state == import_history.STORED, second.lines
    subs = warehouse.submissions()
    # accepted: every cell passes the rules; a warning (the retired township's count against its
    # peers) is shown, never a refusal
    assert set(subs["source"]) == {SOURCE} and set(subs["status"]) <= {ACCEPTED, ACCEPTED_WITH_WARNINGS}
    assert (subs["status"] == ACCEPTED).mean() > 0.9, second.lines
    sha = subs["sha256"].iloc[0]           # the workbook's bytes, archived before they were parsed
    assert set(subs["sha256"]) == {sha} and (tmp_path / "raw" / sha[:2] / sha).read_bytes() == book.read_bytes()
    values = stored_values(warehouse)
    assert values[("TS01", "2023-03", "INV_HIGHWAY")] == figures[("城关镇交通管理站", 3, "INV_HIGHWAY")]
    assert values[("OLD01", "2023-12", "HAZARD_FOUND")] == figures[(old.RETIRED_NAME, 12, "HAZARD_FOUND")]
    assert values[("TS09", "2023-11", "RURAL_ROAD_KM")] == figures[("马坪乡交通运输管理站", 11, "RURAL_ROAD_KM")]
    assert len(values) == len(figures) and not any(u == "TS11" for u, _, _ in values)
    snapshot = warehouse.table_snapshot()
    retired = [u for u in snapshot["units"] if u["code"] == "OLD01"]
    assert retired == [{"code": "OLD01", "name": old.RETIRED_NAME, "kind": "township_station",
                        "kind_name": "乡镇交通运输管理站", "deadline_day": 5, "active_from": "2023-01",
                        "active_to": "2023-12"}]
    audit = [a for a in snapshot["audit"] if a["entity"] == "history_import"]
    assert len(audit) == 1 and '"new_versions": 204' in audit[0]["note"]
    assert all("from history_import" in a["note"] for a in snapshot["audit"] if a["entity"] == "submission")

    third = imported([book], catalog, warehouse, tmp_path)
    assert third.state == import_history.UNCHANGED and warehouse.table_snapshot() == snapshot


def test_the_admins_edit_decides_where_figures_go(tmp_path, catalog, warehouse, figures):
    book = old.write_by_month(tmp_path / "2023.xlsx", catalog, figures)
    path = Path(imported([book], catalog, warehouse, tmp_path).mapping_path)
    text = path.read_text(encoding="utf-8").replace("code: OLD01", "code: DONGLING")
    path.write_text(text.replace("confirmed: false", "confirmed: true"), encoding="utf-8")
    assert imported([book], catalog, warehouse, tmp_path).state == import_history.STORED
    units = {u for u, _, _ in stored_values(warehouse)}
    assert "DONGLING" in units and "OLD01" not in units
    # a wrong edit is a configuration error naming the file and the entry
    path.write_text(text.replace("code: TS02", "code: TS99").replace("confirmed: false", "confirmed: true"),
                    encoding="utf-8")
    from county_reports.core.config import ConfigError

    with pytest.raises(ConfigError) as info:
        imported([book], catalog, warehouse, tmp_path)
    assert str(path) in str(info.value) and ".code" in info.value.key and "TS99" in info.value.problem


def test_by_indicator_layout_gives_the_same_figures(tmp_path, catalog, warehouse, figures):
    by_indicator = old.write_by_indicator(tmp_path / "by_indicator.xlsx", catalog, figures)
    assert confirmed_import([by_indicator], catalog, warehouse, tmp_path).state == import_history.STORED
    values = stored_values(warehouse)
    assert values[("TS01", "2023-07", "HAZARD_FOUND")] == figures[("城关镇交通管理站", 7, "HAZARD_FOUND")]
    assert len(values) == len(figures)
    # the same figures in the sheet-per-month layout: the same content, no new version
    by_month = old.write_by_month(tmp_path / "by_month.xlsx", catalog, figures)
    again = confirmed_import([by_month], catalog, warehouse, tmp_path)
    assert again.state == import_history.UNCHANGED, again.lines


@pytest.mark.parametrize("by_month", [True, False], ids=["months", "year_total"])
def test_county_totals_are_kept_as_county_totals(tmp_path, catalog, warehouse, figures, by_month):
    from county_reports.aggregate import Span, county_figures

    book = old.write_county_totals(tmp_path / "totals.xlsx", catalog, figures, by_month=by_month)
    assert confirmed_import([book], catalog, warehouse, tmp_path).state == import_history.STORED
    subs = warehouse.submissions()
    assert set(subs["unit"]) == {COUNTY_TOTAL}
    assert set(subs["period"]) == ({f"2023-{m:02d}" for m in range(1, 13)} if by_month else {"2023-12"})
    # the county's 2023 from the totals equals the county's 2023 from the units' own figures
    unit_level = Warehouse(f"sqlite:///{tmp_path / 'units.db'}")
    unit_level.migrate()
    confirmed_import([old.write_by_month(tmp_path / "m.xlsx", catalog, figures)], catalog, unit_level,
                     tmp_path / "u")
    span = Span.full_year(2023)
    months = list(span.periods)
    mine = county_figures(catalog, warehouse.current_values(months), span).set_index("code")["value"]
    theirs = county_figures(catalog, unit_level.current_values(months), span).set_index("code")["value"]
    unit_level.close()
    for code in ("INV_TOTAL", "HAZARD_FOUND", "BUS_VEHICLES", "PEAK_DAILY_PASSENGERS", "HAZARD_FIX_RATE"):
        assert mine[code] == pytest.approx(theirs[code], rel=1e-6), code
    # unit figures of the same year beside county totals would count twice: refused, none stored
    before = warehouse.table_snapshot()
    mixed = confirmed_import([old.write_by_month(tmp_path / "m2.xlsx", catalog, figures)], catalog, warehouse,
                             tmp_path)
    assert mixed.state == import_history.REFUSED and "全县汇总数又有单位数" in "\n".join(mixed.lines)
    assert warehouse.table_snapshot() == before


def _spoil(book: Path, sheet: str, address: str, value) -> None:
    wb = load_workbook(book)
    wb[sheet][address] = value
    wb.save(book)


def test_a_bad_cell_is_named_and_nothing_is_half_imported(tmp_path, catalog, warehouse, figures):
    book = old.write_by_month(tmp_path / "2023.xlsx", catalog, figures)
    confirmed = Path(imported([book], catalog, warehouse, tmp_path).mapping_path)
    import_history.confirm(confirmed, catalog)
    wb = load_workbook(book, read_only=True)
    header = [c.value for c in next(wb["2023年5月"].iter_rows(min_row=2, max_row=2))]
    wb.close()
    column = get_column_letter(header.index("排查安全隐患（处）") + 1)
    _spoil(book, "2023年5月", f"{column}5", -3)            # row 5: the third unit, 石桥镇
    _spoil(book, "2023年8月", "C4", "十二")                 # not a number
    outcome = imported([book], catalog, warehouse, tmp_path)
    assert outcome.state == import_history.REFUSED
    text = "\n".join(outcome.lines)
    assert f"工作表“2023年5月”{column}5单元格（石桥镇交通运输管理站，排查安全隐患，2023-05）" in text
    assert "工作表“2023年8月”C4单元格（河口镇交通运输管理站，公路建设完成投资，2023-08）" in text
    assert "发现2处错误" in outcome.lines[-1]
    assert warehouse.submissions().empty                    # not the 202 good unit-months either


def test_a_figure_given_twice_and_a_collected_month(tmp_path, catalog, warehouse, figures):
    book = old.write_by_month(tmp_path / "a.xlsx", catalog, figures)
    copy = old.write_by_month(tmp_path / "b.xlsx", catalog, {k: v for k, v in figures.items() if k[1] == 2})
    twice = confirmed_import([book, copy], catalog, warehouse, tmp_path)
    assert twice.state == import_history.REFUSED and "已在2023年2月!" in "\n".join(twice.lines)
    assert warehouse.submissions().empty
    warehouse.record_verdicts([Verdict("TS02", "2023-06", "x" * 64, "http", "2023-07-03T09:00:00+08:00", None,
                                       ACCEPTED, {"HAZARD_FOUND": 1.0}, {"HAZARD_FOUND": "1"})], "test")
    collected = imported([book], catalog, warehouse, tmp_path)
    assert collected.state == import_history.REFUSED and "TS022023-06已有采集来的报送数据" in "\n".join(collected.lines)
    assert set(warehouse.submissions()["source"]) == {"http"}


@pytest.mark.parametrize("content", [b"", b"not a workbook", b"PK\x03\x04 broken zip" + b"\0" * 100],
                         ids=["empty", "text", "broken_zip"])
def test_a_file_that_is_no_workbook_is_refused_with_a_message(tmp_path, catalog, warehouse, content):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(content)
    outcome = imported([bad], catalog, warehouse, tmp_path)
    assert outcome.state == import_history.REFUSED and "bad.xlsx" in outcome.lines[-1]
    assert warehouse.submissions().empty


def test_the_command_line_maps_then_imports(tmp_path, catalog, figures):
    book = old.write_by_month(tmp_path / "2023.xlsx", catalog, figures)
    env = {**os.environ, "COUNTY_REPORTS_DATA": str(tmp_path / "data"),
           "COUNTY_REPORTS_DB_URL": f"sqlite:///{tmp_path / 'cli.db'}",
           "PYTHONPATH": str(ROOT / "include")}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "county_reports", "import-history", *args],
                              capture_output=True, text=True, env=env, timeout=120)

    first = cli(str(book))
    mapping = tmp_path / "data" / "history" / "mapping.yaml"
    assert first.returncode == 3 and str(mapping) in first.stdout and mapping.is_file(), first.stderr
    import_history.confirm(mapping, catalog)
    second = cli(str(book))
    assert second.returncode == 0 and "已存入：204个单位月份" in second.stdout, second.stdout + second.stderr
    third = cli(str(book))
    assert third.returncode == 0 and "未作任何改动" in third.stdout
    missing = cli(str(tmp_path / "nope.xlsx"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_limits_of_history_yaml_bound_a_workbook(tmp_path, catalog, warehouse, figures):
    from config_copy import edit_yaml, one_file

    (tmp_path / "config").mkdir()
    config = one_file(tmp_path / "config", "history.yaml")
    edit_yaml(config / "history.yaml", lambda d: d.update(max_rows=5))
    book = old.write_by_month(tmp_path / "2023.xlsx", catalog, figures)
    outcome = imported([book], catalog, warehouse, tmp_path, config_dir=config)
    assert outcome.state == import_history.REFUSED and "行数超过上限5行" in outcome.lines[-1]
    edit_yaml(config / "history.yaml", lambda d: d.update(max_rows=2000, max_bytes=1000))
    outcome = imported([book], catalog, warehouse, tmp_path, config_dir=config)
    assert outcome.state == import_history.REFUSED and "上限1000字节" in outcome.lines[-1]
    assert warehouse.submissions().empty


@pytest.mark.parametrize("edit,key", [
    (lambda d: d.update(fuzzy_threshold=120), "history.fuzzy_threshold"),
    (lambda d: d.update(months=["(?P<year>\\d{4})"]), "history.months[0]"),
    (lambda d: d.update(year="(unclosed"), "history.year"),
    (lambda d: d.pop("max_sheets"), "history.max_sheets"),
])
def test_a_broken_history_yaml_names_file_and_key(tmp_path, edit, key):
    from config_copy import edit_yaml, one_file

    from county_reports.core.config import ConfigError
    from county_reports.collect.history.settings import load_settings

    config = one_file(tmp_path, "history.yaml")
    edit_yaml(config / "history.yaml", edit)
    with pytest.raises(ConfigError) as info:
        load_settings(config)
    assert info.value.file == "history.yaml" and info.value.key == key, str(info.value)


def test_the_dag_task_takes_files_from_the_history_folder(tmp_path, catalog, figures, monkeypatch):
    monkeypatch.setenv("COUNTY_REPORTS_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("COUNTY_REPORTS_DB_URL", f"sqlite:///{tmp_path / 'dag.db'}")
    book = old.write_by_month(tmp_path / "data" / "history" / "2023.xlsx", catalog, figures)
    for names in (["../2023.xlsx"], [str(book)], ["2024.xlsx"], []):
        with pytest.raises(ValueError, match="not in"):        # a name is looked up, never made a path
            import_history.pick_files(names)
    first = import_history.from_dag({"files": ["2023.xlsx"], "year": None}, "manual__1")
    assert first["state"] == import_history.MAPPING and first["new"] == 0
    import_history.confirm(first["mapping"], catalog)
    assert import_history.from_dag({"files": ["2023.xlsx"]}, "manual__2")["new"] == 204
    _spoil(book, "2023年1月", "C3", 10 ** 9)
    with pytest.raises(import_history.ImportRefused, match="C3单元格"):
        import_history.from_dag({"files": ["2023.xlsx"]}, "manual__3")


def test_date_headers_and_a_year_from_the_command(tmp_path, catalog, warehouse, figures):
    from datetime import datetime

    book = old.write_by_indicator(tmp_path / "dates.xlsx", catalog, {k: v for k, v in figures.items()
                                                                      if k[2] == "HAZARD_FOUND"})
    wb = load_workbook(book)
    ws = wb.worksheets[0]
    ws["A1"] = None                                         # no title: no year anywhere …
    for month in range(1, 13):                              # … and months as the clerk's date cells
        ws.cell(row=2, column=month + 1, value=datetime(2023, month, 1))
    wb.save(book)
    assert confirmed_import([book], catalog, warehouse, tmp_path).state == import_history.STORED
    assert stored_values(warehouse)[("TS03", "2023-04", "HAZARD_FOUND")] == \
        figures[("石桥镇交通运输管理站", 4, "HAZARD_FOUND")]
    # month headers without a year, and no year in the sheet: the admin says which with --year
    wb = load_workbook(book)
    for month in range(1, 13):
        wb.worksheets[0].cell(row=2, column=month + 1, value=f"{month}月")
    wb.save(book)
    assert "看不出年份" in imported([book], catalog, warehouse, tmp_path).lines[-1]
    assert imported([book], catalog, warehouse, tmp_path, year=2023).state == import_history.UNCHANGED
