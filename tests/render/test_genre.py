"""The summaries read as the county office writes them: both documents read back from the .docx.

Three counties: the demo's (simulator default seed, 17 units), a second simulator seed, and a
generated county of 300 units. Each document is checked for the genre's rules (themes, 一是,
paragraphs of several sentences, a short opening, quantified problems without unit names,
plans with numbers, the number style), and every number is traced in the sidecar, the figures
quoted from units' items recomputed from the warehouse. Key projects and events (issue 19): each
kind of event told in its theme, and none of the composer's seams (verb-less figures, endings
said twice, accidents as a figure, comparisons on every number, units counted or named twice).
"""
from __future__ import annotations

import ast
import dataclasses
import json
import re
import statistics
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from docx import Document

from county_reports.render import summaries
from county_reports.core.catalog import Unit
from county_reports.render import compose, number_style
from county_reports.simulator.seeding import accepted_verdicts
from county_reports.warehouse import Warehouse
from render.project_seed import seed_projects   # tests/render is a package (two test_model.py)

BODY, H1, H2 = "公文正文", "一级标题", "二级标题"
MISSING = {("TS03", "2025-03"), ("TS05", "2024-08")}
KINDS = (("half_year", 2025), ("annual", 2024))


def big_county(catalog, count: int = 300):
    """A county of ``count`` units: mostly township stations, a few of every county unit kind."""
    first = "东西南北上下大小新老石青白金龙凤云山河松柏桃李杨柳梅竹花草田湖"
    second = "岭坪桥港湾塘口坝溪沟冲垭岗埠集店庄寨铺堡场"
    places = [a + b for a in first for b in second]
    county_units = {"road_centre": 6, "service_centre": 6, "enforcement_brigade": 8,
                    "water_centre": 5, "quality_station": 5}
    plan = {"township_station": count - sum(county_units.values()), **county_units}
    units, n = [], 0
    for kind, how_many in plan.items():
        for i in range(how_many):
            n += 1
            name = (places[n] + ("镇" if n % 3 else "乡") + "交通运输管理站" if kind == "township_station"
                    else f"第{chinese(i + 1)}{catalog.kinds[kind]}")
            units.append(Unit(f"U{n:03d}", name, kind, catalog.kinds[kind], "http://127.0.0.1:9/u",
                              f"unit_u{n:03d}", 5, "2024-01"))
    return dataclasses.replace(catalog, units=tuple(units))


def chinese(n: int) -> str:
    return number_style.chinese_number(n)


def _build(root: Path, catalog, *, seed=None, skip=frozenset()):
    root.mkdir(parents=True, exist_ok=True)
    warehouse = Warehouse(f"sqlite:///{root / 'wh.db'}")
    warehouse.migrate()
    warehouse.sync_roster(catalog, "test")
    results = warehouse.record_verdicts(accepted_verdicts(catalog, "2024-01", "2025-06", skip=skip, seed=seed),
                                        "test")
    register = seed_projects(warehouse, catalog, results, seed=seed)   # key projects and events (issue 19)
    settings = summaries.load_settings()
    docs = {}
    for kind, year in KINDS:
        plan = summaries.plan(kind, year, settings)
        docs[kind] = (plan, summaries.write_summary(warehouse, catalog, plan, root / kind, register=register))
    return warehouse, docs


def _fast_dir(tmp_path_factory, name: str) -> Path:
    """A tmpfs folder when there is one: 5,400 submissions are stored one transaction each."""
    shm = Path("/dev/shm")
    if shm.is_dir():
        import tempfile
        return Path(tempfile.mkdtemp(prefix=f"genre-{name}-", dir=shm))
    return tmp_path_factory.mktemp(name)


