"""Late corrections: new figures for a month that a delivered report already covers.

After a collection run stores new submission versions, :func:`check` finds every delivered
report whose span holds one of those months, renders the report again from the warehouse (into a
scratch folder, never over the delivered files), and compares its figure sidecar with the one
that was delivered (kept under its SHA-256 when it left, see :mod:`county_reports.deliver.dispatch`).
A :class:`Notice` names the report, its receipt, the units and months, and every printed figure
that would change. The admins then decide whether to send a corrected version (更正) through
the report DAG's approval gate.

When the delivery was the office's edited version (its sidecar has ``edited``), the notice also
locates each change in that edited text, and the correction run starts from it:
:func:`start_from_edited` reads the delivered edited .docx back from the archive, replaces the
changed figures (:func:`correct_edited`) and uploads the result through
:func:`county_reports.deliver.edited_drafts.upload` against the new draft, so the approval binds
it and ``deliver`` sends it as the 更正. No Airflow import.
"""
from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from county_reports.deliver import approval, edited_drafts
from county_reports.core import archive, messages, report_settings
from county_reports.core.catalog import Catalog


REPLACED, CHECK, AMBIGUOUS, NOT_FOUND = "replaced", "rewritten", "ambiguous", "not_found"
DROPPED, NEW_FIGURE = "dropped", "new_figure"     # no longer printed / printed only now: the admin's to place


def correct_edited(edited: bytes, changes: list[dict[str, Any]], rewritten: list[int],
                   printed: dict | None = None) -> tuple[bytes, list[dict]]:
    """The edited .docx with each change's old figure text replaced by the new one, and where each
    change was found: paragraph (from 1; ``paragraphs``: all of them), sentence, and a status —
    replaced; replaced but in a paragraph the clerk rewrote (``rewritten``: the edit's
    ``edited_paragraphs``), to check; ambiguous (the text also stands for a figure that does not
    change, or changes to several texts) or not_found (rewritten away, or split across runs):
    unchanged. A figure text found in several paragraphs is replaced in all of them only
    when ``printed`` (the delivered sidecar) shows that every printed figure with that text changes,
    to the same new text; otherwise it is ambiguous. All replacements are made in one pass (a new
    text that equals another change's old one is never replaced again)."""
    import io

    import docx

    from county_reports.render.review.paragraphs import BODY, TABLE, paragraphs

    document = docx.Document(io.BytesIO(edited))
    paras = [p for p in paragraphs(document) if p.where in (BODY, TABLE)]
    plan = _hits(paras, {str(c.get("old") or "") for c in changes} - {"", "—"})
    safe = _replaceable(changes, printed, plan)
    done = _replace_all(paras, {old: new for old, new in safe.items() if plan[old]})
    located = []
    for change in changes:
        old, new = str(change.get("old") or ""), str(change.get("new") or "")
        hits = plan.get(old) or []
        status = AMBIGUOUS if hits and old not in safe else NOT_FOUND
        if old in safe and hits and all(done.get((p.index, old)) for p in hits):
            status = CHECK if {p.index for p in hits} & set(rewritten) else REPLACED
        status = NEW_FIGURE if old in ("", "—") else DROPPED if new in ("", "—") else status
        where = {"paragraph": hits[0].index + 1, "paragraphs": [p.index + 1 for p in hits],
                 "sentence": hits[0].text} if hits else {}
        located.append(change | where | {"status": status})
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue(), located


def _pattern(texts) -> re.Pattern:
    """Any of ``texts`` as a whole figure: not inside a longer number (``5.0%`` is not in ``15.0%``)."""
    alternatives = "|".join(re.escape(t) for t in sorted(texts, key=len, reverse=True))
    return re.compile(rf"(?<![\d.])(?:{alternatives})(?![\d])")


def _hits(paras, olds: set[str]) -> dict[str, list]:
    """The paragraphs where each old text stands as a whole figure, matched as the replacement
    will match (the longest text first: ``59.6公里`` is not also a hit of ``59.6``)."""
    plan: dict[str, list] = {old: [] for old in olds}
    if not olds:
        return plan
    pattern = _pattern(olds)
    for para in paras:
        for old in dict.fromkeys(m.group(0) for m in pattern.finditer(para.text)):
            plan[old].append(para)
    return plan


def _replaceable(changes: list[dict], printed: dict | None, plan: dict) -> dict[str, str]:
    """old text → new text for the changes that can be replaced wherever the old text stands."""
    news: dict[str, set] = {}
    for change in changes:
        news.setdefault(str(change.get("old") or ""), set()).add(str(change.get("new") or ""))
    printed_count = {}
    for item in (printed or {}).get("figures", []):
        printed_count[item.get("text")] = printed_count.get(item.get("text"), 0) + 1
    safe = {}
    for old, new in news.items():
        if not old or old == "—" or len(new) != 1 or "—" in new:
            continue
        changed = sum(str(c.get("old") or "") == old for c in changes)
        everywhere = printed is not None and printed_count.get(old, 0) <= changed
        if len(plan.get(old) or []) <= 1 and printed is None or everywhere:
            safe[old] = next(iter(new))
    return safe


