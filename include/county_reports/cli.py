"""``python -m county_reports …``: the admin's command line.

Every command prints plain text an admin can read; a configuration or input problem ends with
a one-line message and a non-zero exit code, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from county_reports.core import messages, paths, periods


def _period(text: str) -> str:
    try:
        periods.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def build_parser() -> argparse.ArgumentParser:
    """Every command and its arguments."""
    parser = argparse.ArgumentParser(prog="python -m county_reports",
                                     description="County transport bureau reporting tools.")
    parser.add_argument("--config", type=Path, help="configuration folder (default include/config)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("check-config", help="validate the configuration and print a summary")
    p = sub.add_parser("config-schema", help="compare (or --write) the JSON Schemas of the config files "
                                             "in include/config/schema")
    p.add_argument("--write", action="store_true", help="write the schemas (after changing a model)")

    p = sub.add_parser("simulate", help="serve every unit's protocol-v1 endpoint (for demos and tests)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    p.add_argument("--seed", type=int, default=None, help="token seed (default: the profile's)")

    p = sub.add_parser("example-submission", help="print a valid protocol-v1 payload (from the catalogue)")
    p.add_argument("--unit", required=True)
    p.add_argument("--period", required=True, type=_period)

    p = sub.add_parser("template", help="write the Excel template a unit fills in")
    p.add_argument("--unit", required=True)
    p.add_argument("--period", required=True, type=_period)
    p.add_argument("--out", type=Path, help="file to write (default: {data}/templates/…)")

    p = sub.add_parser("collect", help="collect a month now, outside Airflow, and print outcomes")
    p.add_argument("--period", required=True, type=_period)
    p.add_argument("--through", type=_period)
    p.add_argument("--units", nargs="*", default=None)

    p = sub.add_parser("validate", help="check a JSON or xlsx submission offline, as the bureau will")
    p.add_argument("file", type=Path)
    p.add_argument("--unit", help="the unit it is for (default: the one it names)")
    p.add_argument("--period", type=_period, help="the month it is for (default: the one it names)")
    p.add_argument("--engine", choices=("gx", "pandas"), default="gx",
                   help="gx (Great Expectations, as the DAG) or pandas (same rules, no GX import)")

    p = sub.add_parser("import-history", help="import past years from old workbooks (a mapping file "
                                              "to confirm first, then the figures)")
    p.add_argument("files", type=Path, nargs="+", metavar="FILE")
    p.add_argument("--mapping", type=Path, help="the mapping file (default: {data}/history/mapping.yaml)")
    p.add_argument("--year", type=int, help="the year, when no sheet name or title says it")

    p = sub.add_parser("dev-secrets", help="write demo bearer tokens (for the bundled simulator)")
    p.add_argument("--seed", type=int, default=None)

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "config-schema":             # needs the models, not a valid configuration
        return _config_schema(args)
    from county_reports.core.catalog import load_catalog
    from county_reports.core.config import ConfigError

    try:
        catalog = load_catalog(args.config)
        return _COMMANDS[args.command](args, catalog)
    except ConfigError as exc:
        print(_config_error(exc), file=sys.stderr)
        return 2
    except (ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _config_error(exc) -> str:
    from county_reports.core.config import ConfigError

    try:
        return messages.text("cli", "config_error", error=exc)
    except ConfigError:                  # messages.yaml itself is what is broken
        return f"configuration error: {exc}"


def _config_schema(args) -> int:
    """Write the schemas (--write), or list those out of date with their models (exit 1)."""
    from county_reports.core import config_models, paths

    folder = paths.PROJECT_ROOT / "include" / "config" / config_models.SCHEMA_DIR
    if args.write:
        for path in config_models.write_schemas(folder.parent):
            print(f"wrote {path}")
        return 0
    stale = [name for name, text in config_models.schema_files().items()
             if not (folder / name).is_file() or (folder / name).read_text(encoding="utf-8") != text]
    for name in stale:
        print(f"out of date: {folder / name} (python -m county_reports config-schema --write)", file=sys.stderr)
    return 1 if stale else 0


def _check_config(args, catalog) -> int:
    from county_reports import config_check

    warnings = config_check.check_all(catalog, args.config)
    b = catalog.bureau
    print(messages.text("cli", "config_ok", name=b.name, county=b.county, timezone=b.timezone))
    print(f"  units: {len(catalog.units)} of {len(catalog.kinds)} kinds")
    for kind, name in catalog.kinds.items():
        members = [u for u in catalog.units if u.kind == kind]
        required = len(catalog.required_indicators(kind))
        print(f"    {name:<16} {len(members):>3} units, {required:>3} required indicators")
    print(f"  indicators: {len(catalog.indicators)} reported + {len(catalog.derived)} derived "
          f"over {len({i.section for i in catalog.indicators})} lines of work")
    print(f"  rules: {len(catalog.rules)} ({sum(r.importance == 'error' for r in catalog.rules)} errors, "
          f"{sum(r.importance == 'warning' for r in catalog.rules)} warnings)")
    for year, figures in sorted(catalog.targets.items()):
        print(f"  targets {year}: {len(figures)} indicators")
    print("  also checked: collection, validation, reports, delivery, wording (both summaries "
          "composed from sample figures), messages, template")
    for warning in warnings:
        print(messages.text("cli", "warning", warning=warning))
    return 0


def _simulate(args, catalog) -> int:
    from county_reports.simulator import server

    server.serve_forever(args.host, args.port, catalog=catalog, latency=args.latency,
                         tokens=_demo_tokens(catalog, args.seed))
    return 0


def _demo_tokens(catalog, seed: int | None) -> dict[str, str]:
    """Tokens from the secrets file when present, else derived from the simulator's seed."""
    from county_reports.simulator import server

    path = paths.secrets_file()
    if path.is_file() and seed is None:
        return json.loads(path.read_text(encoding="utf-8"))
    profile = server.load_profile()
    return server.make_tokens(catalog, seed if seed is not None else profile["seed"])