@pytest.fixture(scope="module", params=["demo", "seed7", "county300"])
def county(request, tmp_path_factory, catalog):
    import shutil

    if request.param == "demo":
        cat, seed, skip = catalog, None, MISSING
    elif request.param == "seed7":
        cat, seed, skip = catalog, 7, frozenset()
    else:
        cat, seed, skip = big_county(catalog), None, frozenset()
    root = _fast_dir(tmp_path_factory, request.param)
    warehouse, docs = _build(root, cat, seed=seed, skip=skip)
    yield request.param, cat, warehouse, docs
    warehouse.close()
    shutil.rmtree(root, ignore_errors=True)


def read_back(path: str) -> dict:
    """The body of the document by part: opening, part 一 headings and paragraphs, 二, 三."""
    paragraphs = [(p.style.name, p.text) for p in Document(path).paragraphs]
    parts: list[dict] = []
    opening = []
    for style, text in paragraphs[1:]:
        if style == H1:
            parts.append({"heading": text, "h2": [], "paragraphs": []})
        elif style == H2 and parts:
            parts[-1]["h2"].append(text)
        elif style == BODY and text.strip():
            (parts[-1]["paragraphs"] if parts else opening).append(text)
        elif style not in (BODY, H2) and parts:
            break     # attachment list, signature: the body has ended
    body = opening + [p for part in parts for p in [part["heading"], *part["h2"], *part["paragraphs"]]]
    return {"opening": opening, "parts": parts, "body": "\n".join(body),
            "paragraphs": opening + [p for part in parts for p in part["paragraphs"]]}


def unit_names(catalog) -> list[str]:
    from county_reports.render.pool import short_name
    names = [u.name for u in catalog.units]
    names += [s for s in (short_name(catalog, u.code) for u in catalog.units) if s != catalog.bureau.county]
    return sorted(set(n for n in names if n), key=len, reverse=True)


def sidecar(files) -> list[dict]:
    return json.loads(Path(files["sidecar"]).read_text(encoding="utf-8"))["figures"]


@pytest.mark.parametrize("kind", [k for k, _ in KINDS])
def test_the_summary_reads_like_the_office_wrote_it(county, kind):
    name, catalog, _, docs = county
    plan, files = docs[kind]
    doc = read_back(files["docx"])
    body, parts = doc["body"], doc["parts"]
    assert len(parts) == 3, [p["heading"] for p in parts]
    achievements, problems, plans = parts

    # length of the genre, whatever the number of units
    assert 4000 <= len(body.replace("\n", "")) <= 11000, len(body)
    # no bracketed source lists, no "等N个单位"
    names = unit_names(catalog)
    for bracket in re.findall(r"（([^）]*)）", body):
        assert not any(n in bracket for n in names) and "个单位" not in bracket, bracket
    assert not re.search(r"等\d+个单位", body)
    # 4–7 themed sub-sections in part 一, merged items as 一是…二是…
    assert 4 <= len(achievements["h2"]) <= 7, achievements["h2"]
    assert all(re.match(r"（[一二三四五六七]）\S+，\S+", h) for h in achievements["h2"]), achievements["h2"]
    assert "一是" in body and "二是" in body
    # paragraphs of several sentences
    assert statistics.mean(len(p) for p in doc["paragraphs"]) >= 90

    # the opening: at most four headline figures, a judgement that follows the data
    trace = sidecar(files)
    headline = {f["indicator"] for f in trace if f["where"] == "opening" and f["measure"] == "value"}
    assert 1 <= len(headline) <= 4, headline
    opening = doc["opening"][0]
    behind = [f for f in trace if f["where"] == "problems:behind"]
    if kind == "annual" and not behind:
        assert "全面完成" in opening
    if behind:
        assert "全面完成" not in opening and ("滞后" in opening or "未" in opening or "差距" in opening)
    accidents = next((f for f in trace if f["indicator"] == "ACCIDENTS" and f["measure"] == "value"), None)
    if accidents and accidents["value"] > 0:
        assert "事故" in opening

    # problems: 3–5 items, each with figures or (the units' problems, the bureau's judgement) a cause
    # or an example in two clauses at least, never naming a unit, never counting reporting units
    items = problems["paragraphs"]
    assert 3 <= len(items) <= 5, items
    projects_said = [f["text"] for f in trace if f["where"] == "problems:projects"]
    for i, text in enumerate(items):
        assert text.startswith(chinese(i + 1) + "是"), text
        assert re.search(r"\d", text) or text.count("；") + text.count("，") >= 2, text
        for said in projects_said:     # a project's name and cause may name its township
            text = text.replace(said, "")
        assert not any(n in text for n in names), text
        assert "反映此类问题" not in text and not re.search(r"\d+个(基层)?单位", text), text
    if behind:
        assert "个百分点" in items[0]

    # plans: a targets paragraph with numbers first, 4–8 items, a closing sentence
    paragraphs = plans["paragraphs"]
    assert re.search(r"\d", paragraphs[0]) and not paragraphs[0].startswith("一是")
    ordered = [p for p in paragraphs[1:] if re.match(r"[一二三四五六七八]是", p)]
    assert 4 <= len(ordered) <= 8 and paragraphs[-1] not in ordered
    if kind == "annual":
        assert str(plan.year + 1) in paragraphs[0]

    assert_number_style(catalog, kind, body, trace)


