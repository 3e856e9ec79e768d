"""What a unit gets wrong in the content of a submission, and broken bodies for the transport faults.

Each helper takes a clean payload and returns a changed copy; the clean payload is never touched.
The draws come from the ``rng`` passed in, so the same (unit, month, fault) breaks the same way.
"""
from __future__ import annotations

import copy
import html
import random
from typing import Any
from collections.abc import Callable

from county_reports.core.catalog import Catalog, Indicator

_FULL_WIDTH = str.maketrans("0123456789.,-", "０１２３４５６７８９．，－")
PLACEHOLDER_TEXTS = ("待核实", "暂无数据", "见附表")


def faulty_body(catalog: Catalog, body: dict, fault: str, rng: random.Random) -> dict:
    """The payload as a unit with this content fault would send it (``late`` is not content)."""
    helper = CONTENT_HELPERS.get(fault)
    if helper is None:
        raise ValueError(f"{fault!r} is not a content fault ({', '.join(CONTENT_HELPERS)})")
    return helper(catalog, body, rng)


def with_invalid_values(catalog: Catalog, body: dict, rng: random.Random) -> dict:
    """One or two of: a negative count, a placeholder text instead of a number, a value above max."""
    out = copy.deepcopy(body)
    values = out["values"]
    codes = sorted(values)
    if not codes:
        values["INVALID"] = PLACEHOLDER_TEXTS[0]  # nothing to spoil: an unknown, non-numeric item
        return out
    kinds = rng.sample(("negative", "text", "above_max"), rng.randint(1, 2))
    for kind in kinds:
        if kind == "negative":
            counts = [c for c in codes if catalog.indicator_by_code[c].integer] or codes
            code = rng.choice(counts)
            current = values[code]
            values[code] = -max(1, int(current) if isinstance(current, (int, float)) else 1)
        elif kind == "text":
            values[rng.choice(codes)] = rng.choice(PLACEHOLDER_TEXTS)
        else:
            code = rng.choice(codes)
            ind = catalog.indicator_by_code[code]
            values[code] = _as_reported(ind, max(ind.max, 1) * rng.uniform(1.5, 3.0))
    return out


def with_rule_violation(catalog: Catalog, body: dict, rng: random.Random) -> dict:
    """Break one rule that applies to what the unit reports; every value stays in range."""
    out = copy.deepcopy(body)
    values = out["values"]
    breakers = [(rule, breaker) for rule in catalog.rules
                if (breaker := _breaker(catalog, rule, values)) is not None]
    if not breakers:  # no rule concerns this kind of unit: spoil a value instead
        return with_invalid_values(catalog, body, rng)
    # Errors (a rejection) twice as likely as warnings (accepted with a flag): both must be seen.
    weights = [2 if rule.importance == "error" else 1 for rule, _ in breakers]
    _, breaker = rng.choices(breakers, weights)[0]
    breaker(rng)
    return out


def _breaker(catalog: Catalog, rule, values: dict) -> Callable[[random.Random], None] | None:
    p, ind = rule.params, catalog.indicator_by_code
    if rule.check == "le" and p["left"] in values and p["right"] in values:
        left, right = ind[p["left"]], ind[p["right"]]

        def break_le(rng: random.Random) -> None:
            step = max(_step(left), abs(values[p["right"]]) * rng.uniform(0.05, 0.3))
            bigger = _as_reported(left, values[p["right"]] + step)  # step ≥ one reported unit
            if bigger <= left.max:
                values[p["left"]] = bigger
            else:  # the right side is at the ceiling: lower it below the left instead
                values[p["left"]] = left.max
                values[p["right"]] = _as_reported(right, max(right.min, left.max - step))
        return break_le
    if rule.check == "sum_equals" and p["total"] in values:
        total = ind[p["total"]]

        def break_sum(rng: random.Random) -> None:
            parts = sum(values.get(c, 0) for c in p["parts"])
            gap = max(p["tolerance"] + 1, parts * rng.uniform(0.05, 0.2))
            wrong = parts + gap if parts + gap <= total.max else parts - gap
            values[p["total"]] = _as_reported(total, max(total.min, wrong))
        return break_sum
    if rule.check == "requires" and p["when"] in values:
        when = ind[p["when"]]

        def break_requires(rng: random.Random) -> None:
            values[p["when"]] = _as_reported(when, min(when.max, rng.randint(1, 2)))
            if p["then"] in values:
                values[p["then"]] = 0
        return break_requires
    return None


