"""The main job end to end on the embedded default: SQLite, the bundled simulator, real DAG runs.

Run through ``./run demo`` (which sets AIRFLOW_HOME and the data folder). Steps:

1. migrate the Airflow metadata DB (SQLite) once;
2. start the unit simulator on 127.0.0.1 with its fault profile, demo tokens as Airflow
   Connections (``AIRFLOW_CONN_UNIT_*``);
3. run ``collect_monthly`` for 2024-01 … 2025-06 in one DAG run;
4. print every unit's outcome per month and a one-screen summary.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIRST, LAST = "2024-01", "2025-06"


def step(text: str) -> float:
    print(f"\n==> {text}", flush=True)
    return time.monotonic()


def done(started: float, note: str = "") -> None:
    print(f"    done in {time.monotonic() - started:.1f} s{(' — ' + note) if note else ''}", flush=True)


def migrate_airflow_db() -> None:
    home = Path(os.environ["AIRFLOW_HOME"])
    marker = home / ".migrated"
    if marker.exists():
        return
    home.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    marker.touch()


def start_simulator(catalog):
    from county_reports import tokens
    from county_reports.simulator import server

    profile = server.load_profile()
    unit_tokens = server.make_tokens(catalog, profile["seed"])
    tokens.write_secrets_file(unit_tokens)
    sim = server.SimulatorServer(catalog, unit_tokens, host="127.0.0.1", port=0, profile=profile)
    url = sim.start()
    os.environ["COUNTY_REPORTS_SIMULATOR_URL"] = url
    for conn_id, token in unit_tokens.items():
        os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps({"conn_type": "http", "password": token})
    return sim, url


def run_dag(dag_id: str, conf: dict):
    from airflow.models.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO / "dags"))
    if bag.import_errors:
        raise SystemExit(f"DAG import errors: {bag.import_errors}")
    run = bag.get_dag(dag_id).test(run_conf=conf)
    if str(run.state) != "success" and getattr(run.state, "value", None) != "success":
        raise SystemExit(f"{dag_id} ended {run.state}")
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", default=FIRST)
    parser.add_argument("--last", default=LAST)
    args = parser.parse_args()

    from county_reports import ledger, periods, settings
    from county_reports.catalog import load_catalog

    total = time.monotonic()
    data = settings.data_dir()
    print(f"County reporting demo — data in {data}")
    t = step("Airflow metadata database (SQLite)")
    migrate_airflow_db()
    done(t, os.environ["AIRFLOW_HOME"])

    catalog = load_catalog()
    t = step("Unit simulator")
    sim, url = start_simulator(catalog)
    done(t, f"{len(catalog.units)} units at {url}/units/{{code}}")

    months = periods.span(args.first, args.last)
    t = step(f"collect_monthly for {args.first} … {args.last} ({len(months)} months, one DAG run)")
    run_dag("collect_monthly", {"period": args.first, "through": args.last})
    done(t)
    sim.stop()

    print("\n==> Outcomes per month (latest collection)")
    print(f"    {'month':<8} " + " ".join(f"{s:>9}" for s in ledger.STATUS_LABELS))
    grand = Counter()
    for month in months:
        counts = Counter(o["status"] for o in ledger.latest_by_unit(data, month).values())
        grand.update(counts)
        print(f"    {month:<8} " + " ".join(f"{counts.get(s, 0):>9}" for s in ledger.STATUS_LABELS))
    problems = [o for m in months for o in ledger.latest_by_unit(data, m).values() if o["status"] != "received"]
    if problems:
        print("\n==> Units that need a follow-up")
        print(ledger.outcome_table(problems, catalog))
    print(f"\nFinished in {time.monotonic() - total:.0f} s. "
          f"{grand['received']} submissions received, {len(problems)} to follow up. "
          f"Ledger: {data / 'collections'}; raw archive: {data / 'raw'}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