def assert_number_style(catalog, kind, body, trace):
    wording = compose.load_wording()
    items = wording["figures"].get("items") or {}
    styles = {i.code: i.style for i in catalog.indicators} | {d.code: d.style for d in catalog.derived}
    natures = {i.code: i.over_time for i in catalog.indicators}
    uoms = {i.code: i.uom for i in catalog.indicators} | {d.code: d.uom for d in catalog.derived}
    names = {i.code: i.name for i in catalog.indicators} | {d.code: d.name for d in catalog.derived}
    # never "100.0%", never a completion of 100% or more written as a percentage
    assert "100.0%" not in body
    for pct in re.findall(r"完成年度目标的(\d+(?:\.\d+)?)%", body):
        assert float(pct) < 100, pct
    assert "事故造成死亡" not in body and not re.search(r"死亡0人", body)
    if kind == "annual":
        assert "1—12月" not in body and "全年" in body
    as_of = "截至6月底" if kind == "half_year" else "截至年底"
    checked = 0
    quoted = {(f["indicator"], f["text"]) for f in trace if f["measure"] == "unit_value"}
    for fig in trace:
        if fig["measure"] != "value" or not fig["where"].startswith(("theme:", "opening")):
            continue
        if (fig["indicator"], fig["text"]) in quoted:   # a unit's own item says the same figure
            continue
        code = fig["indicator"]
        template = items.get(code, wording["figures"]["item"])
        prefix = template.split("{value}")[0].format(name=names[code])
        for match in re.finditer(re.escape(prefix + fig["text"]) + r"([^；。]*)", body):
            clause = match.group(1)
            style = styles.get(code)
            if style in ("sanction", "accident", "casualty"):
                assert "同比" not in clause and "完成年度目标" not in clause, (code, clause)
            if uoms[code] == "%" or style == "index":     # points, never a percentage of itself
                assert "同比增长" not in clause and "同比下降" not in clause, (code, clause)
                assert not re.search(r"\d%", clause.replace("个百分点", "")), (code, clause)
            if natures.get(code) == "last":                 # a stock at the span's end
                assert "同比" not in clause, (code, clause)
                start = body[max(0, match.start() - 12):match.start()]
                assert as_of in start, (code, start)
            checked += 1
    assert checked >= 10
    # small counts change by differences, not percentages
    for fig in trace:
        if fig["measure"] == "yoy_pct" and not fig["where"].startswith("附件"):
            ind = catalog.indicator_by_code.get(fig["indicator"])
            assert ind is None or not ind.integer or styles.get(ind.code) == "count" or \
                abs(_value(trace, ind.code)) >= 100, fig
    # the accident sentence
    accidents = _value(trace, "ACCIDENTS", default=None)
    if accidents is not None:
        if accidents == 0:
            assert "未发生生产安全事故" in body
        else:
            assert re.search(r"发生(一般)?生产安全事故\d+起，(未造成人员死亡|造成\d+人死亡)", body)


