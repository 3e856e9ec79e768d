"""The expectation suite, generated from the catalogue and rules.yaml — never listed by hand.

:func:`build_specs` returns plain :class:`Spec` records (no Great Expectations import, so the
suite can be inspected and tested cheaply); :func:`county_reports.validate.gx_engine.gx_suites`
turns them into GX suites, one per DataFrame of :mod:`county_reports.validate.batch`. Every
indicator of the catalogue is in the known-code set and, with its own range, in the bounds and
non-negativity expectations; integer indicators are in the whole-number expectation; each rule of
rules.yaml adds its own expectation with its own importance.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from county_reports.core.catalog import Catalog, Rule
from county_reports.collect.protocol import NARRATIVE_KINDS
from county_reports.validate.narratives import XML_INVALID
from county_reports.validate.options import Options

FRAMES = ("values", "submissions", "narratives")
# The columns of each frame that expectations read: only these are handed to GX, which copies
# the frame's columns while it computes, so leaving the rest out saves time and memory.
GX_COLUMNS = {"values": ("unit", "period", "indicator", "value", "numeric_problem", "sent", "outlier")}
# Our own expectations (subclasses of GX's ColumnPairMapExpectation, in gx_engine.py): per-row
# bounds looked up by indicator code, so 150 indicators cost one pass, not 150.
CUSTOM = ("expect_indicator_values_to_be_between", "expect_indicator_values_to_be_whole")


@dataclass(frozen=True)
class Spec:
    frame: str           # which DataFrame of the batch
    check: str           # KNOWN_CODE, REQUIRED, … or a rules.yaml rule code
    importance: str      # error | warning
    expectation: str     # GX expectation type, e.g. expect_column_values_to_be_in_set
    kwargs: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    many: str = "<{count}>"      # a long list in summary(): validation.yaml descriptions.many_items

    def summary(self) -> str:
        """The kwargs in short, for reports (long sets abbreviated)."""
        parts = []
        for key, value in self.kwargs.items():
            if isinstance(value, (list, dict)) and len(value) > 4:
                value = self.many.format(count=len(value))
            parts.append(f"{key}={value}")
        return ", ".join(parts)


def build_specs(catalog: Catalog, options: Options) -> list[Spec]:
    imp = options.importance
    codes = [i.code for i in catalog.indicators]
    says = partial(_describe, options, count=len(codes))
    specs = [
        Spec("values", "KNOWN_CODE", imp["KNOWN_CODE"], "expect_column_values_to_be_in_set",
             {"column": "indicator", "value_set": codes}, says("KNOWN_CODE")),
        Spec("values", "REQUIRED", imp["REQUIRED"], "expect_column_values_to_be_in_set",
             {"column": "sent", "value_set": [True]},
             says("REQUIRED")),
        Spec("values", "NUMERIC", imp["NUMERIC"], "expect_column_values_to_be_null",
             {"column": "numeric_problem"}, says("NUMERIC")),
        Spec("values", "NEGATIVE", imp["NEGATIVE"], "expect_indicator_values_to_be_between",
             {"column_A": "indicator", "column_B": "value",
              "bounds": {i.code: [0.0, None] for i in catalog.indicators if i.min >= 0}},
             says("NEGATIVE")),
        Spec("values", "BOUNDS", imp["BOUNDS"], "expect_indicator_values_to_be_between",
             {"column_A": "indicator", "column_B": "value",
              "bounds": {i.code: [i.min, i.max] for i in catalog.indicators}},
             says("BOUNDS")),
        Spec("values", "INTEGER", imp["INTEGER"], "expect_indicator_values_to_be_whole",
             {"column_A": "indicator", "column_B": "value",
              "indicators": [i.code for i in catalog.indicators if i.integer]},
             says("INTEGER")),
        Spec("values", "DUPLICATE", imp["DUPLICATE"], "expect_compound_columns_to_be_unique",
             {"column_list": ["unit", "period", "indicator"]}, says("DUPLICATE")),
        Spec("values", "OUTLIER", imp["OUTLIER"], "expect_column_values_to_be_in_set",
             {"column": "outlier", "value_set": [False]},
             says("OUTLIER")),
        Spec("submissions", "UNIT_KNOWN", imp["UNIT_KNOWN"], "expect_column_values_to_not_be_null",
             {"column": "unit_kind"}, says("UNIT_KNOWN")),
        Spec("submissions", "PAYLOAD_UNIT", imp["PAYLOAD_UNIT"], "expect_column_pair_values_to_be_equal",
             {"column_A": "payload_unit", "column_B": "unit", "ignore_row_if": "neither"},
             says("PAYLOAD_UNIT")),
        Spec("submissions", "PAYLOAD_PERIOD", imp["PAYLOAD_PERIOD"],
             "expect_column_pair_values_to_be_equal",
             {"column_A": "payload_period", "column_B": "period", "ignore_row_if": "neither"},
             says("PAYLOAD_PERIOD")),
    ]
    specs += [rule_spec(rule) for rule in catalog.rules]
    specs += _narrative_specs(catalog, options, says)
    many = options.text("descriptions", "many_items")
    return [replace(spec, many=many) for spec in specs]


def _narrative_specs(catalog: Catalog, options: Options, says) -> list[Spec]:
    imp, limits = options.importance, options.narratives
    return [
        Spec("narratives", "NARRATIVE_KIND", imp["NARRATIVE_KIND"], "expect_column_values_to_be_in_set",
             {"column": "kind", "value_set": list(NARRATIVE_KINDS)}, says("NARRATIVE_KIND")),
        Spec("narratives", "NARRATIVE_SECTION", imp["NARRATIVE_SECTION"],
             "expect_column_values_to_be_in_set",
             {"column": "section", "value_set": [s.code for s in catalog.sections]}, says("NARRATIVE_SECTION")),
        Spec("submissions", "NARRATIVE_COUNT", imp["NARRATIVE_COUNT"], "expect_column_values_to_be_between",
             {"column": "narrative_count", "max_value": limits.max_items}, says("NARRATIVE_COUNT")),
        Spec("narratives", "NARRATIVE_LENGTH", imp["NARRATIVE_LENGTH"],
             "expect_column_value_lengths_to_be_between",
             {"column": "text", "max_value": limits.max_length}, says("NARRATIVE_LENGTH")),
        Spec("narratives", "NARRATIVE_TEXT", imp["NARRATIVE_TEXT"], "expect_column_values_to_not_match_regex",
             {"column": "text", "regex": XML_INVALID}, says("NARRATIVE_TEXT")),
    ]


def _describe(options: Options, check: str, count: int) -> str:
    """What a check checks, for the report (validation.yaml descriptions)."""
    o = options.outliers
    return options.fill(options.text("descriptions", check), count=count, window=o.window,
                        threshold=o.threshold, last_year_factor=o.last_year_factor,
                        max_items=options.narratives.max_items, max_length=options.narratives.max_length)


def rule_spec(rule: Rule) -> Spec:
    p = rule.params
    if rule.check == "le":
        return Spec("submissions", rule.code, rule.importance,
                    "expect_column_pair_values_a_to_be_greater_than_b",
                    {"column_A": p["right"], "column_B": p["left"], "or_equal": True,
                     "ignore_row_if": "either_value_is_missing"},
                    f"{p['left']} ≤ {p['right']}")
    if rule.check == "sum_equals":
        return Spec("submissions", rule.code, rule.importance, "expect_column_values_to_be_between",
                    {"column": f"{rule.code}__diff", "min_value": 0, "max_value": p["tolerance"]},
                    f"|{p['total']} − ({' + '.join(p['parts'])})| ≤ {p['tolerance']:g}")
    return Spec("submissions", rule.code, rule.importance,
                "expect_column_pair_values_a_to_be_greater_than_b",
                {"column_A": f"{rule.code}__then", "column_B": f"{rule.code}__when", "or_equal": True,
                 "ignore_row_if": "either_value_is_missing"},
                f"{p['when']} > 0 ⇒ {p['then']} > 0")


@dataclass
class CheckResult:
    """One expectation's outcome over one frame, whichever engine evaluated it."""

    spec: Spec
    evaluated: int                 # rows the expectation looked at
    rows: list[int]                # frame index of the failing rows

    @property
    def success(self) -> bool:
        return not self.rows


def specs_by_frame(specs: list[Spec]) -> dict[str, list[Spec]]:
    return {name: [s for s in specs if s.frame == name] for name in FRAMES}

