"""The main job end to end on the embedded default: SQLite, the bundled simulator, real DAG runs.

Run through ``./run demo`` (which sets AIRFLOW_HOME and the data folder). Steps:

1. migrate the Airflow metadata DB (SQLite) once;
2. start the unit simulator on 127.0.0.1 with its fault profile, demo tokens as Airflow
   Connections (``AIRFLOW_CONN_UNIT_*``);
3. run ``collect_monthly`` for 2024-01 … 2025-06 in one DAG run (collect, validate, store,
   feedback to units);
4. run ``annual_report`` for 2024 and ``half_year_report`` for 2025: each waits for an admin's
   approval, which the demo gives through Airflow's REST API (an ``airflow api-server`` started
   in the background, as an admin would in Browse ▸ Required Actions), then delivers the document
   to the county-office receiver the simulator also serves;
5. print a one-screen summary: where the documents are, receipts, who reported and who did not.

The e-mail channel runs alongside when Dovecot is installed (``/usr/sbin/dovecot``): the demo
starts it as the bureau's mailbox (its own configuration in a temporary folder) and an SMTP
server catching what the bureau sends; TS10 e-mails its filled June 2025 template (and a
stranger a workbook, which is quarantined); collect_monthly fetches both; the reminders, the
admins' list and the June circular go out by e-mail too. Without Dovecot that part is skipped.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from datetime import UTC

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


def start_simulator(catalog, data: Path):
    """Units' endpoints and the county office's receiver on one local server, tokens as Connections."""
    import secrets

    from county_reports.core import tokens
    from county_reports.simulator import office, server

    profile = server.load_profile()
    unit_tokens = server.make_tokens(catalog, profile["seed"])
    tokens.write_secrets_file(unit_tokens)
    sim = server.SimulatorServer(catalog, unit_tokens, host="127.0.0.1", port=0, profile=profile)
    office_token = secrets.token_hex(16)
    receiver = office.OfficeDocuments(data / "county_office", office_token)
    receiver.mount(sim)
    url = sim.start()
    os.environ["COUNTY_REPORTS_SIMULATOR_URL"] = url
    os.environ["COUNTY_REPORTS_OFFICE_URL"] = f"{url}/office"
    connections = {**unit_tokens, "county_office": office_token}
    for conn_id, token in connections.items():
        os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps({"conn_type": "http", "password": token})
    return sim, receiver, url


MAIL_UNIT = "TS10"


def start_mail(catalog, period: str):
    """The bureau's mailbox (Dovecot) with two messages in it, and an SMTP server catching what
    the bureau sends; (mailbox or None, catcher, smtp controller)."""
    import tempfile
    from datetime import datetime, timedelta

    from county_reports.core import periods
    from county_reports.simulator.mail import Dovecot, SmtpCatcher, dovecot_available, email, filled_template

    catcher = SmtpCatcher()
    smtp = catcher.start()
    os.environ["AIRFLOW_CONN_SMTP_DEFAULT"] = json.dumps({
        "conn_type": "smtp", "host": smtp.hostname, "port": smtp.port,
        "extra": {"disable_ssl": True, "disable_tls": True, "retry_limit": 1}})
    if not dovecot_available():
        return None, catcher, smtp
    # Not in the data folder: dovecot runs as nobody when the demo runs as root.
    root = Path(tempfile.mkdtemp(prefix="county-reports-dovecot-"))
    os.chmod(root, 0o755)
    box = Dovecot(root).start()
    os.environ["AIRFLOW_CONN_BUREAU_MAILBOX"] = box.connection_env()
    # The bureau's template key (a Connection in production): TS10's template is signed with it.
    import secrets

    from county_reports.core import mail

    key_conn = f"AIRFLOW_CONN_{mail.load_settings().template_key_conn_id.upper()}"
    os.environ.setdefault(key_conn, json.dumps({"conn_type": "generic", "password": secrets.token_hex(16)}))
    unit = catalog.unit_by_code[MAIL_UNIT]
    year, month = periods.parse(period)
    due = unit.due_date(period)
    sent = datetime(due.year, due.month, due.day, 1, 0, tzinfo=UTC) - timedelta(days=1)
    book = filled_template(catalog, unit.code, period, root)
    # Fixed Message-IDs: a second demo run finds them already processed (duplicates).
    box.deliver(email(f"{unit.name} <{unit.emails[0]}>", f"{unit.name}{year}年{month}月报表",
                      [(f"{unit.code}.xlsx", book)], message_id=f"<demo-{unit.code}-{period}@qinghe.example>",
                      date=sent), received=sent)
    box.deliver(email("someone@example.com", "报表", [(f"{unit.code}.xlsx", book)],
                      message_id=f"<demo-stranger-{period}@example.com>", date=sent), received=sent)
    return box, catcher, smtp


_BAG = None
DEMO_ADMIN = "admin"


def free_port(preferred: int = 8080) -> int:
    import socket

    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port")


def approver_config(data: Path) -> Path:
    """The project's config with the demo's admin as the approver: the simple auth manager's user
    id is the user name, the shipped approvers are FAB ids. Only the demo's own DAG runs read it."""
    import shutil

    import yaml

    from county_reports.core import paths

    config = data / "demo-config"
    shutil.rmtree(config, ignore_errors=True)
    shutil.copytree(paths.PROJECT_ROOT / "include" / "config", config)
    admins_file = config / "admins.yaml"
    settings = yaml.safe_load(admins_file.read_text(encoding="utf-8"))
    settings["approvers"] = [{"id": DEMO_ADMIN, "name": DEMO_ADMIN}]
    admins_file.write_text(yaml.safe_dump(settings, allow_unicode=True, sort_keys=False), encoding="utf-8")
    os.environ["COUNTY_REPORTS_CONFIG"] = str(config)
    return config


