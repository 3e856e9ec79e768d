"""The admins' reporting pages (报送情况): the units × months grid, one unit's history, one month's
validation report, all built from the warehouse and rendered with the Jinja2 templates in
``templates/status`` (the wording lives there).

The Airflow plugin that serves them (plugins/county_reports_status.py) is a thin wrapper doing
authentication; everything here is plain Python, tested without a web server. Pages only read:
``open_warehouse`` opens the database read-only and never migrates it.

Links inside the pages are relative to the page (``root`` is ``./`` or ``../``), so they work
wherever the api-server is mounted (a ``base_url`` with a path, behind a reverse proxy).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, UTC
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from county_reports.core import atomic, messages, paths
from county_reports.core import periods as months
from county_reports.core.catalog import Catalog, Unit
from county_reports.warehouse import Warehouse, pages

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "status"


class WarehouseUnavailable(Exception):
    """The warehouse has no schema yet (never migrated) or cannot be reached."""


def open_warehouse(url: str | None = None) -> Warehouse:
    """The warehouse, read-only; raises WarehouseUnavailable instead of creating anything."""
    warehouse = Warehouse(url, read_only=True)
    reason = pages.schema_missing(warehouse.engine)
    if reason:
        warehouse.close()
        raise WarehouseUnavailable(reason)
    return warehouse


def bureau_today(catalog: Catalog, now: datetime | None = None) -> date:
    """Today on the bureau's clock (bureau.yaml timezone), not the server's."""
    now = now or datetime.now(UTC)
    return now.astimezone(ZoneInfo(catalog.bureau.timezone)).date()


def latest_period(warehouse: Warehouse, catalog: Catalog, now: datetime | None = None) -> str:
    """The newest month with a submission, else the month before today (bureau's clock)."""
    # one max() query, not every stored version (a province warehouse holds millions of rows)
    return warehouse.latest_period() or months.previous(months.of_date(bureau_today(catalog, now)))


def window(last: str, count: int) -> list[str]:
    return months.span(months.shift(last, -(count - 1)), last)


def documents(data_dir: Path) -> list[tuple[str, str]]:
    """(year/file name, link relative to the grid page) of every rendered document, newest year first."""
    root = paths.reports(data=data_dir)
    found = sorted(root.glob("*/*.docx"), key=lambda p: (p.parent.name, p.name), reverse=True)
    return [(f"{p.parent.name}/{p.name}", f"documents/{p.parent.name}/{p.name}") for p in found]


def read_document(path: paths.DataPath, data_dir: paths.DataPath) -> bytes | None:
    """The bytes of a regular file under the data folder, or None when it is missing, is not a
    regular file, or is or passes through a symbolic link below the data folder: a link planted
    in the reports folder must not serve the warehouse, a token file or /etc/passwd. Each folder
    is opened relative to the one before it without following links (no check-then-open race)."""
    import os
    import stat

    if paths.is_remote(path):               # an object store has no links
        return path.read_bytes() if path.is_file() else None
    parts = Path(path).relative_to(data_dir).parts
    nofollow = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    fds: list[int] = []
    try:
        fds.append(os.open(data_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC))
        for part in parts[:-1]:
            fds.append(os.open(part, nofollow | os.O_DIRECTORY, dir_fd=fds[-1]))
        fds.append(os.open(parts[-1], nofollow | os.O_NONBLOCK, dir_fd=fds[-1]))   # a FIFO must not block
        if not stat.S_ISREG(os.fstat(fds[-1]).st_mode):
            return None
        with os.fdopen(os.dup(fds[-1]), "rb") as fh:
            return fh.read()
    except (OSError, ValueError):
        return None
    finally:
        for fd in fds:
            os.close(fd)


def circulars(data_dir: Path) -> list[tuple[str, str]]:
    """(month, link relative to the grid page) of every monthly reporting circular, newest first."""
    found = sorted(paths.circulars(data=data_dir).glob("*/circular-*.docx"), reverse=True)
    return [(p.parent.name, f"circulars/{p.parent.name}") for p in found]


# --------------------------------------------------------------------------- pages


def grid_page(warehouse: Warehouse, catalog: Catalog, count: int, data_dir: Path,
              now: datetime | None = None) -> str:
    period_list = window(latest_period(warehouse, catalog, now), count)
    completeness = warehouse.completeness(catalog, period_list)
    rates = warehouse.reporting_rate(catalog, period_list)
    return render_grid(catalog, completeness, rates, period_list, document_links=documents(data_dir),
                       circular_links=circulars(data_dir))


def render_grid(catalog: Catalog, completeness, rates, period_list: list[str], *,
                document_links: list[tuple[str, str]],
                circular_links: list[tuple[str, str]] = ()) -> str:
    status = {(r.unit, r.period): r.status for r in completeness.itertuples(index=False)}
    rate_by = {r.period: _pct(r.rate) for r in rates.itertuples(index=False)}
    return _render("grid.html", catalog, root="./", units=catalog.units, periods=period_list,
                   status=status, rates=rate_by, documents=document_links,
                   circulars=list(circular_links))


def unit_page(warehouse: Warehouse, catalog: Catalog, unit: Unit, now: datetime | None = None) -> str:
    history = pages.unit_history(warehouse.engine, unit.code)
    last = latest_period(warehouse, catalog, now)
    first = max(unit.active_from, months.shift(last, -35))
    stored = [p for (_, p) in history.keys()]   # noqa: SIM118  (History is not a dict: keys() is its API)
    period_list = sorted(set(months.span(first, last) if first <= last else []) | set(stored))
    status = {}
    if period_list:
        frame = warehouse.completeness(catalog, period_list)
        status = {r.period: r.status for r in frame.itertuples(index=False) if r.unit == unit.code}
    return _render("unit.html", catalog, root="../", unit=unit, months=period_list, status=status,
                   history=history, names=_indicator_names(catalog), projects=unit_projects(catalog, unit.code))


def unit_projects(catalog: Catalog, unit: str) -> list:
    """The key projects the unit reports (or, a township, reports land for) in any year."""
    register = _register(catalog)
    return [p for p in register.projects
            if any(p in register.reported_by(unit, y) or p in register.land_for(unit, y) for y in p.years)]


def find_project(catalog: Catalog, code: str):
    """The registered project ``code`` (projects.yaml), or None: the page's only lookup (a code
    from the URL is never more than a dictionary key)."""
    return _register(catalog).by_code.get(code)


def project_page(warehouse: Warehouse, catalog: Catalog, project, year: int | None = None,
                 now: datetime | None = None) -> str:
    """One key project's year: its months against plan and schedule (序时进度), milestones planned
    and reached, status history with causes, land by township; ``year`` defaults to the latest
    month's year the project is registered for (else its last registered year)."""
    from county_reports.core.projects.vocabulary import load_vocabulary
    from county_reports.warehouse.projects import project_months

    last = latest_period(warehouse, catalog, now)
    years = sorted(project.years)
    year = year if year in project.years else max([y for y in years if y <= int(last[:4])] or years)
    last = min(last, months.make(year, 12))
    words = load_vocabulary().words
    return _render("project.html", catalog, root="../", project=project, year=year, years=years,
                   plan=project.years[year], ledger=project_months(warehouse.engine, project, year, last),
                   units=catalog.unit_by_code, words=words)


def _register(catalog: Catalog):
    from county_reports.core.projects.register import load_register

    return load_register(catalog)


@dataclass
class MonthRow:
    unit: Unit
    status: str | None
    latest: pages.Version | None
    not_received: pages.NotReceived | None
    feedback: pages.Feedback | None
    feedback_version: int | None = None       # the version the latest feedback was about


def month_page(warehouse: Warehouse, catalog: Catalog, period: str, now: datetime | None = None,
               *, root: str = "../") -> str:
    """The month's validation report for every unit the roster expects (or that sent anything),
    rebuilt from the warehouse: a partial re-run of a few units changes only their rows."""
    history = pages.month_history(warehouse.engine, period)
    frame = warehouse.completeness(catalog, [period])
    status = {r.unit: r.status for r in frame.itertuples(index=False)}
    codes = set(status) | {u for (u, _) in history.keys()}   # noqa: SIM118  (History is not a dict: keys() is its API)
    rows = []
    for unit in catalog.units:
        if unit.code not in codes:
            continue
        versions = history.versions.get((unit.code, period), [])
        current = next((v for v in versions if v.current), None)
        sent = history.feedback.get((unit.code, period), [])
        about = next((v.version for v in versions if sent and v.id == sent[0].submission_id), None)
        rows.append(MonthRow(unit, status.get(unit.code), current or (versions[0] if versions else None),
                             history.not_received.get((unit.code, period)), sent[0] if sent else None,
                             about))
    rows.sort(key=lambda r: r.status not in ("rejected", "missing"))     # problems first, roster order
    counts = {"expected": len(status), **{k: sum(1 for s in status.values() if s == k)
                                          for k in ("on_time", "late", "rejected", "missing")}}
    return _render("month.html", catalog, root=root, period=period, rows=rows, counts=counts,
                   now=now or datetime.now(UTC))


def write_validation_reports(warehouse: Warehouse, catalog: Catalog, period_list, folder: Path) -> list[Path]:
    """``{folder}/{period}.html`` for each month, from the warehouse (whole month), atomically."""
    written = []
    for period in period_list:
        path = paths.location(folder) / f"{period}.html"
        atomic.write_text(path, month_page(warehouse, catalog, period, root="./"))
        written.append(path)
    return written


def report_page(catalog: Catalog, year: int, name: str, review: dict | None, csrf: str, root: str,
                message: str | None = None, refused: bool = False) -> str:
    """A summary's page: the draft, the upload form for the office's edited version and, once one
    is stored, its review (figures to confirm, layout breaks with restore, the paragraph diff)."""
    return _render("report.html", catalog, root=root, year=year, name=name, review=review, csrf=csrf,
                   message=message, refused=refused)


def unavailable_page(catalog: Catalog, reason: str) -> str:
    return _render("unavailable.html", catalog, root="./", reason=reason)


# --------------------------------------------------------------------------- rendering


def _render(template: str, catalog: Catalog, **context) -> str:
    env = _environment(catalog.bureau.timezone)
    return env.get_template(template).render(bureau=catalog.bureau, **context)


@lru_cache(maxsize=4)
def _environment(tz: str):
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    zone = ZoneInfo(tz)
    env.filters["local"] = lambda ts: "" if ts is None else ts.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    env.filters["number"] = _number
    # The status words shared with the feedback, the validation report and the ledger (_labels.html).
    env.globals.update(statuses=messages.group("statuses"), outcomes=messages.group("outcomes"))
    return env


def _indicator_names(catalog: Catalog) -> dict[str, str]:
    return {code: messages.text("status_page", "indicator_with_uom", name=i.name, uom=i.uom) if i.uom else i.name
            for code, i in catalog.indicator_by_code.items()}


def _number(value) -> str:
    if value is None or value != value:
        return ""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4f}".rstrip("0").rstrip(".")


def _pct(rate) -> str:
    return "" if rate is None or rate != rate else f"{rate * 100:.0f}%"
