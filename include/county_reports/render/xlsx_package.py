"""An openpyxl workbook's bytes, packaged in memory.

openpyxl's ``save()`` stamps 'modified' with the clock, and its writer puts each worksheet's XML
in a temporary file, then deletes it (two file-system calls and a disk round trip per sheet). Here
each sheet is written into memory and the archive is stored uncompressed: ``ooxml.deterministic_zip``
compresses every entry once, with fixed timestamps — the same entries, in the same order, with
the same bytes as before.
"""
from __future__ import annotations

import functools
import io
import zipfile

from county_reports.render import ooxml


def package(book, date_time) -> bytes:
    """The workbook's .xlsx bytes, every entry stamped ``date_time``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        _memory_writer()(book, archive).write_data()
    return ooxml.deterministic_zip(buffer.getvalue(), date_time)


@functools.cache
def _memory_writer():
    """The writer class, built on first use (openpyxl is imported only when a workbook is written)."""
    from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
    from openpyxl.worksheet._writer import WorksheetWriter
    from openpyxl.writer.excel import ExcelWriter

    class MemoryWriter(ExcelWriter):
        """ExcelWriter.write_worksheet (openpyxl 3.1) with the sheet's XML in a buffer, not a temp file."""

        def write_worksheet(self, ws):
            if self.workbook.write_only:
                return super().write_worksheet(ws)
            ws._drawing = SpreadsheetDrawing()
            ws._drawing.charts = ws._charts
            ws._drawing.images = ws._images
            out = io.BytesIO()
            writer = WorksheetWriter(ws, out=out)
            writer.write()
            ws._rels = writer._rels
            self._archive.writestr(ws.path[1:], out.getvalue())
            self.manifest.append(ws)

    return MemoryWriter
