"""workbook_bounds.py: a workbook's size, parts, compression, sheets and macros, checked before any
parser reads it; each refusal names the unit and the limit."""
from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from county_reports.collect.pull_settings import PullSettings
from county_reports.collect.workbook_bounds import TooBig, check, size_problem

SMALL = PullSettings(max_workbook_bytes=200_000, max_workbook_parts=30, max_workbook_unzipped_bytes=3_000_000,
                     max_compression_ratio=50, max_sheet_rows=100, max_sheet_cells=500)


def _workbook(rows=3, columns=3) -> bytes:
    wb = Workbook()
    for r in range(rows):
        wb.active.append([r * columns + c for c in range(columns)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _zip(parts: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


def _refusal(raw, name="TS03.xlsx", settings=SMALL) -> str:
    with pytest.raises(TooBig) as err:
        check(raw, "TS03", name, settings)
    return err.value.reason


def test_an_ordinary_workbook_passes():
    check(_workbook(), "TS03", "TS03.xlsx", SMALL)
    check(_workbook(rows=100, columns=5), "TS03", "", SMALL)        # exactly at the limits


def test_file_size():
    assert size_problem(200_000, "TS03", SMALL) is None
    reason = size_problem(200_001, "TS03", SMALL)
    assert "TS03" in reason and "200001" in reason and "200000" in reason
    assert "200000" in _refusal(b"x" * 200_001)


def test_too_many_rows_or_cells_by_count():
    assert "101" in _refusal(_workbook(rows=101, columns=1))
    reason = _refusal(_workbook(rows=60, columns=10))
    assert "500" in reason and "TS03" in reason


def test_a_dimension_that_claims_too_much_is_refused_before_counting():
    sheet = b'<worksheet><dimension ref="A1:B999999"/><sheetData/></worksheet>'
    assert "999999" in _refusal(_zip({"xl/worksheets/sheet1.xml": sheet}))
    wide = b'<x:worksheet><x:dimension ref="$A$1:$ZZ$2"/></x:worksheet>'        # 702 columns × 2 rows
    assert "1404" in _refusal(_zip({"anywhere.xml": wide}))


def test_rows_are_counted_in_every_part_across_chunks():
    rows = b"<row r='1'/>" * 20_000                                 # well over one 64 KiB chunk
    assert "100" in _refusal(_zip({"xl/hidden/data.xml": b"<sheetData>" + rows + b"</sheetData>"}))


def test_a_zip_bomb_part():
    reason = _refusal(_zip({"xl/worksheets/sheet1.xml": b" " * 2_000_000}))
    assert "50:1" in reason and "sheet1.xml" in reason


def test_unzipped_total_and_part_count():
    stored = {f"p{i}.xml": b"a" * 200_000 for i in range(16)}          # 3.2 MB unzipped, stored
    assert "3200000" in _refusal(_zip(stored), settings=PullSettings(**{**SMALL.as_dict(), "max_workbook_bytes": 10**7}))
    many = _zip({f"p{i}.xml": b"" for i in range(31)})
    assert "31" in _refusal(many)


@pytest.mark.parametrize("parts, name", [
    ({"xl/vbaProject.bin": b"\0"}, "TS03.xlsx"),
    ({"xl/macrosheets/sheet1.xml": b"<x/>"}, "TS03.xlsx"),
    ({"[Content_Types].xml": b'<Types><Default ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/></Types>'},
     "TS03.xlsx"),
    ({"a.xml": b"<x/>"}, "TS03.XLSM"),
])
def test_macros(parts, name):
    assert "TS03" in _refusal(_zip(parts), name=name)


@pytest.mark.parametrize("raw", [b"", b"not a zip at all", _workbook()[:-30]])
def test_not_a_zip(raw):
    assert _refusal(raw)


def test_a_directory_that_lies_about_its_count():
    raw = bytearray(_zip({f"p{i}.xml": b"" for i in range(40)}))
    end = raw.rfind(b"PK\x05\x06")
    raw[end + 8:end + 12] = (1).to_bytes(2, "little") * 2         # declares one entry
    assert "40" in _refusal(bytes(raw))
