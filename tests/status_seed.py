"""A data folder with a real warehouse for the status-page tests (plugin, api-server, browser).

2025-01 … 2025-06 accepted for every unit, except: TS03 sent nothing for June (missing); TS02's
June came first as a rejected version with an issue and feedback, then as an accepted
correction (version 2) whose clerk wrote 政务服务事项办结 in full-width digits ("１２３４"). One document in reports/.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from county_reports.simulator.seeding import accepted_verdicts
from county_reports.validate.model import REJECTED, Issue
from county_reports.warehouse import Warehouse

PERIOD = "2025-06"
DOCUMENT = ("2025", "清河县交通运输局2025年上半年工作总结.docx")
REJECTION = "河口镇交通运输管理站2025-06：政务服务事项办结（件）填报值“abc”不是数字，请核实后重新报送。"
INDICATOR, RAW, NORMALISED = "SERVICE_ITEMS", "１２３４", 1234.0


def seed(data_dir: Path, catalog, url: str | None = None) -> None:
    with Warehouse(url) as warehouse:
        warehouse.migrate()
        warehouse.sync_roster(catalog, "seed")
        verdicts = accepted_verdicts(catalog, "2025-01", PERIOD, skip={("TS03", PERIOD)})
        june = next(v for v in verdicts if (v.unit, v.period) == ("TS02", PERIOD))
        first = INDICATOR
        rejected = dataclasses.replace(
            june, sha256="seed-TS02-2025-06-v1", status=REJECTED,
            raw_values={**june.raw_values, first: "abc"},
            values={k: v for k, v in june.values.items() if k != first},
            issues=(Issue("TS02", PERIOD, first, "abc", "NUMERIC", "error", REJECTION),))
        corrected = dataclasses.replace(
            june, sha256="seed-TS02-2025-06-v2", raw_values={**june.raw_values, first: RAW},
            values={**june.values, first: NORMALISED})
        others = [v for v in verdicts if v is not june]
        warehouse.record_verdicts(others, "seed")
        [stored] = warehouse.record_verdicts([rejected], "seed")
        warehouse.record_feedback("TS02", PERIOD, stored["submission_id"], list(rejected.issues),
                                  True, 200, None, "seed")
        warehouse.record_verdicts([corrected], "seed-correction")
        warehouse.record_not_received("TS03", PERIOD, "missing", "HTTP 404", "seed")
    folder = data_dir / "reports" / DOCUMENT[0]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / DOCUMENT[1]).write_bytes(b"PK docx")
