"""The body of a summary in the office's voice: opening, part one by themes, problems, plans.

Driven by wording.yaml (themes, lines, style, problems, plans) and the catalogue (styles, rules
for a total's parts); units appear only as a sentence's subject or a named example, never in
the problems. Every number goes through the composer's trace.
"""
from __future__ import annotations

from typing import Any

from county_reports.render import number_style
from county_reports.render.number_style import chinese_number
from county_reports.render.model import Heading1Section, Heading2Section
from county_reports.render.phrasing import ACCIDENT, CASUALTY, DETAIL, SANCTION, FigureWriter, missing
from county_reports.render.pool import Clause, ItemPool
from county_reports.render.problems_plans import ProblemsAndPlans
from county_reports.render.projects_section import ProjectsWriter
from county_reports.core.report_settings import ANNUAL, HALF_YEAR



class Body(ProblemsAndPlans):
    def __init__(self, composer, pool: ItemPool, limits: dict[str, int]):
        self.c = composer
        self.w, self.catalog, self.inp, self.span = composer.w, composer.catalog, composer.inp, composer.span
        marks = self.w["marks"]      # the punctuation prose is joined with
        self.comma, self.stop, self.semicolon, self.list_sep = (
            marks["comma"], marks["full_stop"], marks["semicolon"], marks["enumeration"])
        self.kind = self.inp.kind
        self.rows = composer.rows
        self.pool, self.limits = pool, limits
        self.fig = FigureWriter(self.catalog, self.w, self.kind, self.span, self.rows,
                                composer.traced, composer.fill)
        self.used: set[int] = set()
        self.named: set[tuple[str, str]] = set()    # (unit, printed figure) already said
        self.projects = ProjectsWriter(self)

    # ------------------------------------------------------------------ helpers
    def fill(self, template: str, **extra: Any) -> str:
        return self.c.fill(template, **extra)

    def ordinal(self, index: int) -> str:
        return self.fill(self.w["headings"]["ordinal"], number=chinese_number(index + 1))

    def trace_extra(self, text: str, where: str, measure: str, value: float | None, **fields) -> str:
        self.c.trace.append({"text": text, "where": where, "indicator": fields.pop("indicator", None),
                             "measure": measure, "value": value,
                             "span": [self.span.first, self.span.last], "aggregation": None, **fields})
        return text

    def clause_text(self, clause: Clause, where: str) -> str:
        for figure in clause.figures:
            if figure.indicator:
                self.trace_extra(figure.text, where, "unit_value", figure.value, unit=figure.unit,
                                 indicator=figure.indicator)
            else:
                self.trace_extra(figure.text, where, "quoted", None, unit=figure.unit)
        return clause.text

    def grouped(self, codes: list[str], where: str, *, change: bool) -> list[tuple[str, str]]:
        """(code, phrase) of these figures, the same endings of consecutive ones said once."""
        parts = [(c, p) for c, p in ((c, self.fig.phrase_parts(c, where, change=change)) for c in codes) if p]
        return self.fig.grouped(parts, self.list_sep)

    def style(self, code: str) -> str:
        return self.fig.style(code)

    def sentence(self, phrases: list[tuple[str, str]], county: bool = False) -> str:
        """Figure phrases (code, text) joined by semicolons, the first after the span words and a
        comma (and the county's word) — a stock's phrase starts with its own "as at" and needs
        no span words before it."""
        county_word = self.w["words"]["county"] if county else ""
        out = []
        for i, (code, text) in enumerate(phrases):
            stock = bool(code) and self.fig.is_stock(code)
            if i == 0 and not stock:
                text = self.fill("{span_words}" + self.comma) + county_word + text
            elif i == 0 and county:
                head, _, tail = text.partition(self.comma)
                text = head + self.comma + county_word + tail
            out.append(text)
        return self.semicolon.join(out)

    def targeted(self) -> list[str]:
        """Codes with a target this year that the prose weighs (not sanctions), catalogue order."""
        return [code for code, row in self.rows.items()
                if not missing(row.target) and not missing(row.value)
                and self.style(code) not in (SANCTION, ACCIDENT, CASUALTY)]

    def behind(self) -> list[tuple[str, float]]:
        """(code, gap in points from the displayed completion) for targets behind: the half-year's
        time schedule (50%), the year's 100%; level targets (rates) when below. Largest gap first."""
        out = []
        mark = 50 if self.kind == HALF_YEAR else 100
        for code in self.targeted():
            row = self.rows[code]
            if row.target_basis == "cumulative":
                if missing(row.completion_pct):
                    continue
                shown = float(number_style.round_half_up(row.completion_pct, 1))
                if shown < mark:
                    out.append((code, mark - shown))
            elif self.kind == ANNUAL and row.uom == "%":
                shown = float(number_style.round_half_up(row.value, int(row.decimals)))
                if shown < row.target:
                    out.append((code, row.target - shown))
        return sorted(out, key=lambda cg: (-cg[1], cg[0]))

    # ------------------------------------------------------------------ opening
    def opening(self) -> str:
        o = self.w["opening"]
        items = [t for _, t in self.grouped([c for c in list(o.get("headline_indicators", []))[:4] if c in self.rows],
                                            "opening", change=False)]
        headline = (self.fill(o["headline"], items=self.semicolon.join(items)) if items
                    else "") + self.projects.opening()
        framing = (o.get("framing") or {})
        year_framing = framing.get(self.span.year, framing.get(str(self.span.year), framing.get("default", "")))
        return self.fill(self.c.pick(o), ideology=o.get("ideology", ""), framing=year_framing or "",
                         headline=headline, judgement=self.judgement(), gap=self.c.gap_sentence())

    def judgement(self) -> str:
        j = self.w["opening"]["judgement"]
        behind = self.behind()
        names = self.list_sep.join(self.rows[c].name for c, _ in behind[: int(j.get("max_names", 2))])
        if self.kind == HALF_YEAR:
            text = self.fill(j["half_year"]["behind"], names=names) if behind else j["half_year"]["met"]
        else:
            total = len(self.targeted())
            if not behind:
                text = j["annual"]["met"]
            elif total and (total - len(behind)) / total >= float(j.get("most_share", 0.6)):
                text = self.fill(j["annual"]["most"], names=names)
            else:
                text = self.fill(j["annual"]["few"], names=names)
        accidents, _ = self.fig.accidents()
        return text + (j.get("unsafe", "") if accidents > 0 else j.get("safe", ""))

    # ------------------------------------------------------------------ part one
    def themes(self) -> list[Heading2Section]:
        out = []
        behind = {c for c, _ in self.behind()}
        for theme in self.w["themes"]:
            paragraphs = self.theme_paragraphs(theme)
            if not paragraphs:
                continue
            sections = set(theme["sections"])
            lagging = any(self.rows[c].section in sections for c in behind) or any(
                self.rows[c].section in sections and self.rows[c].value > 0
                for c in self.rows if self.style(c) == ACCIDENT and not missing(self.rows[c].value))
            name = theme.get("behind", theme["heading"]) if lagging else theme["heading"]
            out.append(Heading2Section(self.c.numbered(len(out), name), paragraphs))
        return out

    def theme_paragraphs(self, theme: dict) -> list[str]:
        where = f"theme:{theme['sections'][0]}"
        paragraphs = []
        lead = self.lead(theme, where)
        if lead:
            paragraphs.append(lead)
        leads = set(theme.get("lead") or [])
        lines = []
        for section in theme["sections"]:
            text = self.line(section, leads, where, single=len(theme["sections"]) == 1)
            if text:
                lines.append(text)
        if theme["sections"][0] == "investment":
            lines.append(self.projects.section())
        lines = [t for t in lines if t]
        if len(theme["sections"]) == 1:
            paragraphs.extend(lines)
        else:
            paragraphs.extend(self.ordinal(i) + t for i, t in enumerate(lines))
        situation = self.fig.safety_situation(where) if self._safety_section() in theme["sections"] else None
        if situation:      # the accidents: the theme's safety situation, after its headline figures
            paragraphs[:1] = ["".join(paragraphs[:1]) + situation + self.stop]
        if paragraphs:     # (traces its figures only when they are printed)
            paragraphs[-1] += self.projects.events_for(theme)
        return paragraphs

    def lead(self, theme: dict, where: str) -> str:
        codes = [c for c in theme.get("lead") or [] if self.fig.has(c)]
        if not codes:
            return ""
        first, rest = codes[0], codes[1:]
        sentence = self.fig.phrase(first, where)
        parts = self.parts(first, where)
        if parts:
            sentence += self.comma + self.fill(self.w["style"]["parts"], parts=parts)
        text = self.sentence([(first, sentence)], county=True) + self.stop
        example = (self.c.counties.ranking(self, codes, where) if self.c.counties
                   else self.example(codes, where, after_parts=bool(parts)))
        if example:
            text += example + self.stop
        others = self.grouped(rest, where, change=True)     # the theme's headline figures: compared
        if others:
            text += self.semicolon.join(t for _, t in others) + self.stop
        return text

    def parts(self, code: str, where: str) -> str:
        for rule in self.catalog.rules:
            if rule.check == "sum_equals" and rule.params["total"] == code:
                named = [self.fig.named(p, where) for p in rule.params["parts"] if self.fig.has(p)
                         and self.rows[p].value > 0]
                return self.list_sep.join(named)
        return ""

    def example(self, codes: list[str], where: str, after_parts: bool = False) -> str:
        """The unit carrying the largest share of the first additive lead figure, named."""
        for code in codes:
            ind = self.catalog.indicator_by_code.get(code)
            row = self.rows[code]
            if ind is None or ind.over_units != "sum" or ind.over_time not in ("sum", "last") \
                    or missing(row.value) or row.value <= 0:
                continue
            shares = sorted(((value, unit) for (unit, c), value in self.pool.unit_values.items()
                             if c == code and value > 0
                             and (ind.over_time == "sum" or self._active_at_end(unit))),
                            key=lambda vu: (-vu[0], vu[1]))
            if len(shares) < 2:
                continue
            value, unit = shares[0]
            share = value / row.value * 100
            if share >= 99.95:
                continue
            printed = self.trace_extra(number_style.fmt_amount(value, ind.uom, ind.decimals), where,
                                       "unit_value", value, unit=unit, indicator=code)
            share_text = self.trace_extra(number_style.fmt_pct(share, 1), where, "share_pct", share,
                                          unit=unit, indicator=code)
            self.named.add((unit, printed))
            template = (self.w["figures"].get("items") or {}).get(code, self.w["figures"]["item"])
            named = self.fill(template, name=ind.name, value=printed)
            key = "example_after_parts" if after_parts else "example"
            name = self.catalog.unit_by_code[unit].name if unit in self.catalog.unit_by_code else unit
            return self.fill(self.w["style"][key], unit=name, name="", value=named, share=share_text)
        return ""

    def _active_at_end(self, unit: str) -> bool:
        known = self.catalog.unit_by_code.get(unit)
        return known is None or known.active_in(self.span.last)

    def line(self, section: str, leads: set[str], where: str, *, single: bool) -> str:
        lines = self.w.get("lines") or {}
        picks = [c for c, row in self.rows.items() if row.section == section and c not in leads
                 and self.style(c) not in (DETAIL, ACCIDENT, CASUALTY) and self.fig.has(c)]
        picks.sort(key=lambda c: missing(self.rows[c].target))
        # a line's own figures: no comparison with last year (only a theme's headline figures have one)
        picks = picks[: int(self.w["figures"].get("max_line_figures", 3))]
        figures = self.grouped(picks, where, change=False)
        # a unit's item is not quoted for a figure the county's says already (its only reporter)
        printed = {(c, self.fig.printed(c)) for c in picks}
        self.named.update((unit, text) for (unit, code), _ in self.pool.unit_values.items()
                          for c, text in printed if c == code)
        clauses = self.pool.clauses("highlight", section, self.limits["highlights"], figures=True,
                                    avoid=self.named)
        said = [self.clause_text(cl, where) for cl in clauses]
        if not figures and not said:
            return ""
        if single:
            return "".join(f"{self.ordinal(i)}{t}{self.semicolon}" for i, t in
                           enumerate([t for _, t in figures] + said)).rstrip(self.semicolon) + self.stop
        head = (lines.get(section) or {}).get("done", self.catalog.section_by_code[section].name)
        text = head + self.stop
        if figures:
            text += self.sentence(figures) + self.stop
        if said:
            text += self.semicolon.join(said) + self.stop
        return text

    def _safety_section(self) -> str | None:
        return next((self.rows[c].section for c in self.rows if self.style(c) == ACCIDENT), None)

    # ------------------------------------------------------------------ all of it
    def sections(self) -> tuple[str, list[Heading1Section]]:
        w = self.w
        opening = self.opening()
        achievements = self.themes()
        problems = self.problems()
        plans = self.plans()
        return opening, [
            Heading1Section(self.fill(self.c.pick(w["headings"]["achievements"])), [], achievements),
            Heading1Section(self.fill(w["headings"]["problems"]), problems, []),
            Heading1Section(self.fill(self.c.pick(w["headings"]["plans"])), plans, []),
        ]
