"""Outlier benchmark: typing slips injected into accepted simulator data, found or not.

    .venv/bin/python benchmarks/bench_outliers.py [--counties 3] [--share 0.2] [--seed 2020]

Every active unit's clean simulator figures, January 2024 to June 2025, for ``--counties``
simulator seeds (the first is the demo's own). Months from February 2024 on are held out: in
each, about ``--share`` of the cells get one slip of a known kind (fixed seed), and the month goes
through the project's own validation path (``validate_period``, pandas engine: the same rules as
GX) against the history stored so far, month by month, as ``collect_monthly`` does. A rejected
submission is stored as corrected (its clean figures); an accepted one as sent.

Printed per kind and overall: precision, recall and F1 of the OUTLIER warnings, and the
false-alarm rate on clean cells — for the project and for a plain per-unit z-score
(|x − mean| / sd over the same stored history, ≥ 3 months, a constant one not judged) with k set to the same false-alarm
budget. Per-kind precision counts the false alarms in proportion to the kind's share of slips.
A ÷10/÷100 slip needs a digit left (8 ÷ 10 is not a slip a clerk can type).
A stale copy's flows that happen to equal the month's own figure are left out of the scores (neither
a slip nor a clean cell: the figure was not counted this month).
Then the warnings on the demo's clean data (no slips, seed of the profile) are listed.
Goals: overall F1 ≥ 0.90 at a false-alarm rate ≤ 0.01, ahead of the z-score on every kind.

Two more readings. **The unit asked about the cell**: an OUTLIER warning or the cell's own
INTEGER / NEGATIVE / BOUNDS check (a slip that breaks one is refused before any outlier check
speaks: 0.7 copied into a count of bridges), for the project and for the z-score alike.
**The ceiling**: a detector that knew the simulator's own distributions — for each cell,
``--draws`` fresh draws of that unit's clean figures for that month, the value's two-sided tail
probability among them, the least plausible cells flagged up to the goal's false-alarm budget.
No method that judges a value by how plausible it is can beat it (equality-based edits — a copy,
a stale copy — can: it does not look at last month). Where the project is far below it, the
history-based model is the gap; where the ceiling itself is low, the slip leaves a plausible value.
"""
from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))

from county_reports.core import periods  # noqa: E402
from county_reports.core.catalog import load_catalog  # noqa: E402
from county_reports.simulator.data import SubmissionGenerator  # noqa: E402
from county_reports.simulator.profile import load_profile  # noqa: E402
from county_reports.validate import intake  # noqa: E402
from county_reports.validate.model import Received  # noqa: E402
from county_reports.validate.options import load_options  # noqa: E402
from county_reports.validate.run import validate_period  # noqa: E402

FIRST, HELD_OUT, LAST = "2024-01", "2024-02", "2025-06"
MULTIPLY = {"x10": 10.0, "x100": 100.0, "wan_as_yuan": 1e4, "div10": 0.1, "div100": 0.01}
KINDS = (*MULTIPLY, "transposed", "shift_4sd", "sign_flip", "copy_last", "ytd_as_month",
         "stock_zero", "neighbour_row")
STALE = "stale_copy"          # a whole submission that is last month's copied (flows)
STALE_SAME = "stale_same"     # … a copied flow equal to this month's figure: neither slip nor clean
REPEAT = "repeat_last_year"   # the same ×/÷ slip as a year before, in the same cell
GOAL_F1, GOAL_FA = 0.90, 0.01
# The value checks that name one cell and reject it (a slip that breaks one is caught before any
# outlier check speaks): the second reading, "the unit asked about the cell", counts them too.
CELL_CHECKS = ("INTEGER", "NEGATIVE", "BOUNDS")


def _round(ind, value: float) -> float:
    return float(round(value)) if ind.integer else round(value, ind.decimals)


def _transpose(rng, ind, x: float):
    text = str(int(abs(x)))
    pairs = [i for i in range(len(text) - 1) if text[i] != text[i + 1]]
    if not pairs:
        return None
    i = rng.choice(pairs)
    swapped = float(text[:i] + text[i + 1] + text[i] + text[i + 2:])
    return math.copysign(swapped + (abs(x) - int(abs(x))), x)


COLUMNS = ["unit", "period", "indicator", "value", "kind", "flagged", "z", "checked"]


