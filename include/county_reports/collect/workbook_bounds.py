"""Bounds on a workbook's bytes, checked before any Excel parser reads them.

A few kilobytes of .xlsx can hold tens of megabytes of sheet XML (a 0.13 MB file with 300,000
rows took openpyxl 22 s and 277 MB): the zip's own directory is read first, and a workbook is
refused — with a reason naming the unit and the limit — when it has too many parts, too many
bytes once unzipped, a part compressed suspiciously well (a zip bomb), macros (``.xlsm``, a VBA
project, Excel 4.0 macro sheets), or a sheet with too many rows or cells. Sheet sizes are read
from the sheet XML's ``<dimension>`` and then counted in one bounded streaming pass (the
dimension is written by the sender and may lie), stopping at the limit. The limits are in
``collection.yaml`` (:mod:`county_reports.collect.pull_settings`). :func:`check` is called by
``inbox`` for every workbook it reads (the mail step, collection and the offline check).
"""
from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Callable

from county_reports.core import messages
from county_reports.collect.pull_settings import PullSettings, load_settings

MACRO_SUFFIXES = (".xlsm", ".xltm", ".xlam", ".xlsb")
_END_OF_DIRECTORY = b"PK\x05\x06"
_DIRECTORY_ENTRY = b"PK\x01\x02"
_MAX_COMMENT = 65535
# A part this small cannot exhaust anything, whatever its ratio.
_RATIO_FLOOR_BYTES = 1 << 20
_CHUNK = 1 << 16
_TAIL = 64    # longer than any token counted below, so one cut by a chunk boundary is seen whole
_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,20}:)?row[\s/>]")
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,20}:)?c[\s/>]")
_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,20}:)?dimension\s+ref=\"\$?([A-Z]{1,3})\$?(\d{1,7})"
                        rb"(?::\$?([A-Z]{1,3})\$?(\d{1,7}))?\"")
_MACRO_CONTENT = (b"macroenabled", b"vbaproject", b"macrosheet")


class TooBig(ValueError):
    """The workbook is outside a bound: ``reason`` (Chinese, naming the unit and the limit)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def check(raw: bytes, unit: str, name: str = "", settings: PullSettings | None = None) -> None:
    """Raise :class:`TooBig` when ``raw`` (a zip, by its signature) is outside a bound, or is
    not a readable zip at all (``damaged``); ``name`` is the file's name when known."""
    s = settings or load_settings()
    says = _sayer(unit)
    if problem := size_problem(len(raw), unit, s):
        raise TooBig(problem)
    if name.lower().endswith(MACRO_SUFFIXES):
        raise TooBig(says("macros", part=name))
    parts = _directory_entries(raw)
    if parts is None:
        raise TooBig(messages.text("inbox", "damaged", detail="zip"))
    if parts > s.max_workbook_parts:
        raise TooBig(says("too_many_parts", count=parts, limit=s.max_workbook_parts))
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            infos = archive.infolist()
            _check_sizes(infos, s, says)
            _check_macros(archive, infos, says)
            # Every part, not only xl/worksheets/: a sheet is wherever the workbook's links say.
            for info in infos:
                _check_sheet(archive, info, s, says)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, NotImplementedError, EOFError,
            RuntimeError, OSError) as exc:   # RuntimeError: an encrypted part
        if isinstance(exc, TooBig):
            raise
        raise TooBig(messages.text("inbox", "damaged", detail=type(exc).__name__)) from None


def size_problem(size: int, unit: str, settings: PullSettings | None = None) -> str | None:
    """Why a workbook file of ``size`` bytes is refused (over ``max_workbook_bytes``), or None:
    asked before a file is read at all."""
    limit = (settings or load_settings()).max_workbook_bytes
    return _sayer(unit)("too_large_file", size=size, limit=limit) if size > limit else None


def _sayer(unit: str) -> Callable[..., str]:
    def says(key: str, **values: object) -> str:
        return messages.text("inbox", key, unit=unit, **values)
    return says


def _directory_entries(raw: bytes) -> int | None:
    """How many entries the zip's directory holds, read before zipfile builds an object per
    entry: the count its end record declares (65535 for a zip64 archive) or, since zipfile
    reads the directory by its size and not that count, the entry headers within that size;
    None when there is no end record."""
    at = raw.rfind(_END_OF_DIRECTORY, max(0, len(raw) - 22 - _MAX_COMMENT))
    if at < 0 or len(raw) < at + 22:
        return None
    declared, size = struct.unpack("<HI", raw[at + 10:at + 16])
    return max(declared, raw.count(_DIRECTORY_ENTRY, max(0, at - size), at))


def _check_sizes(infos: list[zipfile.ZipInfo], s: PullSettings, says) -> None:
    # zipfile never hands out more than a part's declared size (and then fails its CRC), so the
    # declared sizes bound what any reader of these bytes will decompress.
    total = sum(i.file_size for i in infos)
    if total > s.max_workbook_unzipped_bytes:
        raise TooBig(says("too_large_unzipped", size=total, limit=s.max_workbook_unzipped_bytes))
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= _RATIO_FLOOR_BYTES and ratio > s.max_compression_ratio:
            raise TooBig(says("compression_ratio", part=info.filename, ratio=round(ratio),
                              limit=s.max_compression_ratio))


def _check_macros(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], says) -> None:
    for info in infos:
        lower = info.filename.lower()
        if (lower.endswith(".bin") and "vba" in lower) or "macrosheets/" in lower:
            raise TooBig(says("macros", part=info.filename))
    types = next((i for i in infos if i.filename == "[Content_Types].xml"), None)
    if types is not None:
        with archive.open(types) as fh:
            head = fh.read(_CHUNK * 4).lower()
        if any(word in head for word in _MACRO_CONTENT):
            raise TooBig(says("macros", part=types.filename))


def _check_sheet(archive: zipfile.ZipFile, info: zipfile.ZipInfo, s: PullSettings, says) -> None:
    rows = cells = 0
    tail = b""
    with archive.open(info) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                return
            buffer = tail + chunk
            if not rows and not cells:
                _check_dimension(buffer, info.filename, s, says)
            # A token ending inside the old tail was counted with the previous chunk.
            rows += sum(1 for m in _ROW.finditer(buffer) if m.end() > len(tail))
            cells += sum(1 for m in _CELL.finditer(buffer) if m.end() > len(tail))
            if rows > s.max_sheet_rows:
                raise TooBig(says("too_many_rows", part=info.filename, rows=rows, limit=s.max_sheet_rows))
            if cells > s.max_sheet_cells:
                raise TooBig(says("too_many_cells", part=info.filename, cells=cells,
                                  limit=s.max_sheet_cells))
            tail = buffer[-_TAIL:]


def _check_dimension(head: bytes, part: str, s: PullSettings, says) -> None:
    found = _DIMENSION.search(head)
    if not found:
        return
    first_col, first_row, last_col, last_row = found.groups()
    rows = int(last_row or first_row) - int(first_row) + 1
    columns = _column(last_col or first_col) - _column(first_col) + 1
    if rows > s.max_sheet_rows:
        raise TooBig(says("too_many_rows", part=part, rows=rows, limit=s.max_sheet_rows))
    if rows * columns > s.max_sheet_cells:
        raise TooBig(says("too_many_cells", part=part, cells=rows * columns, limit=s.max_sheet_cells))


def _column(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number
