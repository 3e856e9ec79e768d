"""The collection ledger: every unit's outcome of every collection run, appended, never rewritten.

One JSON line per (run, unit, period) under ``{data}/collections/{period}.jsonl``. It is the
record of what collection did (attempts, HTTP status, archive digest); the warehouse keeps what
the submissions say.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

from county_reports.catalog import Catalog

STATUS_LABELS = {"received": "已接收", "missing": "未报送", "refused": "无法读取", "failed": "获取失败"}


def ledger_path(data_dir: Path, period: str) -> Path:
    return Path(data_dir) / "collections" / f"{period}.jsonl"


def record(data_dir: Path, outcomes: Iterable[dict[str, Any]], run_id: str) -> dict[str, int]:
    by_period: dict[str, list[dict]] = {}
    for o in outcomes:
        by_period.setdefault(o["period"], []).append(o)
    for period, rows in by_period.items():
        path = ledger_path(data_dir, period)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps({"run_id": run_id, **row}, ensure_ascii=False, sort_keys=True) + "\n")
    return dict(Counter(o["status"] for rows in by_period.values() for o in rows))


def read(data_dir: Path, period: str) -> list[dict[str, Any]]:
    path = ledger_path(data_dir, period)
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def latest_by_unit(data_dir: Path, period: str) -> dict[str, dict[str, Any]]:
    """The most recent outcome per unit for a period."""
    latest: dict[str, dict[str, Any]] = {}
    for row in read(data_dir, period):
        latest[row["unit"]] = row
    return latest


def outcome_table(outcomes: list[dict[str, Any]], catalog: Catalog) -> str:
    """A plain-text table an admin reads in the task log: one line per unit and period."""
    header = f"{'期间':<8} {'单位':<6} {'结果':<6} {'HTTP':>4} {'次数':>3}  单位名称 / 说明"
    lines = [header, "-" * 72]
    for o in sorted(outcomes, key=lambda o: (o["period"], o["unit"])):
        unit = catalog.unit_by_code.get(o["unit"])
        name = unit.name if unit else o["unit"]
        label = STATUS_LABELS.get(o["status"], o["status"])
        http = o.get("http_status") or ("xlsx" if o.get("source") == "inbox" else "-")
        detail = f"{name}" + (f" — {o['reason']}" if o.get("reason") else "")
        lines.append(f"{o['period']:<8} {o['unit']:<6} {label:<6} {http!s:>4} {o.get('attempts') or 0:>3}  {detail}")
    counts = Counter(o["status"] for o in outcomes)
    lines.append("-" * 72)
    lines.append("合计：" + "，".join(f"{STATUS_LABELS[s]} {counts.get(s, 0)}" for s in STATUS_LABELS))
    return "\n".join(lines)