def start_api_server(data: Path):
    """``airflow api-server`` on the demo's metadata DB, one admin (SimpleAuthManager), so the
    approval can be given through the REST API; returns (process, url, password)."""
    import secrets

    home = Path(os.environ["AIRFLOW_HOME"])
    password = secrets.token_urlsafe(16)
    passwords = home / "demo_admin_password.json"
    passwords.write_text(json.dumps({DEMO_ADMIN: password}), encoding="utf-8")
    passwords.chmod(0o600)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{DEMO_ADMIN}:admin",
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
           "AIRFLOW__API__BASE_URL": url}
    log = data / "demo-logs" / "api-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "airflow", "api-server", "--host", "127.0.0.1",
                                    "--port", str(port), "--workers", "1"],
                                   env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return process, url, password


def connect_api(url: str, password: str, process, seconds: float = 120):
    from county_reports.deliver.required_actions import AirflowApi

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the api-server stopped (exit {process.returncode}); see data/demo-logs/api-server.log")
        try:
            return AirflowApi(url, DEMO_ADMIN, password)
        except Exception:
            time.sleep(0.5)
    raise SystemExit("the api-server did not answer in time; see data/demo-logs/api-server.log")


def approve_in_background(api, dag_id: str, answered: dict):
    """Approve the DAG's approval request as soon as it appears, through the REST API."""
    import threading

    from county_reports.deliver.required_actions import answer_when_asked, first_choices

    def choose(detail):
        answered["url"] = api.required_actions_url(detail)
        answered["subject"] = detail["subject"]
        return detail["options"][0], first_choices(detail, {"note": "演示：自动批准", "confirm_gap": True})

    def work():
        try:
            answered["done"] = answer_when_asked(api, dag_id, choose, timeout=600, stop=stop.is_set) is not None
        except Exception as exc:   # the api-server stopped: nothing left to approve
            answered["error"] = f"{type(exc).__name__}: {exc}"

    stop = threading.Event()
    thread = threading.Thread(target=work, daemon=True)
    thread.stop = stop
    thread.start()
    return thread


@contextlib.contextmanager
def task_output_to(log: Path):
    """Airflow's task output goes to a log file; the console shows progress every 10 s."""
    import threading

    log.parent.mkdir(parents=True, exist_ok=True)
    console = os.dup(1)
    started, stop = time.monotonic(), threading.Event()

    def tick():
        while not stop.wait(10):
            os.write(console, f"    … {time.monotonic() - started:.0f} s\n".encode())

    ticker = threading.Thread(target=tick, daemon=True)
    sys.stdout.flush(), sys.stderr.flush()
    saved_err = os.dup(2)
    with open(log, "ab") as fh:
        os.dup2(fh.fileno(), 1), os.dup2(fh.fileno(), 2)
        ticker.start()
        try:
            yield
        finally:
            stop.set()
            sys.stdout.flush(), sys.stderr.flush()
            os.dup2(console, 1), os.dup2(saved_err, 2)
            os.close(console), os.close(saved_err)


def _task_lines_to_stdout() -> None:
    """The tasks log through county_reports' loggers at INFO; Airflow's handler is at the demo's
    WARNING, so those lines get their own handler onto stdout (the task log file while a DAG runs)."""
    import logging

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("county_reports")
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    logger.propagate = False


def run_dag(dag_id: str, conf: dict):
    global _BAG
    if _BAG is None:
        sys.path.insert(0, str(REPO / "dags"))      # to import the loader; it reads the folder as Airflow does
        from _dag_test import dag_test_bag

        _BAG = dag_test_bag()
        _task_lines_to_stdout()
        if _BAG.import_errors:
            raise SystemExit(f"DAG import errors: {_BAG.import_errors}")
    log = Path(os.environ["COUNTY_REPORTS_DATA"]) / "demo-logs" / f"{dag_id}.log"
    with task_output_to(log):
        run = _BAG.get_dag(dag_id).test(run_conf=conf)
    print(f"    task log: {log}")
    if run.state != "success":
        raise SystemExit(f"{dag_id} ended {run.state}: see {log}")
    return run


