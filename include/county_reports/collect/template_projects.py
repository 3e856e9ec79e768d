"""The template's key-projects and events sheets: written pre-filled, read back into the payload.

``重点项目`` has a row per project the unit reports in the year (its code and name locked, the
month's figures, 形象进度, status and cause, a milestone reached and its date to fill; a township's
rows take its land acquisition, 亩 and 户) and a few empty rows for another registered code;
``重要事项`` has empty rows, one event each (kind, title, 文号, dates, sort, awarding body, counts).
Sheet names, headers and words are template.yaml's ``layout.ledger_sheets``,
``layout.project_headers``, ``layout.event_headers`` and ``words``; the dropdowns' words are
ledger.yaml's. Read back, every filled cell becomes the protocol's field (blank cells are left
out), so the same ``projects.ledger`` / ``projects.events`` checks apply whatever the channel. A
workbook without the sheets (a unit without projects, an older template) carries neither key.
The workbook's bounds are checked before any of this reads it (``workbook_bounds``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from county_reports.core import periods
from county_reports.core.catalog import Catalog
from county_reports.core.config import ConfigError, read_config_file
from county_reports.core.projects.register import load_register
from county_reports.core.projects.vocabulary import Vocabulary, load_vocabulary

PROJECT_FIELDS = ("code", "name", "month_investment", "year_investment", "total_investment", "progress",
                  "status", "cause", "cause_text", "milestone", "milestone_date", "land_acres",
                  "land_households", "note")
PROGRESS = PROJECT_FIELDS[2:11]
LAND = PROJECT_FIELDS[11:13]
EVENT_FIELDS = ("kind", "title", "number", "date", "end", "sort", "body", "received", "closed")
TITLE = {"document": "title", "meeting": "topic", "campaign": "name", "honour": "title"}
SORT = {"meeting": "meeting", "honour": "level", "proposal": "subkind", "petition": "channel",
        "inspection": "source"}
SORTS = {"meeting": "meeting_kinds", "honour": "honour_levels", "proposal": "proposal_kinds",
         "petition": "petition_channels", "inspection": "inspection_kinds"}
COUNTS = {"inspection": ("issues", "rectified")}
EXTRA_PROJECT_ROWS, EVENT_ROWS = 5, 20
WORDS = ("project_note", "land_note", "new_row_note", "count_header", "milestone")


@dataclass(frozen=True)
class Sheets:
    names: dict[str, str]                 # projects, events → sheet name
    project_headers: tuple[str, ...]
    event_headers: tuple[str, ...]        # the fixed ones; the campaign counts follow
    words: dict[str, str]


def load_sheets(config_dir=None) -> Sheets:
    """template.yaml's names for the two sheets, checked (``template.yaml: key: problem``)."""
    from county_reports.collect.template_wording import _headers, _names

    data = read_config_file("template.yaml", config_dir) or {}
    layout, words = data.get("layout") or {}, data.get("words") or {}
    names = _names(layout, "ledger_sheets", ("projects", "events"))
    for key in WORDS:
        if not isinstance(words.get(key), str):
            raise ConfigError("template.yaml", f"words.{key}", "missing or not text")
    try:
        words["count_header"].format(name="", uom="")
        words["project_note"].format(plan="", milestones="")
        words["milestone"].format(name="", planned="")
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError("template.yaml", "words", f"a placeholder the code does not fill: {exc}") from None
    separator = {"separator": load_vocabulary(config_dir).messages["separator"]}
    return Sheets(names, _headers(layout, "project_headers", len(PROJECT_FIELDS)),
                  _headers(layout, "event_headers", len(EVENT_FIELDS)), {**{k: words[k] for k in WORDS}, **separator})


# --------------------------------------------------------------------------- writing


def write_sheets(wb, catalog: Catalog, unit: str, period: str, meta, style) -> None:
    """Add the two sheets to ``wb`` before its meta sheet; their dropdown lists go to ``meta``
    (columns G on). ``style``: the template's cell helpers (header, make_input, font, box)."""
    vocabulary, sheets = load_vocabulary(), load_sheets()
    register = load_register(catalog, vocabulary=vocabulary)
    year = periods.parse(period)[0]
    lists = _lists(meta, vocabulary)
    position = wb.sheetnames.index(meta.title)
    projects = register.reported_by(unit, year)
    land = register.land_for(unit, year)
    if projects or land:
        ws = wb.create_sheet(sheets.names["projects"], index=position)
        position += 1
        _project_rows(ws, sheets, projects, land, year, style)
        style.dropdown(ws, lists["statuses"], f"G2:G{ws.max_row}")
        style.dropdown(ws, lists["causes"], f"H2:H{ws.max_row}")
    ws = wb.create_sheet(sheets.names["events"], index=position)
    counts = _count_headers(sheets, vocabulary)
    style.header(ws, sheets.event_headers + counts)
    for row in range(2, EVENT_ROWS + 2):
        for col in range(1, len(sheets.event_headers) + len(counts) + 1):
            style.make_input(ws.cell(row=row, column=col))
    style.dropdown(ws, lists["event_kinds"], f"A2:A{EVENT_ROWS + 1}")
    style.dropdown(ws, lists["sorts"], f"F2:F{EVENT_ROWS + 1}")


