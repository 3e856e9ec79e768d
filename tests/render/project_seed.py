"""Key-project rows and events in a test warehouse: the simulator's lists for each accepted
submission, read by the real checks (``projects.ledger``/``projects.events``) and stored with
``warehouse.projects.store_rows`` — what collection stores, without the HTTP round trip."""
from __future__ import annotations

from county_reports.validate.projects.events import check_events
from county_reports.validate.projects.ledger import check_rows
from county_reports.core.projects.register import Register, load_register
from county_reports.core.projects.vocabulary import load_vocabulary
from county_reports.simulator.data import SubmissionGenerator
from county_reports.simulator.projects import ProjectSimulator
from county_reports.simulator.seeding import load_profile
from county_reports.warehouse import projects as stored


def seed_projects(warehouse, catalog, results, seed=None) -> Register:
    """Store the rows and events of every stored verdict in ``results``; returns the register
    (projects.yaml for the demo roster, the simulator's made-up one for another county)."""
    profile = load_profile()
    generator = SubmissionGenerator(catalog, seed=profile.seed if seed is None else seed, sizes=profile.sizes)
    register = load_register(catalog) if {u.code for u in catalog.units} >= {"RC01", "SC01"} else None
    sim = ProjectSimulator(catalog, generator, register)
    vocabulary = load_vocabulary()
    for result in sorted(results, key=lambda r: (r["unit"], r["period"])):
        unit, period = result["unit"], result["period"]
        name = catalog.unit_by_code[unit].name
        projects, events = sim.lists(unit, period)
        rows, issues = check_rows({"projects": projects}, unit=unit, unit_name=name, period=period,
                                  register=sim.register, vocabulary=vocabulary,
                                  previous=stored.previous_rows(warehouse.engine, unit, period))
        read, event_issues = check_events({"events": events}, unit=unit, unit_name=name, period=period,
                                          vocabulary=vocabulary)
        assert not issues and not event_issues, (issues, event_issues)
        stored.store_rows(warehouse.engine, result["submission_id"], rows, read)
    return sim.register
