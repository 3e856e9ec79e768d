"""The monthly reporting circular (月度报表报送情况通报): who reported on time, late, rejected or
not at all, and who has done so repeatedly — an internal notice to the units, as a .docx in the
same GB/T 9704 layout as the summaries (render.model + render.layout).

Every count comes from the warehouse's completeness query for the month, so the circular says
what the status page says. Wording is in ``wording.yaml`` ``circular:``; the look-back window
and threshold for "repeatedly" in ``mail.yaml`` ``circular:``. Written to
``{data}/circulars/{period}/`` with a JSON of its counts; sent by e-mail to every active unit's
registered addresses once (:func:`send`), never to the county office.
"""
from __future__ import annotations

import json
from datetime import date, datetime, UTC
from pathlib import Path
from typing import Any

from county_reports.core import atomic, messages, paths, periods as months
from county_reports.core.catalog import Catalog
from county_reports.core.config import ConfigError, read_config_file
from county_reports.core.mail import MailSettings, SmtpSend, message
from county_reports.render.number_style import round_half_up
from county_reports.render.layout import TitleBreaks, render_docx
from county_reports.render.model import Attachment, Heading1Section, Heading2Section, OfficialDocument
from county_reports.core import timeliness
from county_reports.validate.feedback import number

STATUSES = timeliness.STATUSES
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def load_wording(config_dir: Path | None = None) -> dict[str, Any]:
    wording = read_config_file("wording.yaml", config_dir)
    section = wording.get("circular") if isinstance(wording, dict) else None
    if not isinstance(section, dict):
        raise ConfigError("wording.yaml", "circular", "missing (the monthly reporting circular's wording)")
    for key in ("title", "opening", "headings", "overall", "groups", "late_item", "none", "repeated",
                "repeated_item", "repeated_counts", "no_repeated", "requirements", "attachment",
                "flagged", "flagged_item", "flagged_state"):
        if key not in section:
            raise ConfigError("wording.yaml", f"circular.{key}", "missing")
    return section


SENT = "sent.json"      # beside the circular once it has gone out: never sent twice


def folder(data_dir: Path, period: str) -> Path:
    return paths.circulars(period, data_dir)


def facts(warehouse, catalog: Catalog, period: str, settings: MailSettings) -> dict[str, Any]:
    """The month's completeness rows and counts, and the units repeatedly late or missing."""
    done = warehouse.completeness(catalog, [period])
    counts = {s: int((done["status"] == s).sum()) for s in STATUSES}
    window = months.span(months.shift(period, -(settings.lookback_months - 1)), period)
    history = warehouse.completeness(catalog, window)
    active = set(done["unit"])
    repeated = []
    for unit in catalog.units:
        if unit.code not in active:
            continue
        mine = history[history["unit"] == unit.code]
        bad = {s: int((mine["status"] == s).sum()) for s in ("late", "rejected", "missing")}
        if sum(bad.values()) >= settings.repeat_threshold:
            repeated.append({"unit": unit.code, "name": unit.name, **bad})
    expected = len(done)
    from county_reports.warehouse.flags import current_flags

    return {"flags": current_flags(warehouse.engine, [period]), "period": period, "expected": expected,
            "reported": timeliness.reported(counts), **counts, "window": [window[0], window[-1]],
            "threshold": settings.repeat_threshold, "rows": done, "repeated": repeated}


def compose(f: dict[str, Any], catalog: Catalog, wording: dict[str, Any], day: date) -> OfficialDocument:
    year, month = months.parse(f["period"])
    base = {"bureau": catalog.bureau.name, "year": year, "month": month}
    w = wording
    rate = (f["reported"] / f["expected"] * 100) if f["expected"] else 0.0
    overall = _fill(w["overall"], "overall", **base, expected=f["expected"], reported=f["reported"],
                    rate=f"{round_half_up(rate, 1)}%", **{s: f[s] for s in STATUSES})
    rows = f["rows"]
    groups = []
    for status in STATUSES:
        mine = rows[rows["status"] == status]
        if status == "late":
            names = [_fill(w["late_item"], "late_item", name=r.unit_name, arrived=_day(r.first_accepted_arrived_at),
                           due=_day(r.due)) for r in mine.itertuples()]
        else:
            names = list(mine["unit_name"])
        text = (messages.join(names) + w.get("names_end", messages.text("joins", "sentence_end"))) \
            if names else w["none"]
        groups.append(Heading2Section(_fill(w["groups"][status], f"groups.{status}", count=len(names)), [text]))
    if f.get("flags") is not None:
        groups.append(_flagged(f["flags"], catalog, w))
    first, last = (_month_label(p) for p in f["window"])
    if f["repeated"]:
        items = []
        for r in f["repeated"]:
            detail = messages.join(_fill(w["repeated_counts"][s], f"repeated_counts.{s}", count=r[s])
                              for s in ("late", "rejected", "missing") if r[s])
            items.append(_fill(w["repeated_item"], "repeated_item", name=r["name"], detail=detail))
        repeated = _fill(w["repeated"], "repeated", first=first, last=last, threshold=f["threshold"],
                         items=messages.join(items, "clauses"))
    else:
        repeated = _fill(w["no_repeated"], "no_repeated", first=first, last=last, threshold=f["threshold"])
    h = w["headings"]
    a = w["attachment"]
    table = [[r.unit_name, _day(r.due), _moment(r.first_accepted_arrived_at), a["status"][r.status],
              str(int(r.submissions))] for r in rows.itertuples()]
    attachment = Attachment(label=a["label"], title=_fill(a["title"], "attachment.title", **base),
                            columns=list(a["columns"]), rows=table,
                            notes=[_fill(a["note"], "attachment.note", generated=_date(day))])
    opening = [w["recipients"], _fill(w["opening"], "opening", **base)] if w.get("recipients") else \
        [_fill(w["opening"], "opening", **base)]
    return OfficialDocument(
        title=_fill(w["title"], "title", **base), opening=opening,
        sections=[Heading1Section(h["overall"], [overall]),
                  Heading1Section(h["detail"], subsections=groups),
                  Heading1Section(h["repeated"], [repeated]),
                  Heading1Section(h["requirements"], [str(x) for x in w["requirements"]])],
        signature=catalog.bureau.name, date_text=_date(day), attachments=[attachment])


