"""render/xlsx_package: the workbook packaged in memory is the workbook openpyxl's writer packages."""
from __future__ import annotations

import io
import zipfile
from datetime import datetime

from openpyxl import Workbook, load_workbook
from openpyxl.writer.excel import ExcelWriter

from county_reports.render import ooxml, xlsx_package

STAMP = (2025, 7, 10, 0, 0, 0)


def _book() -> Workbook:
    book = Workbook()
    # Workbook() stamps created/modified with the clock: two books made a second apart differ.
    book.properties.created = book.properties.modified = datetime(*STAMP)
    book.active.title = "一"
    book.active["A1"] = "全县"
    book.active.merge_cells("A1:C1")
    second = book.create_sheet("二")
    for row in range(1, 30):
        second.cell(row, 1, row * 1.5)
    return book


def _through_openpyxl(book) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).write_data()
    return ooxml.deterministic_zip(buffer.getvalue(), STAMP)


def test_the_bytes_equal_openpyxl_writers_rewritten():
    assert xlsx_package.package(_book(), STAMP) == _through_openpyxl(_book())


def test_no_temporary_file_is_written(monkeypatch):
    from openpyxl.worksheet import _writer

    def refuse(*_args, **_kwargs):
        raise AssertionError("a temporary file")

    monkeypatch.setattr(_writer, "create_temporary_file", refuse)
    data = xlsx_package.package(_book(), STAMP)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["一", "二"] and book["二"]["A29"].value == 43.5
    assert all(info.date_time == STAMP for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
