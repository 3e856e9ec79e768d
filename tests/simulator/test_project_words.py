"""simulator/project_words.py: causes, 形象进度 and made-up projects, worded from the real roster."""
from __future__ import annotations

import random
import re

import pytest

from county_reports.core.projects.register import load_register
from county_reports.simulator import project_words as w


@pytest.fixture(scope="module")
def register(catalog):
    return load_register(catalog)


def test_every_cause_is_filled_with_a_place_of_the_project(catalog, register):
    project = next(p for p in register.projects if p.townships)
    places = {catalog.unit_by_code[t].name[:3] for t in project.townships}
    for cause in {c for causes in w.CAUSES.values() for c in causes}:
        for seed in range(6):
            text = w.cause_text(random.Random(seed), cause, project, catalog)
            assert "{" not in text and text
            if "段" in text and cause in ("land", "design_change", "weather", "obstruction"):
                assert any(place in text for place in places) or re.search(r"K\d+\+\d{3}", text)


def test_progress_is_bounded_and_the_same_wording_each_month(register):
    project = next(p for p in register.projects if any(y.nature != "preliminary" for y in p.years.values()))
    plan = next(y for y in project.years.values() if y.nature != "preliminary")
    texts = [w.progress(random.Random(i), project, plan, done) for i, done in enumerate((-1, 0.2, 0.5, 2))]
    shares = [int(x) for t in texts for x in re.findall(r"(\d+)%", t)]
    assert shares and all(0 <= s <= 100 for s in shares)
    assert len({re.sub(r"\d+", "", t) for t in texts}) == 1        # one wording, the figures move


def test_a_preliminary_year_is_worded_as_preparation(register):
    import dataclasses
    project = register.projects[0]
    plan = dataclasses.replace(next(iter(project.years.values())), nature="preliminary")
    assert "%" not in w.progress(random.Random(1), project, plan, 0.5)


def test_made_up_projects_by_kind_of_unit(catalog):
    rng = random.Random(3)
    seen = {}
    for unit in catalog.units:
        category, name, scale = w.made_up_project(rng, unit, catalog)
        seen[unit.kind] = category
        assert name and scale and "{" not in name
    assert seen["road_centre"] == "trunk_road" and seen["water_centre"] == "ferry_bridge"
    assert seen["service_centre"] == "hub" and seen["township_station"] == "rural_road"