def _flagged(flags, catalog: Catalog, w: dict[str, Any]) -> Heading2Section:
    """The month's flagged values, the largest effect on the county total first."""
    items = []
    for r in flags.itertuples(index=False):
        unit, indicator = catalog.unit_by_code.get(r.unit), catalog.indicator_by_code.get(r.indicator)
        share = "" if r.effect != r.effect else f"{round_half_up(r.effect * 100, 1)}%"   # NaN: no share
        items.append(_fill(w["flagged_item"], "flagged_item", name=unit.name if unit else r.unit,
                           indicator=indicator.name if indicator else r.indicator,
                           value=number(r.value),
                           uom=indicator.uom if indicator else "", share=share,
                           state=w["flagged_state"]["confirmed" if r.confirmed else "unconfirmed"]))
    text = (messages.join(items, "clauses") + messages.text("joins", "sentence_end")) if items else w["none"]
    return Heading2Section(_fill(w["flagged"], "flagged", count=len(items)), [text])


def build(warehouse, catalog: Catalog, period: str, data_dir: Path, settings: MailSettings, *,
          day: date, config_dir: Path | None = None) -> dict[str, Any]:
    """Render the circular and its counts; returns paths, title and counts."""
    f = facts(warehouse, catalog, period, settings)
    document = compose(f, catalog, load_wording(config_dir), day)
    out = folder(data_dir, period)
    paths.make_folder(out)
    docx = render_docx(document, out / f"circular-{period}.docx",
                       title_breaks=TitleBreaks.from_config(
                           read_config_file("wording.yaml", config_dir).get("title_breaks")))
    counts = {k: f[k] for k in ("period", "expected", "reported", *STATUSES, "window", "threshold", "repeated")}
    summary = {"title": document.title, "docx": str(docx), "counts": counts, "date": day.isoformat()}
    atomic.write_text(out / f"circular-{period}.json", json.dumps(summary, ensure_ascii=False, indent=1))
    return summary


def send(built: dict[str, Any], catalog: Catalog, data_dir: Path, settings: MailSettings,
         smtp_send: SmtpSend, *, config_dir: Path | None = None) -> dict[str, Any]:
    """E-mail the circular to every active unit's registered addresses (the admins in copy), once
    per month: a second call answers "already sent". The units are in Bcc (To: the admins, or the
    bureau itself), so no unit sees another unit's addresses."""
    period = built["counts"]["period"]
    record = folder(data_dir, period) / SENT
    if record.is_file():
        return {"status": "already_sent", **json.loads(record.read_text(encoding="utf-8"))}
    w = load_wording(config_dir)
    docx = paths.location(built["docx"])
    to = sorted({a for u in catalog.units_active_in(period) for a in u.emails} | set(settings.admins))
    fields = {"title": built["title"], "filename": docx.name, "bureau": catalog.bureau.name}
    units = sorted(set(to) - set(settings.admins))
    msg = message(settings, sorted(settings.admins), _fill(w.get("mail_subject", "{title}"), "mail_subject", **fields),
                  _fill(w.get("mail_body", "{title}"), "mail_body", **fields),
                  attachments=[(f"{built['title']}.docx", docx.read_bytes(), DOCX_TYPE)], bcc=units)
    receipt = smtp_send(msg)
    sent = {"receipt": receipt, "to": to, "at": datetime.now(UTC).isoformat(timespec="seconds")}
    atomic.write_text(record, json.dumps(sent, ensure_ascii=False, indent=1))
    return {"status": "sent", **sent}


def _fill(text: str, key: str, **fields: Any) -> str:
    try:
        return str(text).format(**fields)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError("wording.yaml", f"circular.{key}", f"cannot fill {text!r}: {exc}") from None


def _date(day: date) -> str:
    return messages.day_label(day)


def _month_label(period: str) -> str:
    year, month = months.parse(period)
    return messages.month_label(year, month)


def _day(moment) -> str:
    if moment is None or str(moment) == "NaT":
        return "—"
    return messages.text("dates", "month_day", month=moment.month, day=moment.day)


def _moment(moment) -> str:
    if moment is None or str(moment) == "NaT":
        return "—"
    return messages.text("dates", "month_day_time", month=moment.month, day=moment.day, hour=moment.hour,
                         minute=moment.minute)
