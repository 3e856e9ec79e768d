"""Aggregate: county figures from the units' accepted monthly values, in pandas.

Inputs are DataFrames the DAG reads from the warehouse (this package never imports it):

- ``values``: unit, period ('YYYY-MM'), indicator, value, submission_id, version — the current
  accepted version of each (unit, period) submission, possibly for the span and the same span
  a year earlier. :func:`current_only` is applied anyway: if a superseded version slipped in,
  only the highest version of each (unit, period) counts.
- ``completeness``: one row per expected (unit, period): unit, period, status (on_time, late,
  rejected, missing), due, first_accepted_arrived_at.

A :class:`Span` is a run of months in one year: a month, January to month N, the half-year, the year.

Aggregation rules (each indicator by its own ``over_time`` and ``over_units``)
--------------------------------------------------------------------------------
- **sum** (flows): each unit's values summed over the span's months, then the units combined
  by ``over_units`` (sum, mean or max of the per-unit sums).
- **last** (stocks): each unit's latest value within the span; a unit missing the span's last
  month contributes its latest earlier value and is listed in ``stale_units``. Units no longer
  active in the span's last month (closed or merged, e.g. TS09 after 2024-09) do not
  contribute: the level at the span's end is held by the units that exist then. Then the
  units are combined by ``over_units``.
- **max**: the county monthly value (``over_units`` of that month's unit values) for each month,
  then the largest of them.
- **mean**: the county monthly value (for ``over_units`` mean: the mean of the units that
  reported that month) for each month, then the mean over the months that have one.
- **derived** indicators: the catalogue formula evaluated (safely, via :mod:`ast`: numbers,
  codes, + - * / only) on the *aggregated county* figures of its inputs — a ratio of sums,
  never a mean of unit ratios. A missing input or division by zero gives None.
- **Missing is not zero.** The county figure is computed from what was reported; expected units
  (kind in ``reported_by``, active in the month — or listed in ``completeness`` for that month
  when given) that lack an accepted value for one of their months are listed in
  ``missing_units``. When nobody reported, the value is None, never 0.
- Values of units that report an indicator without having to are counted too.
- **YoY**: the same rules on ``span.same_span_last_year()``. ``yoy_pct`` = (value − base) /
  base × 100; with no base it is None and ``yoy_note`` 'no_base' (never 0%); a zero base gives
  None and 'zero_base'; no current figure 'no_value'. ``yoy_change`` is the absolute
  difference (percentage points for rates).
- **Targets**: ``target`` = the county's annual target for ``span.year``. ``completion_pct`` =
  value / target × 100. ``target_basis`` 'cumulative' for flow sums (progress on the year's
  total), 'level' for stocks, max/mean and derived rates (the level compared with the target
  level, e.g. HAZARD_FIX_RATE 96.0 vs 98 → 98.0%).
- **Half the time, half the task**: for the half-year (January–June) span, every 'cumulative' indicator with a
  target gets ``half_done`` = completion_pct ≥ 50 (False when there is no figure);
  :func:`time_half_task_half` gives (all half done, lagging codes).

Every function is deterministic: rows in catalogue order (indicators, then derived ones) or
registry order for units; unit lists sorted in registry order; ties broken by code.
Number formatting for documents lives in :mod:`county_reports.render.number_style`.
"""
from county_reports.aggregate.completeness import (SUMMARY_COLUMNS, completeness_summary,
                                                   completeness_totals)
from county_reports.aggregate.indicator import current_only
from county_reports.aggregate.figures import (FIGURE_COLUMNS, SERIES_COLUMNS, county_figures,
                                              monthly_series, time_half_task_half, yoy)
from county_reports.core.formulas import FormulaError, evaluate
from county_reports.aggregate.span import Span
from county_reports.aggregate.units import (BREAKDOWN_COLUMNS, TOTAL_UNIT,
                                            unit_breakdown, unit_ranking, unit_values_table)

__all__ = [
    "Span", "unit_values_table", "current_only", "county_figures", "time_half_task_half", "monthly_series", "yoy",
    "unit_breakdown", "unit_ranking", "completeness_summary", "completeness_totals", "evaluate",
    "FormulaError", "FIGURE_COLUMNS", "SERIES_COLUMNS", "BREAKDOWN_COLUMNS", "SUMMARY_COLUMNS",
    "TOTAL_UNIT",
]
