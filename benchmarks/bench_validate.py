"""Validation benchmark: a synthetic province month through GX and through the pandas pass.

    .venv/bin/python benchmarks/bench_validate.py [--units 3000] [--indicators 150] [--history]

Writes a synthetic catalogue (150 indicators, a few rules of each kind, 3,000 units) to a temp
dir, builds one month of submissions with ~1 % faulty values, and times
``validate_period(engine="gx")`` against ``validate_period(engine="pandas")`` on the same batch,
side by side (best of ``--repeat`` runs), then the two check engines alone on one batch built
once. The great_expectations import (a one-off per worker process) is timed apart.
Goals: GX ≤ 10 s, GX/pandas ≤ 3×.
"""
from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))

from county_reports import periods  # noqa: E402
from county_reports.catalog import load_catalog  # noqa: E402
from county_reports.validate.model import Received  # noqa: E402
from county_reports.validate.options import load_options  # noqa: E402

PERIOD = "2025-06"
KINDS = ("county_office", "township", "centre")


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
                           "section": f"s{i % 10}", "nature": "flow", "over_time": "sum",
                           "over_units": "sum", "reported_by": list(KINDS), "min": 0,
                           "max": 10000, "integer": integer, "decimals": 0 if integer else 2})
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


def submissions(catalog, fault_rate: float, seed: int = 7) -> list[Received]:
    rng = random.Random(seed)
    codes = [i.code for i in catalog.indicators]
    out = []
    for unit in catalog.units:
        values: dict = {}
        for ind in catalog.indicators:
            x = rng.randint(1, 500) if ind.integer else round(rng.uniform(1, 500), 2)
            values[ind.code] = x
        values["IND_002"] = values["IND_001"] + 5
        values["IND_005"] = values["IND_004"] + 1
        values["IND_010"] = round(values["IND_011"] + values["IND_013"], 2)
        for code in codes:
            if rng.random() < fault_rate:
                values[code] = rng.choice(["待核实", f"{values[code]}公里", -5, 10 ** 6, 12.5, None,
                                           f" {values[code]:,} ", "１２３"])
        if rng.random() < fault_rate * 10:
            del values[rng.choice(codes)]
        out.append(Received(unit.code, PERIOD, f"sha-{unit.code}", "http", "2025-07-03T09:00:00+08:00",
                            {"protocol": 1, "unit": unit.code, "period": PERIOD,
                             "submitted_at": "2025-07-03T09:00:00+08:00", "values": values,
                             "narratives": [{"kind": "highlight", "section": "s1", "text": "完成……"}],
                             "contact": {"name": "张三", "phone": "0000-0000000"}}))
    return out


def history_frame(catalog, months: int = 12, seed: int = 3):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    units = [u.code for u in catalog.units]
    codes = [i.code for i in catalog.indicators]
    window = [periods.shift(PERIOD, -k) for k in range(months, 0, -1)]
    n = len(units) * len(codes)
    return pd.concat([pd.DataFrame({"unit": np.repeat(units, len(codes)), "period": p,
                                    "indicator": np.tile(codes, len(units)),
                                    "value": rng.uniform(1, 500, n)}) for p in window],
                     ignore_index=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--indicators", type=int, default=150)
    ap.add_argument("--fault-rate", type=float, default=0.01)
    ap.add_argument("--history", action="store_true", help="also pass 12 months of history (outliers)")
    ap.add_argument("--docs", type=Path, help="write the HTML report of the GX run here")
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
        received = submissions(catalog, args.fault_rate)
        history = history_frame(catalog) if args.history else None
        rows = sum(len(r.payload["values"]) for r in received)
        print(f"batch: {len(received)} units × {len(catalog.indicators)} indicators = {rows:,} values, "
              f"{len(catalog.rules)} rules, history: {'12 months' if history is not None else 'none'}")

        t = time.perf_counter()
        import great_expectations  # noqa: F401
        from county_reports.validate import gx_engine
        gx_import = time.perf_counter() - t

        def best(fn):
            times, out = [], None
            for _ in range(args.repeat):
                t = time.perf_counter()
                out = fn()
                times.append(time.perf_counter() - t)
            return min(times), out

        pandas_s, by_pandas = best(lambda: run.validate_period(
            received, catalog, history=history, options=options, engine="pandas"))
        gx_s, by_gx = best(lambda: run.validate_period(received, catalog, history=history,
                                                       options=options, docs_dir=args.docs))
        # The engines alone, on one batch built once (the rest of validate_period is shared).
        batch = batch_mod.build_batch(received, catalog, options, PERIOD, history)
        specs = build_specs(catalog, options)
        build_s = best(lambda: batch_mod.build_batch(received, catalog, options, PERIOD, history))[0]
        pandas_check = best(lambda: pandas_rules.check(batch, catalog, specs))[0]
        gx_check = best(lambda: gx_engine.check(batch.frames(), specs))[0]

    same = [(a.status, a.issues) for a in by_gx] == [(b.status, b.issues) for b in by_pandas]
    statuses = Counter(v.status for v in by_gx)
    issues = sum(len(v.issues) for v in by_gx)
    print(f"verdicts: {dict(statuses)}; issues: {issues:,}; GX and pandas agree: {same}")
    print(f"{'':24}{'GX':>10}{'pandas':>10}{'ratio':>8}")
    print(f"{'validate_period (s)':24}{gx_s:10.2f}{pandas_s:10.2f}{gx_s / pandas_s:8.2f}×")
    print(f"{'  of which checks (s)':24}{gx_check:10.2f}{pandas_check:10.2f}{gx_check / pandas_check:8.2f}×")
    print(f"{'  of which frames (s)':24}{build_s:10.2f}{build_s:10.2f}")
    print(f"{'+ GX import, once (s)':24}{gx_import:10.2f}")
    print(f"goals: GX ≤ 10 s: {'met' if gx_s <= 10 else 'MISSED'}; "
          f"ratio ≤ 3×: {'met' if gx_s / pandas_s <= 3 else 'missed'}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
