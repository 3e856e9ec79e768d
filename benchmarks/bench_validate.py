"""Validation benchmark: a synthetic province month through GX and through the pandas pass.

    .venv/bin/python benchmarks/bench_validate.py [--units 3000] [--indicators 150] [--history]
        [--slips 0.01] [--dump verdicts.jsonl]

Writes a synthetic catalogue (150 indicators, every tenth a stock, a few rules of each kind,
3,000 units) to a temp dir and builds one month of submissions whose figures follow each unit's
own course: a size per unit and a scale per indicator, the simulator's seasonal profiles
(``simulator.calibration.SEASONS``) and log-normal month-to-month noise for flows, a slow drift
for stocks, one unit in 100 new (3 months of history), the cross-indicator rules holding. With
``--history`` the 12 months before are passed too (as ``warehouse.history`` returns them:
categoricals), and ``--slips`` of the month's cells (1 %) get one typing slip each, drawn as
``bench_outliers.py`` draws them (×10, ÷100, 万元 as 元, transposed digits, a flipped sign, last
month's figure …); then ~``--fault-rate`` of the values are malformed (text, units in the
number, out of range) and one submission in ten lacks a value.

``validate_period(engine="gx")`` is timed against ``validate_period(engine="pandas")`` on the
same batch, side by side (best of ``--repeat`` runs), then the frames and the two check engines
alone on one batch built once. The great_expectations import (a one-off per worker process) is
timed apart. ``--dump`` writes every verdict (status, values, issues with their messages) as JSON
lines and prints their SHA-256: the same figure before and after a change to validation proves
that no verdict moved. Goals: GX ≤ 10 s, GX/pandas ≤ 3×.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_outliers import KINDS as SLIP_KINDS, slip  # noqa: E402
from county_reports.core import periods  # noqa: E402
from county_reports.core.catalog import load_catalog  # noqa: E402
from county_reports.simulator.calibration import FLOWS, SEASONS  # noqa: E402
from county_reports.validate.model import Received  # noqa: E402
from county_reports.validate.options import load_options  # noqa: E402

PERIOD = "2025-06"
KINDS = ("county_office", "township", "centre")
MONTHS = 12                 # history before PERIOD
NEW_UNIT_EVERY = 100        # one unit in this many started 3 months ago
NEW_UNIT_MONTHS = 3
MAX = 10000


def write_catalog(folder: Path, n_units: int, n_indicators: int) -> None:
    shutil.copy(ROOT / "include" / "config" / "validation.yaml", folder / "validation.yaml")
    (folder / "bureau.yaml").write_text(yaml.safe_dump(
        {"name": "某省交通运输厅", "county": "某省", "timezone": "Asia/Shanghai"}, allow_unicode=True),
        encoding="utf-8")
    units = [{"code": f"U{i:05d}", "name": f"第{i}单位", "kind": KINDS[i % 3],
              "base_url": f"http://127.0.0.1/units/U{i:05d}", "token_conn_id": f"u{i:05d}",
              "active_from": "2024-01"} for i in range(n_units)]
    (folder / "units.yaml").write_text(yaml.safe_dump(
        {"kinds": {k: {"name": k} for k in KINDS}, "units": units}, allow_unicode=True), encoding="utf-8")
    indicators = []
    for i in range(n_indicators):
        integer = i % 3 == 0
        indicators.append({"code": f"IND_{i:03d}", "name": f"指标{i}", "uom": "个" if integer else "万元",
                           "section": f"s{i % 10}", "nature": "stock" if i % 10 == 9 else "flow",
                           "over_time": "last" if i % 10 == 9 else "sum",
                           "over_units": "sum", "reported_by": list(KINDS), "min": 0,
                           "max": MAX, "integer": integer, "decimals": 0 if integer else 2})
    (folder / "indicators.yaml").write_text(yaml.safe_dump(
        {"sections": [{"code": f"s{k}", "name": f"工作{k}"} for k in range(10)],
         "indicators": indicators}, allow_unicode=True), encoding="utf-8")
    rules = [
        {"code": "R_LE_ERR", "check": "le", "left": "IND_001", "right": "IND_002", "importance": "error",
         "message": "指标1（{left}）多于指标2（{right}）"},
        {"code": "R_LE_WARN", "check": "le", "left": "IND_004", "right": "IND_005",
         "importance": "warning", "message": "指标4（{left}）多于指标5（{right}）"},
        {"code": "R_SUM", "check": "sum_equals", "total": "IND_010", "parts": ["IND_011", "IND_013"],
         "tolerance": 0.5, "importance": "error", "message": "合计（{total}）与分项之和（{parts_sum}）不一致"},
        {"code": "R_REQ", "check": "requires", "when": "IND_020", "then": "IND_021",
         "importance": "error", "message": "填报了指标20（{when}）但指标21为{then}"},
    ]
    (folder / "rules.yaml").write_text(yaml.safe_dump({"rules": rules}, allow_unicode=True), encoding="utf-8")
    (folder / "targets.yaml").write_text("{}\n", encoding="utf-8")


def figures(catalog, seed: int = 3) -> np.ndarray:
    """(MONTHS + 1) × units × indicators, oldest first, PERIOD last; NaN before a new unit began.
    Flows: size × scale × season × log-normal noise (the simulator's); stocks: a slow drift."""
    rng = np.random.default_rng(seed)
    inds = catalog.indicators
    n_u, n_i = len(catalog.units), len(inds)
    months = [periods.parse(periods.shift(PERIOD, -k))[1] for k in range(MONTHS, -1, -1)]
    size = np.clip(rng.lognormal(0.0, 0.6, n_u), 0.2, 5.0)[:, None]
    stock = np.asarray([i.nature == "stock" for i in inds])[None, :]
    # Stocks are sizeable (km, vehicles, staff); flows from a few a month to a few hundred.
    scale = np.exp(np.where(stock[0], rng.uniform(np.log(10), np.log(600), n_i),
                            rng.uniform(np.log(0.5), np.log(300.0), n_i)))[None, :]
    # Each flow moves as one of the simulator's calibrated flows: its season and its noise.
    flows = [FLOWS[code] for code in sorted(FLOWS)]
    sigma = np.asarray([max(flows[n % len(flows)].sigma, 0.1) for n in range(n_i)])[None, :]   # ACCIDENTS: 0
    season = np.asarray([SEASONS[flows[n % len(flows)].season] for n in range(n_i)])   # n_i × 12
    integer = np.asarray([i.integer for i in inds])[None, :]
    out = np.empty((len(months), n_u, n_i))
    for t, month in enumerate(months):
        flow = size * scale * season[:, month - 1][None, :] * rng.lognormal(-sigma ** 2 / 2, sigma, (n_u, n_i))
        level = size * scale * (1 + 0.003 * t) * (1 + 0.02 * rng.uniform(-1, 1, (n_u, n_i)))
        x = np.clip(np.where(stock, level, flow), 0, MAX)
        # Counts rounded up or down in proportion (as the simulator does): small ones stay small.
        whole = np.minimum(np.floor(x) + (rng.random(x.shape) < x - np.floor(x)), MAX)
        out[t] = np.where(integer, whole, np.round(x, 2))
    _hold_rules(catalog, out)
    out[:len(months) - NEW_UNIT_MONTHS - 1, ::NEW_UNIT_EVERY, :] = np.nan
    return out


def _hold_rules(catalog, m: np.ndarray) -> None:
    """The bench's rules hold in every clean month (each fault comes from a slip or a fault)."""
    col = {c: n for n, c in enumerate(i.code for i in catalog.indicators)}
    m[..., col["IND_002"]] = np.minimum(m[..., col["IND_001"]] + 5, MAX)
    m[..., col["IND_001"]] = m[..., col["IND_002"]] - 5
    m[..., col["IND_005"]] = np.minimum(m[..., col["IND_004"]] + 1, MAX)
    m[..., col["IND_004"]] = m[..., col["IND_005"]] - 1
    m[..., col["IND_010"]] = np.round(m[..., col["IND_011"]] + m[..., col["IND_013"]], 2)
    m[..., col["IND_021"]] = np.where(m[..., col["IND_020"]] > 0, np.maximum(m[..., col["IND_021"]], 1),
                                      m[..., col["IND_021"]])


def history_frame(catalog, m: np.ndarray) -> pd.DataFrame:
    """The MONTHS before PERIOD as ``warehouse.history.outlier_history`` returns them."""
    n_t, n_u, n_i = m.shape[0] - 1, m.shape[1], m.shape[2]
    window = [periods.shift(PERIOD, -k) for k in range(MONTHS, 0, -1)]
    t, u, i = (a.ravel() for a in np.meshgrid(np.arange(n_t), np.arange(n_u), np.arange(n_i), indexing="ij"))
    value = m[:-1].ravel()
    keep = ~np.isnan(value)
    return pd.DataFrame({
        "unit": pd.Categorical.from_codes(u[keep], [x.code for x in catalog.units]),
        "period": pd.Categorical.from_codes(t[keep], window),
        "indicator": pd.Categorical.from_codes(i[keep], [x.code for x in catalog.indicators]),
        "value": value[keep]})


def month_values(catalog, m: np.ndarray, share: float, seed: int = 11):
    """PERIOD's figures per unit, ``share`` of the cells with one slip; and {(unit, code): kind}."""
    rng = random.Random(seed)
    inds = catalog.indicators
    now = m[-1]
    values = [{ind.code: (int(x) if ind.integer else float(x)) for ind, x in zip(inds, row, strict=False)}
              for row in now]
    slipped = {}
    hits = np.argwhere(np.random.default_rng(seed).random(now.shape) < share)
    year_start = MONTHS - (periods.parse(PERIOD)[1] - 1)
    for u, i in hits:
        ind, x = inds[i], float(now[u, i])
        own = [float(v) for v in m[:-1, u, i] if not np.isnan(v)]
        earlier = [float(v) for v in m[year_start:-1, u, i]]
        ctx = {"own": own, "last": None if np.isnan(m[-2, u, i]) else float(m[-2, u, i]),
               "year_before": [] if any(np.isnan(earlier)) else earlier,
               "neighbour": float(now[u, i - 1]) if i else None}
        for kind in rng.sample(SLIP_KINDS, len(SLIP_KINDS)):
            value = slip(kind, rng, ind, x, ctx)
            if value is not None:
                values[u][ind.code] = int(value) if ind.integer and value.is_integer() else value
                slipped[(catalog.units[u].code, ind.code)] = kind
                break
    return values, slipped


def submissions(catalog, values: list[dict], fault_rate: float, seed: int = 7) -> list[Received]:
    """The payloads, with ``fault_rate`` of the values malformed and a few values left out."""
    rng = random.Random(seed)
    codes = [i.code for i in catalog.indicators]
    out = []
    for unit, sent in zip(catalog.units, values, strict=False):
        sent = dict(sent)
        for code in codes:
            if rng.random() < fault_rate:
                sent[code] = rng.choice(["待核实", f"{sent[code]}公里", -5, 10 ** 6, 12.5, None,
                                         f" {sent[code]:,} ", "１２３"])
        if rng.random() < fault_rate * 10:
            del sent[rng.choice(codes)]
        out.append(Received(unit.code, PERIOD, f"sha-{unit.code}", "http", "2025-07-03T09:00:00+08:00",
                            {"protocol": 1, "unit": unit.code, "period": PERIOD,
                             "submitted_at": "2025-07-03T09:00:00+08:00", "values": sent,
                             "narratives": [{"kind": "highlight", "section": "s1", "text": "完成……"}],
                             "contact": {"name": "张三", "phone": "0000-0000000"}}))
    return out


def make_data(catalog, fault_rate: float = 0.01, slips: float = 0.01, history: bool = True):
    """(received, history or None, {(unit, code): slip kind})."""
    m = figures(catalog)
    values, slipped = month_values(catalog, m, slips if history else 0.0)
    return submissions(catalog, values, fault_rate), history_frame(catalog, m) if history else None, slipped


def dump(path: Path, verdicts) -> str:
    """Every verdict as a JSON line; the file's SHA-256."""
    lines = [json.dumps([v.unit, v.period, v.status, sorted(v.values.items()),
                         [[i.unit, i.period, i.indicator, i.value, i.rule, i.importance, i.message,
                           i.effect] for i in v.issues]], ensure_ascii=False) for v in verdicts]
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def outlier_lines(verdicts, slipped: dict) -> str:
    flagged = {(v.unit, i.indicator) for v in verdicts for i in v.issues if i.rule == "OUTLIER"}
    found = len(flagged & slipped.keys())
    return (f"slips: {len(slipped):,} ({found:,} flagged); OUTLIER warnings on other cells: "
            f"{len(flagged - slipped.keys()):,}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--indicators", type=int, default=150)
    ap.add_argument("--fault-rate", type=float, default=0.01)
    ap.add_argument("--slips", type=float, default=0.01, help="share of the month's cells slipped (--history)")
    ap.add_argument("--history", action="store_true", help="also pass 12 months of history (outliers)")
    ap.add_argument("--docs", type=Path, help="write the HTML report of the GX run here")
    ap.add_argument("--dump", type=Path, help="write the GX run's verdicts here (JSON lines)")
    ap.add_argument("--repeat", type=int, default=2, help="runs per engine; the best is shown")
    args = ap.parse_args()

    from county_reports.validate import batch as batch_mod
    from county_reports.validate import pandas_rules, run
    from county_reports.validate.suite import build_specs

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_catalog(folder, args.units, args.indicators)
        catalog = load_catalog(folder)
        options = load_options(folder)
        received, history, slipped = make_data(catalog, args.fault_rate, args.slips, args.history)
        rows = sum(len(r.payload["values"]) for r in received)
        print(f"batch: {len(received)} units × {len(catalog.indicators)} indicators = {rows:,} values, "
              f"{len(catalog.rules)} rules, history: "
              f"{f'{MONTHS} months, {len(history):,} rows' if history is not None else 'none'}")

        t = time.perf_counter()
        import great_expectations  # noqa: F401
        from county_reports.validate import gx_engine
        gx_import = time.perf_counter() - t

        cpu: dict[str, float] = {}

        def best(fn, name=""):
            """The best wall time of the runs (and, under ``name``, the best CPU time: what a
            loaded machine cannot inflate as much)."""
            times, cpus, out = [], [], None
            for _ in range(args.repeat):
                t, c = time.perf_counter(), time.process_time()
                out = fn()
                times.append(time.perf_counter() - t)
                cpus.append(time.process_time() - c)
            cpu[name] = min(cpus)
            return min(times), out

        pandas_s, by_pandas = best(lambda: run.validate_period(
            received, catalog, history=history, options=options, engine="pandas"), "pandas")
        gx_s, by_gx = best(lambda: run.validate_period(received, catalog, history=history,
                                                       options=options, docs_dir=args.docs), "gx")
        # The engines alone, on one batch built once (the rest of validate_period is shared).
        batch = batch_mod.build_batch(received, catalog, options, PERIOD, history)
        specs = build_specs(catalog, options)
        build_s = best(lambda: batch_mod.build_batch(received, catalog, options, PERIOD, history), "build")[0]
        pandas_check = best(lambda: pandas_rules.check(batch, catalog, specs))[0]
        gx_check = best(lambda: gx_engine.check(batch.frames(), specs))[0]

    same = [(a.status, a.issues) for a in by_gx] == [(b.status, b.issues) for b in by_pandas]
    statuses = Counter(v.status for v in by_gx)
    issues = Counter(i.rule for v in by_gx for i in v.issues)
    print(f"verdicts: {dict(statuses)}; issues: {issues.total():,} "
          f"({', '.join(f'{k} {n:,}' for k, n in issues.most_common())}); GX and pandas agree: {same}")
    if history is not None:
        print(outlier_lines(by_gx, slipped))
    if args.dump:
        print(f"verdicts written to {args.dump}, sha256 {dump(args.dump, by_gx)}")
    print(f"{'':24}{'GX':>10}{'pandas':>10}{'ratio':>8}")
    print(f"{'validate_period (s)':24}{gx_s:10.2f}{pandas_s:10.2f}{gx_s / pandas_s:8.2f}×")
    print(f"{'  CPU time (s)':24}{cpu['gx']:10.2f}{cpu['pandas']:10.2f}")
    print(f"{'  of which checks (s)':24}{gx_check:10.2f}{pandas_check:10.2f}{gx_check / pandas_check:8.2f}×")
    print(f"{'  of which frames (s)':24}{build_s:10.2f}{build_s:10.2f}   (CPU {cpu['build']:.2f})")
    print(f"{'+ GX import, once (s)':24}{gx_import:10.2f}")
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"goals: GX ≤ 10 s: {'met' if gx_s <= 10 else 'MISSED'}; "
          f"ratio ≤ 3×: {'met' if gx_s / pandas_s <= 3 else 'missed'}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
