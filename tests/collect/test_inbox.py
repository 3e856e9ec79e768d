"""Reading filled templates from the inbox into protocol-v1 payloads, and refusing bad files."""
from __future__ import annotations

import io
import json
import os
import zipfile
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook

from county_reports.collect import protocol
from county_reports.core.catalog import load_catalog
from county_reports.collect.inbox import InboxError, inbox_path, read_template, scan_inbox
from county_reports.collect.template import write_template

PERIOD = "2025-06"
SUBMITTED = datetime(2025, 7, 3, 9, 12, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def template_bytes(catalog, tmp_path_factory) -> bytes:
    return write_template(catalog, "TS01", PERIOD, tmp_path_factory.mktemp("t") / "TS01.xlsx").read_bytes()


@pytest.fixture
def blank(tmp_path, template_bytes) -> Path:
    """An unfilled TS01 template dropped where the inbox expects it."""
    path = inbox_path(tmp_path, PERIOD, "TS01")
    path.parent.mkdir(parents=True)
    path.write_bytes(template_bytes)
    return path


def fill(path: Path, values=None, narratives=(), contact=(None, None), edit=None) -> Path:
    """Fill a template as a clerk would (openpyxl here, Excel in real life) and date the file."""
    wb = load_workbook(path)
    ws = wb["指标"]
    rows = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    for code, value in (values or {}).items():
        ws.cell(rows[code], 5, value)
    for i, item in enumerate(narratives, start=2):
        for col, value in enumerate(item, start=1):
            wb["工作动态"].cell(i, col, value)
    wb["填报说明"]["B8"], wb["填报说明"]["B9"] = contact
    if edit:
        edit(wb)
    wb.save(path)
    os.utime(path, (SUBMITTED.timestamp(), SUBMITTED.timestamp()))
    return path


def reason_of(path: Path, catalog, **kwargs) -> str:
    with pytest.raises(InboxError) as caught:
        read_template(path, catalog, **kwargs)
    assert isinstance(caught.value, ValueError)
    assert caught.value.unit == "TS01"
    assert caught.value.reason in str(caught.value)
    return caught.value.reason


def test_inbox_path_is_data_inbox_unit_period_unit(tmp_path):
    assert inbox_path(tmp_path, "2025-06", "TS01") == tmp_path / "inbox" / "TS01" / "2025-06" / "TS01.xlsx"
    with pytest.raises(ValueError):
        inbox_path(tmp_path, "2025-6", "TS01")
    with pytest.raises(ValueError):
        inbox_path(tmp_path, "2025-06", "../TS01")


def test_filled_template_reads_back_as_the_exact_payload(blank, catalog):
    codes = [i.code for i in catalog.required_indicators("township_station")]
    values = {code: n for n, code in enumerate(codes)}
    values.update(INV_HIGHWAY=1234.5, INV_TOTAL=1234.5, RURAL_ROAD_KM=3.25)
    fill(blank, values, narratives=[
        ("工作亮点", "农村公路建设", "完成城关至河口段农村公路提档升级3.2公里。"),
        ("存在问题", "资金保障", "  养护资金缺口较大。\n"),
        ("下步计划", "安全生产", "开展汛期安全隐患排查。"),
    ], contact=("张三", "0000-0000000"))

    payload = read_template(blank, catalog, expect_unit="TS01", expect_period=PERIOD)

    assert payload == {
        "protocol": 1, "unit": "TS01", "period": "2025-06",
        "submitted_at": "2025-07-03T09:12:00+08:00",
        "values": values,
        "narratives": [
            {"kind": "highlight", "section": "rural_roads", "text": "完成城关至河口段农村公路提档升级3.2公里。"},
            {"kind": "problem", "section": "funding", "text": "养护资金缺口较大。"},
            {"kind": "plan", "section": "safety", "text": "开展汛期安全隐患排查。"},
        ],
        "contact": {"name": "张三", "phone": "0000-0000000"},
    }
    assert list(payload["values"]) == codes                     # sheet order kept
    assert type(payload["values"]["BRIDGE_REBUILT"]) is int
    assert type(payload["values"]["INV_HIGHWAY"]) is float
    assert protocol.check_envelope(json.loads(json.dumps(payload, ensure_ascii=False))) == payload


def test_empty_cells_are_omitted(blank, catalog):
    fill(blank, {"HAZARD_FOUND": 12, "HAZARD_FIXED": 0, "ACCIDENTS": "   "})
    payload = read_template(blank, catalog)
    assert payload["values"] == {"HAZARD_FOUND": 12, "HAZARD_FIXED": 0}
    assert payload["narratives"] == []
    assert payload["contact"] == {"name": "", "phone": ""}


def test_text_cells_are_passed_on_untouched(blank, catalog):
    odd = {"INV_HIGHWAY": "1,234.5", "INV_TOTAL": " 12 ", "HAZARD_FOUND": "约30",
           "HAZARD_FIXED": "—", "ACCIDENTS": "0"}
    fill(blank, odd)
    assert read_template(blank, catalog)["values"] == odd


def test_dates_and_uncalculated_formulas_become_text(blank, catalog):
    # Excel turns an entry like 6-12 into a date; a tool that does not calculate saves a
    # formula with no result. Both reach validation as text it can reject with a message.
    fill(blank, {"HAZARD_FOUND": date(2025, 6, 12), "HAZARD_FIXED": "=E16-1"})
    values = read_template(blank, catalog)["values"]
    assert values == {"HAZARD_FOUND": "2025-06-12T00:00:00", "HAZARD_FIXED": "=E16-1"}


def test_narrative_words_map_to_codes_and_unknown_ones_pass_through(blank, catalog):
    fill(blank, narratives=[
        ("工作亮点", "治超治限", "超限率下降。"),
        ("工作亮点", "不存在的工作", "原样保留。"),
        ("其他", "安全生产", "类别原样保留。"),
        ("存在问题", "安全生产", None),          # a category picked, nothing written: dropped
        (None, None, "只有内容。"),
        ("下步计划", "quality", 2026),           # a code typed instead of a name; a number
    ])
    assert read_template(blank, catalog)["narratives"] == [
        {"kind": "highlight", "section": "overload", "text": "超限率下降。"},
        {"kind": "highlight", "section": "不存在的工作", "text": "原样保留。"},
        {"kind": "其他", "section": "safety", "text": "类别原样保留。"},
        {"kind": "", "section": "", "text": "只有内容。"},
        {"kind": "plan", "section": "quality", "text": "2026"},
    ]


def test_unknown_indicator_codes_pass_through_for_validation_to_reject(blank, catalog):
    def add_row(wb):
        ws = wb["指标"]
        ws.cell(ws.max_row + 1, 1, "NOT_IN_CATALOG").offset(0, 4).value = 5
    fill(blank, {"HAZARD_FOUND": 1}, edit=add_row)
    assert read_template(blank, catalog)["values"] == {"HAZARD_FOUND": 1, "NOT_IN_CATALOG": 5}


def test_phone_typed_as_a_number_is_read_as_text(blank, catalog):
    fill(blank, contact=("李四", 13800000000))
    assert read_template(blank, catalog)["contact"] == {"name": "李四", "phone": "13800000000"}


def test_submitted_at_is_the_file_time_in_shanghai(blank, catalog):
    fill(blank)
    utc_noon = datetime(2025, 7, 5, 16, 30, tzinfo=ZoneInfo("UTC")).timestamp()
    os.utime(blank, (utc_noon, utc_noon))
    assert read_template(blank, catalog)["submitted_at"] == "2025-07-06T00:30:00+08:00"


def test_another_units_or_months_template_is_refused_when_expected_differs(blank, catalog):
    fill(blank)
    with pytest.raises(InboxError) as caught:
        read_template(blank, catalog, expect_unit="EB01")
    assert caught.value.unit == "EB01" and "TS01" in caught.value.reason
    assert "meta!B2" in caught.value.reason
    reason = reason_of(blank, catalog, expect_period="2025-07")
    assert "2025-06" in reason and "2025-07" in reason and "meta!B4" in reason


# --------------------------------------------------------------------------- unreadable files


def _zip_with(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def _damage_sheet(template: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(template)) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members["xl/worksheets/sheet2.xml"] = members["xl/worksheets/sheet2.xml"][:700]
    return _zip_with(members)


@pytest.mark.parametrize("content, words", [
    (b"", "为空"),
    (b"hello, this is not a spreadsheet", "不是 Excel"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".xls"),
    (_zip_with({"readme.txt": b"hi"}), "损坏"),
])
def test_garbage_files_are_refused_with_a_reason(tmp_path, catalog, content, words):
    path = tmp_path / "TS01.xlsx"
    path.write_bytes(content)
    assert words in reason_of(path, catalog)


def test_truncated_and_damaged_files_are_refused(blank, catalog, template_bytes):
    blank.write_bytes(template_bytes[: len(template_bytes) // 2])
    assert "损坏" in reason_of(blank, catalog)
    blank.write_bytes(_damage_sheet(template_bytes))        # valid zip, broken sheet XML
    assert "损坏" in reason_of(blank, catalog)


def test_missing_file_is_refused(tmp_path, catalog):
    assert "不存在" in reason_of(tmp_path / "TS01.xlsx", catalog)


def _set(sheet: str, ref: str, value):
    def edit(wb):
        wb[sheet][ref] = value
    return edit


@pytest.mark.parametrize("edit, words", [
    (lambda wb: wb.remove(wb["meta"]), "缺少工作表“meta”"),
    (lambda wb: wb.remove(wb["指标"]), "缺少工作表“指标”"),
    (lambda wb: setattr(wb["工作动态"], "title", "动态"), "缺少工作表“工作动态”"),
    (_set("meta", "B1", 2), "协议版本为 2（meta!B1）"),
    (_set("meta", "B1", None), "缺少 protocol"),
    (_set("meta", "B5", 9), "模板版本 9（meta!B5）"),
    (_set("meta", "B4", "2025年6月"), "meta!B4"),
    (_set("指标", "E1", "数值"), "“指标”工作表第1行缺少表头“本月数值”"),
    (_set("工作动态", "C1", "说明"), "“工作动态”工作表第1行缺少表头“内容”"),
    (_set("指标", "A3", "INV_HIGHWAY"), "INV_HIGHWAY 重复出现（第2行和第3行）"),
])
def test_broken_templates_are_refused_naming_sheet_or_cell(blank, catalog, edit, words):
    fill(blank, {"HAZARD_FOUND": 1}, edit=edit)
    assert words in reason_of(blank, catalog)


def test_a_workbook_that_is_not_our_template_is_refused(tmp_path, catalog):
    wb = Workbook()
    wb.active.title = "Sheet1"
    wb.save(tmp_path / "TS01.xlsx")
    assert "缺少工作表" in reason_of(tmp_path / "TS01.xlsx", catalog)


# --------------------------------------------------------------------------- scanning


def test_scan_lists_period_files_and_skips_lock_hidden_and_other_files(tmp_path):
    folder = tmp_path / "inbox" / "TS01" / PERIOD
    folder.mkdir(parents=True)
    for name in ("TS02.xlsx", "TS01.xlsx", "RC01.XLSX", "~$TS01.xlsx", "._TS03.xlsx",
                 ".TS04.xlsx.tmp", "notes.txt", "TS05.xls"):
        (folder / name).write_bytes(b"x")
    (folder / "old.xlsx").mkdir()
    (tmp_path / "inbox" / "TS09" / "2025-05").mkdir(parents=True)
    (tmp_path / "inbox" / "TS09" / "2025-05" / "TS09.xlsx").write_bytes(b"x")
    (tmp_path / "inbox" / ".submitted" / "TS01" / PERIOD).mkdir(parents=True)    # the bureau's stamps
    (tmp_path / "inbox" / ".submitted" / "TS01" / PERIOD / "TS01.xlsx").write_text("2025-07-01")
    assert [p.name for p in scan_inbox(tmp_path, PERIOD)] == ["RC01.XLSX", "TS01.xlsx", "TS02.xlsx"]
    assert scan_inbox(tmp_path, "2025-07") == []
    with pytest.raises(ValueError):
        scan_inbox(tmp_path, "June")


def test_one_file_check_for_the_inbox_and_the_offline_check(tmp_path, catalog):
    """inbox.check_file and inbox.is_workbook are the offline check's too, with the full
    8-byte OLE2 signature: a file sharing only its first 4 bytes is no workbook."""
    from county_reports.collect import inbox
    from county_reports.validate.offline import EXIT_UNREADABLE, check_file

    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    assert ole == inbox.OLE_SIGNATURE
    assert inbox.is_workbook(Path("upload.bin"), ole) and inbox.is_workbook(Path("upload.bin"), b"PK\x03\x04")
    assert not inbox.is_workbook(Path("upload.bin"), ole[:4] + b"\0\0\0\0")
    assert inbox.is_workbook(Path("TS01.XLS"), b"")
    (tmp_path / "folder.xlsx").mkdir()
    with pytest.raises(InboxError, match="不是文件"):
        inbox.check_file(tmp_path / "folder.xlsx", "TS01")
    with pytest.raises(InboxError, match="不存在"):
        inbox.check_file(tmp_path / "gone.xlsx", "TS01")
    old = tmp_path / "old.bin"
    old.write_bytes(ole + b"\0" * 600)
    code, text = check_file(old, catalog)               # sniffed as a workbook, told it is .xls
    assert code == EXIT_UNREADABLE and ".xls" in text
    half = tmp_path / "half.bin"
    half.write_bytes(ole[:4] + b"\0" * 600)
    code, text = check_file(half, catalog)              # not a workbook: read as a (bad) JSON submission
    assert code == EXIT_UNREADABLE and ".xls" not in text and "UTF-8" in text
    code, text = check_file(tmp_path / "folder.xlsx", catalog)
    assert code == EXIT_UNREADABLE and "不是文件" in text
