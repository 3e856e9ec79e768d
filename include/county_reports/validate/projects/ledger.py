"""The monthly ledger rows of a unit's key projects: read from a submission and checked.

A protocol-1 submission may carry ``projects: [...]`` (absent: no ledger, as before). Each row is
either a **progress row** of a project the unit reports (``reporting_unit`` in projects.yaml)::

    {"code": "QH2024-01", "month_investment": 820.5, "year_investment": 4310.0,
     "total_investment": 14310.0, "progress": "路基完成85%，桥涵完成60%", "status": "delayed",
     "cause": "land", "cause_text": "K12段3户房屋拆迁未完成", "milestones": [{"name": "路基完工",
     "date": "2025-06-18"}]}

or a **land row** of a township station for a project crossing it (its share of land acquisition
and demolition, cumulative)::

    {"code": "QH2024-01", "land_acres": 42.5, "land_households": 6}

Amounts in 万元; status, cause (and a sentence) as ledger.yaml's codes or their Chinese names.
:func:`check_rows` reads and checks a month's rows against the register and the previous month's
rows; :func:`check_investment` checks a unit's projects against its reported 交通建设完成投资
over the year so far. Pure functions: the caller brings the previous rows and the unit's figures.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from collections.abc import Mapping

from county_reports.core import periods
from county_reports.validate.projects.fields import Reader
from county_reports.core.projects.register import Project, Register
from county_reports.core.projects.vocabulary import Vocabulary
from county_reports.validate.model import Issue

CUMULATIVE = ("year_investment", "total_investment")
LAND = ("land_acres", "land_households")


@dataclass(frozen=True)
class LedgerRow:
    code: str
    kind: str                                  # progress | land
    month_investment: float | None = None
    year_investment: float | None = None
    total_investment: float | None = None
    progress: str | None = None
    status: str | None = None
    cause: str | None = None
    cause_text: str | None = None
    milestones: tuple[tuple[str, date], ...] = ()
    land_acres: float | None = None
    land_households: int | None = None


def check_rows(payload: Mapping, *, unit: str, unit_name: str, period: str, register: Register,
               vocabulary: Vocabulary, previous: Mapping[str, LedgerRow] | None = None
               ) -> tuple[list[LedgerRow], list[Issue]]:
    """A month's ledger rows of ``unit`` and what is wrong with them (Chinese, one issue each).

    ``previous``: the unit's rows of the month before, by project code (none in January for the
    year's figures: they start again; the since-start and land figures still may not fall)."""
    reader = Reader(vocabulary, unit, unit_name, period)
    year, _ = periods.parse(period)
    projects, rows, seen = register.by_code, [], set()
    for index, raw in reader.items(payload, "projects"):
        code = raw.get("code")
        project = projects.get(code) if isinstance(code, str) else None
        if project is None or year not in project.years:
            reader.add("PROJECT_UNKNOWN", "unknown_project", f"projects[{index}].code", code,
                       index=index, code=str(code)[:40], year=year)
            continue
        label = vocabulary.message("project", name=project.name, code=project.code)
        if code in seen:
            reader.add("PROJECT_TWICE", "twice", f"projects.{code}", None, project=label)
            continue
        seen.add(code)
        if project.reporting_unit == unit:
            row = _progress_row(reader, raw, project, label, period)
        elif project in register.land_for(unit, year):
            row = _land_row(reader, raw, project, label)
        else:
            reader.add("PROJECT_NOT_OWNED", "not_owned", f"projects.{code}", None, project=label,
                       owner=project.reporting_unit)
            continue
        if row is not None:
            _check_against_previous(reader, row, (previous or {}).get(code), label, period)
            rows.append(row)
    return rows, reader.issues


