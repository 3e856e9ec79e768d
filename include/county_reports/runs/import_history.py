"""``import-history``: old workbooks → mapping file → (once confirmed) checked figures → warehouse.

1. Each file is read whole (bounded by ``history.yaml``) and archived under its SHA-256 in the
   raw archive before it is parsed, like every byte from outside.
2. Its sheets become cells (``workbook``), their labels entries of the mapping (``mapping``).
   When the mapping file gains a label, or is not confirmed, it is written and the run stops:
   **nothing is stored before the admin confirms the mapping**.
3. The cells are checked (``check``): any error and the run stops, every wrong cell reported,
   nothing stored.
4. Everything is stored in one transaction (``warehouse.history_import``): versions with
   ``source`` history_import; the same figures again are duplicates and change nothing.

``import_files`` returns an :class:`Outcome` (``state``: mapping | refused | stored | unchanged,
the lines to print); it raises only for the caller's own mistakes (a missing file) and
configuration errors.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Iterable

from county_reports.core import archive, messages, paths
from county_reports.core.catalog import Catalog
from county_reports.validate import history_check as check_mod
from county_reports.collect.history import mapping as mapping_mod
from county_reports.collect.history.settings import COUNTY_TOTAL, SOURCE, load_settings
from county_reports.collect.history.workbook import WorkbookError, read_cells

log = logging.getLogger(__name__)
MAPPING, REFUSED, STORED, UNCHANGED = "mapping", "refused", "stored", "unchanged"


@dataclass
class Outcome:
    state: str
    lines: list[str] = field(default_factory=list)
    mapping_path: str = ""
    results: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.state != REFUSED

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state, "lines": self.lines, "mapping": self.mapping_path,
                "new": sum(r["outcome"] == "new" for r in self.results),
                "duplicates": sum(r["outcome"] == "duplicate" for r in self.results)}


def _says(key: str, **values: Any) -> str:
    return messages.text("history_import", key, **values)


def import_files(files: Iterable[str | Path], catalog: Catalog, warehouse, *, mapping_path=None,
                 year: int | None = None, run_id: str | None = None, data=None,
                 config_dir=None) -> Outcome:
    """Import these workbooks (see the module docstring)."""
    settings = load_settings(config_dir)
    data = paths.location(data) if data is not None else paths.data_dir()
    mapping_path = paths.location(mapping_path) if mapping_path else mapping_mod.default_path(data)
    mapping = mapping_mod.read(mapping_path, catalog)
    before = (set(mapping.units), set(mapping.indicators))
    matcher = mapping_mod.Matcher(catalog, settings, mapping)
    cells, notes, digests = [], [], {}
    for file in files:
        file = paths.location(file)
        if file.stat().st_size > settings.max_bytes:     # before reading it into memory
            return Outcome(REFUSED, notes + [_says("too_large", file=file.name, size=file.stat().st_size,
                                                   limit=settings.max_bytes)])
        raw = file.read_bytes()
        digests[file.name] = archive.store(data, raw).sha256       # kept before it is parsed
        try:
            found = read_cells(raw, file.name, settings, matcher.classify, year)
        except WorkbookError as exc:
            return Outcome(REFUSED, notes + [exc.reason])
        cells += found.cells
        notes += found.notes
    for cell in cells:
        if cell.unit is not None:
            matcher.unit(cell.unit)
        matcher.indicator(cell.indicator)
    grown = (set(mapping.units), set(mapping.indicators)) != before
    if grown or not mapping.confirmed:
        mapping.confirmed = mapping.confirmed and not grown
        mapping_mod.write(mapping_path, mapping)
        return Outcome(MAPPING, notes + [_says("mapping_written", path=mapping_path, **mapping.counts())],
                       str(mapping_path))
    return _check_and_store(cells, mapping, catalog, warehouse, digests, notes, run_id, str(mapping_path))


def _check_and_store(cells, mapping, catalog, warehouse, digests, notes, run_id, mapping_path) -> Outcome:
    from county_reports.warehouse import history_import

    checked = check_mod.check(cells, mapping, catalog, digests)
    notes = notes + [_says("ignored_label", label=label, cells=n) for label, n in checked.ignored.items()]
    if checked.errors:
        return Outcome(REFUSED, notes + checked.errors + [_says("refused", count=len(checked.errors))],
                       mapping_path)
    note = {"files": digests, "mapping": mapping_path, "cells": len(checked.cells)}
    try:
        results = history_import.store(warehouse, checked.verdicts, checked.retired, SOURCE, note, run_id,
                                       COUNTY_TOTAL)
    except history_import.CollectedConflict as exc:
        lines = [_collected_line(checked, unit, period) for unit, period in exc.keys]
        return Outcome(REFUSED, notes + lines + [_says("refused", count=len(lines))], mapping_path)
    except history_import.MixedConflict as exc:
        lines = [_mixed_line(checked, code, year) for code, year in exc.pairs]
        return Outcome(REFUSED, notes + lines + [_says("refused", count=len(lines))], mapping_path)
    new = [r for r in results if r["outcome"] == "new"]
    if not new:
        return Outcome(UNCHANGED, notes + [_says("unchanged", duplicates=len(results))], mapping_path, results)
    values = sum(len(v.values) for v, r in zip(checked.verdicts, results, strict=False) if r["outcome"] == "new")
    line = _says("stored", new=len(new), values=values, duplicates=len(results) - len(new))
    return Outcome(STORED, notes + [line], mapping_path, results)


def _collected_line(checked, unit: str, period: str) -> str:
    cell = next(c for (u, p, _), c in checked.cells.items() if (u, p) == (unit, period))
    return _says("collected", unit=unit, period=period, file=cell.file, sheet=cell.sheet, cell=cell.address)


def _mixed_line(checked, code: str, year: str) -> str:
    cell = next(c for (_, p, i), c in checked.cells.items() if i == code and p.startswith(year))
    return _says("mixed", file=cell.file, sheet=cell.sheet, cell=cell.address, year=year,
                 indicator=cell.indicator)


def confirm(mapping_path, catalog: Catalog) -> None:
    """Mark the mapping file confirmed as it stands (the demo's stand-in for the admin's check)."""
    path = paths.location(mapping_path)
    mapping = mapping_mod.read(path, catalog)
    mapping.confirmed = True
    mapping_mod.write(path, mapping)


def pick_files(names: Iterable[str], data=None) -> list[Path]:
    """The DAG's files: names of workbooks in ``{data}/history/``, found by listing that folder
    (a name is never made into a path); ValueError naming what is not there."""
    folder = paths.history(data)
    present = {p.name: p for p in folder.iterdir() if p.is_file()} if folder.is_dir() else {}
    wanted = [str(n) for n in names]
    missing = [n for n in wanted if n not in present]
    if missing or not wanted:
        raise ValueError(f"not in {folder}: {', '.join(missing) or '(no file named)'}; "
                         f"there: {', '.join(sorted(present)) or 'nothing'}")
    return [present[n] for n in wanted]


class ImportRefused(RuntimeError):
    """The import stored nothing because of what the workbooks hold: the DAG's task fails with
    the lines (every wrong cell), and is not retried — the workbook has to change first."""


def from_dag(params: dict[str, Any], run_id: str | None) -> dict[str, Any]:
    """``import_history``'s task: the files named in ``params`` from ``{data}/history/``."""
    from county_reports.core.catalog import load_catalog
    from county_reports.warehouse import Warehouse

    catalog = load_catalog()
    files = pick_files(params.get("files") or [])
    with Warehouse() as warehouse:
        warehouse.migrate()
        outcome = import_files(files, catalog, warehouse, year=params.get("year"), run_id=run_id)
    for line in outcome.lines:
        log.info("%s", line)
    if not outcome.ok:
        raise ImportRefused("\n".join(outcome.lines))
    return outcome.as_dict()
