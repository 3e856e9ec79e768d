"""The key projects and events in a summary's body: the opening's sentence, the projects paragraph
of part 一, the events cited in their themes, the delayed projects in the problems and the next
milestones in the plans (wording.yaml ``projects`` and ``events``).

Only what the ledger and the events say: with no project rows and no events every method returns
"" (the document is as before). Every number printed — names and progress texts with digits,
dates included — goes to the trace, measure ``project_*`` or ``event_*``.
"""
from __future__ import annotations

import re

from county_reports.render import number_style

_DIGIT = re.compile(r"\d")


class ProjectsWriter:
    def __init__(self, body):
        self.b = body
        self.w = body.w.get("projects") or {}
        self.ew = body.w.get("events") or {}
        self.projects = list(body.inp.projects or ())
        # a shared warehouse's events are every county's: only this roster's units' are told, and
        # only when the wording says how (a wording.yaml without ``events:`` tells none)
        self.events = [e for e in body.inp.events or () if e.get("unit") in body.catalog.unit_by_code
                       and e["kind"] in (self.ew.get("kinds") or {})]

    # ---- helpers
    def _t(self, text: str, where: str, measure: str, value=None, **fields) -> str:
        """Trace a printed piece (a figure, or a text holding digits)."""
        if value is not None or _DIGIT.search(text):
            self.b.trace_extra(text, where, measure, value, **fields)
        return text

    def _amount(self, value: float, where: str, measure: str, code: str | None = None) -> str:
        return self._t(number_style.fmt_amount(value), where, measure, value, project=code)

    def _pct(self, value: float | None, where: str, code: str | None = None) -> str:
        return self._t(number_style.fmt_pct(value, 1), where, "project_share_pct", value, project=code)

    def _date(self, day, where: str, code: str) -> str:
        return self._t(self.b.fill(self.w["date"], month=day.month, day=day.day), where,
                       "project_milestone_date", day.isoformat(), project=code)

    def _name(self, p, where: str) -> str:
        # always traced: a reader (and the genre test) can tell a project's name from a unit's
        return self.b.trace_extra(p.name, where, "project_name", None, project=p.code)

    # ---- opening
    def opening(self) -> str:
        if not self.projects:
            return ""
        where = "opening"
        plan = sum(p.plan for p in self.projects)
        done = sum(p.done for p in self.projects)
        return self.b.fill(self.w["opening"],
                           count=self._t(str(len(self.projects)), where, "project_count", len(self.projects)),
                           done=self._amount(done, where, "project_done"),
                           plan=self._amount(plan, where, "project_plan"),
                           share=self._pct(done / plan * 100 if plan else None, where))

    # ---- part 一
    def section(self) -> str:
        if not self.projects:
            return ""
        where = "theme:projects"
        stages = self._stages(where)
        top = self.projects[: int(self.w.get("max_named", 5))]
        rest = self.projects[len(top):]
        named = [self.b.fill(self.w["project"], name=self._name(p, where),
                             plan=self._amount(p.plan, where, "project_plan", p.code),
                             done=self._amount(p.done, where, "project_done", p.code),
                             share=self._pct(p.share, where, p.code),
                             progress=self._t(p.progress, where, "project_progress", project=p.code))
                 for p in top]
        text = self.b.fill(self.w["stages"], count=self._t(str(len(self.projects)), where, "project_count",
                                                             len(self.projects)), stages=stages)
        text += self.b.semicolon.join(named) + self.b.stop
        if rest:
            text += self.b.fill(self.w["rest"], first=self._name(rest[0], where),
                                count=self._t(str(len(rest)), where, "project_rest", len(rest)),
                                done=self._amount(sum(p.done for p in rest), where, "project_done"))
        upper = sum(p.upper_funding for p in self.projects)
        if upper > 0:
            text += self.b.fill(self.w["upper_funding"], amount=self._amount(upper, where, "project_upper_funding"))
        return text

    def _stages(self, where: str) -> str:
        counts: dict[str, int] = {}
        for p in self.projects:
            stage = "completed" if p.status == "completed" else p.nature_code
            counts[stage] = counts.get(stage, 0) + 1
        return self.b.list_sep.join(
            self.b.fill(self.w["stage"], name=name, count=self._t(str(counts[code]), where, "project_stage",
                                                                  counts[code]))
            for code, name in self.w["stage_names"].items() if counts.get(code))

    # ---- part 二
    def problem(self) -> str:
        where = "problems:projects"
        troubled = [p for p in self.projects if p.status in ("delayed", "stalled")]
        gaps = [p for p in self.projects if p.county_gap > 0]
        if not troubled and not gaps:
            return ""
        said = [self.b.fill(self.w["troubled"][p.status], name=self._name(p, where), cause=p.cause,
                            text=self._t(p.cause_text, where, "project_cause", project=p.code))
                for p in troubled]
        text = self.w["problem_head"] + self.b.stop + self.b.semicolon.join(said)
        if gaps:
            text += (self.b.semicolon if said else "") + self.b.fill(
                self.w["county_gap"], count=self._t(str(len(gaps)), where, "project_gap_count", len(gaps)),
                amount=self._amount(sum(p.county_gap for p in gaps), where, "project_county_gap"),
                names=self.b.list_sep.join(self._name(p, where) for p in gaps[:3]))
        return text + self.b.stop

    # ---- part 三
    def plan(self) -> str:
        where = "plans:projects"
        coming = [p for p in self.projects if p.next_milestone]
        if not coming:
            return ""
        said = [self.b.fill(self.w["milestone"], name=self._name(p, where),
                            date=self._date(p.next_milestone[1], where, p.code),
                            milestone=self._t(p.next_milestone[0], where, "project_milestone", project=p.code))
                for p in coming[: int(self.w.get("max_milestones", 6))]]
        return self.w["plan_head"] + self.b.stop + self.b.semicolon.join(said) + self.b.stop

    # ---- events in their themes
    def events_for(self, theme: dict) -> str:
        """The theme's events: the weightiest named ones after ``lead``, then the counted kinds
        (建议提案, 信访, 督查 as totals of the span by subkind), then honours (by the unit that
        received them) — each kind in the theme wording.yaml ``events`` places it in."""
        key = theme["sections"][0]
        where = f"theme:{key}"
        picked = sorted((e for e in self._distinct() if self._theme_of(e) == key),
                        key=lambda e: (-self._weight(e), e["date"] or "", e["title"] or ""))
        said = [t for t in (self._event(e, where) for e in picked[: int(self.ew.get("max_per_theme", 2))]) if t]
        text = self.b.fill(self.ew["lead"], events=self.b.semicolon.join(said)) + self.b.stop if said else ""
        for kind in self.ew.get("counted") or {}:
            text += self._counted(kind, [e for e in self.events if e["kind"] == kind
                                         and self._theme_of(e) == key], where)
        honours = [e for e in self._distinct(("honour",)) if self._theme_of(e) == key]
        if honours:
            text += self.b.fill(self.ew["honours"], honours=self.b.semicolon.join(
                self._event(e, where) for e in honours[: int(self.ew.get("max_honours", 4))])) + self.b.stop
        return text

    def _distinct(self, kinds=None) -> list[dict]:
        kinds = kinds or [k for k in self.ew["kinds"] if k not in (self.ew.get("counted") or {}) and k != "honour"]
        seen, out = set(), []
        for e in self.events:
            key = (e["kind"], e["title"])
            if e["kind"] in kinds and e["title"] and key not in seen:
                seen.add(key)
                out.append(e)
        return out

    def _theme_of(self, event: dict) -> str:
        """The first line of work of the theme an event is told in: by its title's words (the kinds
        in ``by_title``), by its subkind (``subkinds``), else by its kind; a line of work no theme
        holds goes to the last theme (the end of part 一)."""
        section = None
        if event["kind"] in self.ew.get("by_title", ()):
            section = next((rule["theme"] for rule in self.ew["places"]
                            if any(word in (event["title"] or "") for word in rule["words"])), None)
        section = (section or (self.ew.get("subkinds") or {}).get(event["subkind"] or "")
                   or self.ew["kinds"][event["kind"]])
        themes = self.b.w["themes"]
        for theme in themes:
            if section in theme["sections"]:
                return theme["sections"][0]
        return themes[-1]["sections"][0]

    def _counted(self, kind: str, events: list[dict], where: str) -> str:
        """One sentence for a counted kind: received by subkind, then closed (or all closed)."""
        if not events:
            return ""
        cfg = self.ew["counted"][kind]
        got, done = cfg["received"], cfg["closed"]
        by: dict[str, int] = {}
        for e in events:
            by[e["subkind"] or ""] = by.get(e["subkind"] or "", 0) + int(e["counts"].get(got, 0))
        closed = sum(int(e["counts"].get(done, 0)) for e in events)
        received = sum(by.values())
        if not received:
            return ""
        items = self.b.list_sep.join(
            self.b.fill(self.ew["count"], uom=cfg["uom"],
                        name=self._t(cfg["names"].get(sub, cfg["names"]["other"]), where, "event_name"),   # 12345…
                        value=self._t(str(n), where, "event_count", n, event=kind, subkind=sub))
            for sub, n in sorted(by.items(), key=lambda sn: list(cfg["names"]).index(sn[0])
                                 if sn[0] in cfg["names"] else len(cfg["names"])) if n)
        if closed >= received:
            return self.b.fill(cfg["all_closed"], items=items) + self.b.stop
        rate = closed / received * 100
        return self.b.fill(cfg["some_closed"], items=items,
                           closed=self._t(str(closed), where, "event_count", closed, event=kind),
                           uom=cfg["uom"],
                           rate=self._t(number_style.fmt_pct(rate, 1), where, "event_rate", rate, event=kind)) \
            + self.b.stop

    def _weight(self, event: dict) -> float:
        base = float(self.ew["weights"].get(event["kind"], 1))
        return base + sum(event["counts"].values()) / 1000 + float(self.ew["weights"].get(event["subkind"] or "", 0))

    def _event(self, e: dict, where: str) -> str:
        if e["kind"] == "document":
            # a document titled 关于印发《…》的通知 is cited by the title inside its quotation marks
            left, right = self.ew["quoted"].split("{title}")
            inner = re.search(re.escape(left) + "[^" + re.escape(right) + "]+" + re.escape(right), e["title"])
            title = inner.group(0) if inner else self.b.fill(self.ew["quoted"], title=e["title"])
            return self.b.fill(self.ew["document"], title=self._t(title, where, "event_title"))
        title = self._t(e["title"], where, "event_title")
        if e["kind"] == "campaign":
            return self.b.fill(self.ew["campaign"], name=title, counts=self._counts(e, where))
        if e["kind"] == "meeting":
            day = _day(e["date"])
            when = self._t(self.b.fill(self.w["date"], month=day.month, day=day.day), where, "event_date",
                           e["date"]) if day else ""
            kind = self.ew["meeting_kinds"].get(e["subkind"] or "", self.ew["meeting_kinds"]["other"])
            return self.b.fill(self.ew["meeting"], date=when, topic=title, meeting=kind)
        unit = self.b.catalog.unit_by_code.get(e["unit"])
        inner = self.ew.get("inner_quotes") or {}
        return self.b.fill(self.ew["honour"], title="".join(inner.get(ch, ch) for ch in title),
                           body=e["body"] or "", unit=unit.name if unit else self.b.w["words"]["some_units"])

    def _counts(self, e: dict, where: str) -> str:
        names = self.ew["counts"]
        parts = [self.b.fill(self.ew["count"], name=names[k][0], uom=names[k][1],
                             value=self._t(str(v), where, "event_count", v, event=e["title"]))
                 for k, v in e["counts"].items() if k in names]
        of_which = [self.b.fill(self.ew["count"], name=n, uom=names["found"][1],
                                value=self._t(str(c), where, "event_count", c, event=e["title"]))
                    for n, c in e["of_which"] if c]
        text = self.b.comma.join(parts)
        return text + (self.b.comma + self.ew["of_which"] + self.b.list_sep.join(of_which) if of_which else "")


def _day(text: str | None):
    from datetime import date

    return date.fromisoformat(text) if text else None
