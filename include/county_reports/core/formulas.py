"""Derived indicators' formulas: one grammar, used by the catalogue to check them on load and
by aggregation to evaluate them on county figures.

The formula is parsed with :mod:`ast`; only numbers, indicator codes, ``+ - * /`` and unary
minus/plus are allowed, so nothing in a config file can run code. A missing input (``None``) or a
division by zero gives ``None``: a rate without a denominator is "no figure", never 0.
"""
from __future__ import annotations

import ast
import math
from functools import lru_cache
from collections.abc import Mapping

_BINARY = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
           ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b}
_UNARY = {ast.USub: lambda a: -a, ast.UAdd: lambda a: a}


class FormulaError(ValueError):
    """A formula uses something other than numbers, names and + - * /."""


@lru_cache(maxsize=256)
def parse(formula: str) -> ast.Expression:
    try:
        tree = ast.parse(formula, mode="eval")
    except SyntaxError:
        raise FormulaError(f"{formula!r} is not an arithmetic expression") from None
    for node in ast.walk(tree):
        ok = (isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load))
              or type(node) in _BINARY or type(node) in _UNARY
              or (isinstance(node, ast.Constant) and type(node.value) in (int, float)))
        if not ok:
            raise FormulaError(f"{formula!r} may only use + - * /, numbers and indicator codes "
                               f"(found {type(node).__name__})")
    return tree


def names(formula: str) -> tuple[str, ...]:
    """The indicator codes a formula reads, sorted."""
    return tuple(sorted({n.id for n in ast.walk(parse(formula)) if isinstance(n, ast.Name)}))


def ratio(formula: str) -> tuple[str, str] | None:
    """(A, B) of a rate ``A / B``, ``A / B * k`` or ``k * A / B``; None for any other formula."""
    body = parse(formula).body
    if isinstance(body, ast.BinOp) and isinstance(body.op, ast.Mult):
        if isinstance(body.right, ast.Constant):
            body = body.left
        elif isinstance(body.left, ast.Constant):
            body = body.right
    if isinstance(body, ast.BinOp) and isinstance(body.op, ast.Div) and isinstance(body.right, ast.Name):
        top = body.left
        if isinstance(top, ast.BinOp) and isinstance(top.op, ast.Mult) and isinstance(top.left, ast.Constant):
            top = top.right                   # k * A / B parses as (k * A) / B
        if isinstance(top, ast.Name):
            return top.id, body.right.id
    return None


def evaluate(formula: str, values: Mapping[str, float | None]) -> float | None:
    """The formula's value, or None when an input is missing/NaN or a divisor is zero."""

    def walk(node: ast.AST) -> float | None:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            if node.id not in values:
                raise FormulaError(f"no value given for {node.id} in {formula!r}")
            value = values[node.id]
            if value is None or (isinstance(value, float) and math.isnan(value)):
                return None
            return float(value)
        if isinstance(node, ast.UnaryOp):
            operand = walk(node.operand)
            return None if operand is None else _UNARY[type(node.op)](operand)
        left, right = walk(node.left), walk(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Div) and right == 0:
            return None
        return _BINARY[type(node.op)](left, right)

    return walk(parse(formula))
