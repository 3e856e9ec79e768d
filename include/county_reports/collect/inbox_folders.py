"""Where the inbox keeps each unit's workbook and feedback: ``{data}/inbox/{unit}/{period}/``.

One folder per unit, which only that unit, the bureau's mail step and the admins can write
(docs/production.md); the folder says whose a workbook is, never its name. :mod:`county_reports.collect.inbox`
re-exports these, and every step (collection, the mail step's drop, feedback) asks there.
"""
from __future__ import annotations

import re
from pathlib import Path

from county_reports.core import messages, paths, periods

_SAFE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
STAMPS = ".submitted"     # not a unit code (no dot in one): the bureau's own folder in the inbox


def inbox_path(data_dir: str | Path, period: str, unit_code: str) -> Path:
    periods.parse(period)
    # The code becomes a file name: refuse anything that could climb out of the inbox.
    if not _SAFE_NAME.match(unit_code or ""):
        raise ValueError(f"unit code {unit_code!r} cannot be used as a file name")
    return paths.inbox(period, data_dir, unit=unit_code) / f"{unit_code}.xlsx"


def feedback_path(data_dir: str | Path, period: str, unit_code: str, suffix: str) -> Path:
    """Where a unit reads its feedback (``.txt``, ``.json``): beside its workbook, in its folder."""
    return inbox_path(data_dir, period, unit_code).with_name(f"{unit_code}.feedback{suffix}")


def scan_inbox(data_dir: str | Path, period: str) -> list[Path]:
    """The .xlsx files present for ``period`` in every unit's folder, sorted.

    Skipped: Office lock files (``~$TS01.xlsx``, present while a clerk has the file open),
    hidden files (macOS ``._TS01.xlsx``, our own ``.x.tmp``), and anything not a regular file.
    """
    periods.parse(period)
    root = paths.inbox(data=data_dir)
    if not root.is_dir():
        return []
    found = []
    for unit_folder in root.iterdir():
        folder = unit_folder / period
        if not _SAFE_NAME.match(unit_folder.name) or not folder.is_dir():
            continue
        found += [p for p in folder.iterdir()
                  if p.suffix.lower() == ".xlsx" and not p.name.startswith(("~$", ".")) and p.is_file()]
    return sorted(found, key=str)


def strays(data_dir: str | Path, period: str, expected: set[str]) -> list[Path]:
    """Workbooks of ``period`` that collection will not read: any file but an expected unit's
    own ``{unit}.xlsx`` in its own folder."""
    return [p for p in scan_inbox(data_dir, period)
            if not (p.parent.parent.name in expected
                    and str(p) == str(inbox_path(data_dir, period, p.parent.parent.name)))]


def place_problem(path: Path) -> str | None:
    """Why a workbook's place is not the unit's own, or None: a folder anyone may write (a host
    install only: an object store has no modes, its access is the bucket's policy)."""
    if paths.is_remote(path):
        return None
    for folder in (path.parent, path.parent.parent):
        if folder.stat().st_mode & 0o002:
            return messages.text("inbox", "shared_folder", folder=folder.name)
    return None
