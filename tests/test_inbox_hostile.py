"""The workbook and inbox door, tried as an attacker and a careless clerk would.

A 300,000-row narrative workbook (a small zip holding 30 MB of sheet XML), a zip bomb, a sheet
whose ``<dimension>`` lies, ``.xlsm`` and a VBA part: each refused before any Excel parser reads
it, naming the unit and the limit. A narrative with Word's line break ``\\v`` (or a lone
surrogate): refused by validation whichever way it comes (HTTP pull, the inbox, the offline
``python -m county_reports validate``), and, stored by an older version straight into the
warehouse, the half-year summary still renders. Too many narratives, or one too long: refused,
the item named. The inbox is one folder per unit: a file in another unit's place is nobody's,
a symbolic link or a folder anyone may write is not the unit's own, and feedback lies only in
the unit's own folder.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from config_copy import edit_yaml, one_file
from county_reports.collect import pulls, inbox, pull_settings
from county_reports.deliver import notify
from county_reports.render import summaries
from county_reports.core.config import ConfigError
from county_reports.simulator.seeding import accepted_verdicts
from county_reports.collect.template import write_template
from county_reports.validate import intake, narratives
from county_reports.validate.model import REJECTED, Received
from county_reports.validate.options import load_options
from county_reports.validate.run import validate_period
from county_reports.warehouse import Warehouse
from datetime import UTC

PERIOD = "2025-06"
INCLUDE = Path(__file__).resolve().parents[1] / "include"
NARRATIVES_SHEET = "xl/worksheets/sheet3.xml"      # 工作动态, the template's third sheet
LIMITS = pull_settings.load_settings()


@pytest.fixture(scope="module")
def template(catalog, tmp_path_factory) -> bytes:
    return write_template(catalog, "TS01", PERIOD, tmp_path_factory.mktemp("t") / "TS01.xlsx").read_bytes()


def rezip(raw: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """The workbook with some parts replaced or added (deflated, as Excel writes them)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, (replace or {}).get(info.filename, src.read(info.filename)))
        for name, data in (add or {}).items():
            dst.writestr(name, data)
    return out.getvalue()


def narrative_sheet(raw: bytes, rows: int, dimension: str | None = None) -> bytes:
    """The template's 工作动态 sheet XML with ``rows`` filled narrative rows (and, if given, a
    ``<dimension>`` that says something else)."""
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        xml = z.read(NARRATIVES_SHEET).decode()
    head, rest = xml.split("<sheetData>")
    tail = rest.split("</sheetData>")[1]
    header = rest.split("</row>")[0] + "</row>"
    # Rows without an r attribute follow the one before (as some tools write them): identical
    # rows, so the zip stays small however many there are.
    body = ('<row><c t="inlineStr"><is><t>工作亮点</t></is></c><c t="inlineStr"><is><t>安全生产</t></is></c>'
            '<c t="inlineStr"><is><t>开展安全生产大检查，排查整治隐患。</t></is></c></row>') * rows
    if dimension:
        head = head.replace(head[head.index("<dimension"):head.index("/>", head.index("<dimension")) + 2],
                            f'<dimension ref="{dimension}"/>')
    return (head + "<sheetData>" + header + body + "</sheetData>" + tail).encode()


def drop(data_dir: Path, raw: bytes, unit: str = "TS01", period: str = PERIOD) -> Path:
    path = inbox.inbox_path(data_dir, period, unit)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    return path


def refusal(path: Path, catalog, unit: str = "TS01", *, names_unit: bool = True) -> str:
    """Why collection refuses the workbook (its reason names the unit: the bounds' messages)."""
    with pytest.raises(inbox.InboxError) as caught:
        inbox.read_template(path, catalog, expect_unit=unit, expect_period=PERIOD)
    assert caught.value.unit == unit and (caught.value.reason.startswith(unit) or not names_unit)
    return caught.value.reason


# --------------------------------------------------------------------------- bounded workbooks

