"""Running the suite with Great Expectations: one ephemeral context, one run per DataFrame.

Imports great_expectations at module level, so only import this module inside a task
(``validate_period`` does); DAG files must never import it while being parsed.
"""
from __future__ import annotations

import logging
import re
from typing import Any, ClassVar, Literal

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnPairMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnPairMapMetricProvider, column_pair_condition_partial)

from county_reports.validate.suite import GX_COLUMNS, CheckResult, Spec, specs_by_frame

WHOLE_TOLERANCE = 1e-6     # 12.0000001 from a spreadsheet's float arithmetic is still 12
_DOMAIN_KEYS = ("batch_id", "table", "column_A", "column_B", "row_condition", "condition_parser",
                "ignore_row_if")
_RESULT_FORMAT = {"result_format": "COMPLETE", "partial_unexpected_count": 0,
                  "return_unexpected_index_query": False}
log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- our expectations


class IndicatorValuesBetween(ColumnPairMapMetricProvider):
    """column_B within the [min, max] that ``bounds`` gives for column_A's indicator code."""

    condition_metric_name = "county_reports.indicator_values_between"
    condition_domain_keys = _DOMAIN_KEYS
    condition_value_keys = ("bounds",)

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A, column_B, bounds=None, **kwargs):
        bounds = bounds or {}
        low = column_A.map({k: -float("inf") if v[0] is None else v[0] for k, v in bounds.items()})
        high = column_A.map({k: float("inf") if v[1] is None else v[1] for k, v in bounds.items()})
        return low.isna() | ((column_B >= low) & (column_B <= high))


class IndicatorValuesWhole(ColumnPairMapMetricProvider):
    """column_B is a whole number where column_A is one of ``indicators``."""

    condition_metric_name = "county_reports.indicator_values_whole"
    condition_domain_keys = _DOMAIN_KEYS
    condition_value_keys = ("indicators",)

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A, column_B, indicators=None, **kwargs):
        return ~column_A.isin(indicators or []) | ((column_B - column_B.round()).abs() <= WHOLE_TOLERANCE)


class ExpectIndicatorValuesToBeBetween(ColumnPairMapExpectation):
    """Each value lies within its own indicator's range: ``bounds`` maps code → [min, max]
    (None = open). Rows of codes not in ``bounds`` and rows without a number are skipped."""

    bounds: dict
    ignore_row_if: Literal["both_values_are_missing", "either_value_is_missing", "neither"] = \
        "either_value_is_missing"
    map_metric: ClassVar[str] = "county_reports.indicator_values_between"
    success_keys: ClassVar[tuple[str, ...]] = ("bounds", "mostly", "ignore_row_if")
    args_keys: ClassVar[tuple[str, ...]] = ("column_A", "column_B")


class ExpectIndicatorValuesToBeWhole(ColumnPairMapExpectation):
    """Values of the listed indicator codes are whole numbers."""

    indicators: list
    ignore_row_if: Literal["both_values_are_missing", "either_value_is_missing", "neither"] = \
        "either_value_is_missing"
    map_metric: ClassVar[str] = "county_reports.indicator_values_whole"
    success_keys: ClassVar[tuple[str, ...]] = ("indicators", "mostly", "ignore_row_if")
    args_keys: ClassVar[tuple[str, ...]] = ("column_A", "column_B")


_CUSTOM = {"expect_indicator_values_to_be_between": ExpectIndicatorValuesToBeBetween,
           "expect_indicator_values_to_be_whole": ExpectIndicatorValuesToBeWhole}


def expectation(spec: Spec):
    """The GX expectation object for a spec; ``meta`` carries the check code back to us."""
    cls = _CUSTOM.get(spec.expectation)
    if cls is None:
        cls = getattr(gxe, "".join(w.capitalize() if len(w) > 1 else w.upper()
                                   for w in spec.expectation.split("_")))
    return cls(**spec.kwargs, meta={"check": spec.check, "importance": spec.importance})


def gx_suites(specs: list[Spec], name: str = "county_reports") -> dict[str, Any]:
    """One ``great_expectations.ExpectationSuite`` per frame (imports GX: call inside a task)."""
    return {frame: gx.ExpectationSuite(name=f"{name}.{frame}",
                                       expectations=[expectation(s) for s in items])
            for frame, items in specs_by_frame(specs).items()}


# --------------------------------------------------------------------------- running


def check(frames: dict[str, pd.DataFrame], specs: list[Spec], name: str = "batch") -> list[CheckResult]:
    """Validate each non-empty frame with its suite: one GX run per frame."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas(_safe(f"county_reports_{name}"))
    results: list[CheckResult] = []
    for frame_name, items in specs_by_frame(specs).items():
        frame = frames[frame_name]
        if not items:
            continue
        if frame.empty:
            results += [CheckResult(s, 0, []) for s in items]
            continue
        asset = source.add_dataframe_asset(frame_name)
        definition = asset.add_batch_definition_whole_dataframe(f"{frame_name}_whole")
        suite = context.suites.add(gx.ExpectationSuite(
            name=_safe(f"{name}.{frame_name}"), expectations=[expectation(s) for s in items]))
        validation = context.validation_definitions.add(gx.ValidationDefinition(
            name=_safe(f"{name}.{frame_name}.validation"), data=definition, suite=suite))
        if frame_name in GX_COLUMNS:
            frame = frame[list(GX_COLUMNS[frame_name])]
        outcome = validation.run(batch_parameters={"dataframe": frame}, result_format=_RESULT_FORMAT)
        by_check = {s.check: s for s in items}
        for r in outcome.results:
            spec = by_check[r.expectation_config.meta["check"]]
            if r.exception_info and r.exception_info.get("raised_exception"):
                raise RuntimeError(f"expectation {spec.expectation} for {spec.check} failed to run: "
                                   f"{r.exception_info.get('exception_message')}")
            results.append(CheckResult(spec, _evaluated(r.result, len(frame)),
                                       [int(i) for i in _indexes(r.result)]))
    order = {id(s): i for i, s in enumerate(specs)}
    return sorted(results, key=lambda c: order[id(c.spec)])


def _indexes(result: dict[str, Any]) -> list:
    rows = result.get("unexpected_index_list")
    if rows is None:
        if result.get("unexpected_count"):
            raise RuntimeError("GX returned failures without their row indexes")
        return []
    # With unexpected_index_column_names GX returns dicts; without, the frame's index values.
    return [r["index"] if isinstance(r, dict) else r for r in rows]


def _evaluated(result: dict[str, Any], rows: int) -> int:
    return int(result.get("element_count", rows)) - int(result.get("missing_count", 0) or 0)


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)
