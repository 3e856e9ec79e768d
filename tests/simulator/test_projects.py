"""The simulated ledger and events: every row and event passes the checks a unit's submission
meets, and a unit's projects never invest more than its 交通建设完成投资 — for every unit and month
of the demo county (projects.yaml) and of a 300-unit county (a register made up from its roster);
delays and stoppages come with causes; the same seed gives the same lists."""
from __future__ import annotations

import dataclasses

import pytest

from county_reports.core import periods
from county_reports.core.catalog import Unit
from county_reports.validate.projects import events, ledger
from county_reports.core.projects.register import load_register
from county_reports.core.projects.vocabulary import load_vocabulary
from county_reports.simulator.data import SubmissionGenerator
from county_reports.simulator.profile import load_profile
from county_reports.simulator.projects import ProjectSimulator

MONTHS = periods.span("2024-01", "2025-06")


def county_of(catalog, count: int):
    """``count`` units, mostly township stations, a few of every county kind (as the genre test's)."""
    county_units = {"road_centre": 6, "service_centre": 6, "enforcement_brigade": 8, "water_centre": 5,
                    "quality_station": 5}
    plan = {"township_station": count - sum(county_units.values()), **county_units}
    first, second = "东西南北上下大小新老石青白金龙凤云山河松柏桃李杨柳梅竹花草田湖", "岭坪桥港湾塘口坝溪沟"
    places = [a + b for a in first for b in second]
    units, n = [], 0
    for kind, how_many in plan.items():
        for _ in range(how_many):
            n += 1
            name = places[n] + "镇" + catalog.kinds[kind] if kind == "township_station" else f"{n}{catalog.kinds[kind]}"
            units.append(Unit(f"U{n:03d}", name, kind, catalog.kinds[kind], "http://127.0.0.1:9/u",
                              f"unit_u{n:03d}", 5, "2024-01"))
    return dataclasses.replace(catalog, units=tuple(units))


@pytest.fixture(scope="module", params=["demo", "seed7", "county300"])
def setting(request, catalog):
    profile = load_profile()
    if request.param == "county300":
        cat, register = county_of(catalog, 300), None
    else:
        cat, register = catalog, load_register(catalog)
    seed = 7 if request.param == "seed7" else profile.seed
    generator = SubmissionGenerator(cat, seed=seed, sizes=profile.sizes)
    return request.param, cat, ProjectSimulator(cat, generator, register)


def test_every_row_and_event_passes_the_checks_and_investment_stays_within_the_indicator(setting):
    name, catalog, sim = setting
    words = load_vocabulary()
    checked = rows_seen = 0
    for unit in catalog.units:
        previous = {}
        for period in MONTHS:
            if not unit.active_in(period):
                continue
            year, month = periods.parse(period)
            projects, happened = sim.lists(unit.code, period)
            who = {"unit": unit.code, "unit_name": unit.name, "period": period, "vocabulary": words}
            rows, issues = ledger.check_rows({"projects": projects}, register=sim.register, previous=previous, **who)
            assert issues == [], (name, issues[:3])
            _, issues = events.check_events({"events": happened}, **who)
            assert issues == [], (name, issues[:3])
            spent = sim.indicator(unit.code, year)
            assert ledger.check_investment(rows, reported_month=spent[month - 1],
                                           reported_year=sum(spent[:month]), indicator_name="x", **who) == []
            progress = [r for r in rows if r.kind == "progress"]
            # the rule itself, without its tolerance: never more than the indicator
            assert sum(r.year_investment for r in progress) <= sum(spent[:month]) + 1e-6
            previous = {r.code: r for r in rows}
            checked += 1
            rows_seen += len(progress)
    assert checked > 200 and rows_seen > 100, (checked, rows_seen)


def test_a_delayed_and_a_stalled_project_each_year_with_causes(setting):
    name, catalog, sim = setting
    for year in (2024, 2025):
        found = {}
        for project in sim.register.in_year(year):
            for period in (periods.make(year, m) for m in range(1, 7 if year == 2025 else 13)):
                for row in sim.ledger(project.reporting_unit, period):
                    if row["code"] == project.code and row.get("status") in ("delayed", "stalled"):
                        found.setdefault(row["status"], row)
        assert set(found) == {"delayed", "stalled"}, (name, year)
        for row in found.values():
            assert row["cause"] and len(row["cause_text"]) >= 10
        stalled = found["stalled"]["code"]
        months = [r for p in MONTHS if p.startswith(str(year)) for r in sim.ledger(
            sim.register.by_code[stalled].reporting_unit, p) if r["code"] == stalled and r["status"] == "stalled"]
        assert all(r["month_investment"] == 0 for r in months)          # a stalled project spends nothing


