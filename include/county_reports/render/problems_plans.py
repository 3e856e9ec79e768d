"""Parts two and three of a summary: the problems (targets behind schedule, accidents, the units'
own problems by line of work) and the plans (the remaining or next year's targets, the units'
plans by theme). A mixin of ``render.body.Body``: it uses the body's wording, pool and trace.
"""
from __future__ import annotations

from county_reports.render import number_style
from county_reports.render.phrasing import ACCIDENT, CASUALTY, DETAIL, SANCTION, missing
from county_reports.core.report_settings import HALF_YEAR


class ProblemsAndPlans:
    """Parts two and three; ``Body`` supplies w, rows, pool, used, c, kind, span, catalog,
    limits, fill, ordinal, trace_extra, clause_text, style, behind and _safety_section."""

    # ------------------------------------------------------------------ part two
    def problems(self) -> list[str]:
        p = self.w["problems"]
        counties = self.c.counties.behind_item(self) if self.c.counties else ""   # a city's
        items = [t for t in (self._behind_item(), counties, self.projects.problem(), self._safety_item()) if t]
        for section in self._problem_sections():
            if len(items) >= int(p.get("max_items", 5)):
                break
            text = self._section_problem(section)
            if text:
                items.append(text)
        if not items:
            items.append(p["none"] + self.stop)
        return [self.ordinal(i) + t for i, t in enumerate(items)]

    def _behind_item(self) -> str:
        """The targets behind schedule, with their cause from the units' problems."""
        p = self.w["problems"]
        behind = self.behind()
        if not behind:
            return ""
        where = "problems:behind"
        shown = []
        for code, gap in behind[: int(p.get("max_behind", 3))]:
            row = self.rows[code]
            gap_text = self.c.traced(number_style.fmt_number(gap, 1), where, code, "schedule_gap", gap)
            if row.target_basis == "cumulative":
                pct = self.c.traced(number_style.fmt_pct(row.completion_pct, 1), where, code,
                                    "completion_pct", float(row.completion_pct))
                shown.append(self.fill(p["behind_item"][self.kind], name=row.name, pct=pct,
                                       gap=gap_text))
            else:
                value = self.c.traced(number_style.fmt_pct(row.value, int(row.decimals)), where, code,
                                      "value", float(row.value))
                shown.append(self.fill(p["behind_level"], name=row.name, value=value, gap=gap_text))
        missed = self.trace_extra(str(len(behind)), where, "targets_missed", len(behind))
        text = self.fill(p["behind"][self.kind], items=self.semicolon.join(shown), missed=missed)
        cause = self.cause({self.rows[c].section for c, _ in behind})
        return text + (self.comma + self.fill(p["cause"], cause=cause) if cause else "") + self.stop

    def _safety_item(self) -> str:
        """The accidents of the span, when there were any, with their cause."""
        p = self.w["problems"]
        accidents, _ = self.fig.accidents()
        safety = self._safety_section()
        if not (accidents > 0 and safety):
            return ""
        record = self.fig.safety_record("problems:safety")
        cause = self.cause({safety})
        text = self.fill(p["safety"], record=record)
        if cause:
            text += self.fill(p["safety_cause"], cause=cause)
        return text + self.stop

    def _problem_sections(self) -> list[str]:
        """Lines of work with units' problems not yet quoted, the weightiest first."""
        ranked = []
        for section in self.catalog.sections:
            groups = [g for g in self.pool.ranked("problem", section.code) if id(g) not in self.used]
            if groups:
                ranked.append((groups[0].rank_key(), section.code))
        return [section for _, section in sorted(ranked)]

    def _section_problem(self, section: str) -> str:
        """One line of work's problems as the units put them, merged ("" when none is left)."""
        clauses = self.pool.clauses("problem", section, self.limits["problems"], figures=False,
                                    exclude=self.used)
        if not clauses:
            return ""
        for group in self.pool.ranked("problem", section)[: self.limits["problems"]]:
            self.used.add(id(group))
        where = f"problems:{section}"
        said = []
        for cl in clauses:
            # the bureau's own judgement: never how many units reported it (issue 19)
            said.append(self.clause_text(cl, where))
        lines = self.w.get("lines") or {}
        head = (lines.get(section) or {}).get("problem", self.catalog.section_by_code[section].name)
        return head + self.stop + self.semicolon.join(said) + self.stop

    def cause(self, sections: set[str]) -> str:
        for section in [s.code for s in self.catalog.sections if s.code in sections]:
            for group in self.pool.ranked("problem", section):
                if id(group) in self.used:
                    continue
                clause = self.pool.clause(group, figures=False)
                if clause is not None:
                    self.used.add(id(group))
                    return self.clause_text(clause, f"problems:{section}")
        return ""

    # ------------------------------------------------------------------ part three
    def plans(self) -> list[str]:
        pl = self.w["plans"]
        paragraphs = [self.targets_paragraph()]
        items = [t for t in (self.projects.plan(),) if t]
        for theme in self.w["themes"]:
            said = []
            for section in theme["sections"]:
                for cl in self.pool.clauses("plan", section, self.limits["plans"], figures=False):
                    said.append(self.clause_text(cl, f"plans:{section}"))
            if said:
                items.append(theme["plan"] + self.stop
                             + self.semicolon.join(said[: self.limits["plans"] + 1]) + self.stop)
        paragraphs.extend(self.ordinal(i) + t for i, t in enumerate(items[:8]))
        paragraphs.append(self.fill(self.c.pick(pl["closing"])))
        return paragraphs

    def _plan_codes(self) -> list[str]:
        order = []
        for code in list(self.w["opening"].get("headline_indicators", [])) + [
                c for t in self.w["themes"] for c in (t.get("lead") or [])]:
            if code not in order:
                order.append(code)
        order += [c for c in self.rows if c not in order]
        return [c for c in order
                if c in self.rows and self.style(c) not in (SANCTION, ACCIDENT, CASUALTY, DETAIL)]

    def targets_paragraph(self) -> str:
        pl = self.w["plans"]
        where = "plans:targets"
        limit = int(pl.get("max_targets", 6))
        items = []
        if self.kind == HALF_YEAR:
            for code in self._plan_codes():
                row = self.rows[code]
                row = row._replace(name=(pl.get("names") or {}).get(code, row.name))   # "…投资还需完成"
                if missing(row.target) or missing(row.value) or len(items) >= limit:
                    continue
                if row.target_basis == "cumulative":
                    left = number_style.round_half_up(row.target, int(row.decimals)) - \
                        number_style.round_half_up(row.value, int(row.decimals))
                    if left <= 0:
                        items.append(self.fill(pl["ahead"], name=row.name))
                        continue
                    value = self.c.traced(number_style.fmt_amount(float(left), row.uom, int(row.decimals)),
                                          where, code, "remaining", float(left))
                    items.append(self.fill(pl["remaining"], name=row.name, value=value))
                elif row.uom == "%":
                    decimals = 0 if float(row.target).is_integer() else int(row.decimals)
                    value = self.c.traced(number_style.fmt_pct(row.target, decimals), where, code,
                                          "target", float(row.target))
                    items.append(self.fill(pl["level_target"], name=row.name, value=value))
            template = pl["targets"]["half_year"]
        else:
            nxt = self.span.year + 1
            targets = self.catalog.targets.get(nxt, {})
            for code in self._plan_codes():
                if code not in targets or len(items) >= limit:
                    continue
                row = self.rows[code]
                decimals = 0 if float(targets[code]).is_integer() and row.uom == "%" else int(row.decimals)
                value = number_style.fmt_pct(targets[code], decimals) if row.uom == "%" else \
                    number_style.fmt_amount(targets[code], row.uom, decimals)
                value = self.trace_extra(value, where, "next_target", float(targets[code]),
                                         indicator=code, year=nxt)
                template_item = (self.w["figures"].get("items") or {}).get(code, pl["next_target"])
                items.append(self.fill(template_item, name=row.name, value=value))
            template = pl["targets"]["annual"]
        if not items:
            return self.fill(pl["no_targets"][self.kind])
        return self.fill(template, items=self.comma.join(items))
