"""``check-config``: every file admins edit, loaded and cross-checked before a run finds out.

Each loader checks its own file; this module runs them all, checks references between files
(indicator codes named in the wording, targets for the running year), and composes both
summaries once from made-up figures, so a misspelt ``{placeholder}`` in wording.yaml fails
here, not on 10 July. A problem raises :class:`ConfigError`; things that are fine today but
will bite later (no targets for this year, an environment variable only the workers have)
come back as warnings.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from county_reports.core import messages
from county_reports.core.catalog import Catalog
from county_reports.core.config import ConfigError
from county_reports.collect.protocol import NARRATIVE_KINDS

def check_all(catalog: Catalog, config_dir: Path | None = None, today: date | None = None) -> list[str]:
    """Load and cross-check every configuration file; returns warnings (errors raise)."""
    from county_reports.core import admins
    from county_reports.collect import pull_settings, example, template, template_projects
    from county_reports.deliver import office_settings
    from county_reports.render import summaries
    from county_reports.collect.history import settings as history_settings
    from county_reports.core.projects.register import load_register
    from county_reports.render.review import settings as review_settings
    from county_reports.validate.options import load_options

    from county_reports.core.config_models import check_files

    warnings: list[str] = []
    check_files(config_dir)                         # every file by its model: no unknown key, no wrong type
    pull_settings.load_settings(config_dir)
    load_options(config_dir)
    summaries.load_settings(config_dir)
    admins.load_settings(config_dir)
    template.load_wording(config_dir)
    example.load_placeholders(config_dir)
    template.load_layout(config_dir)
    template_projects.load_sheets(config_dir)       # the 重点项目 / 重要事项 sheets' names and words
    messages.check(config_dir)
    history_settings.load_settings(config_dir)      # history.yaml and its messages
    review_settings.load_settings(config_dir)       # edited.yaml: limits and wording for edited drafts
    load_register(catalog, config_dir)              # projects.yaml against ledger.yaml and the roster
    try:
        office_settings.load_settings(config_dir)
    except ConfigError as exc:
        if "is not set" not in exc.problem:
            raise
        warnings.append(f"{exc} — set it where the report DAGs run (workers), or delivery will fail")
    _check_wording(catalog, config_dir)
    _check_mail(catalog, config_dir)
    today = today or datetime.now(ZoneInfo(catalog.bureau.timezone)).date()
    for year in (today.year, today.year - 1 if today.month == 1 else None):
        if year and year not in catalog.targets:
            warnings.append(f"targets.yaml: {year}: no annual targets — the {year} summaries will "
                            f"print no completion figures")
    return warnings


def _check_mail(catalog: Catalog, config_dir: Path | None) -> None:
    """mail.yaml, and the circular composed from a made-up month (a misspelt placeholder fails)."""
    from county_reports.render import circular
    from county_reports.core import mail

    mail.load_settings(config_dir)
    circular.compose(_circular_sample(catalog), catalog, circular.load_wording(config_dir), date(2025, 7, 8))


def _circular_sample(catalog: Catalog) -> dict:
    import pandas as pd

    unit = catalog.units[0]
    row = {"unit": unit.code, "unit_name": unit.name, "status": "late", "submissions": 1,
           "due": pd.Timestamp("2025-07-05 23:59:59"), "first_accepted_arrived_at": pd.Timestamp("2025-07-06 09:00")}
    return {"period": "2025-06", "expected": 1, "reported": 1, "on_time": 0, "late": 1, "rejected": 0,
            "missing": 0, "window": ["2025-01", "2025-06"], "threshold": 2, "rows": pd.DataFrame([row]),
            "repeated": [{"unit": unit.code, "name": unit.name, "late": 2, "rejected": 0, "missing": 0}],
            "flags": pd.DataFrame([{"unit": unit.code, "indicator": catalog.indicators[0].code, "value": 1060.0,
                                    "effect": 0.2, "confirmed": False}])}


def _check_wording(catalog: Catalog, config_dir: Path | None) -> None:
    """Indicator codes the wording names exist, and both summaries compose from sample figures."""
    from county_reports import aggregate
    from county_reports.render import compose, layout, workbook

    wording = compose.load_wording(config_dir)
    known = set(catalog.indicator_by_code) | {d.code for d in catalog.derived}
    figures = wording.get("figures") or {}
    appendix = ((wording.get("attachments") or {}).get("indicators") or {})
    references = {"opening.headline_indicators": (wording.get("opening") or {}).get("headline_indicators", []),
                  "figures.items": list(figures.get("items") or {}),
                  "attachments.indicators.key_indicators": appendix.get("key_indicators", [])}
    for index, theme in enumerate(wording.get("themes") or []):
        references[f"themes[{index}].lead"] = (theme or {}).get("lead") or []
        for section in (theme or {}).get("sections") or []:
            if section not in catalog.section_by_code:
                raise ConfigError("wording.yaml", f"themes[{index}].sections",
                                  f"unknown line of work {section!r} (sections are in indicators.yaml)")
        for key in ("sections", "heading", "plan"):
            if not (theme or {}).get(key):
                raise ConfigError("wording.yaml", f"themes[{index}].{key}", "missing")
    if not 4 <= len(wording.get("themes") or []) <= 7:
        raise ConfigError("wording.yaml", "themes", "a summary has 4–7 themes")
    if len((wording.get("opening") or {}).get("headline_indicators") or []) > 4:
        raise ConfigError("wording.yaml", "opening.headline_indicators", "at most 4 headline figures")
    for key, codes in references.items():
        for code in codes or []:
            if code not in known:
                raise ConfigError("wording.yaml", key, f"unknown indicator code {code!r}")
    layout.TitleBreaks.from_config(wording.get("title_breaks"))
    for kind in ("half_year", "annual"):
        try:
            inputs = _sample_inputs(catalog, kind)
            compose.compose(catalog, wording, inputs)
            per_unit = aggregate.unit_values_table(catalog, _sample_values(catalog, inputs.span), inputs.span)
            workbook.workbook_bytes(catalog, wording, kind, inputs.span,
                                    workbook.SpanTables(inputs.figures, per_unit, inputs.reporting), inputs.report_date)
        except ConfigError:
            raise
        except KeyError as exc:
            raise ConfigError("wording.yaml", f"({kind})", f"unknown or missing key/placeholder {exc}") from None
        except (ValueError, IndexError) as exc:
            raise ConfigError("wording.yaml", f"({kind})", f"a template cannot be filled: {exc}") from None


def _sample_inputs(catalog: Catalog, kind: str):
    """Made-up figures (every indicator 1.0, one of every narrative) to exercise every template."""
    import pandas as pd

    from county_reports import aggregate
    from county_reports.render import compose

    year = max(catalog.targets) if catalog.targets else 2025
    span = aggregate.Span.half_year(year) if kind == "half_year" else aggregate.Span.full_year(year)
    last = span.last
    units = catalog.units_active_in(last)
    narratives = []
    sample = messages.text("cli", "sample_narrative")
    for section in catalog.sections:
        for item in NARRATIVE_KINDS:
            narratives.append({"unit": units[0].code, "period": last, "kind": item,
                               "section": section.code, "text": sample, "seq": 0})
    completeness = pd.DataFrame([{"unit": u.code, "period": p, "status": "missing", "due": None,
                                  "first_accepted_arrived_at": None}
                                 for p in span.periods for u in catalog.units_active_in(p)])
    figures = aggregate.county_figures(catalog, _sample_values(catalog, span), span, completeness=completeness)
    summary = aggregate.completeness_summary(completeness, span, catalog=catalog)
    return compose.ReportInputs(kind, span, figures, pd.DataFrame(narratives), summary,
                                aggregate.completeness_totals(summary), date(year, 7, 10), state_gap=True)


def _sample_values(catalog: Catalog, span):
    """Every indicator 1.0 in the span's last month, from the first active unit that reports it."""
    import pandas as pd

    units = catalog.units_active_in(span.last)
    values = []
    for indicator in catalog.indicators:
        unit = next((u for u in units if u.kind in indicator.reported_by), None)
        if unit:
            values.append({"unit": unit.code, "period": span.last, "indicator": indicator.code, "value": 1.0,
                           "submission_id": 1, "version": 1})
    return pd.DataFrame(values, columns=["unit", "period", "indicator", "value", "submission_id", "version"])
