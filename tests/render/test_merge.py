"""Merging units' items that say the same thing: paraphrases together, different facts apart."""
from __future__ import annotations

from county_reports.render import merge
from county_reports.render.items import Figure
from county_reports.simulator.narratives import load_phrasebook

THRESHOLD = 58


def item(unit, text, figures=()):
    return merge.Item(unit, "2025-06", "problem", "rural_roads", text, tuple(figures), text)


def test_paraphrases_of_the_phrase_bank_merge_and_different_facts_do_not(catalog):
    """Precision 1 (never two facts in one item); recall ≥ 0.85 of the variants of a fact end up
    with their fact's most common wording (bench_merge.py prints the full measurement)."""
    book = load_phrasebook(catalog)
    checked = together = 0
    for section in sorted(book.sections()):
        for kind in ("highlight", "problem", "plan"):
            items, facts = [], {}
            for fact, template in enumerate(book.templates(section, kind)):
                for n, text in enumerate(template.variants):
                    fill = {c: str(7 + n) for c in template.indicators}
                    fill.update(unit_name="城关镇交通运输管理站", place="城关镇", village="李家",
                                year="2025", month="6", next_month="7")
                    it = merge.Item(f"U{n}", "2025-06", kind, section, text.format_map(fill),
                                    original=text.format_map(fill), strip=("城关镇交通运输管理站", "城关镇"))
                    items.append(it)
                    facts[id(it)] = fact
            clusters = merge.cluster(items, threshold=THRESHOLD)
            for group in clusters:
                assert len({facts[id(m)] for m in group.members}) == 1, [m.text for m in group.members]
            biggest: dict[int, int] = {}
            for g in clusters:
                fact = facts[id(g.members[0])]
                biggest[fact] = max(biggest.get(fact, 0), len(g.members))
            for template_index, template in enumerate(book.templates(section, kind)):
                if len(template.variants) > 1:
                    checked += len(template.variants) - 1
                    together += biggest[template_index] - 1
    assert checked >= 60 and together / checked >= 0.85, (together, checked)


def test_most_reported_first_then_those_with_a_figure():
    figure = Figure("4座", "B", "BRIDGE_REBUILT", 4.0)
    items = [item("A", "山区路段地质条件复杂，边坡防护投入较大。"),
             item("B", "完成危旧桥梁改造4座，消除安全隐患。", [figure]),
             item("C", "部分村组道路路面宽度偏窄，错车困难。"),
             item("D", "部分村组道路路面偏窄，会车困难。"),
             item("E", "山区路段地质条件复杂，边坡防护投入大。")]
    clusters = merge.cluster(items, threshold=THRESHOLD)
    assert [sorted(c.units) for c in clusters] == [["A", "E"], ["C", "D"], ["B"]]
    one_each = merge.cluster([items[0], items[1]], threshold=THRESHOLD)
    assert one_each[0].has_figure


def test_the_representative_carries_the_figure_of_the_largest_unit():
    small, large = Figure("1座", "A", "BRIDGE_REBUILT", 1.0), Figure("5座", "B", "BRIDGE_REBUILT", 5.0)
    group = merge.Cluster([item("A", "完成危旧桥梁改造1座。", [small]), item("B", "改造危旧桥梁5座。", [large]),
                           item("C", "危旧桥梁改造稳步推进。")])
    chosen = merge.representative(group, lambda m: max(f.value for f in m.figures))
    assert chosen.unit == "B"