def test_milestones_progress_and_events_read_like_a_county(setting):
    name, catalog, sim = setting
    rows = [r for u in catalog.units for p in MONTHS if u.active_in(p) for r in sim.ledger(u.code, p)]
    reached = [m for r in rows for m in r.get("milestones", ())]
    assert len(reached) >= 3 and len({r["progress"] for r in rows if "progress" in r}) >= 10
    happened = [e for u in catalog.units for p in MONTHS if u.active_in(p) for e in sim.lists(u.code, p)[1]]
    kinds = {e["kind"] for e in happened}
    assert {"document", "meeting", "campaign", "petition"} <= kinds, kinds
    titles = {e["title"] for e in happened if e["kind"] == "document"}
    assert len(titles) >= 10                                          # several wordings, not one


def test_the_same_seed_gives_the_same_lists_and_another_seed_others(catalog):
    profile = load_profile()
    register = load_register(catalog)

    def lists(seed):
        sim = ProjectSimulator(catalog, SubmissionGenerator(catalog, seed=seed, sizes=profile.sizes), register)
        return [sim.lists(u, "2025-06") for u in ("RC01", "TS03", "EB01", "SC01")]

    assert lists(profile.seed) == lists(profile.seed)
    assert lists(profile.seed) != lists(profile.seed + 1)


def test_a_made_up_register_passes_the_loader_an_admin_s_file_meets(catalog, tmp_path):
    """The 300-unit county's register, written as projects.yaml, loads without a problem."""
    import shutil

    import yaml

    from county_reports.core import paths

    big = county_of(catalog, 300)
    sim = ProjectSimulator(big, SubmissionGenerator(big, seed=load_profile().seed), None)
    assert len(sim.register.projects) >= 20

    def as_yaml(p):
        out = {"code": p.code, "name": p.name, "category": p.category, "level": p.level, "scale": p.scale,
               "reporting_unit": p.reporting_unit, "owner": p.owner, "townships": list(p.townships),
               "total_investment": p.total_investment, "funding": p.funding, "county_in_place": p.county_in_place,
               "start": p.start, "completion": p.completion,
               "years": {y: {"nature": v.nature, "plan": v.plan, "schedule": list(v.schedule),
                             "milestones": [{"name": m.name, "planned": m.planned} for m in v.milestones]}
                         for y, v in p.years.items()}}
        if p.land_acres is not None:
            out["land"] = {"acres": p.land_acres, "households": p.land_households}
        return out

    shutil.copy(paths.config_dir() / "ledger.yaml", tmp_path / "ledger.yaml")
    (tmp_path / "projects.yaml").write_text(yaml.safe_dump({"projects": [as_yaml(p) for p in sim.register.projects]},
                                                           allow_unicode=True), encoding="utf-8")
    assert load_register(big, tmp_path) == sim.register


def test_the_shipped_registers_plans_fit_in_each_units_simulated_investment(catalog):
    """projects.yaml is written for the simulator's county: a unit's plans for a year add up to
    at most the INV_TOTAL it reports over that year (the demo's default seed)."""
    profile = load_profile()
    register = load_register(catalog)
    sim = ProjectSimulator(catalog, SubmissionGenerator(catalog, seed=profile.seed, sizes=profile.sizes), register)
    for year in (2024, 2025):
        for unit in {p.reporting_unit for p in register.in_year(year)}:
            plans = sum(p.years[year].plan for p in register.reported_by(unit, year))
            assert 0 < plans <= 0.8 * sum(sim.indicator(unit, year)), (unit, year, plans)


def test_a_revised_investment_takes_the_ledger_down_with_it(catalog):
    """A correction moves INV_TOTAL by up to ±15% from the first version the ledger was drawn
    from: a lowered figure takes the month's project investment down in proportion (the projects'
    share of it stays; a raised one leaves the ledger as drawn), and the cumulative figures never
    fall below the month before's."""
    profile = load_profile()
    generator = SubmissionGenerator(catalog, seed=profile.seed, sizes=profile.sizes)
    sim = ProjectSimulator(catalog, generator, load_register(catalog))
    lowered = 0
    for unit in ("RC01", "WC01", "TS03"):
        for period in periods.span("2024-02", "2025-12"):
            before = {r["code"]: r for r in sim.ledger(unit, periods.shift(period, -1))}
            for revision in range(1, 4):
                body = generator.payload(unit, period, revision=revision)
                rows = sim.keys_for(body, unit, period)["projects"]
                sent = body["values"]["INV_TOTAL"]
                first = sim.indicator(unit, periods.parse(period)[0])[periods.parse(period)[1] - 1]
                drawn = sum(r["month_investment"] for r in sim.ledger(unit, period) if "month_investment" in r)
                lowered += sent < first
                progress = [r for r in rows if "month_investment" in r]
                share = sum(r["month_investment"] for r in progress) / sent
                assert share <= 1 and share == pytest.approx(drawn / first, abs=0.01) if sent < first \
                    else sum(r["month_investment"] for r in progress) == pytest.approx(drawn)
                january = period.endswith("-01")          # the year's figure starts again
                assert all((january or r["year_investment"] >= before[r["code"]]["year_investment"])
                           and r["total_investment"] >= before[r["code"]]["total_investment"]
                           for r in progress if r["code"] in before)
    assert lowered >= 3          # corrections that lowered the figure did occur