def task_result(run, task_id: str):
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        row = session.scalars(select(XComModel).where(XComModel.dag_id == run.dag_id,
                                                      XComModel.run_id == run.run_id,
                                                      XComModel.task_id == task_id,
                                                      XComModel.key == "return_value")).first()
        value = row.value if row else None
    return json.loads(value) if isinstance(value, str) else value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", default=FIRST)
    parser.add_argument("--last", default=LAST)
    args = parser.parse_args()

    from county_reports.core import periods, paths
    from county_reports.core.catalog import load_catalog

    total = time.monotonic()
    data = paths.data_dir()
    print(f"County reporting demo — data in {data}")
    approver_config(data)       # before any DAG is parsed: the approval is assigned to the demo's admin
    t = step("Airflow metadata database (SQLite)")
    migrate_airflow_db()
    done(t, os.environ["AIRFLOW_HOME"])

    catalog = load_catalog()
    api_process, api_url, api_password = start_api_server(data)   # starts while we collect
    t = step("Unit simulator and county-office receiver")
    sim, receiver, url = start_simulator(catalog, data)
    done(t, f"{len(catalog.units)} units at {url}/units/{{code}}, office at {url}/office/documents")

    t = step("Mail: the bureau's mailbox (Dovecot) and an SMTP server for what the bureau sends")
    box, catcher, smtp = start_mail(catalog, args.last)
    done(t, f"IMAP 127.0.0.1:{box.port}, {MAIL_UNIT} e-mailed its {args.last} template" if box else
         "dovecot not installed (apt-get install dovecot-imapd): the e-mail channel is skipped")

    months = periods.span(args.first, args.last)
    t = step(f"collect_monthly for {args.first} … {args.last}: {len(months)} months in one DAG run "
             "(collect → validate → store → notify)")
    run_dag("collect_monthly", {"period": args.first, "through": args.last})
    done(t)

    t = step("import_history: 2023 from the bureau's old workbook (a sheet per month), so 2024 has 同比")
    from county_reports.runs import import_history as history
    from county_reports.simulator import old_workbooks

    sim_profile = sim.profile
    book = old_workbooks.write_by_month(paths.history(data) / "2023.xlsx", catalog, old_workbooks.figures(
        catalog, seed=sim_profile.seed, sizes=sim_profile.sizes))
    for _ in range(2):
        imported = task_result(run_dag("import_history", {"files": [book.name], "year": None}), "import_files")
        print(f"    {imported['lines'][-1]}")
        if imported["state"] != history.MAPPING:
            break
        history.confirm(imported["mapping"], catalog)
        print("    the demo confirms the mapping file as proposed (an admin checks it first), and runs again")
    done(t)

    t = step("Airflow api-server (REST API for the approvals; the UI's Required Actions page)")
    api = connect_api(api_url, api_password, api_process)
    done(t, api_url)
    reports = []
    try:
        for dag_id, year in (("annual_report", 2024), ("half_year_report", 2025)):
            t = step(f"{dag_id} for {year} (coverage → render → approval → deliver)")
            answered: dict = {}
            approver = approve_in_background(api, dag_id, answered)
            run = run_dag(dag_id, {"year": year, "dry_run": False, "force_delivery": False, "correction": False})
            approver.stop.set()            # an already delivered report asks nothing
            approver.join(timeout=5)
            if answered.get("done"):
                print(f"    approved through the REST API as {DEMO_ADMIN!r}: {answered['subject']}")
                print(f"    (in the UI: {answered['url']})")
            reports.append((task_result(run, "render"), task_result(run, "deliver")))
            done(t)
    finally:
        os.killpg(api_process.pid, 15)
        api_process.wait(timeout=30)
    t = step(f"unit_reminders as on two days of the month after {args.last}, then reporting_circular")
    due = catalog.unit_by_code[MAIL_UNIT].due_date(args.last)
    reminded = [task_result(run_dag("unit_reminders", {"day": str(due.replace(day=d))}), "remind")
                for d in (due.day - 1, 7)]
    circular = task_result(run_dag("reporting_circular", {"period": args.last}), "write")
    done(t)
    sim.stop()
    summary(catalog, data, months, reports, receiver, time.monotonic() - total)
    mail_summary(catalog, data, box, catcher, reminded, circular)
    smtp.stop()
    if box:
        box.stop()
    return 0