def with_messy_values(catalog: Catalog, body: dict, rng: random.Random) -> dict:
    """Three to six figures typed as text a clerk would type; each still means the clean value.

    Styles, one or two per figure: full-width digits (１２３．５), thousands separators (1,234.5),
    surrounding spaces, the unit of measure after the number (12.5万元).
    """
    out = copy.deepcopy(body)
    values = out["values"]
    codes = sorted(values)
    for code in rng.sample(codes, min(len(codes), rng.randint(3, 6))):
        values[code] = messy_text(catalog.indicator_by_code[code], values[code], rng)
    return out


def messy_text(ind: Indicator, value: float | int, rng: random.Random) -> str:
    styles = set(rng.sample(("fullwidth", "thousands", "spaces", "uom"), rng.randint(1, 2)))
    if abs(value) < 1000:
        styles.discard("thousands")
    styles = styles or {"spaces"}
    if ind.integer:
        text = f"{int(value):,}" if "thousands" in styles else str(int(value))
    else:
        text = f"{value:,.{ind.decimals}f}" if "thousands" in styles else f"{value:.{ind.decimals}f}"
    if "uom" in styles:
        text += ind.uom
    if "fullwidth" in styles:
        text = text.translate(_FULL_WIDTH)
    if "spaces" in styles:
        text = " " * rng.randint(1, 2) + text + " " * rng.randint(0, 2)
    return text


def with_wrong_unit(catalog: Catalog, body: dict, rng: random.Random) -> dict:
    """The form of another unit sent unchanged: ``unit`` names someone else."""
    out = copy.deepcopy(body)
    units = catalog.units
    if len(units) < 2:
        out["unit"] = "XX00"
        return out
    index = rng.randrange(len(units))
    if units[index].code == body["unit"]:
        index = (index + 1) % len(units)
    out["unit"] = units[index].code
    return out


def truncated(data: bytes) -> bytes:
    """Valid UTF-8 JSON cut in half, as a proxy with a broken upstream connection delivers it.

    The cut backs off to a character boundary, so the body is readable UTF-8 that is not
    complete JSON (the fault is about the JSON, not about the encoding).
    """
    return data[: len(data) // 2].decode("utf-8", errors="ignore").encode("utf-8")


def html_page(unit_name: str, period: str) -> bytes:
    """What a unit's platform returns when its session expired: the login page, status 200."""
    title = html.escape(f"{unit_name} 统一身份认证")
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        f"<title>{title}</title></head><body>"
        f"<h1>{title}</h1><p>登录已超时，请重新登录后查看 {html.escape(period)} 报表。</p>"
        "<form method=\"post\" action=\"/login\"><input name=\"username\" placeholder=\"用户名\">"
        "<input name=\"password\" type=\"password\" placeholder=\"密码\">"
        "<button type=\"submit\">登录</button></form></body></html>\n"
    ).encode()


def _as_reported(ind: Indicator, value: float) -> float | int:
    return int(round(value)) if ind.integer or not ind.decimals else round(value, ind.decimals)


def _step(ind: Indicator) -> float:
    return 1 if ind.integer or not ind.decimals else 10 ** -ind.decimals


CONTENT_HELPERS: dict[str, Callable[[Catalog, dict, random.Random], dict[str, Any]]] = {
    "invalid_values": with_invalid_values,
    "rule_violation": with_rule_violation,
    "messy_values": with_messy_values,
    "wrong_unit": with_wrong_unit,
}