def _dev_secrets(args, catalog) -> int:
    from county_reports.core import tokens
    from county_reports.simulator import server

    profile = server.load_profile()
    path = tokens.write_secrets_file(server.make_tokens(catalog, args.seed or profile["seed"]))
    print(f"wrote {len(catalog.units)} demo tokens to {path} (mode 600)")
    return 0


def _example_submission(args, catalog) -> int:
    from county_reports.collect import example

    payload = example.example_payload(catalog, args.unit, args.period, args.config)
    print(json.dumps(payload, ensure_ascii=False, indent=2))
    return 0


def _template(args, catalog) -> int:
    from county_reports.core import mail, tokens
    from county_reports.collect import template

    if args.unit not in catalog.unit_by_code:
        raise ValueError(f"unknown unit {args.unit}")
    out = args.out or paths.templates(args.period) / f"{args.unit}.xlsx"
    out.parent.mkdir(parents=True, exist_ok=True)
    # The bureau's template key (AIRFLOW_CONN_<ID> or the secrets file, as the DAG's Connection):
    # only a signed template is accepted by e-mail.
    conn_id = mail.load_settings().template_key_conn_id
    key = tokens.env_or_file()(conn_id)
    path = template.write_template(catalog, args.unit, args.period, out, key=key)
    print(f"wrote {path}" + ("" if key else f" (NOT signed: no key in Connection {conn_id}; "
                                             "it cannot be accepted by e-mail)"))
    return 0


def _collect(args, catalog) -> int:
    import uuid

    from county_reports.collect import pulls, pull_settings, ledger
    from county_reports.core import tokens

    outcomes, run_id = [], f"cli__{uuid.uuid4().hex[:12]}"
    context = pull_settings.PullContext(data_dir=paths.data_dir(), token_lookup=tokens.env_or_file(),
                                        settings=pull_settings.load_settings(args.config),
                                        credentials=tokens.logins_from_env(),
                                        record_as=(run_id, 1))   # in the ledger as each unit finishes
    for period in periods.span(args.period, args.through or args.period):
        codes = [u.code for u in pulls.select_units(catalog, period, args.units)]
        outcomes += pulls.pull_batch(catalog, period, codes, context)
    print(ledger.outcome_table(outcomes, catalog))
    return 0


def _validate(args, catalog) -> int:
    """Exit 0 accepted (warnings allowed), 1 rejected, 2 unreadable."""
    from county_reports.validate import offline
    from county_reports.validate.options import load_options

    code, text = offline.check_file(args.file, catalog, unit=args.unit, period=args.period,
                                    engine=args.engine, options=load_options(args.config),
                                    history_for=_warehouse_history, projects_for=_warehouse_projects)
    print(text)
    return code


def _import_history(args, catalog) -> int:
    """Exit 0 stored or unchanged, 3 the mapping file waits for the admin, 1 refused."""
    import uuid

    from county_reports.runs import import_history
    from county_reports.warehouse import Warehouse

    for file in args.files:
        if not file.is_file():
            raise ValueError(f"{file}: no such file")
    with Warehouse() as warehouse:
        warehouse.migrate()
        outcome = import_history.import_files(args.files, catalog, warehouse, mapping_path=args.mapping,
                                   year=args.year, run_id=f"cli__{uuid.uuid4().hex[:12]}",
                                   config_dir=args.config)
    print("\n".join(outcome.lines))
    return {import_history.MAPPING: 3, import_history.REFUSED: 1}.get(outcome.state, 0)


def _warehouse_history(unit: str, period: str):
    """The unit's stored values the outlier checks of ``period`` read (warehouse.history)."""
    from county_reports.validate import intake, offline
    from county_reports.warehouse import history

    try:
        return history.unit_history(unit, intake.history_periods([period]))
    except history.Unreachable as exc:
        raise offline.HistoryUnavailable(str(exc)) from None


def _warehouse_projects(unit: str, period: str):
    """What the ledger checks of ``period`` compare with (warehouse.projects), read-only."""
    from county_reports.validate import key_projects, offline
    from county_reports.warehouse import history

    try:
        return history.unit_projects(unit, period, key_projects.investment_indicator())
    except history.Unreachable as exc:
        raise offline.HistoryUnavailable(str(exc)) from None


_COMMANDS = {
    "validate": _validate,
    "check-config": _check_config,
    "simulate": _simulate,
    "example-submission": _example_submission,
    "template": _template,
    "collect": _collect,
    "dev-secrets": _dev_secrets,
    "import-history": _import_history,
}