def _progress_row(reader: Reader, raw: dict, project: Project, label: str, period: str) -> LedgerRow | None:
    where = f"projects.{project.code}"
    before = len(reader.issues)
    amounts = {name: reader.number(raw, name, where, label)
               for name in ("month_investment", *CUMULATIVE)}
    status = reader.word(raw, "status", "statuses", where, label)
    if raw.get("status") in (None, ""):
        reader.add("PROJECT_FIELD", "missing_field", f"{where}.status", project=label,
                   field=reader.vocabulary.field("status"))
    cause = reader.word(raw, "cause", "causes", where, label)
    cause_text = reader.text(raw, "cause_text", where, label)
    no_cause = cause is None and raw.get("cause") in (None, "")     # a wrong one is named already
    if status in reader.vocabulary.needs_cause and (no_cause or cause_text is None):
        reader.add("PROJECT_CAUSE", "cause_missing", f"{where}.cause", None, project=label,
                   status=reader.vocabulary.name("statuses", status),
                   causes=reader.vocabulary.choices("causes"))
    month, year_total = amounts["month_investment"], amounts["year_investment"]
    if month is not None and year_total is not None and year_total + reader.vocabulary.tolerance < month:
        reader.add("PROJECT_CUMULATIVE", "year_below_month", f"{where}.year_investment", year_total,
                   project=label, value=f"{year_total:g}", month=f"{month:g}")
    milestones = _milestones(reader, raw, project, label, period)
    progress = reader.text(raw, "progress", where, label)
    if len(reader.issues) > before:
        return None
    return LedgerRow(project.code, "progress", month, year_total, amounts["total_investment"], progress,
                     status, cause, cause_text, milestones)


def _milestones(reader: Reader, raw: dict, project: Project, label: str, period: str) -> tuple:
    where = f"projects.{project.code}.milestones"
    items = raw.get("milestones") or []
    if not isinstance(items, list) or len(items) > reader.vocabulary.limits["milestones"]:
        reader.add("FIELD_TEXT", "bad_text", where, None, where=label,
                   field=reader.vocabulary.field("milestones"), limit=reader.vocabulary.limits["milestones"])
        return ()
    year, month = periods.parse(period)
    known = {m.name for y in project.years.values() for m in y.milestones}
    out = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or name.strip() not in known:
            reader.add("PROJECT_MILESTONE", "milestone_unknown", where, name, project=label,
                       milestone=str(name)[:40], known=reader.vocabulary.messages["separator"].join(sorted(known)))
            continue
        reached = reader.date(item.get("date"), "milestone_date", where, label)
        if reached is None:
            continue
        if (reached.year, reached.month) > (year, month):
            reader.add("PROJECT_MILESTONE", "milestone_after_month", where, reached.isoformat(),
                       project=label, milestone=name, date=reached.isoformat())
            continue
        out.append((name.strip(), reached))
    return tuple(out)


def _land_row(reader: Reader, raw: dict, project: Project, label: str) -> LedgerRow | None:
    where = f"projects.{project.code}"
    before = len(reader.issues)
    acres = reader.number(raw, "land_acres", where, label)
    households = reader.number(raw, "land_households", where, label, integer=True)
    if len(reader.issues) > before:
        return None
    return LedgerRow(project.code, "land", land_acres=acres, land_households=households)


def _check_against_previous(reader: Reader, row: LedgerRow, previous: LedgerRow | None, label: str,
                            period: str) -> None:
    """Cumulative figures never fall: the year's within a year, since-start and land ever."""
    if previous is None:
        return
    january = periods.parse(period)[1] == 1
    names = LAND if row.kind == "land" else CUMULATIVE[1:] if january else CUMULATIVE
    for name in names:
        now, before = getattr(row, name), getattr(previous, name)
        if now is None or before is None or now + reader.vocabulary.tolerance >= before:
            continue
        key = "land_falls" if row.kind == "land" else "cumulative_falls"
        reader.add("PROJECT_CUMULATIVE", key, f"projects.{row.code}.{name}", now, project=label,
                   field=reader.vocabulary.field(name), value=f"{now:g}", previous=f"{before:g}")


def check_investment(rows: list[LedgerRow], *, unit: str, unit_name: str, period: str,
                     reported_month: float, reported_year: float, vocabulary: Vocabulary,
                     indicator_name: str) -> list[Issue]:
    """A unit's projects invest no more than the unit reported as 交通建设完成投资: this month
    (``reported_month``) and from January to this month (``reported_year``, this month included);
    ``indicator_name``: the catalogue's name of ledger.yaml's investment_indicator."""
    reader = Reader(vocabulary, unit, unit_name, period)
    year, month = periods.parse(period)
    progress = [r for r in rows if r.kind == "progress"]
    for name, reported, span in (("month_investment", reported_month, reader.period_label),
                                 ("year_investment", reported_year,
                                  vocabulary.message("span", year=year, month=month))):
        total = round(sum(getattr(r, name) or 0.0 for r in progress), 2)
        if total > reported + vocabulary.tolerance:
            reader.add("PROJECT_OVER_INDICATOR", "over_indicator", f"projects.{name}", total, span=span,
                       field=vocabulary.field(name), projects=f"{total:g}", indicator=indicator_name,
                       reported=f"{reported:g}")
    return reader.issues