def slip(kind: str, rng, ind, x: float, ctx: dict):
    """The slipped value, or None when the kind does not apply to this cell."""
    if kind in MULTIPLY:
        if x == 0 or (kind == "wan_as_yuan" and ind.uom != "万元"):
            return None
        value = _round(ind, x * MULTIPLY[kind])
        if ind.integer and MULTIPLY[kind] < 1:
            value = float(int(x * MULTIPLY[kind]))        # a digit dropped …
        if MULTIPLY[kind] < 1 and value == 0:
            return None                                   # … needs a digit left to type
    elif kind == "transposed":
        value = _transpose(rng, ind, x)
    elif kind == "shift_4sd":
        own = ctx["own"]
        if len(own) < 3 or np.std(own, ddof=1) == 0:
            return None
        sd = float(np.std(own, ddof=1))
        value = _round(ind, x + 4 * sd if x - 4 * sd < 0 or rng.random() < 0.5 else x - 4 * sd)
    elif kind == "sign_flip":
        value = -x if x > 0 else None
    elif kind == "copy_last":
        value = ctx["last"] if ind.nature == "flow" else None
    elif kind == "ytd_as_month":
        earlier = ctx["year_before"]
        value = _round(ind, x + sum(earlier)) if ind.nature == "flow" and earlier else None
    elif kind == "stock_zero":
        value = 0.0 if ind.nature == "stock" and x > 0 else None
    elif kind == "neighbour_row":
        value = ctx["neighbour"]
    else:
        raise ValueError(kind)
    if value is None or (isinstance(value, float) and not math.isfinite(value)) or value == x:
        return None
    return float(value)


def clean_figures(catalog, seed: int) -> dict[tuple[str, str], dict[str, float]]:
    generator = SubmissionGenerator(catalog, seed=seed, sizes=load_profile().sizes)
    return {(u.code, p): {k: float(v) for k, v in generator.payload(u.code, p)["values"].items()}
            for p in periods.span(FIRST, LAST) for u in catalog.units_active_in(p)}