def mail_summary(catalog, data: Path, box, catcher, reminded, circular) -> None:
    from county_reports.core import atomic, paths
    from county_reports.collect import mailbox

    outbox = data / "demo-mail"
    for n, msg in enumerate(catcher.messages, 1):
        atomic.write_bytes(outbox / f"{n:02d}.eml", bytes(msg))
    print("E-mail:" if box else "E-mail (no mailbox: dovecot not installed):")
    for e in mailbox.entries(data):
        what = {"inboxed": f"→ inbox {e.period}/{e.unit}.xlsx", "duplicate": "duplicate (seen before)",
                "quarantined": f"quarantined — {e.reason}", "held": f"held for an admin — {e.reason}"}[e.outcome]
        print(f"  from {e.sender}: {what}")
    for msg in catcher.messages:
        print(f"  sent to {', '.join(msg.rcpt_tos[:3])}{' …' if len(msg.rcpt_tos) > 3 else ''}: {msg['Subject']}")
    for r in reminded:
        print(f"  reminders {r['period']}: {', '.join(r['reminded']) or '—'}; "
              f"admins told: {', '.join(r['escalated']) or '—'}")
    c = circular["counts"]
    print(f"  circular: {paths.at(circular['docx'])} ({c['reported']}/{c['expected']} reported, {c['late']} late, "
          f"{c['rejected']} rejected, {c['missing']} missing); messages as .eml in {outbox}")


GRID = {"on_time": "✓", "late": "迟", "rejected": "退", "missing": "缺"}


def outcome_grid(catalog, data: Path, months: list[str], status: dict) -> str:
    """Every unit's outcome for every month: ✓ on time, 迟 late, 退 rejected, 缺 missing."""
    head = "".join(f"{m[2:4]}{m[5:]} " for m in months)
    lines = ["Every unit, every month (✓ on time, 迟 late, 退 rejected, 缺 missing, · not due):",
             f"  {'':<6}{head}"]
    for unit in catalog.units:
        marks = [GRID.get(status.get((unit.code, m)), "·") for m in months]
        # each column is 5 terminal cells wide; Chinese marks take two cells, ✓ and · one
        cells = "".join(f" {mark}{' ' * (2 if mark in '迟退缺' else 3)}" for mark in marks)
        lines.append(f"  {unit.code:<6}{cells} {unit.name}")
    return "\n".join(lines)


def summary(catalog, data: Path, months: list[str], reports, receiver, seconds: float) -> None:
    from county_reports.collect import ledger
    from county_reports.core import messages, paths
    from county_reports.warehouse import Warehouse

    with Warehouse() as warehouse:
        rates = warehouse.reporting_rate(catalog, months)
        versions = warehouse.submissions()
        warehouse_status = {(r.unit, r.period): r.status
                            for r in warehouse.completeness(catalog, months).itertuples(index=False)}
    print("\n" + "=" * 78)
    print(f"Done in {seconds:.0f} s.  {catalog.bureau.name} — {months[0]} … {months[-1]}")
    print("=" * 78)
    print(f"Collection: {int(rates['expected'].sum())} unit-months expected, {int(rates['on_time'].sum())} on time, "
          f"{int(rates['late'].sum())} late, {int(rates['rejected'].sum())} rejected, "
          f"{int(rates['missing'].sum())} missing "
          f"(reporting rate {rates['reported'].sum() / rates['expected'].sum():.1%}).")
    print(outcome_grid(catalog, data, months, warehouse_status))
    follow = [o for m in months for o in ledger.latest_by_unit(data, m).values() if o["status"] != "received"]
    rejected = versions[versions["status"] == "rejected"]
    print("  not received: " + ", ".join(f"{o['unit']} {o['period']} ({messages.outcome_word(o['status'])})"
                                          for o in follow))
    print("  rejected and told why: " + ", ".join(f"{r.unit} {r.period}" for r in rejected.itertuples()))
    from sqlalchemy.engine import make_url

    where = make_url(paths.warehouse_url()).render_as_string(hide_password=True)
    print(f"  warehouse: {len(versions)} submission versions in {where}")
    print("Documents:")
    for built, delivered in reports:
        print(f"  {built['title']}")
        print(f"    {paths.at(built['docx'])}")
        print(f"    sidecar {Path(built['sidecar']).name} ({built['figures']} figures traced), "
              f"workbook {Path(built['xlsx']).name}")
        print(f"    delivery: {delivered['status']} via {delivered['channel']}, receipt {delivered['receipt_id']}")
    print(f"County office received {len(receiver.received)} document(s) this run; "
          f"stored under {data / 'county_office'}")
    print(f"Validation reports: {paths.validation(data)}   collection ledger: {paths.collections(data)}")
    print("Approvals: with Airflow running (airflow api-server), Browse ▸ Required Actions "
          "(/required_actions) lists every report waiting for an admin; decisions are in the warehouse audit.")


if __name__ == "__main__":
    sys.exit(main())
