"""Unconfirmed values at the approval gate (issue 20 part 3): what the admin reads, and the choice.

At a summary's deadline some values may still be flagged as likely slips that their units have
neither confirmed (核实无误) nor corrected (``aggregate.unconfirmed``). The approval request lists
them, largest effect on the county figure first, and the form asks one decision for all of them
(the ``unconfirmed`` field, added only when there are any — otherwise the form is as before):

- 按报送数使用 (:data:`USE`) — the draft as rendered is sent;
- 剔除后汇总 (:data:`LEAVE_OUT`) — the span rendered again without those values, *before* the
  admin is asked (the approval task renders it next to the draft), so the request shows that
  document's SHA-256 too and the approval binds its exact bytes: deliver sends it, never a
  re-render the admin did not see. Not offered for the office's edited version (made from the
  draft as reported);
- 暂缓报送 (:data:`WAIT`) — nothing is sent, the decision is recorded and the admins are mailed;
  the report is triggered again once the units have answered.

Which choice is which is read from admins.yaml ``approval`` texts (the form shows the words).
"""
from __future__ import annotations

import logging
import math
from html import escape
from typing import Any

from county_reports.core import messages

USE, LEAVE_OUT, WAIT = "use", "leave_out", "wait"
CHOICES = (USE, LEAVE_OUT, WAIT)
PARAM = "unconfirmed"            # the form's field
log = logging.getLogger(__name__)
FOLDER = "left_out"              # {data}/reports/{year}/left_out/: the span without the unconfirmed values


def key(value) -> tuple[str, str, str]:
    """(unit, period, indicator) of an ``UnconfirmedValue`` or a stored list."""
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return value.unit, value.period, value.indicator


def choices(texts: dict, *, edited: bool) -> list[str]:
    """The field's words, in order; without 剔除后汇总 for the office's edited version."""
    return [texts[f"unconfirmed_{code}"] for code in CHOICES if not (edited and code == LEAVE_OUT)]


def choice_of(texts: dict, answered: Any) -> str | None:
    """The code (use / leave_out / wait) of the word the admin chose, or None."""
    return next((code for code in CHOICES if answered == texts[f"unconfirmed_{code}"]), None)


def field(texts: dict, offered: list[str]) -> dict[str, Any]:
    """The form's ``unconfirmed`` field (an Airflow Param's schema, its value None): one of
    ``offered``, required (no "null" in its type: the form will not submit it empty)."""
    return {"type": "string", "enum": list(offered), "title": texts["unconfirmed_title"],
            "description": texts["unconfirmed_description"]}


def listing(texts: dict, catalog, values: list) -> str:
    """The request's paragraph on the unconfirmed values (Markdown), in the order given (largest
    effect first); empty when there are none."""
    if not values:
        return ""
    offered = messages.join(choices(texts, edited=False))
    lines = [texts["unconfirmed"].format(count=len(values), title=texts["unconfirmed_title"], choices=offered)]
    lines += [f"{number}. {line(texts, catalog, value)}" for number, value in enumerate(values, 1)]
    return "\n".join(lines)


def line(texts: dict, catalog, value) -> str:
    """One value: unit, month, indicator, as reported, expected, effect on the county figure."""
    units = {u.code: u.name for u in catalog.units}
    indicator = catalog.indicator_by_code.get(value.indicator)
    name, uom = (indicator.name, indicator.uom) if indicator else (value.indicator, "")
    unknown = texts["unconfirmed_unknown"]
    return texts["unconfirmed_value"].format(
        unit=units.get(value.unit, value.unit), month=value.period, indicator=name, uom=uom,
        value=_number(value.value), expected=unknown if value.expected is None else _number(value.expected),
        effect=share(value.effect, unknown), as_reported=_number(value.as_reported, unknown),
        left_out=_number(value.left_out, unknown))


def document(texts: dict, filename: str, sha256: str) -> str:
    """The request's line on the document 剔除后汇总 would send."""
    return texts["unconfirmed_document"].format(filename=filename, sha256=sha256)


def wait_mail(mail, *, title: str, run_id: str, dag_id: str, by: str | None, lines: list[str]) -> tuple[str, str]:
    """The admins' e-mail after 暂缓报送 (admins.yaml ``mail.unconfirmed_wait``): subject and HTML."""
    items = "".join(f"<li>{escape(text)}</li>" for text in lines)
    values = dict(title=escape(title), run_id=escape(run_id), dag_id=escape(dag_id), by=escape(by or ""),
                  values=items)
    return mail.subject.format(title=title), mail.body.format(**values)


def share(effect: float | None, unknown: str) -> str:
    if effect is None:
        return unknown
    if math.isinf(effect):
        return "∞"
    return f"{effect * 100:.1f}%"


def _number(value: float | None, unknown: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return unknown
    if float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.2f}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------- the span's values


def span_values(kind: str, year: int) -> list:
    """The span's values still unconfirmed, largest effect on the county figure first."""
    from county_reports.aggregate.unconfirmed import unconfirmed_for_report
    from county_reports.core import report_settings
    from county_reports.core.catalog import load_catalog
    from county_reports.render import summaries
    from county_reports.warehouse import Warehouse

    plan = summaries.plan(kind, year, report_settings.load_settings())
    with Warehouse() as warehouse:
        warehouse.migrate()
        return unconfirmed_for_report(warehouse, load_catalog(), plan.span)


def render_without(kind: str, year: int, keys: tuple, data_dir=None) -> dict[str, Any]:
    """The summary rendered without the values ``keys`` in ``{data}/reports/{year}/left_out/`` (the
    same file names: the office gets the same title): its files as keys and the .docx's SHA-256."""
    from county_reports.core import paths, report_settings
    from county_reports.core.catalog import load_catalog
    from county_reports.render import summaries
    from county_reports.warehouse import Warehouse

    catalog, settings = load_catalog(), report_settings.load_settings()
    plan = summaries.plan(kind, year, settings)
    with Warehouse() as warehouse:
        state_gap = summaries.coverage(warehouse, catalog, plan, settings).action == "state_gap"
        built = summaries.write_summary(warehouse, catalog, plan, paths.reports(year, data_dir) / FOLDER,
                                        state_gap=state_gap, exclude=frozenset(keys))
    log.info(f"Rendered without {len(keys)} unconfirmed values: {built['docx']}")
    return {f: paths.key(built[f], data_dir) for f in ("docx", "sidecar", "xlsx")} | {"sha256": built["sha256"]}
