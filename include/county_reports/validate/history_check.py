"""The imported cells put through validation's rules, each error reported with its cell.

Cells become one protocol-v1 submission per (unit, month) and go through ``validate_period``
(the pandas engine: the same rules as collection's, without Great Expectations' start-up):
numbers, non-negative, bounds, whole numbers and the cross-indicator rules of ``rules.yaml``.
Two differences, both because a past year's table is not a unit's monthly report:

- an indicator the table does not carry is simply absent (``REQUIRED`` is not applied: a
  catalogue grows, and an old table cannot hold what was not collected then);
- a county total (the pseudo-unit ``COUNTY_TOTAL``) is checked against the bounds of the whole
  county: an indicator's ``max`` times the roster units that report it (times 12 for a year
  total of a summed flow).

Retired units and the county pseudo-unit are added to the catalogue for the check, so they are
known units. Before validation, two figures for one (unit, month, indicator) and a county total
beside unit figures of the same indicator and year are errors of their own (a sum would count
them twice). Every error names file, sheet, cell, unit, indicator and month.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime, UTC
from typing import Any

from county_reports.core import messages
from county_reports.core.catalog import Catalog, Unit
from county_reports.collect.history.mapping import RETIRED, Mapping, label_text
from county_reports.collect.history.settings import COUNTY_TOTAL, SOURCE
from county_reports.collect.history.workbook import Cell
from county_reports.validate.model import ERROR, Received, Verdict
from county_reports.validate.options import Options

COUNTY_KIND = "county_total"
NOT_APPLIED = ("REQUIRED",)


@dataclass
class Checked:
    verdicts: list[Verdict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    ignored: dict[str, int] = field(default_factory=dict)      # indicator label → cells not imported
    retired: list[Unit] = field(default_factory=list)          # units the warehouse must learn
    cells: dict[tuple[str, str, str], Cell] = field(default_factory=dict)


def _says(key: str, **values: Any) -> str:
    return messages.text("history_import", key, **values)


def resolve(cells: list[Cell], mapping: Mapping, catalog: Catalog) -> Checked:
    """Cells by (unit code, period, indicator code); duplicates and mixed totals as errors."""
    out = Checked()
    county_years: dict[tuple[str, str], Cell] = {}
    unit_years: dict[tuple[str, str], Cell] = {}
    for cell in cells:
        entry = mapping.indicators[label_text(cell.indicator)]
        if entry.code is None:
            out.ignored[entry.label] = out.ignored.get(entry.label, 0) + 1
            continue
        unit = COUNTY_TOTAL if cell.unit is None else mapping.units[label_text(cell.unit)].code
        key = (unit, cell.period, entry.code)
        if key in out.cells:
            other = out.cells[key]
            out.errors.append(_says("duplicate", file=cell.file, sheet=cell.sheet, cell=cell.address,
                                    unit=_unit_name(catalog, mapping, unit), period=cell.period,
                                    indicator=entry.label, other=f"{other.sheet}!{other.address}"))
            continue
        out.cells[key] = cell
        year_key = (entry.code, cell.period[:4])
        (county_years if unit == COUNTY_TOTAL else unit_years).setdefault(year_key, cell)
    for year_key in sorted(set(county_years) & set(unit_years)):
        cell = county_years[year_key]
        out.errors.append(_says("mixed", file=cell.file, sheet=cell.sheet, cell=cell.address,
                                year=year_key[1], indicator=cell.indicator))
    return out


def _unit_name(catalog: Catalog, mapping: Mapping, code: str) -> str:
    if code == COUNTY_TOTAL:
        return _says("county_name")
    if code in catalog.unit_by_code:
        return catalog.unit_by_code[code].name
    return next((e.label for e in mapping.units.values() if e.code == code), code)


def check_catalog(catalog: Catalog, mapping: Mapping, used: set[tuple[str, str]]) -> tuple[Catalog, list[Unit]]:
    """The catalogue with the retired units (active over the months imported) and the county
    pseudo-unit added, so validation knows them; and the retired units."""
    spans: dict[str, list[str]] = {}
    for unit, period in used:
        spans.setdefault(unit, []).append(period)
    retired = []
    for entry in mapping.units.values():
        if entry.status == RETIRED and entry.code in spans and entry.code not in {u.code for u in retired}:
            months = sorted(spans[entry.code])
            retired.append(Unit(entry.code, entry.label, entry.kind, catalog.kinds[entry.kind], "", "", 5,
                                months[0], months[-1]))
    county = Unit(COUNTY_TOTAL, _says("county_name"), COUNTY_KIND, _says("county_name"), "", "", 5,
                  min(p for _, p in used) if used else "2000-01")
    kinds = {**catalog.kinds, COUNTY_KIND: county.kind_name}
    return replace(catalog, units=catalog.units + tuple(retired) + (county,), kinds=kinds), retired


def county_catalog(catalog: Catalog) -> Catalog:
    """The catalogue with each indicator's ``max`` raised to the whole county's."""
    def scaled(ind):
        units = max(1, sum(1 for u in catalog.units if u.kind in ind.reported_by))
        months = 12 if ind.over_time == "sum" else 1      # a year total of a summed flow
        return replace(ind, max=ind.max * units * months)

    return replace(catalog, indicators=tuple(scaled(i) for i in catalog.indicators))


def receive(checked: Checked, digests: dict[str, str], received_at: str) -> list[Received]:
    """One protocol-v1 submission per (unit, month), its sha256 the first file it comes from."""
    payloads: dict[tuple[str, str], dict[str, Any]] = {}
    first_file: dict[tuple[str, str], str] = {}
    for (unit, period, code), cell in checked.cells.items():
        payload = payloads.setdefault((unit, period), {"protocol": 1, "unit": unit, "period": period,
                                                       "values": {}})
        payload["values"][code] = cell.raw
        first_file.setdefault((unit, period), cell.file)
    return [Received(unit, period, digests.get(first_file[(unit, period)]) or _digest(payload), SOURCE,
                     received_at, payload)
            for (unit, period), payload in sorted(payloads.items())]


def _digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(repr(sorted(payload["values"].items())).encode()).hexdigest()


def check(cells: list[Cell], mapping: Mapping, catalog: Catalog, digests: dict[str, str], *,
          options: Options | None = None) -> Checked:
    """Resolve, then validate; ``verdicts`` hold every (unit, month) with its issues (warnings
    kept), ``errors`` one line per wrong cell. Nothing may be stored while ``errors`` is not empty."""
    from county_reports.validate.run import validate_period

    checked = resolve(cells, mapping, catalog)
    used = {(u, p) for u, p, _ in checked.cells}
    known, checked.retired = check_catalog(catalog, mapping, used)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    received = receive(checked, digests, now)
    for group, judged_by in ((r for r in received if r.unit != COUNTY_TOTAL), known), \
            ((r for r in received if r.unit == COUNTY_TOTAL), county_catalog(known)):
        group = list(group)
        if not group:
            continue
        for verdict in validate_period(group, judged_by, options=options, engine="pandas"):
            verdict = _without(verdict, NOT_APPLIED)
            checked.verdicts.append(verdict)
            checked.errors += [_cell_error(checked, mapping, known, verdict, issue)
                               for issue in verdict.issues if issue.importance == ERROR]
    return checked


def _without(verdict: Verdict, rules: tuple[str, ...]) -> Verdict:
    from county_reports.validate.run import status

    issues = tuple(i for i in verdict.issues if i.rule not in rules)
    return replace(verdict, issues=issues, status=status(issues))


def _cell_error(checked: Checked, mapping: Mapping, catalog: Catalog, verdict: Verdict, issue) -> str:
    cell = checked.cells.get((verdict.unit, verdict.period, issue.indicator or "")) or next(
        c for (u, p, _), c in checked.cells.items() if (u, p) == (verdict.unit, verdict.period))
    indicator = catalog.indicator_by_code[issue.indicator].name \
        if issue.indicator in catalog.indicator_by_code else cell.indicator
    return _says("cell", file=cell.file, sheet=cell.sheet, cell=cell.address,
                 unit=_unit_name(catalog, mapping, verdict.unit), indicator=indicator,
                 period=verdict.period, message=issue.message)
