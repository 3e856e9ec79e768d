"""The office's edited draft of a summary (issue 21 item 2): uploaded on the report's status page,
checked against the generated draft and its sidecar (``render.review``), stored beside the draft.

- :func:`upload` — bound the bytes, run ``review_edited`` (a sound .docx, this report, figures
  against the sidecar and the warehouse, the GB/T 9704 layout, the paragraph diff), then write the
  edited bytes and the review JSON atomically under ``{data}/reports/{year}/edited/`` and an audit
  row (entity ``report_edit``): who, which bytes. A refusal changes nothing.
- :func:`restore` — the stored edited version with the renderer's layout re-applied, stored as the
  new edited version (and reviewed again).
- :func:`current` — the stored review of a draft, or None.
- :func:`bound` — the document an approval binds and ``deliver`` sends for a rendered draft: the
  current edited version made from exactly these draft bytes (with its own figure sidecar, which
  records the edited paragraphs and the uploader), else the generated draft itself.
- :func:`csrf_token`, :func:`csrf_ok` — an HMAC of the signed-in user and their session's token
  under a server secret: the upload form carries it, a POST without the same value is refused.
- :func:`warehouse_traceable` — the ``traceable`` callable: a value the warehouse holds for the
  same span (a unit's or the county's total of one indicator, or one month's value).
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from county_reports.core import atomic, paths

ENTITY = "report_edit"
FOLDER = "edited"


class UploadRefused(ValueError):
    """A clear Chinese reason; nothing was stored."""


@dataclass(frozen=True)
class Draft:
    year: int
    name: str                   # the draft's file name (…docx), one name in the year's folder
    docx: Path
    sidecar: Path

    @property
    def edited(self) -> Path:
        return self.docx.parent / FOLDER / self.name

    @property
    def review(self) -> Path:
        return self.docx.parent / FOLDER / (self.name[: -len(".docx")] + ".review.json")

    @property
    def edited_sidecar(self) -> Path:
        """The draft's figure sidecar with the edit recorded (``edited``: by whom, which paragraphs)."""
        return self.docx.parent / FOLDER / self.sidecar.name


def draft(year: int, name: str, data_dir=None) -> Draft | None:
    """The generated draft ``name`` of ``year`` and its sidecar, or None: one plain name only."""
    if "/" in name or "\\" in name or name.startswith(".") or not name.endswith(".docx"):
        return None
    folder = paths.reports(year, data=data_dir)
    docx, sidecar = folder / name, folder / (name[: -len(".docx")] + ".figures.json")
    if not (docx.is_file() and sidecar.is_file()):
        return None
    return Draft(year, name, docx, sidecar)


def upload(target: Draft, raw: bytes, *, user: str, engine, traceable=None, unit_names=None,
           config_dir=None, extra: dict | None = None) -> dict[str, Any]:
    """Review ``raw`` against ``target`` and store it; raises UploadRefused (nothing stored).
    ``extra``: more to keep in the stored review (a correction's located figures, ``correction``)."""
    from county_reports.render.review.edited import EditedRefused, review_edited
    from county_reports.render.review.settings import load_settings

    limit = load_settings(config_dir).limits["max_bytes"]
    if len(raw) > limit:        # the route reads at most limit + 1 bytes
        raise UploadRefused(load_settings(config_dir).says("too_large", size=f"{limit}+", limit=limit))
    sidecar = json.loads(target.sidecar.read_text(encoding="utf-8"))
    try:
        review = review_edited(target.docx.read_bytes(), sidecar, raw, traceable=traceable,
                               unit_names=unit_names, config_dir=config_dir)
    except EditedRefused as exc:
        raise UploadRefused(str(exc)) from None
    record = review.as_dict() | {"words": review.words, "confirmation_labels": review.confirmation_labels(),
                                 "diff_html": review.diff_html(), "diff_markdown": review.diff_markdown(),
                                 "sidecar_record": review.sidecar_record(user), "draft": target.name} | (extra or {})
    atomic.write_bytes(target.edited, raw)
    atomic.write_text(target.edited_sidecar, json.dumps(sidecar | {"edited": record["sidecar_record"]},
                                                        ensure_ascii=False, indent=1))
    atomic.write_text(target.review, json.dumps(record, ensure_ascii=False, indent=1))
    _audit(engine, target, "uploaded", user, review.sha256)
    return record


