"""Late corrections: new figures for a month that a delivered report already covers.

After a collection run stores new submission versions, :func:`check` finds every delivered
report whose span holds one of those months, renders the report again from the warehouse (into a
scratch folder, never over the delivered files), and compares its figure sidecar with the one
that was delivered (kept under its SHA-256 when it left, see :mod:`county_reports.deliver.dispatch`).
A :class:`Notice` names the report, its receipt, the units and months, and every printed figure
that would change. The admins then decide whether to send a corrected version (更正) through
the report DAG's approval gate. No Airflow import.
"""
from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from county_reports.deliver import approval
from county_reports.core import archive, messages, report_settings
from county_reports.core.catalog import Catalog


REPLACED, CHECK, AMBIGUOUS, NOT_FOUND = "replaced", "rewritten", "ambiguous", "not_found"


def correct_edited(edited: bytes, changes: list[dict[str, Any]], rewritten: list[int]) -> tuple[bytes, list[dict]]:
    """The edited .docx with each change's old figure text replaced by the new one, and where each
    change was found: paragraph (from 1), sentence, and a status — replaced; replaced but in a
    paragraph the clerk rewrote (``rewritten``: the edit's ``edited_paragraphs``), to check;
    ambiguous (in several paragraphs) or not_found (rewritten away, or split across runs): unchanged."""
    import io

    import docx

    from county_reports.render.review.paragraphs import BODY, TABLE, paragraphs

    document = docx.Document(io.BytesIO(edited))
    paras = [p for p in paragraphs(document) if p.where in (BODY, TABLE)]
    located = []
    for change in changes:
        old, new = str(change.get("old") or ""), str(change.get("new") or "")
        hits = [p for p in paras if old and old != "—" and old in p.text]
        status = AMBIGUOUS if len(hits) > 1 else NOT_FOUND
        if len(hits) == 1 and new != "—" and _replace_once(hits[0].element, old, new):
            status = CHECK if hits[0].index in set(rewritten) else REPLACED
        where = {"paragraph": hits[0].index + 1, "sentence": hits[0].text} if len(hits) == 1 else {}
        located.append(change | where | {"status": status})
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue(), located


def _replace_once(p, old: str, new: str) -> bool:
    """``old`` in one ``w:t`` of the paragraph replaced by ``new``; False when the text is split."""
    from docx.oxml.ns import qn

    for node in p.iter(qn("w:t")):
        if node.text and old in node.text:
            node.text = node.text.replace(old, new, 1)
            return True
    return False


@dataclass(frozen=True)
class Notice:
    kind: str
    year: int
    title: str
    receipt_id: str | None
    units: list[str]
    periods: list[str]
    changes: list[dict[str, Any]] = field(default_factory=list)
    in_edited: list[dict[str, Any]] = field(default_factory=list)   # the changes located in the office's edit

    @property
    def dag_id(self) -> str:
        return report_settings.DAG_IDS[self.kind]

    def log_lines(self) -> list[str]:
        head = (f"Late correction: {', '.join(self.units)} changed {', '.join(self.periods)}, covered by the "
                f"delivered report '{self.title}' (receipt {self.receipt_id}); "
                f"{len(self.changes)} printed figure(s) would change:")
        return [head] + [f"  {c['where']}: {c['old']} → {c['new']} ({c['indicator']} {c['measure']})"
                         for c in self.changes] + \
            [f"  in the edited text: {c['old']} → {c['new']}: {c['status']}"
             + (f", paragraph {c['paragraph']}" if c.get("paragraph") else "") for c in self.in_edited]

    def mail(self, template) -> tuple[str, str]:
        """Subject and HTML body for the admins, from admins.yaml mail.correction."""
        items = "".join(messages.text("corrections", "change", where=escape(c["where"]), old=escape(str(c["old"])),
                                      new=escape(str(c["new"]))) for c in self.changes) \
            or messages.text("corrections", "no_change")
        fields = {"title": escape(self.title), "receipt": escape(str(self.receipt_id)),
                  "units": escape(messages.join(self.units)), "periods": escape(messages.join(self.periods)),
                  "changes": items, "dag_id": self.dag_id}
        return template.subject.format(**fields), template.body.format(**fields)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def delivered_reports(engine) -> dict[tuple[str, int], dict[str, Any]]:
    """The latest delivery of every (kind, year) that the audit knows, with its sidecar's SHA-256."""
    latest: dict[tuple[str, int], dict[str, Any]] = {}
    for row in approval.history(engine):
        if row["action"] == "delivered":
            latest[(row["kind"], row["year"])] = row
    return latest


def changed_figures(delivered: dict, current: dict) -> list[dict[str, Any]]:
    """Printed figures whose text differs between two sidecars (by place, indicator, measure)."""
    def keyed(sidecar: dict) -> dict[tuple, dict]:
        out = {}
        for item in sidecar.get("figures", []):
            key = (item.get("where"), item.get("indicator"), item.get("measure"), item.get("unit"))
            out.setdefault(key, item)
        return out

    old, new = keyed(delivered), keyed(current)
    changes = []
    for key in list(old) + [k for k in new if k not in old]:
        before, after = old.get(key, {}).get("text"), new.get(key, {}).get("text")
        if before != after:
            changes.append({"where": key[0], "indicator": key[1], "measure": key[2], "unit": key[3],
                            "old": before if before is not None else "—", "new": after if after is not None else "—"})
    return changes


def check(warehouse, catalog: Catalog, stored: list[dict], data_dir: Path, report_settings) -> list[Notice]:
    """Notices for the delivered reports that the newly stored versions in ``stored`` change."""
    from county_reports.render import summaries

    new = [r for r in stored if r.get("outcome") == "new" and r.get("status") != "rejected"]
    if not new:
        return []
    notices = []
    for (kind, year), row in sorted(delivered_reports(warehouse.engine).items()):
        plan = summaries.plan(kind, year, report_settings)
        hits = [r for r in new if r["period"] in set(plan.span.periods)]
        if not hits:
            continue
        try:
            printed = json.loads(archive.read(data_dir, row["sidecar_sha256"]))
        except (OSError, KeyError, ValueError):
            printed = {"figures": []}
        with tempfile.TemporaryDirectory(prefix="county-reports-correction-") as scratch:
            built = summaries.write_summary(warehouse, catalog, plan, Path(scratch),
                                            state_gap=bool(row.get("state_gap")))
            current = json.loads(Path(built["sidecar"]).read_text(encoding="utf-8"))
        changes = changed_figures(printed, current)
        notices.append(Notice(kind, year, row.get("title") or built["title"], row.get("receipt_id"),
                              sorted({r["unit"] for r in hits}), sorted({r["period"] for r in hits}),
                              changes, _located_in_edited(data_dir, row, printed, changes)))
    return notices


def _located_in_edited(data_dir: Path, row: dict, printed: dict, changes: list[dict]) -> list[dict]:
    """Where the changes sit in the delivered edited .docx (kept under its SHA-256), if it was edited."""
    if not printed.get("edited") or not changes:
        return []
    try:
        edited = archive.read(data_dir, row["docx_sha256"])
    except (OSError, KeyError, ValueError):
        return []
    return correct_edited(edited, changes, printed["edited"].get("edited_paragraphs") or [])[1]
