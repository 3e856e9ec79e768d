"""The expectation suite, generated from the catalogue and rules.yaml — never listed by hand.

:func:`build_specs` returns plain :class:`Spec` records (no Great Expectations import, so the
suite can be inspected and tested cheaply); :func:`county_reports.validate.gx_engine.gx_suites`
turns them into GX suites, one per DataFrame of :mod:`county_reports.validate.batch`. Every indicator of the catalogue is in
the known-code set and, with its own range, in the bounds and non-negativity expectations;
integer indicators are in the whole-number expectation; each rule of rules.yaml adds its own
expectation with its own importance.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from county_reports.catalog import Catalog, Rule
from county_reports.validate.batch import NARRATIVE_KINDS
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

    def summary(self) -> str:
        """The kwargs in short, for reports (long sets abbreviated)."""
        parts = []
        for key, value in self.kwargs.items():
            if isinstance(value, (list, dict)) and len(value) > 4:
                value = f"<{len(value)} 项>"
            parts.append(f"{key}={value}")
        return ", ".join(parts)


def build_specs(catalog: Catalog, options: Options) -> list[Spec]:
    imp = options.importance
    codes = [i.code for i in catalog.indicators]
    specs = [
        Spec("values", "KNOWN_CODE", imp["KNOWN_CODE"], "expect_column_values_to_be_in_set",
             {"column": "indicator", "value_set": codes}, f"指标代码属于指标目录（{len(codes)} 项）"),
        Spec("values", "REQUIRED", imp["REQUIRED"], "expect_column_values_to_be_in_set",
             {"column": "sent", "value_set": [True]},
             "各单位类型的必报指标均已填报（缺报的必报指标各占一行，sent 为 False）"),
        Spec("values", "NUMERIC", imp["NUMERIC"], "expect_column_values_to_be_null",
             {"column": "numeric_problem"}, "数值均可识别为数字"),
        Spec("values", "NEGATIVE", imp["NEGATIVE"], "expect_indicator_values_to_be_between",
             {"column_A": "indicator", "column_B": "value",
              "bounds": {i.code: [0.0, None] for i in catalog.indicators if i.min >= 0}},
             "下限不小于 0 的指标不得为负数"),
        Spec("values", "BOUNDS", imp["BOUNDS"], "expect_indicator_values_to_be_between",
             {"column_A": "indicator", "column_B": "value",
              "bounds": {i.code: [i.min, i.max] for i in catalog.indicators}},
             "数值在指标目录规定的 min～max 之间"),
        Spec("values", "INTEGER", imp["INTEGER"], "expect_indicator_values_to_be_whole",
             {"column_A": "indicator", "column_B": "value",
              "indicators": [i.code for i in catalog.indicators if i.integer]},
             "计数类指标为整数"),
        Spec("values", "DUPLICATE", imp["DUPLICATE"], "expect_compound_columns_to_be_unique",
             {"column_list": ["unit", "period", "indicator"]}, "每个单位每月每项指标只有一个数值"),
        Spec("values", "OUTLIER", imp["OUTLIER"], "expect_column_values_to_be_in_set",
             {"column": "outlier", "value_set": [False]},
             f"与本单位前{options.outliers.window}个月相比不异常（修正 z 分数 > "
             f"{options.outliers.threshold} 且与去年同月相差 {options.outliers.last_year_factor} 倍以上为异常）"),
        Spec("submissions", "UNIT_KNOWN", imp["UNIT_KNOWN"], "expect_column_values_to_not_be_null",
             {"column": "unit_kind"}, "报送单位已在单位名录中登记（unit_kind 取自 units.yaml）"),
        Spec("submissions", "PAYLOAD_UNIT", imp["PAYLOAD_UNIT"], "expect_column_pair_values_to_be_equal",
             {"column_A": "payload_unit", "column_B": "unit", "ignore_row_if": "neither"},
             "报送内容中的单位代码与接口所属单位一致"),
        Spec("submissions", "PAYLOAD_PERIOD", imp["PAYLOAD_PERIOD"],
             "expect_column_pair_values_to_be_equal",
             {"column_A": "payload_period", "column_B": "period", "ignore_row_if": "neither"},
             "报送内容中的月份与所报月份一致"),
    ]
    specs += [rule_spec(rule) for rule in catalog.rules]
    specs += [
        Spec("narratives", "NARRATIVE_KIND", imp["NARRATIVE_KIND"], "expect_column_values_to_be_in_set",
             {"column": "kind", "value_set": list(NARRATIVE_KINDS)}, "工作动态类别有效"),
        Spec("narratives", "NARRATIVE_SECTION", imp["NARRATIVE_SECTION"],
             "expect_column_values_to_be_in_set",
             {"column": "section", "value_set": [s.code for s in catalog.sections]}, "工作动态所属工作有效"),
    ]
    return specs


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