def _value(trace, code, default=0.0):
    return next((f["value"] for f in trace if f["indicator"] == code and f["measure"] == "value"), default)


# ---------------------------------------------------------------- every number traced, and right


def _county(frame, catalog, code, periods):
    derived = {d.code: d for d in catalog.derived}
    if code in derived:
        names = {n: _county(frame, catalog, n, periods) for n in derived[code].inputs}
        if any(v is None for v in names.values()) or 0 in names.values():
            return None
        return eval(compile(ast.parse(derived[code].formula, mode="eval"), "f", "eval"), {}, names)
    part = frame[(frame["indicator"] == code) & frame["period"].isin(periods)]
    return None if part.empty else _combine(catalog, code, part, periods)


def _combine(catalog, code, part, periods):
    ind = catalog.indicator_by_code[code]
    if ind.over_time == "sum":
        return part["value"].sum()
    if ind.over_time == "last":
        active = {u.code for u in catalog.units_active_in(max(periods))}
        last = part.sort_values("period").groupby("unit")["value"].last()
        return last[last.index.isin(active)].sum()
    monthly = part.groupby("period")["value"].agg("sum" if ind.over_units == "sum" else ind.over_units)
    return monthly.max() if ind.over_time == "max" else monthly.mean()


def _unit(frame, catalog, unit, code, periods):
    ind = catalog.indicator_by_code[code]
    part = frame[(frame["indicator"] == code) & (frame["unit"] == unit) & frame["period"].isin(periods)]
    values = part.sort_values("period")["value"]
    return {"sum": values.sum, "last": lambda: values.iloc[-1], "max": values.max,
            "mean": values.mean}[ind.over_time]()