def _replace_all(paras, mapping: dict[str, str]) -> dict[tuple[int, str], bool]:
    """Each old text replaced by its new one in the ``w:t`` nodes of the paragraphs holding it, in
    one pass; which (paragraph, old text) got replaced (False where the text is split across runs)."""
    from docx.oxml.ns import qn

    if not mapping:
        return {}
    pattern, done = _pattern(mapping), {}
    for para in paras:
        for node in para.element.iter(qn("w:t")):
            if node.text and pattern.search(node.text):
                def swap(match, index=para.index):
                    done[(index, match.group(0))] = True
                    return mapping[match.group(0)]
                node.text = pattern.sub(swap, node.text)
    return done


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
                  "changes": items, "dag_id": self.dag_id, "edited": located_html(self.in_edited)}
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
    return correct_edited(edited, changes, printed["edited"].get("edited_paragraphs") or [], printed)[1]


# --------------------------------------------------------------------------- wording of the located figures


def _located_words(item: dict) -> dict[str, str]:
    where = messages.text("corrections", "where", paragraph=item["paragraph"], sentence=item["sentence"]) \
        if item.get("paragraph") else ""
    return {"old": str(item.get("old")), "new": str(item.get("new")), "where": where,
            "status": messages.text("corrections", f"status_{item.get('status')}")}


def located_html(located: list[dict]) -> str:
    """The correction e-mail's part on the edited text (HTML): where each change sits and what was
    done with it; empty when the delivery was not edited."""
    if not located:
        return ""
    items = "".join(dict.fromkeys(messages.text("corrections", "located_html", **{
        k: escape(v) for k, v in _located_words(c).items()}) for c in located))     # a figure printed twice: once
    return messages.text("corrections", "edited_html", items=items)


def located_markdown(review: dict | None) -> str:
    """The approval request's part on a corrected edited version (Markdown), from its stored review;
    empty for any other document."""
    correction = (review or {}).get("correction")
    if not correction:
        return ""
    lines = [messages.text("corrections", "request_intro", by=correction.get("edited_by") or "",
                           receipt=correction.get("receipt_id") or "")]
    lines += list(dict.fromkeys(messages.text("corrections", "located_markdown", **_located_words(c))
                                for c in correction.get("located") or [])) \
        or [messages.text("corrections", "request_no_change")]
    return "\n\n".join(lines)


# --------------------------------------------------------------------------- the corrected edited version


class CorrectionRefused(Exception):
    """The corrected edited version cannot be made (nothing uploaded): the run must stop, not send
    the generated draft in place of the office's text."""


def start_from_edited(warehouse, catalog: Catalog, built: dict, data_dir: Path) -> dict | None:
    """A correction run's new draft (``built``: write_summary's result, paths) when the report's
    last delivery was the office's edited version: that edited .docx (read back from the archive
    under the SHA-256 it left with), its changed figures replaced, uploaded against the new draft —
    the approval then binds it and deliver sends it. Returns the stored review (its ``correction``:
    which delivery, where each change was found), or None when the delivery was not edited."""
    row = delivered_reports(warehouse.engine).get((built["kind"], built["year"]))
    try:
        printed = json.loads(archive.read(data_dir, row["sidecar_sha256"])) if row else {}
        edit = printed.get("edited")
        edited = archive.read(data_dir, row["docx_sha256"]) if edit else b""
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise CorrectionRefused(f"The delivered version of {built['kind']} {built['year']} (receipt "
                                f"{row.get('receipt_id')}) is not readable from the archive: {exc}") from None
    if not edit:
        return None
    target = edited_drafts.draft(built["year"], Path(built["docx"]).name, data_dir)
    already = edited_drafts.current(target)
    if already and already.get("draft_sha256") == approval.fingerprint(target.docx):
        return already          # this very draft has an edited version already (a retry, or the admin's own)
    current = json.loads(target.sidecar.read_text(encoding="utf-8"))
    corrected, located = correct_edited(edited, changed_figures(printed, current),
                                        edit.get("edited_paragraphs") or [], printed)
    correction = {"receipt_id": row.get("receipt_id"), "docx_sha256": row["docx_sha256"],
                  "edited_by": edit.get("edited_by"), "located": located}
    try:
        return edited_drafts.upload(
            target, corrected, user=messages.text("corrections", "corrected_by", by=edit.get("edited_by") or ""),
            engine=warehouse.engine, unit_names={u.name: u.code for u in catalog.units},
            traceable=edited_drafts.warehouse_traceable(warehouse, catalog, current), extra={"correction": correction})
    except edited_drafts.UploadRefused as exc:
        raise CorrectionRefused(f"The corrected edited version of {target.name} was refused: {exc}") from None
