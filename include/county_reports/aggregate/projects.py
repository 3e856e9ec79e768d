"""The key projects and events of a summary's span: read from the warehouse, against the register.

:func:`span_projects` gives one :class:`ProjectFigures` per registered project of the span's year
that has a ledger row in the span (its latest month: cumulative investment against the annual
plan, 形象进度, status and cause, the next milestone not yet reached); :func:`span_events` the
span's events. A county without a register or rows gets empty lists (its documents are as before).
"""
from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from county_reports.aggregate.span import Span
from county_reports.core.projects.register import Register
from county_reports.core.projects.vocabulary import Vocabulary
from county_reports.warehouse import projects as stored


@dataclass(frozen=True)
class ProjectFigures:
    code: str
    name: str
    nature: str                # 新建 | 续建 | 前期 (the year's)
    nature_code: str
    level: str                 # 省重点 …
    scale: str
    unit: str                  # reporting unit code
    total_investment: float
    plan: float                # 年度计划投资, 万元
    done: float                # this year's cumulative investment at the span's end
    share: float | None        # done / plan, %
    progress: str
    status: str                # status code (normal, delayed, stalled, completed, ahead)
    cause: str                 # cause name ("" when none)
    cause_text: str
    county_gap: float          # county share not in hand, 万元
    upper_funding: float       # central + provincial + city funding in the register, 万元
    next_milestone: tuple[str, date] | None


UPPER_SOURCES = ("central", "provincial", "city")


def span_projects(engine, register: Register, vocabulary: Vocabulary, span: Span) -> list[ProjectFigures]:
    out = []
    for project in register.in_year(span.year):
        page = stored.project_months(engine, project, span.year, span.last)
        months = [m for m in page["months"] if m["period"] >= span.first]
        if not months:
            continue
        last, plan = months[-1], project.years[span.year]
        month = int(span.last[-2:])
        end = date(span.year, month, calendar.monthrange(span.year, month)[1])
        upcoming = sorted((m["planned"], m["name"]) for m in page["milestones"]
                          if m["reached"] is None and m["planned"] > end)
        following = project.years.get(span.year + 1)
        upcoming = upcoming or sorted((m.planned, m.name) for m in (following.milestones if following else ()))
        share = last["share_of_plan"]
        out.append(ProjectFigures(
            project.code, project.name, vocabulary.name("natures", plan.nature), plan.nature,
            vocabulary.name("levels", plan.level or project.level), project.scale, project.reporting_unit,
            project.total_investment, plan.plan, float(last["year_investment"] or 0.0), share,
            last["progress"] or "", last["status"] or "normal",
            vocabulary.name("causes", last["cause"]) if last["cause"] else "", last["cause_text"] or "",
            project.county_gap, round(sum(project.funding.get(s, 0.0) for s in UPPER_SOURCES), 2),
            (upcoming[0][1], upcoming[0][0]) if upcoming else None))
    return sorted(out, key=lambda p: (-p.plan, p.code))


def span_events(engine, span: Span, units: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The span's events (of these units only: a county's, in a warehouse shared with others)."""
    return stored.span_events(engine, span.first, span.last, units)