# Run in a fresh process: its peak resident size (VmHWM, which unlike getrusage's ru_maxrss is
# not carried over from the parent through exec) before and after the attempt, and what Python
# allocated during it (tracemalloc, a second attempt).
_MEASURE = """
import json, sys, time, tracemalloc
from pathlib import Path
from county_reports.collect import inbox
from county_reports.core.catalog import load_catalog
def peak_mb():
    line = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024
catalog, path = load_catalog(), Path(sys.argv[1])
def attempt():
    try:
        inbox.read_template(path, catalog, expect_unit="TS01", expect_period="2025-06")
        return None
    except inbox.InboxError as exc:
        return exc.reason
before = peak_mb()
started = time.perf_counter()
reason = attempt()
seconds = time.perf_counter() - started
after = peak_mb()
tracemalloc.start()
attempt()
traced = tracemalloc.get_traced_memory()[1]
print(json.dumps({"reason": reason, "seconds": seconds, "peak_before_mb": before, "peak_after_mb": after,
                  "traced_peak_mb": traced / 2**20}))
"""


def test_the_300000_row_narrative_workbook_is_refused_in_under_a_second_and_100_mb(template, tmp_path):
    raw = rezip(template, {NARRATIVES_SHEET: narrative_sheet(template, 300_000)})
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        assert z.getinfo(NARRATIVES_SHEET).file_size > 25_000_000       # the sheet XML is huge …
    assert len(raw) < 1_000_000                                          # … the file is not
    path = drop(tmp_path / "data", raw)
    run = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(INCLUDE)}, timeout=120)
    assert run.returncode == 0, run.stderr
    measured = json.loads(run.stdout)
    print(measured)
    assert measured["reason"] and measured["reason"].startswith("TS01")
    assert str(LIMITS.max_workbook_unzipped_bytes) in measured["reason"]
    assert measured["seconds"] < 1.0
    assert measured["peak_after_mb"] - measured["peak_before_mb"] < 100 and measured["traced_peak_mb"] < 100
    assert measured["peak_after_mb"] < 200      # the whole process, Python, openpyxl and our package included


def test_a_zip_bomb_is_refused_by_its_compression_ratio(template, tmp_path, catalog):
    raw = rezip(template, add={"xl/media/image1.png": bytes(5_000_000)})    # 5 MB of zeros: ~1000:1
    assert len(raw) < 100_000
    reason = refusal(drop(tmp_path, raw), catalog)
    assert "压缩比" in reason and f"{LIMITS.max_compression_ratio}:1" in reason and "xl/media/image1.png" in reason


def test_a_sheet_whose_dimension_lies_is_counted_and_refused(template, tmp_path, catalog):
    rows = LIMITS.max_sheet_rows + 10
    raw = rezip(template, {NARRATIVES_SHEET: narrative_sheet(template, rows, dimension="A1:C16")})
    with zipfile.ZipFile(io.BytesIO(raw)) as z:                # small: not refused for its size
        assert sum(i.file_size for i in z.infolist()) < LIMITS.max_workbook_unzipped_bytes
    reason = refusal(drop(tmp_path, raw), catalog)
    assert "行" in reason and str(LIMITS.max_sheet_rows) in reason and NARRATIVES_SHEET in reason


def test_a_sheet_whose_dimension_is_too_large_is_refused_without_counting(template, tmp_path, catalog):
    raw = rezip(template, {NARRATIVES_SHEET: narrative_sheet(template, 3, dimension="A1:ZZ2000")})
    reason = refusal(drop(tmp_path, raw), catalog)
    assert "单元格" in reason and str(LIMITS.max_sheet_cells) in reason


def test_the_bounds_let_a_filled_template_through(template, tmp_path, catalog):
    raw = rezip(template, {NARRATIVES_SHEET: narrative_sheet(template, 14)})
    payload = inbox.read_template(drop(tmp_path, raw), catalog, expect_unit="TS01", expect_period=PERIOD)
    assert len(payload["narratives"]) == 14


def test_macros_are_refused_by_name_part_and_content_type(template, tmp_path, catalog):
    vba = rezip(template, add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + bytes(100)})
    reason = refusal(drop(tmp_path, vba), catalog)
    assert "含有宏" in reason and "vbaProject.bin" in reason
    with zipfile.ZipFile(io.BytesIO(template)) as z:
        types = z.read("[Content_Types].xml").replace(
            b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")
    assert b"macroEnabled" in types
    assert "含有宏" in refusal(drop(tmp_path, rezip(template, {"[Content_Types].xml": types})), catalog)
    # The mail step reads an attachment's identity through the same check (labelled by its name).
    with pytest.raises(inbox.InboxError) as caught:
        inbox.read_identity(vba, "TS01.xlsx")
    assert "含有宏" in caught.value.reason
    with pytest.raises(inbox.InboxError) as caught:
        inbox.read_identity(template, "TS01.xlsm")
    assert "含有宏" in caught.value.reason and "TS01.xlsm" in caught.value.reason


def test_the_offline_check_refuses_an_xlsm_naming_the_unit(template, tmp_path):
    path = tmp_path / "TS01.xlsm"
    path.write_bytes(template)
    run = _validate_cli(path)
    assert run.returncode == 2 and "TS01" in run.stdout and "含有宏" in run.stdout, run.stdout + run.stderr


def _validate_cli(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "county_reports", "validate", str(path)], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(INCLUDE)}, timeout=300)


