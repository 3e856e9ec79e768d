"""Counties sharing one warehouse: each county's summary equals the one rendered from its own."""
from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from county_reports.core.projects.register import Register
from county_reports.render import counties, summaries
from county_reports.core.catalog import load_catalog
from county_reports.simulator.seeding import accepted_verdicts
from county_reports.warehouse import Warehouse


def county(real, n: int):
    units = tuple(dataclasses.replace(u, code=f"C{n}{u.code}") for u in real.units)
    bureau = dataclasses.replace(real.bureau, name=f"第{n}县交通运输局", county=f"第{n}县")
    return dataclasses.replace(real, units=units, bureau=bureau)


def digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def setting(tmp_path_factory):
    real = load_catalog()
    catalogs = {f"county{n}": county(real, n) for n in (1, 2, 3)}
    data = {name: accepted_verdicts(c, "2024-01", "2025-06", seed=n) for n, (name, c) in enumerate(catalogs.items())}
    root = tmp_path_factory.mktemp("counties")
    shared = Warehouse(f"sqlite:///{root / 'shared.db'}")
    shared.migrate()
    shared.record_verdicts([v for name in catalogs for v in data[name]], "test")
    yield real, catalogs, data, shared, root
    shared.close()


def test_each_county_from_the_shared_warehouse_is_byte_identical_to_rendering_it_alone(setting):
    real, catalogs, data, shared, root = setting
    report = summaries.plan("half_year", 2025, summaries.load_settings())
    together = counties.render_counties(shared, catalogs, report, root / "together")
    assert len({r["sha256"] for r in together.values()}) == 3          # three different documents
    for name, catalog in catalogs.items():
        with Warehouse(f"sqlite:///{root / f'{name}.db'}") as alone:
            alone.migrate()
            alone.record_verdicts(data[name], "test")
            own = summaries.write_summary(alone, catalog, report, root / "alone" / name, register=Register())
        assert digest(own["docx"]) == digest(together[name]["docx"]) == own["sha256"]
        assert digest(own["sidecar"]) == digest(together[name]["sidecar"])
    # several processes, one connection each, give the very same files
    parallel = counties.render_counties(shared, catalogs, report, root / "parallel", workers=2)
    assert {n: r["sha256"] for n, r in parallel.items()} == {n: r["sha256"] for n, r in together.items()}
    # and the shared warehouse read unscoped mixes the counties: the scoping is what makes it right
    mixed = summaries.write_summary(shared, catalogs["county1"], report, root / "unscoped", register=Register())
    assert mixed["sha256"] != together["county1"]["sha256"]


def test_counties_sharing_a_warehouse_need_distinct_unit_codes(setting):
    real, catalogs, *_ = setting
    with pytest.raises(ValueError, match=r"unit code 'C1EB01' is in the rosters of both 'county1' and 'again'"):
        counties.check_distinct({"county1": catalogs["county1"], "again": catalogs["county1"]})


def test_render_county_config_reads_a_county_folder(setting, tmp_path):
    """What a mapped task does: a county's config folder in, its document out, as render_county."""
    import shutil

    import yaml

    real, catalogs, data, shared, root = setting
    folder = tmp_path / "county2"
    shutil.copytree(Path(__file__).resolve().parents[2] / "include" / "config", folder)
    (folder / "projects.yaml").unlink()             # the shipped projects are the shipped county's
    units = yaml.safe_load((folder / "units.yaml").read_text(encoding="utf-8"))
    for u in units["units"]:
        u["code"] = f"C2{u['code']}"
    (folder / "units.yaml").write_text(yaml.safe_dump(units, allow_unicode=True), encoding="utf-8")
    bureau = yaml.safe_load((folder / "bureau.yaml").read_text(encoding="utf-8"))
    bureau.update(name="第2县交通运输局", county="第2县")
    (folder / "bureau.yaml").write_text(yaml.safe_dump(bureau, allow_unicode=True), encoding="utf-8")
    out = counties.render_county_config(folder, "half_year", 2025, tmp_path / "out", warehouse=shared)
    report = summaries.plan("half_year", 2025, summaries.load_settings())
    expected = counties.render_county(shared, catalogs["county2"], report, tmp_path / "direct")
    assert out["sha256"] == expected["sha256"]
