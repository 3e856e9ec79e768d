"""A readable HTML report of one period's validation, in place of GX Data Docs.

One self-contained page: the verdict counts, every expectation of the suite (frame, check,
importance, parameters, rows evaluated, failures), and the issues of every rejected or warned
unit with the message the unit was sent.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from county_reports.core import messages
from county_reports.core.catalog import Catalog
from county_reports.validate.model import ACCEPTED, ACCEPTED_WITH_WARNINGS, REJECTED, Verdict
from county_reports.validate.suite import CheckResult

# The page's wording and layout are in templates/status/validation_report.html; the status words
# are messages.yaml's statuses, as everywhere.
TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "status"
ENGINE_NAMES = {"gx": "Great Expectations", "pandas": "pandas"}


def render(period: str, results: list[CheckResult], verdicts: list[Verdict], catalog: Catalog,
           engine: str = "gx") -> str:
    counts = Counter(v.status for v in verdicts)
    flagged = sorted((v for v in verdicts if v.issues), key=lambda v: (v.status != REJECTED, v.unit))
    return _template().render(
        period=period, bureau=catalog.bureau.name, generated=datetime.now().isoformat(timespec="seconds"),
        engine=ENGINE_NAMES.get(engine, "pandas"), results=results, verdicts=verdicts, flagged=flagged,
        counts={s: counts[s] for s in (ACCEPTED, ACCEPTED_WITH_WARNINGS, REJECTED)},
        statuses=messages.group("statuses"), unit_names={u.code: u.name for u in catalog.units})


@lru_cache(maxsize=1)
def _template():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, keep_trailing_newline=False)
    return env.get_template("validation_report.html")


def write(path: Path, period: str, results: list[CheckResult], verdicts: list[Verdict],
          catalog: Catalog, engine: str = "gx") -> Path:
    """Write atomically (temp file, then rename) so a reader never sees half a page."""
    from county_reports.core import atomic

    return atomic.write_text(path, render(period, results, verdicts, catalog, engine))