def restore(target: Draft, *, user: str, engine, traceable=None, unit_names=None, config_dir=None) -> dict:
    """The stored edited version with the layout re-applied, stored and reviewed as a new upload."""
    from county_reports.render.review.edited import EditedRefused, restore_layout

    if not target.edited.is_file():
        raise UploadRefused(_says("nothing_to_restore"))
    sidecar = json.loads(target.sidecar.read_text(encoding="utf-8"))
    try:
        restored = restore_layout(target.docx.read_bytes(), sidecar, target.edited.read_bytes(),
                                  config_dir=config_dir)
    except EditedRefused as exc:
        raise UploadRefused(str(exc)) from None
    record = upload(target, restored, user=user, engine=engine, traceable=traceable, unit_names=unit_names,
                    config_dir=config_dir)
    _audit(engine, target, "restored", user, record["sha256"])
    return record


def current(target: Draft) -> dict | None:
    """The stored review, when the edited bytes are still the ones it describes."""
    if not (target.review.is_file() and target.edited.is_file()):
        return None
    record = json.loads(target.review.read_text(encoding="utf-8"))
    return record if record.get("sha256") == hashlib.sha256(target.edited.read_bytes()).hexdigest() else None


@dataclass(frozen=True)
class Bound:
    """What an approval is about and what ``deliver`` sends: data-folder keys and the .docx's hash."""

    docx: str                   # the key of the .docx (the edited one, or the generated draft)
    sidecar: str
    sha256: str
    draft: str                  # the key of the generated draft it was made from
    review: dict | None = None  # the edited version's stored review; None: the generated draft

    @property
    def edited(self) -> bool:
        return self.review is not None

    def files(self, built: dict) -> dict:
        """``built`` (the render task's keys) with the .docx and the sidecar this binding sends."""
        return built | {"docx": self.docx, "sidecar": self.sidecar}


def bound(year: int, docx_key: str, sidecar_key: str, data_dir=None) -> Bound:
    """The document an approval of the rendered draft ``docx_key`` binds: its current edited
    version when one was uploaded for exactly these draft bytes (a draft rendered again with other
    figures leaves an older edit behind), else the draft itself."""
    from county_reports.deliver.approval import fingerprint

    generated = paths.at(docx_key, data_dir)
    sha = fingerprint(generated)
    target = draft(year, generated.name, data_dir)
    record = current(target) if target is not None and target.docx == generated else None
    if record and record.get("draft_sha256") == sha and target.edited_sidecar.is_file():
        return Bound(paths.key(target.edited, data_dir), paths.key(target.edited_sidecar, data_dir),
                     record["sha256"], docx_key, record)
    return Bound(docx_key, sidecar_key, sha, docx_key)


def _audit(engine, target: Draft, action: str, user: str, sha256: str) -> None:
    from county_reports.warehouse import report_audit

    note = json.dumps({"year": target.year, "draft": target.name, "by": user, "sha256": sha256},
                      ensure_ascii=False)
    report_audit.add_event(engine, ENTITY, action, None, note)


def _says(key: str, **values) -> str:
    from county_reports.core import messages

    return messages.text("edited_upload", key, **values)


# --------------------------------------------------------------------------- CSRF


def csrf_token(secret: str, user_id: str, session: str) -> str:
    """Bound to the user and to their session's token: another user's or another session's fails."""
    session_hash = hashlib.sha256(session.encode()).hexdigest()
    return hmac.new(secret.encode(), f"edited-draft|{user_id}|{session_hash}".encode(), "sha256").hexdigest()


def csrf_ok(secret: str, user_id: str, session: str, sent: str | None) -> bool:
    return bool(sent) and bool(secret) and hmac.compare_digest(csrf_token(secret, user_id, session), sent)


# --------------------------------------------------------------------------- traceable figures


def warehouse_traceable(warehouse, catalog, sidecar: dict):
    """``traceable(value, who, span)``: the value (as the reader scaled it) is one the warehouse
    holds for ``who`` (a unit code, or ``county``/None for the county) over ``span``: the total of
    an indicator over the span, or one month's value. Rounded as the documents print (2 places)."""
    from county_reports.core import periods as months

    cache: dict[tuple, set] = {}

    def values(who, span) -> set:
        key = (who, tuple(span))
        if key not in cache:
            periods = months.span(span[0], span[1]) if len(span) == 2 else []
            units = None if who in (None, "county") else [who]
            frame = warehouse.current_values(periods, unit_codes=units)
            found = {round(float(v), 2) for v in frame["value"]}
            found |= {round(float(v), 2) for v in frame.groupby("indicator")["value"].sum()}
            if units:
                found |= {round(float(v), 2) for v in frame.groupby(["indicator", "period"])["value"].sum()}
            cache[key] = found
        return cache[key]

    def traceable(value: float, who, span) -> bool:
        span = tuple(span or sidecar.get("span") or ())
        return len(span) == 2 and round(float(value), 2) in values(who, span)

    return traceable
