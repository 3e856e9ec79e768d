"""Which rapidfuzz scorer tells paraphrases of one fact from different facts, on Chinese items.

Items come from the simulator's phrase bank, filled as units fill them (their own figures,
places and villages): two items of the same template (any of its variants) are the same fact;
two items of different templates of the same line of work and kind are different facts. For each
scorer (with its preprocessing) it prints the mean score of same-fact pairs in two different
wordings (the hard case: one wording with other figures scores near 100) and different-fact pairs,
the threshold with the best F1 over all pairs, that F1, and how the leader clustering that
``render.merge`` uses does at that threshold (pairwise precision and recall of the clusters).

    .venv/bin/python benchmarks/bench_merge.py [--fills 6] [--seed 7]
"""
from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys


def items(catalog, fills: int, seed: int):
    from county_reports.render.merge import similarity_key
    from county_reports.simulator.narratives import format_value, load_phrasebook

    book = load_phrasebook(catalog)
    rng = random.Random(seed)
    units = list(catalog.units)
    out = []   # (group, fact id, key text)
    for section in sorted(book.sections()):
        for kind in ("highlight", "problem", "plan"):
            for fact, template in enumerate(book.templates(section, kind)):
                for _ in range(fills):
                    unit = rng.choice(units)
                    place = unit.name.replace(unit.kind_name, "") or catalog.bureau.county
                    fill = {"unit_name": unit.name, "year": "2025", "month": "6", "next_month": "7",
                            "place": place, "village": rng.choice(book.villages)}
                    for code in template.indicators:
                        ind = catalog.indicator_by_code[code]
                        fill[code] = format_value(ind, rng.uniform(ind.min, max(ind.min + 1, ind.max / 20)))
                    variant = rng.randrange(len(template.variants))
                    text = template.variants[variant].format_map(fill)
                    out.append(((section, kind), (fact, variant), similarity_key(text, (unit.name, place))))
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fills", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    from county_reports.core.catalog import load_catalog
    from county_reports.render import merge

    catalog = load_catalog()
    data = items(catalog, args.fills, args.seed)
    groups: dict = {}
    for group, fact, text in data:
        groups.setdefault(group, []).append((fact, text))
    print(f"{len(data)} items in {len(groups)} (line of work, kind) groups")
    print(f"{'scorer':28} {'para':>6} {'p5':>5} {'diff':>6} {'p95':>5} {'best t':>7} {'F1':>5}"
          f"   clusters at t: precision recall")
    for name, (prepare, score) in merge.SCORERS.items():
        same, diff = [], []
        for members in groups.values():
            keys = [(f, prepare(t)) for f, t in members]
            for (fa, a), (fb, b) in itertools.combinations(keys, 2):
                if fa[0] != fb[0]:
                    diff.append(score(a, b))
                elif fa[1] != fb[1]:        # the same fact in two different wordings
                    same.append(score(a, b))
        best = max(range(30, 96), key=lambda t: _f1(same, diff, t))
        precision, recall = _cluster_quality(groups, name, best)
        p5 = statistics.quantiles(same, n=20)[0]
        p95 = statistics.quantiles(diff, n=20)[-1]
        print(f"{name:28} {statistics.mean(same):6.1f} {p5:5.1f} {statistics.mean(diff):6.1f} {p95:5.1f} {best:7d} "
              f"{_f1(same, diff, best):5.3f}   {precision:.3f} {recall:.3f}")
    return 0


def _f1(same, diff, t) -> float:
    tp = sum(s >= t for s in same)
    fp = sum(d >= t for d in diff)
    fn = len(same) - tp
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _cluster_quality(groups, scorer, threshold) -> tuple[float, float]:
    from county_reports.render import merge

    tp = fp = fn = 0
    for members in groups.values():
        items = [merge.Item("U", "2025-06", "k", "s", text, original=text) for _, text in members]
        facts = {id(item): fact[0] for item, (fact, _) in zip(items, members, strict=False)}
        label = {}
        for n, group in enumerate(merge.cluster(items, threshold=threshold, scorer=scorer)):
            for m in group.members:
                label[id(m)] = n
        for a, b in itertools.combinations(items, 2):
            same_fact, same_cluster = facts[id(a)] == facts[id(b)], label[id(a)] == label[id(b)]
            tp += same_fact and same_cluster
            fp += same_cluster and not same_fact
            fn += same_fact and not same_cluster
    return tp / max(1, tp + fp), tp / max(1, tp + fn)


if __name__ == "__main__":
    sys.path.insert(0, "include")
    sys.exit(main())
