"""Many counties' summaries from one shared warehouse (a city or provincial bureau).

A county is its catalogue: its bureau and its roster of units (a config folder with bureau.yaml,
units.yaml, …). The warehouse has no county column; the units' codes are distinct across the
counties that share it, so a county's figures are its units' rows: ``render_county`` reads the
warehouse through ``Warehouse.scoped(codes)`` and renders exactly what rendering the county from a
warehouse of its own would give, byte for byte (the documents and sidecars do not depend on ids).

``render_county`` is what one mapped task does (one county per task); ``render_counties`` runs
them one after another in one process.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any
from collections.abc import Iterable, Mapping

from county_reports.render import summaries
from county_reports.core.catalog import Catalog, load_catalog


def unit_codes(catalog: Catalog) -> list[str]:
    return sorted(u.code for u in catalog.units)


def check_distinct(catalogs: Mapping[str, Catalog]) -> None:
    """Counties sharing a warehouse must not share unit codes: ValueError naming both counties."""
    owner: dict[str, str] = {}
    for name, catalog in catalogs.items():
        for code in unit_codes(catalog):
            if code in owner and owner[code] != name:
                raise ValueError(f"unit code {code!r} is in the rosters of both {owner[code]!r} and {name!r}; "
                                 f"counties sharing a warehouse need distinct unit codes")
            owner[code] = name


def render_county(warehouse, catalog: Catalog, report: summaries.Plan, out_dir: Path, *,
                  state_gap: bool = False, wording: dict | None = None, register=None) -> dict[str, Any]:
    """One county's summary from the shared warehouse: ``summaries.write_summary`` on its units' rows.
    ``register``: the county's key projects (``projects.register``); none unless given, since the
    shipped projects.yaml belongs to the shipped county, not to the counties of a shared warehouse."""
    from county_reports.core.projects.register import Register

    return summaries.write_summary(warehouse.scoped(unit_codes(catalog)), catalog, report, Path(out_dir),
                                   state_gap=state_gap, wording=wording,
                                   register=Register() if register is None else register)


def render_county_config(config_dir: str | Path, kind: str, year: int, out_dir: str | Path,
                         warehouse=None) -> dict[str, Any]:
    """``render_county`` for a county given by its config folder (what a mapped task receives);
    ``warehouse``: the shared one (default ``Warehouse()``, i.e. ``COUNTY_REPORTS_DB_URL``)."""
    from county_reports.render import compose
    from county_reports.warehouse import Warehouse

    from county_reports.core.projects.register import load_register

    catalog = load_catalog(config_dir)
    report = summaries.plan(kind, year, summaries.load_settings(Path(config_dir)))
    wording = compose.load_wording(Path(config_dir))
    register = load_register(catalog, config_dir)          # the county's own projects.yaml, if any
    if warehouse is not None:
        return render_county(warehouse, catalog, report, Path(out_dir), wording=wording, register=register)
    with Warehouse() as shared:
        return render_county(shared, catalog, report, Path(out_dir), wording=wording, register=register)


def render_counties(warehouse, catalogs: Mapping[str, Catalog], report: summaries.Plan, out_root: Path, *,
                    wording: dict | None = None, only: Iterable[str] | None = None,
                    workers: int = 1) -> dict[str, dict[str, Any]]:
    """Every county's summary into ``out_root/<county name>/``; ``workers`` > 1: that many processes,
    each with its own connection to the same warehouse (``warehouse.url``), as mapped tasks would."""
    check_distinct(catalogs)
    names = list(catalogs) if only is None else list(only)
    if workers <= 1 or len(names) <= 1:
        return {name: render_county(warehouse, catalogs[name], report, Path(out_root) / name, wording=wording)
                for name in names}
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers, initializer=_open_worker, initargs=(warehouse.url,)) as pool:
        futures = {name: pool.submit(_render_in_worker, catalogs[name], report, Path(out_root) / name, wording)
                   for name in names}
        return {name: future.result() for name, future in futures.items()}


_worker_warehouse = None


def _open_worker(url: str) -> None:
    global _worker_warehouse
    from county_reports.warehouse import Warehouse

    _worker_warehouse = Warehouse(url)


def _render_in_worker(catalog: Catalog, report: summaries.Plan, out_dir: Path, wording: dict | None):
    return render_county(_worker_warehouse, catalog, report, out_dir, wording=wording)