def _project_rows(ws, sheets: Sheets, projects, land, year: int, style) -> None:
    style.header(ws, sheets.project_headers)
    row = 1
    for project in (*projects, *land):
        row += 1
        plan = project.years[year]
        is_land = project not in projects
        note = sheets.words["land_note"] if is_land else sheets.words["project_note"].format(
            plan=f"{plan.plan:g}", milestones=sheets.words["separator"].join(
                sheets.words["milestone"].format(name=m.name, planned=m.planned) for m in plan.milestones))
        for col, value in enumerate((project.code, project.name), start=1):
            ws.cell(row=row, column=col, value=value).font = style.font
        ws.cell(row=row, column=len(PROJECT_FIELDS), value=note).font = style.font
        for field in LAND if is_land else PROGRESS:
            style.make_input(ws.cell(row=row, column=PROJECT_FIELDS.index(field) + 1))
    for _ in range(EXTRA_PROJECT_ROWS):
        row += 1
        ws.cell(row=row, column=len(PROJECT_FIELDS), value=sheets.words["new_row_note"]).font = style.font
        for field in ("code", *PROGRESS):
            style.make_input(ws.cell(row=row, column=PROJECT_FIELDS.index(field) + 1))


def _lists(meta, vocabulary: Vocabulary) -> dict[str, str]:
    columns = {"event_kinds": list(vocabulary.words["event_kinds"].values()),
               "statuses": list(vocabulary.words["statuses"].values()),
               "causes": list(vocabulary.words["causes"].values()),
               "sorts": [w for name in SORTS.values() for w in vocabulary.words[name].values()]}
    refs = {}
    for n, (name, words) in enumerate(columns.items()):
        column = chr(ord("G") + n)
        for row, word in enumerate(words, start=2):
            meta[f"{column}{row}"] = word
        refs[name] = f"{meta.title}!${column}$2:${column}${len(words) + 1}"
    return refs


# --------------------------------------------------------------------------- reading


def read_sheets(wb, rows_of, columns_of, unit: str) -> dict[str, list[dict]]:
    """The ``projects`` / ``events`` keys of a filled template (``rows_of(ws)``: its non-empty
    data rows; ``columns_of(ws, unit, headers)``: the headers' column indexes)."""
    sheets, out = load_sheets(), {}
    if sheets.names["projects"] in wb.sheetnames:
        ws = wb[sheets.names["projects"]]
        at = columns_of(ws, unit, sheets.project_headers)
        out["projects"] = [row for _, cells in rows_of(ws) if (row := _project(cells, at))]
    if sheets.names["events"] in wb.sheetnames:
        ws = wb[sheets.names["events"]]
        vocabulary = load_vocabulary()
        counts = _count_headers(sheets, vocabulary)
        at = columns_of(ws, unit, sheets.event_headers + counts)
        events = [_event(cells, at, tuple(vocabulary.counts), vocabulary) for _, cells in rows_of(ws)]
        out["events"] = [e for e in events if e]
    return {key: items for key, items in out.items() if items}      # nothing filled: nothing sent


def _count_headers(sheets: Sheets, vocabulary: Vocabulary) -> tuple[str, ...]:
    return tuple(sheets.words["count_header"].format(name=name, uom=uom) for name, uom in vocabulary.counts.values())


def _cell(cells: tuple, index: int) -> Any:
    value = cells[index] if index < len(cells) else None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value.strip() if isinstance(value, str) else value


def _project(cells: tuple, at: tuple[int, ...]) -> dict | None:
    filled = {f: _cell(cells, i) for f, i in zip(PROJECT_FIELDS, at, strict=False) if f not in ("name", "note")}
    filled = {f: v for f, v in filled.items() if v not in (None, "")}
    if set(filled) <= {"code"}:
        return None                     # a project row left empty: not reported this month
    milestone, day = filled.pop("milestone", None), filled.pop("milestone_date", None)
    if milestone is not None or day is not None:
        filled["milestones"] = [{"name": milestone, "date": day}]
    return filled


def _event(cells: tuple, at: tuple[int, ...], count_codes: tuple[str, ...], vocabulary: Vocabulary) -> dict | None:
    filled = {f: _cell(cells, i) for f, i in zip(EVENT_FIELDS + count_codes, at, strict=False)}
    filled = {f: v for f, v in filled.items() if v not in (None, "")}
    if not filled:
        return None
    kind = vocabulary.code_of("event_kinds", filled.get("kind")) or filled.get("kind")
    event = {"kind": kind}
    names = {"title": TITLE.get(kind, "title"), "sort": SORT.get(kind, "sort"),
             "date": "start" if kind == "campaign" else "date",
             "received": COUNTS.get(kind, ("received",))[0], "closed": COUNTS.get(kind, ("", "closed"))[1]}
    for field in EVENT_FIELDS[1:]:
        if field in filled:
            event[names.get(field, field)] = filled[field]
    found = {code: filled[code] for code in count_codes if code in filled}
    if found:
        event["counts"] = found
    return event