def plan_slips(catalog, clean, rng, share: float):
    """{(unit, period): {code: (kind, value)}}: the slipped cells of the held-out months."""
    plan: dict[tuple[str, str], dict[str, tuple[str, float]]] = defaultdict(dict)
    for (unit, period), values in sorted(clean.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        if period < HELD_OUT:
            continue
        last = clean.get((unit, periods.previous(period)), {})
        if last and rng.random() < share / 10:        # a stale copy of last month's file
            for code, x in values.items():
                if catalog.indicator_by_code[code].nature == "flow" and code in last:
                    # a copied figure that happens to be this month's too is no slip, but not a
                    # clean cell either (it was not counted this month): left out of the scores
                    plan[(unit, period)][code] = (STALE if last[code] != x else STALE_SAME, last[code])
            continue
        codes = list(values)
        for n, (code, x) in enumerate(values.items()):
            ind = catalog.indicator_by_code[code]
            before = plan.get((unit, periods.shift(period, -12)), {}).get(code)
            if before and before[0] in MULTIPLY and rng.random() < 0.5:
                value = slip(before[0], rng, ind, x, {})
                if value is not None:
                    plan[(unit, period)][code] = (REPEAT, value)
                    continue
            if rng.random() >= share:
                continue
            ctx = _context(clean, unit, period, code, values, codes, n)
            for kind in rng.sample(KINDS, len(KINDS)):
                value = slip(kind, rng, ind, x, ctx)
                if value is not None:
                    plan[(unit, period)][code] = (kind, value)
                    break
    return plan


def _context(clean, unit, period, code, values, codes, n) -> dict:
    own = [clean[(unit, p)][code] for p in periods.span(periods.shift(period, -12), periods.previous(period))
           if (unit, p) in clean and code in clean[(unit, p)]]
    year_start = f"{period[:4]}-01"
    earlier = [clean.get((unit, p), {}).get(code) for p in periods.span(year_start, period)][:-1]
    neighbour = values[codes[n - 1]] if n else None
    return {"own": own, "last": clean.get((unit, periods.previous(period)), {}).get(code),
            "year_before": [] if None in earlier else earlier, "neighbour": neighbour}


def plausibility(catalog, seed: int, rows: list[tuple], draws: int) -> list[float]:
    """For each row (unit, period, indicator, value, …): how plausible the value is as a clean
    figure, from ``draws`` fresh draws of the simulator's own figures for that unit and month —
    the two-sided tail probability, ties counted half. What a detector that knew the data's true
    distribution (and nothing else) would judge by: the ceiling of any plausibility check."""
    generator = SubmissionGenerator(catalog, seed=seed, sizes=load_profile().sizes)
    samples: dict[tuple[str, str], dict[str, np.ndarray]] = {}
    out = []
    for unit, period, code, x, *_ in rows:
        key = (unit, period)
        if key not in samples:
            drawn = [generator.figures(unit, period, random.Random(f"ceiling:{i}")) for i in range(draws)]
            samples[key] = {c: np.sort([float(d[c]) for d in drawn]) for c in drawn[0]}
        values = samples[key].get(code)
        if values is None:
            out.append(1.0)
            continue
        below = np.searchsorted(values, x, "left") / draws
        above = 1.0 - np.searchsorted(values, x, "right") / draws
        tie = 1.0 - below - above
        out.append(min(1.0, 2 * min(below + tie / 2, above + tie / 2)))
    return out


def stored_rows(verdicts) -> list[dict]:
    """What the project keeps as outlier history from a month's verdicts."""
    make = getattr(intake, "history_rows", None)
    if make is not None:
        return make(verdicts)
    return [{"unit": v.unit, "period": v.period, "indicator": c, "value": x}
            for v in verdicts if v.status != "rejected" for c, x in v.values.items()]


def run_county(catalog, options, clean, plan):
    """One row per held-out cell: unit, period, indicator, value, kind (None = clean), flagged (an
    OUTLIER warning), z (the plain z-score), checked (the cell's own INTEGER/NEGATIVE/BOUNDS check)."""
    history = pd.DataFrame(stored_rows_from_clean(clean, FIRST))
    rows = []
    for period in periods.span(HELD_OUT, LAST):
        units = [u.code for u in catalog.units_active_in(period) if (u.code, period) in clean]
        sent = {u: {c: plan.get((u, period), {}).get(c, (None, x))[1] for c, x in clean[(u, period)].items()}
                for u in units}
        received = [Received(u, period, f"sha-{u}-{period}", "http", "2025-07-03T09:12:05+08:00",
                             {"protocol": 1, "unit": u, "period": period, "values": sent[u]})
                    for u in units]
        verdicts = validate_period(received, catalog, history=history, options=options, engine="pandas")
        z = plain_z(history, units, sent, period)
        for v in verdicts:
            flagged = {i.indicator for i in v.issues if i.rule == "OUTLIER"}
            checked = {i.indicator for i in v.issues if i.rule in CELL_CHECKS}
            for code, x in sent[v.unit].items():
                kind = plan.get((v.unit, period), {}).get(code, (None,))[0]
                rows.append((v.unit, period, code, x, kind, code in flagged, z.get((v.unit, code), 0.0),
                             code in checked))
        kept = [v if v.status != "rejected" else _corrected(v, clean) for v in verdicts]
        history = pd.concat([history, pd.DataFrame(stored_rows(kept))], ignore_index=True)
    return rows


def stored_rows_from_clean(clean, period):
    return [{"unit": u, "period": p, "indicator": c, "value": x}
            for (u, p), values in clean.items() if p == period for c, x in values.items()]


def _corrected(verdict, clean):
    from dataclasses import replace

    return replace(verdict, status="accepted", values=dict(clean[(verdict.unit, verdict.period)]), issues=())


def plain_z(history: pd.DataFrame, units, sent, period) -> dict[tuple[str, str], float]:
    """|x − mean| / sd over the unit's stored values of the 12 months before (≥ 3 of them)."""
    window = set(periods.span(periods.shift(period, -12), periods.previous(period)))
    h = history[history["period"].isin(window)]
    stats = h.groupby(["unit", "indicator"])["value"].agg(["mean", "std", "count"])
    out = {}
    for u in units:
        for code, x in sent[u].items():
            if (u, code) not in stats.index:
                continue
            mean, sd, count = stats.loc[(u, code)]
            if count < 3:
                continue
            out[(u, code)] = abs(x - mean) / sd if sd > 0 else 0.0   # no spread: not judged
    return out


def scores(frame: pd.DataFrame, flagged: pd.Series) -> tuple[list[tuple], float]:
    clean = frame["kind"].isna()
    fp, n_clean = int((flagged & clean).sum()), int(clean.sum())
    n_slips = int((~clean).sum())
    out = []
    for kind in [*sorted(frame.loc[~clean, "kind"].unique()), "overall"]:
        mine = ~clean if kind == "overall" else frame["kind"] == kind
        tp, n = int((flagged & mine).sum()), int(mine.sum())
        fp_share = fp * n / n_slips if n_slips else 0.0
        precision = tp / (tp + fp_share) if tp + fp_share else 0.0
        recall = tp / n if n else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out.append((kind, n, precision, recall, f1))
    return out, fp / n_clean if n_clean else 0.0


def matched_k(frame: pd.DataFrame, budget: float) -> float:
    """The smallest k whose false-alarm rate on clean cells is at most ``budget``."""
    clean_z = np.sort(frame.loc[frame["kind"].isna(), "z"].to_numpy(dtype=float))
    allowed = int(math.floor(budget * len(clean_z)))
    if allowed >= len(clean_z):
        return 0.0
    return float(np.nextafter(clean_z[len(clean_z) - 1 - allowed], np.inf))


def report(frame: pd.DataFrame) -> dict:
    ours, fa = scores(frame, frame["flagged"])
    k = matched_k(frame, fa)
    theirs, fa_z = scores(frame, frame["z"] > k)
    # The ceiling at the goal's false-alarm budget: the least plausible cells flagged.
    t = -matched_k(frame.assign(z=-frame["p"]), GOAL_FA)
    best, fa_c = scores(frame, frame["p"] < t)
    print(f"{'kind':<18}{'slips':>6}  {'project P/R/F1':>20}  {'z-score P/R/F1':>20}  ahead  "
          f"{'ceiling P/R/F1':>20}")
    ahead_all = True
    for (kind, n, p, r, f), (_, _, zp, zr, zf), (_, _, cp, cr, cf) in zip(ours, theirs, best, strict=True):
        ahead = f > zf or (f == zf == 1.0)
        ahead_all &= ahead
        print(f"{kind:<18}{n:>6}  {p:6.2f} {r:6.2f} {f:6.2f}  {zp:6.2f} {zr:6.2f} {zf:6.2f}  "
              f"{'yes' if ahead else 'NO ':<5}  {cp:6.2f} {cr:6.2f} {cf:6.2f}")
    clean = int(frame["kind"].isna().sum())
    print(f"clean cells {clean}; false-alarm rate: project {fa:.4f} "
          f"({int((frame['flagged'] & frame['kind'].isna()).sum())}), z-score {fa_z:.4f} at k = {k:.2f}, "
          f"ceiling {fa_c:.4f} (p < {t:.4f})")
    asked, fa_a = scores(frame, frame["flagged"] | frame["checked"])
    asked_z, _ = scores(frame, (frame["z"] > k) | frame["checked"])
    (_, _, p, r, f), (_, _, zp, zr, zf) = asked[-1], asked_z[-1]
    print(f"the unit asked about the cell (OUTLIER or its own {'/'.join(CELL_CHECKS)} check): "
          f"project P/R/F1 {p:.2f} {r:.2f} {f:.2f}, z-score {zp:.2f} {zr:.2f} {zf:.2f}, false alarms {fa_a:.4f}")
    overall = ours[-1]
    return {"f1": overall[4], "fa": fa, "ahead": ahead_all, "ceiling": best[-1][4], "asked": f}


def demo_false_alarms(catalog, options, seed: int) -> list[tuple]:
    frame = pd.DataFrame(run_county(catalog, options, clean_figures(catalog, seed), {}), columns=COLUMNS)
    return list(frame.loc[frame["flagged"], ["period", "unit", "indicator", "value"]].itertuples(index=False))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counties", type=int, default=3, help="simulator seeds (the first is the demo's)")
    ap.add_argument("--share", type=float, default=0.2, help="share of held-out cells slipped")
    ap.add_argument("--seed", type=int, default=2020, help="seed of the slips")
    ap.add_argument("--draws", type=int, default=1000, help="draws of the clean figures for the ceiling")
    args = ap.parse_args()
    started = time.perf_counter()
    catalog, options = load_catalog(), load_options()
    rng, base = random.Random(args.seed), load_profile().seed
    rows = []
    for n in range(args.counties):
        clean = clean_figures(catalog, base + n)
        mine = run_county(catalog, options, clean, plan_slips(catalog, clean, rng, args.share))
        rows += [(*row, p) for row, p in zip(mine, plausibility(catalog, base + n, mine, args.draws), strict=True)]
    frame = pd.DataFrame(rows, columns=[*COLUMNS, "p"])
    same = frame["kind"] == STALE_SAME
    frame = frame[~same]
    print(f"{args.counties} simulated counties, held-out months {HELD_OUT}…{LAST}, "
          f"{len(frame)} cells, slips {Counter(frame['kind'].dropna()).total()} (seed {args.seed}); "
          f"{int(same.sum())} cells of stale copies equal to the month's figure left out")
    result = report(frame)
    alarms = demo_false_alarms(catalog, options, base)
    print(f"warnings on the demo's clean data ({FIRST}…{LAST}, no slips): {len(alarms)}")
    for a in alarms:
        print(f"  {a.period} {a.unit} {a.indicator} = {a.value:g}")
    met = result["f1"] >= GOAL_F1 and result["fa"] <= GOAL_FA
    print(f"goal overall F1 >= {GOAL_F1} at false-alarm rate <= {GOAL_FA}: "
          f"{'met' if met else 'NOT met'} (F1 {result['f1']:.3f}, rate {result['fa']:.4f})")
    print(f"goal ahead of the z-score on every kind: {'met' if result['ahead'] else 'NOT met'}")
    print(f"{time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