def _shown(value, decimals):
    """As printed: summation noise below 1e-9 dropped first (85.64999999999999 is 85.65)."""
    return Decimal(repr(round(float(value), 9))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _number(text: str) -> float:
    value = float(re.sub(r"[^\d.]", "", text))
    return value * 10000 if text.endswith("亿元") else value


@pytest.mark.parametrize("kind", [k for k, _ in KINDS])
def test_every_number_is_traced_and_item_figures_are_the_units_span_figures(county, kind):
    name, catalog, warehouse, docs = county
    plan, files = docs[kind]
    trace = sidecar(files)
    doc = read_back(files["docx"])
    span = list(plan.span.periods)
    before = list(plan.span.same_span_last_year().periods)
    values = warehouse.current_values(span + before)
    decimals = {i.code: i.decimals for i in catalog.indicators} | {d.code: d.decimals for d in catalog.derived}
    checked = {"unit_value": 0, "display_change": 0}
    for fig in trace:
        if fig["where"].startswith("附件"):
            continue
        code, measure = fig["indicator"], fig["measure"]
        assert fig["text"] in doc["body"], fig
        if measure == "unit_value":          # a unit's figure: its span figure in the warehouse
            expected = _unit(values, catalog, fig["unit"], code, span)
            assert fig["value"] == pytest.approx(expected, rel=1e-9, abs=1e-9), fig
            assert _number(fig["text"]) == pytest.approx(expected, abs=0.5 * 10 ** -decimals[code] *
                                                         (10000 if fig["text"].endswith("亿元") else 1) + 1e-9)
            checked["unit_value"] += 1
        elif measure == "share_pct":
            unit = _unit(values, catalog, fig["unit"], code, span)
            assert fig["value"] == pytest.approx(unit / _county(values, catalog, code, span) * 100), fig
        elif measure == "display_change":    # from the printed values, not the raw ones
            now, base = _county(values, catalog, code, span), _county(values, catalog, code, before)
            d = decimals[code]
            assert Decimal(repr(fig["value"])) == _shown(now, d) - _shown(base, d), fig
            checked["display_change"] += 1
        elif measure == "remaining":
            target = catalog.targets[plan.year][code]
            now = _county(values, catalog, code, span)
            assert fig["value"] == pytest.approx(float(_shown(target, decimals[code]) - _shown(now, decimals[code])))
        elif measure == "next_target":
            assert fig["value"] == catalog.targets[plan.year + 1][code]
    assert checked["unit_value"] >= 3, checked
    if kind == "half_year":           # (the annual of 2024 has no 2023 to compare with)
        assert checked["display_change"] >= 3, checked

    # the other direction: no digit in the body that the sidecar does not account for
    text = doc["body"]
    for piece in sorted({f["text"] for f in trace if not f["where"].startswith("附件")},
                        key=lambda p: (-len(p), p)):     # (a project's name may hold its year)
        text = _remove_number(text, piece)
    text = re.sub(r"\d{4}年(\d{1,2}月(\d{1,2}日)?)?|\d{1,2}—\d{1,2}月", "", text)
    text = re.sub(r"\d{1,2}月底前?", "", text)       # dates: 截至6月底, 12月底前 (time limits)
    assert not re.search(r"\d", text), re.findall(r".{0,12}\d.{0,12}", text)[:5]


def _remove_number(text: str, piece: str) -> str:
    """``piece`` taken out where it stands as a whole number ("7个" is not inside "17个")."""
    before = r"(?<![\d.])" if piece[:1].isdigit() else ""
    after = r"(?![\d])" if piece[-1:].isdigit() else ""
    return re.sub(before + re.escape(piece) + after, "", text)


def test_a_unit_month_figure_is_never_printed_as_the_span_figure(county):
    """An item's number that was one month's is replaced: no printed unit figure equals a
    single month's value unless it is also the span's."""
    name, catalog, warehouse, docs = county
    plan, files = docs["half_year"]
    values = warehouse.current_values(list(plan.span.periods))
    for fig in sidecar(files):
        if fig["measure"] != "unit_value":
            continue
        months = values[(values["unit"] == fig["unit"]) & (values["indicator"] == fig["indicator"])]
        span_value = _unit(values, catalog, fig["unit"], fig["indicator"], list(plan.span.periods))
        assert fig["value"] == pytest.approx(span_value), fig
        if len(months) > 1 and catalog.indicator_by_code[fig["indicator"]].over_time == "sum":
            assert all(m == pytest.approx(span_value) or m != pytest.approx(fig["value"])
                       for m in months["value"]), fig


# ---------------------------------------------------------------- key projects and events (issue 19)


def test_the_summary_names_key_projects_events_and_milestones(county):
    """Part 一 names ≥3 projects with plan, completed and share; every delayed or stalled project
    is named in the problems with its cause; plans name ≥3 milestones with dates; ≥2 events are
    quoted by name; no unit twice in a paragraph; the projects table equals the warehouse."""
    from county_reports.aggregate.projects import span_projects
    from county_reports.core.projects.vocabulary import load_vocabulary

    name, catalog, warehouse, docs = county
    plan, files = docs["half_year"]
    doc, trace = read_back(files["docx"]), sidecar(files)
    achievements, problems, plans = doc["parts"]
    register = seed_register(catalog, name)
    projects = span_projects(warehouse.engine, register, load_vocabulary(), plan.span)
    assert len(projects) >= 3
    part_one = "\n".join(achievements["paragraphs"])
    named = [p for p in projects if re.search(re.escape(p.name) + r"年度计划投资[\d.]+(万|亿)元，已完成[\d.]+(万|亿)元，"
                                                               r"占年度计划的[\d.]+%", part_one)]
    assert len(named) >= 3, [p.name for p in projects]
    troubled = [p for p in projects if p.status in ("delayed", "stalled")]
    said = "\n".join(problems["paragraphs"])
    for p in troubled:
        assert re.search(re.escape(p.name) + "因" + re.escape(p.cause) + r"问题[^；。]*，" + re.escape(p.cause_text), said)
    milestones = re.findall(r"力争(\d{1,2})月(\d{1,2})日前", "\n".join(plans["paragraphs"]))
    assert len(milestones) >= 3, plans["paragraphs"]
    quoted = re.findall(r"召开[^；。，]+会|开展[^；。，]*(?:行动|排查|整治)[^；。，]*，出动|制定《[^》]+》|获评[^；。]+“[^”]+”", part_one)
    assert len(quoted) >= 2, quoted
    units = [u.name for u in catalog.units]
    for paragraph in doc["paragraphs"]:
        for unit in units:
            assert paragraph.count(unit) <= 1, (unit, paragraph)
    # 附件2 equals the warehouse, every figure of it in the sidecar
    table = [f for f in trace if f["where"] == "附件2"]
    by_code = {p.code: p for p in projects}
    assert {f["project"] for f in table} == set(by_code)
    for f in table:
        p = by_code[f["project"]]
        expected = {"project_total": p.total_investment, "project_plan": p.plan, "project_done": p.done,
                    "project_share_pct": p.share}[f["measure"]]
        assert f["value"] == pytest.approx(expected), f
    rows = Document(files["docx"]).tables[-1].rows
    assert [c.text for c in rows[0].cells][:3] == ["序号", "项目名称", "建设性质"]
    assert [r.cells[1].text for r in rows[1:]] == [p.name for p in projects]


def seed_register(catalog, name):
    from county_reports.core.projects.register import load_register
    from county_reports.simulator.data import SubmissionGenerator
    from county_reports.simulator.projects import ProjectSimulator
    from county_reports.simulator.seeding import load_profile

    if name != "county300":
        return load_register(catalog)
    profile = load_profile()
    return ProjectSimulator(catalog, SubmissionGenerator(catalog, seed=profile.seed, sizes=profile.sizes)).register


# ---------------------------------------------------------------- events in their themes, no seams (issue 19)


def part_one_by_theme(path: str) -> dict[str, list[str]]:
    """Part 一's paragraphs under each of its (二级) headings."""
    themes: dict[str, list[str]] = {}
    current, h1 = None, 0
    for p in Document(path).paragraphs:
        if p.style.name == H1:
            h1 += 1
            current = None
        elif p.style.name == H2 and h1 == 1:
            current = p.text
            themes[current] = []
        elif p.style.name == BODY and current is not None and p.text.strip():
            themes[current].append(p.text)
    return themes


def theme_text(themes: dict[str, list[str]], section: str) -> str:
    """The paragraphs of the theme whose first line of work is ``section`` (by its heading)."""
    wording = compose.load_wording()
    theme = next(t for t in wording["themes"] if t["sections"][0] == section)
    return "\n".join(p for heading, ps in themes.items()
                     if heading.endswith((theme["heading"], theme["behind"])) for p in ps)


def test_events_are_told_in_their_themes(county):
    """An honour is not in the projects paragraph but at the end of part 一 (party building), by
    the unit that received it; a campaign in the theme of its work (safety or enforcement);
    建议提案 and 信访 counted in the services theme, 督查 in the quality line, with their totals."""
    from county_reports.aggregate.projects import span_events

    name, catalog, warehouse, docs = county
    plan, files = docs["half_year"]
    themes = part_one_by_theme(files["docx"])
    events = span_events(warehouse.engine, plan.span)
    investment, party = theme_text(themes, "investment"), theme_text(themes, "party_building")
    honours = {e["title"] for e in events if e["kind"] == "honour"}
    if name == "demo":
        assert honours
    for title in list(honours)[:4]:
        printed = "“" + title.replace("“", "‘").replace("”", "’") + "”"
        assert printed in party and printed not in investment, (title, party)
    for campaign in {e["title"] for e in events if e["kind"] == "campaign"}:
        where = [s for s in ("investment", "rural_roads", "passenger", "overload", "safety", "party_building")
                 if "开展" + campaign in theme_text(themes, s)]
        if "安全" in campaign:
            assert where in ([], ["safety"]), (campaign, where)
        elif re.search("治超|超限|非法营运|执法", campaign):
            assert where in ([], ["overload"]), (campaign, where)
    counted = {"proposal": ("passenger", {"npc": "人大代表建议", "cppcc": "政协委员提案"}, "received", "件"),
               "petition": ("passenger", {"hotline": "12345热线工单", "letters": "信访件"}, "received", "件"),
               "inspection": ("rural_roads", {"supervision": "督查发现问题"}, "issues", "个")}
    for kind, (section, names, field, uom) in counted.items():
        mine = [e for e in events if e["kind"] == kind]
        text = theme_text(themes, section)
        for sub, word in names.items():
            total = sum(e["counts"].get(field, 0) for e in mine if e["subkind"] == sub)
            if total:
                assert f"{word}{total}{uom}" in text, (kind, word, total)
                assert word not in investment
    if name == "demo":
        assert any(e["kind"] == k for e in events for k in counted)


VERBS = re.compile("完成|实现|达|为|开展|排查|检测|查处|立案|办结|开通|改造|新改建|实施|硬化|投入|建成|培训|"
                   "核发|收缴|卸载|组织|现有|开工|交付|修复|检查|抽检|发生")


@pytest.mark.parametrize("kind", [k for k, _ in KINDS])
def test_the_composer_leaves_no_seams(county, kind):
    """Every metric clause has a verb; comparisons with last year only on the headline figures
    (the themes' lead figures); consecutive clauses never end alike (said once, 均/分别); the
    accidents as the safety situation, never a figure among figures; no counting of the units
    that said something; no unit named twice in a paragraph."""
    name, catalog, _, docs = county
    plan, files = docs[kind]
    doc, trace = read_back(files["docx"]), sidecar(files)
    body = doc["body"]
    wording = compose.load_wording()
    items = wording["figures"].get("items") or {}
    names = {i.code: i.name for i in catalog.indicators} | {d.code: d.name for d in catalog.derived}
    verbs = wording["style"]["grouped"].get("verbs", [])
    checked = 0
    for fig in trace:
        if fig["measure"] != "value" or not fig["where"].startswith(("theme:", "opening")):
            continue
        code = fig["indicator"]
        prefix = items.get(code, wording["figures"]["item"]).split("{value}")[0].format(name=names[code])
        keys = {names[code], prefix, *(prefix[len(v):] for v in verbs if prefix.startswith(v))} - {""}
        for match in re.finditer(r"(?<![\d.])" + re.escape(fig["text"]), body):
            clause = re.split("[；。，\n]", body[:match.start()])[-1]
            if any(k in clause for k in keys):
                assert VERBS.search(clause), (code, clause)
                checked += 1
    assert checked >= 10
    headline = set(wording["opening"].get("headline_indicators", [])) | {
        c for t in wording["themes"] for c in (t.get("lead") or [])}
    for fig in trace:
        if fig["measure"] in ("yoy_pct", "display_change") and fig["where"].startswith(("theme:", "opening")):
            assert fig["indicator"] in headline, fig
    for paragraph in [*doc["opening"], *doc["parts"][0]["paragraphs"]]:
        for sentence in paragraph.split("。"):
            endings = [c.rsplit("，", 1)[-1] for c in sentence.split("；")]
            for a, b in zip(endings, endings[1:], strict=False):
                assert not (a == b and not re.search(r"\d", a)), (a, sentence)
    part_one = "\n".join(doc["parts"][0]["paragraphs"])
    assert not re.search(r"(；|上半年，|全年，)发生(一般)?生产安全事故", part_one)
    if _value(trace, "ACCIDENTS", default=None) is not None:
        assert re.search(r"安全(生产)?形势[^。]*(发生(一般)?生产安全事故\d+起|未发生生产安全事故)"
                         r"|(发生(一般)?生产安全事故\d+起)[^。]*安全生产形势", part_one), part_one
    assert "反映此类问题" not in body and not re.search(r"\d+个(基层)?单位(均)?(反映|提出|表示)", body)
    for paragraph in doc["paragraphs"]:
        for unit in catalog.units:
            assert paragraph.count(unit.name) <= 1, (unit.name, paragraph)