def test_the_bounds_are_configuration_checked_on_load(tmp_path):
    config = one_file(tmp_path, "collection.yaml")
    edit_yaml(config / "collection.yaml", lambda d: d.update(max_sheet_rows=0))
    with pytest.raises(ConfigError, match="collection.yaml: max_sheet_rows"):
        pull_settings.load_settings(config)
    config = one_file(tmp_path, "validation.yaml")
    edit_yaml(config / "validation.yaml", lambda d: d["narratives"].update(max_items="many"))
    with pytest.raises(ConfigError, match="validation.yaml: narratives.max_items"):
        load_options(config)
    edit_yaml(config / "validation.yaml", lambda d: d["narratives"].update(max_items=5, max_lenght=9))
    with pytest.raises(ConfigError, match="narratives.max_lenght"):
        load_options(config)


# --------------------------------------------------------------------------- narratives


def _issue_rules(verdict) -> list[str]:
    return [i.rule for i in verdict.issues]


class _OnePayload(BaseHTTPRequestHandler):
    body = b"{}"

    def do_GET(self):   # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def endpoint():
    """A unit's endpoint on 127.0.0.1 answering every pull with ``_OnePayload.body``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OnePayload)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _example(catalog, unit: str) -> dict:
    from county_reports.collect.example import example_payload

    return example_payload(catalog, unit, PERIOD)


def received(unit: str, payload: dict) -> Received:
    return Received(unit, PERIOD, f"sha-{unit}", "http", "2025-07-03T09:12:05+08:00", payload)


def test_a_control_character_narrative_pulled_over_http_is_refused_naming_the_item(catalog, endpoint,
                                                                                  tmp_path, demo_tokens):
    payload = _example(catalog, "TS03")
    payload["narratives"][0]["text"] = "完成农村公路\v养护十公里"
    # Word's \v as a unit's platform sends it (JSON "\u000b").
    _OnePayload.body = json.dumps(payload).encode()
    [outcome] = pulls.pull_batch(catalog, PERIOD, ["TS03"],
                                 pull_settings.PullContext(data_dir=tmp_path, token_lookup=demo_tokens.get,
                                                           environ={"COUNTY_REPORTS_SIMULATOR_URL": endpoint}))
    assert outcome["status"] == "received" and outcome["source"] == "http", outcome
    [verdict] = validate_period(intake.received_from_outcomes([outcome], tmp_path), catalog)
    assert verdict.status == REJECTED and _issue_rules(verdict) == ["NARRATIVE_TEXT"]
    message = verdict.issues[0].message
    assert "第1条工作动态" in message and "U+000B" in message and "“完成农村公路U+000B养护" in message


def test_a_lone_surrogate_is_refused_not_a_crash(catalog, endpoint, tmp_path, demo_tokens):
    payload = _example(catalog, "TS03")
    body = json.dumps(payload, ensure_ascii=True)
    first = payload["narratives"][0]["text"]
    _OnePayload.body = body.replace(json.dumps(first)[1:-1], "\\ud800" + json.dumps(first)[1:-1], 1).encode()
    [outcome] = pulls.pull_batch(catalog, PERIOD, ["TS03"],
                                 pull_settings.PullContext(data_dir=tmp_path, token_lookup=demo_tokens.get,
                                                           environ={"COUNTY_REPORTS_SIMULATOR_URL": endpoint}))
    [verdict] = validate_period(intake.received_from_outcomes([outcome], tmp_path), catalog)
    assert verdict.status == REJECTED and _issue_rules(verdict) == ["NARRATIVE_TEXT"]
    assert "U+D800" in verdict.issues[0].message


def _workbook_with_narrative(template: bytes, text: str, folder: Path) -> Path:
    """TS01's template with one narrative, its text as Excel stores a control character
    (``_x000B_``, which openpyxl cannot write but reads back)."""
    path = folder / "TS01.xlsx"
    path.write_bytes(template)
    wb = load_workbook(path)
    ws = wb["工作动态"]
    ws["A2"], ws["B2"], ws["C2"] = "工作亮点", wb["指标"]["D2"].value, text.replace("\v", "CTRLK")
    wb.save(path)
    raw = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        sheet = z.read(NARRATIVES_SHEET)
    path.write_bytes(rezip(raw, {NARRATIVES_SHEET: sheet.replace(b"CTRLK", b"_x000B_")}))
    return path


def test_a_control_character_narrative_in_a_workbook_is_refused_by_collection_and_offline(catalog, template,
                                                                                       tmp_path):
    path = _workbook_with_narrative(template, "开展隐患排查\v整治三处", tmp_path)
    payload = inbox.read_template(path, catalog, expect_unit="TS01", expect_period=PERIOD)
    assert payload["narratives"][0]["text"] == "开展隐患排查\v整治三处"      # what the clerk pasted
    run = _validate_cli(path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "第1条工作动态（工作亮点，“开展隐患排查U+000B整治三处”）" in run.stdout and "控制字符" in run.stdout
    json_file = tmp_path / "TS01.json"
    json_file.write_text(json.dumps({**payload, "protocol": 1}, ensure_ascii=False), encoding="utf-8")
    run = _validate_cli(json_file)
    assert run.returncode == 1 and "U+000B" in run.stdout, run.stdout + run.stderr


def test_too_many_narratives_or_one_too_long_are_refused_naming_the_item(catalog):
    limits = load_options().narratives
    many, long = _example(catalog, "TS01"), _example(catalog, "TS02")
    many["narratives"] = [{"kind": "plan", "section": "safety", "text": f"计划{n}"} for n in range(1, 200_001)]
    long["narratives"].append({"kind": "problem", "section": "safety", "text": "资金缺口较大" * 400})
    verdicts = validate_period([received("TS01", many), received("TS02", long)], catalog)
    assert [v.status for v in verdicts] == [REJECTED, REJECTED]
    [count], [length] = verdicts[0].issues, verdicts[1].issues
    assert count.rule == "NARRATIVE_COUNT" and "200000 条" in count.message
    assert f"第{limits.max_items + 1}条（下步计划，“计划{limits.max_items + 1}”）" in count.message
    index = len(long["narratives"])
    assert length.rule == "NARRATIVE_LENGTH" and f"第{index}条工作动态（存在问题，“资金缺口较大" in length.message
    assert f"共 2400 字，超过 {limits.max_length} 字" in length.message


def test_a_narrative_stored_by_an_older_version_with_control_characters_still_renders(catalog, tmp_path):
    warehouse = Warehouse(f"sqlite:///{tmp_path / 'wh.db'}")
    warehouse.migrate()
    warehouse.sync_roster(catalog, "test")
    verdicts = accepted_verdicts(catalog, "2024-01", "2025-06")
    dirty = "\v\f\x01\ufffe\uffff"
    for v in verdicts:      # as an older version stored them: a control character inside every text
        object.__setattr__(v, "narratives", tuple({**n, "text": n["text"][:2] + dirty[i % len(dirty)] + n["text"][2:]}
                                                  for i, n in enumerate(v.narratives)))
    warehouse.record_verdicts(verdicts, "test")
    stored = warehouse.current_narratives([f"2025-0{m}" for m in range(1, 7)])
    assert stored["text"].str.contains(narratives.XML_INVALID).all()
    plan = summaries.plan("half_year", 2025, summaries.load_settings())
    written = summaries.write_summary(warehouse, catalog, plan, tmp_path / "out")
    warehouse.close()
    text = "\n".join(p.text for p in Document(written["docx"]).paragraphs)
    assert narratives.invalid_at(text) is None
    cleaned = {n["text"][:2] + n["text"][3:] for v in verdicts for n in v.narratives if v.period >= "2025-01"}
    assert any(t[:8] in text for t in cleaned if len(t) >= 8), "no stored narrative was quoted"


# --------------------------------------------------------------------------- one folder per unit


def test_a_file_in_another_units_place_is_nobodys(catalog, template, tmp_path, endpoint, demo_tokens):
    data = tmp_path / "data"
    forged = write_template(catalog, "TS03", PERIOD, tmp_path / "TS03.xlsx").read_bytes()
    drop(data, forged, unit="TS01").rename(inbox.inbox_path(data, PERIOD, "TS01").with_name("TS03.xlsx"))
    (data / "inbox" / PERIOD).mkdir(parents=True)                   # the old shared folder
    (data / "inbox" / PERIOD / "TS03.xlsx").write_bytes(forged)
    _OnePayload.body = json.dumps(_example(catalog, "TS03")).encode()
    [outcome] = pulls.pull_batch(catalog, PERIOD, ["TS03"],
                                 pull_settings.PullContext(data_dir=data, token_lookup=demo_tokens.get,
                                                           environ={"COUNTY_REPORTS_SIMULATOR_URL": endpoint}))
    assert outcome["source"] == "http" and outcome["status"] == "received"      # its own endpoint
    assert [f"{p.parent.parent.name}/{p.name}" for p in pulls.unexpected_inbox_files(data, catalog, PERIOD)] \
        == ["TS01/TS03.xlsx"]                                       # pointed out, never read
    # TS03's template in TS01's own place is refused as another unit's: the folder says whose.
    own = drop(data, forged, unit="TS01")
    assert "TS03" in refusal(own, catalog, names_unit=False)


def test_a_link_or_a_folder_anyone_may_write_is_not_the_units_own(catalog, template, tmp_path):
    data = tmp_path / "data"
    elsewhere = tmp_path / "TS01-copy.xlsx"
    elsewhere.write_bytes(template)
    path = inbox.inbox_path(data, PERIOD, "TS01")
    path.parent.mkdir(parents=True)
    path.symlink_to(elsewhere)
    assert "符号链接" in refusal(path, catalog, names_unit=False)
    path.unlink()
    path.write_bytes(template)
    inbox.read_template(path, catalog, expect_unit="TS01", expect_period=PERIOD)     # 0755: the unit's
    os.chmod(path.parent.parent, 0o777)
    assert "任何人都可以写入" in refusal(path, catalog, names_unit=False)


def test_feedback_lies_only_in_the_units_own_folder(tmp_path):
    data = tmp_path / "data"
    for unit in ("TS01", "TS02"):
        notify.write_inbox_feedback(data, unit, PERIOD, [{"text": f"{unit} 第1条：数值“12万”不是数字。"}])
    files = sorted(p.relative_to(data / "inbox") for p in (data / "inbox").rglob("*") if p.is_file())
    assert [str(p) for p in files] == [f"{u}/{PERIOD}/{u}.feedback.{suffix}"
                                       for u in ("TS01", "TS02") for suffix in ("json", "txt")]
    assert not (data / "inbox" / PERIOD).exists()


def test_the_mail_steps_stamp_is_kept_where_the_unit_cannot_write(template, tmp_path):
    from datetime import datetime

    path = drop(tmp_path, template)
    when = datetime(2025, 7, 3, 1, 0, tzinfo=UTC)
    inbox.stamp_submitted(path, when)
    assert [p.name for p in path.parent.iterdir()] == ["TS01.xlsx"]
    assert inbox.submitted_time(path) == when.timestamp()
    assert (tmp_path / "inbox" / ".submitted" / "TS01" / PERIOD / "TS01.xlsx").is_file()


def test_a_workbook_file_over_the_size_limit_is_refused_before_it_is_read(template, tmp_path, catalog):
    path = drop(tmp_path, template)
    with path.open("r+b") as fh:                   # a sparse file: large, but costs no disk
        fh.truncate(LIMITS.max_workbook_bytes + 1)
    reason = refusal(path, catalog)
    assert f"{LIMITS.max_workbook_bytes + 1} 字节" in reason and str(LIMITS.max_workbook_bytes) in reason


def test_a_workbook_of_too_many_parts_is_refused_even_when_its_end_record_says_otherwise(template, tmp_path,
                                                                                       catalog):
    raw = rezip(template, add={f"xl/pad/{n}.xml": b"" for n in range(LIMITS.max_workbook_parts)})
    assert "部件" in refusal(drop(tmp_path, raw), catalog)
    at = raw.rfind(b"PK\x05\x06")                  # the end record claims 12 entries (zipfile ignores it)
    lying = raw[:at + 8] + (12).to_bytes(2, "little") * 2 + raw[at + 12:]
    assert len(zipfile.ZipFile(io.BytesIO(lying)).infolist()) > LIMITS.max_workbook_parts
    assert "部件" in refusal(drop(tmp_path, lying), catalog)
