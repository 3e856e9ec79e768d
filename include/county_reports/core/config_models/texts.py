"""Models of the files of words and reading rules: edited.yaml, history.yaml, validation.yaml,
template.yaml, ledger.yaml, projects.yaml, example.yaml, and the wording dictionary
wording.yaml (their sections are fixed; a section's texts are looked up by key).

Placeholders, regular expressions and references to other files are checked by the loaders.
"""
from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, create_model

from county_reports.core.config_models.base import ConfigModel, SettingsModel

# The keys each file has. The loaders hold the same lists (with what each key means to them);
# tests/core/config_models/test_keys.py keeps the two equal. Kept here so that a model imports no loader.
EDITED_LIMITS = ("max_bytes", "max_members", "max_uncompressed_bytes", "max_ratio", "max_paragraphs", "max_text_chars",
                 "label_sentence_chars")
HEADINGS = ("heading1", "heading2", "heading3")
EDITED_MESSAGES = ("empty", "too_large", "old_format", "not_docx", "too_many_parts", "too_big_unpacked", "ratio",
                   "bad_part_name", "encrypted_part", "macro", "no_document", "doctype", "damaged",
                   "too_many_paragraphs", "too_much_text", "revisions", "no_title", "other_year", "other_kind",
                   "other_report")
EDITED_LAYOUT = ("page_size", "margin", "odd_even", "footer", "page_field", "missing", "section_break", "none",
                 "style", "font", "size", "bold", "line_spacing", "exact_spacing", "align", "first_line", "chars",
                 "signature", "date", "yes_word", "no_word", "mm", "pt")
LAYOUT_TABLES = {"sides": ("top", "bottom", "left", "right"), "footers": ("default", "even"),
                 "aligns": ("both", "center", "left", "right")}
EDITED_DIFF = ("added", "removed", "changed", "paragraph", "none", "figure_changed", "figure_added")
BUILTIN_CHECKS = ("UNIT_KNOWN", "PAYLOAD_UNIT", "PAYLOAD_PERIOD", "DUPLICATE", "KNOWN_CODE", "REQUIRED", "NUMERIC",
                  "NEGATIVE", "BOUNDS", "INTEGER", "NARRATIVE_KIND", "NARRATIVE_SECTION", "NARRATIVE_COUNT",
                  "NARRATIVE_LENGTH", "NARRATIVE_TEXT", "OUTLIER")
# The outlier checks (validate/outliers.py), each of which validation.yaml can switch off.
OUTLIER_METHODS = ("history", "count", "panel", "peers", "stock", "copy", "stale_copy", "cumulative",
                   "sign", "scale", "transposed", "neighbour", "ratio")
OUTLIER_DEFAULTS = {"window": 12, "min_history": 6, "short_ratio": 6.0, "threshold": 3.0, "extreme_threshold": 4.0,
                    "last_year_factor": 2.0, "min_log_spread": 0.25, "max_log_spread": 10.0, "count_below": 30.0,
                    "count_min_rate": 0.5, "peers_min": 4, "peer_threshold": 4.0, "stock_max_change": 0.5,
                    "stock_change_threshold": 6.0, "stock_min_changes": 3, "stock_min_spread": 0.005,
                    "ratio_threshold": 6.0, "ratio_min_spread": 0.05, "ratio_min_months": 3,
                    "stale_copy_min": 3, "stale_min_steps": 20.0, "copy_min_steps": 1000.0,
                    "cumulative_from_month": 2, "cumulative_factor": 2.0, "panel_min_units": 4,
                    "panel_threshold": 4.5, "panel_prior": 4.0, "panel_min_spread": 0.05, "explained_threshold": 3.5,
                    "fit_threshold": 0.75, "neighbour_threshold": 1.5, "neighbour_min_months": 3}
CONFIRMATION_LIMITS = {"max_items": 50, "max_reason_length": 100}
NARRATIVE_LIMITS = {"max_items": 50, "max_length": 1000}
SHEET_ROLES = ("guide", "values", "narratives", "meta")
TEMPLATE_WORDS = ("unit", "rules_heading", "properties_title", "requirement", "integer", "decimal", "flow", "stock",
                  "range_title", "range_error", "range_integer", "range_decimal", "choose_title", "choose_error",
                  "confirmation_header", "project_note", "land_note", "new_row_note", "count_header", "milestone")
FACTS = ("unit", "kind", "period", "due", "bureau")
LEDGER_LIMITS = ("rows", "events", "text", "milestones")
LEDGER_MESSAGES = ("period", "span", "separator", "project", "not_a_list", "too_many", "not_an_object",
                   "unknown_project", "not_owned", "twice", "missing_field", "bad_number", "bad_text", "bad_choice",
                   "bad_date", "cumulative_falls", "year_below_month", "land_falls", "over_indicator",
                   "cause_missing", "milestone_unknown", "milestone_after_month", "document_no_number",
                   "document_no_title", "negative_count", "part_over_whole", "closure_over", "date_outside",
                   "dates_reversed", "missing_event_field")
LEDGER_WORDS = ("categories", "levels", "natures", "funding_sources", "causes", "event_kinds", "meeting_kinds",
                "honour_levels", "proposal_kinds", "petition_channels", "inspection_kinds")

Text = str
Label = str | int | float     # a header or row label as YAML reads it (1-12月 is text, 2024 a number)


def fixed(name: str, keys, kind: Any = str, base: type = ConfigModel, **more: Any) -> type[ConfigModel]:
    """A mapping of fixed keys, each of ``kind`` (all required)."""
    return create_model(name, __base__=base, **{k: (kind, ...) for k in keys}, **more)


def defaults_of(name: str, defaults: dict[str, Any]) -> type[ConfigModel]:
    """A mapping of settings, each optional with its default."""
    return create_model(name, __base__=SettingsModel, **{k: (type(v), v) for k, v in defaults.items()})


# --------------------------------------------------------------------------- edited.yaml

EditedLimits = fixed("EditedLimits", EDITED_LIMITS, int)
Headings = fixed("Headings", HEADINGS)


class Table(ConfigModel):
    """A table of words with some keys required and others allowed (edited.yaml's sides …)."""

    model_config = {**ConfigModel.model_config, "extra": "allow"}


EditedMessages = fixed("EditedMessages", EDITED_MESSAGES, kinds=(fixed("Kinds", ("half_year", "annual"),
                                                                       base=Table), ...))
EditedLayout = fixed("EditedLayout", EDITED_LAYOUT, **{
    name: (fixed(f"Layout_{name}", keys, base=Table), ...) for name, keys in LAYOUT_TABLES.items()})
EditedDiff = fixed("EditedDiff", EDITED_DIFF)


class EditedFile(ConfigModel):
    """edited.yaml: the limits of an edited draft, its patterns and the words admins read."""

    limits: EditedLimits  # type: ignore[valid-type]
    forbidden_parts: list[Any] = Field(description="part names (text), at least one")
    sentence_ends: str
    headings: Headings  # type: ignore[valid-type]
    ordinals: list[str]
    dates: list[str]
    figure_units: list[str]
    messages: EditedMessages  # type: ignore[valid-type]
    layout: EditedLayout  # type: ignore[valid-type]
    diff: EditedDiff  # type: ignore[valid-type]


# --------------------------------------------------------------------------- history.yaml


class HistoryFile(ConfigModel):
    """history.yaml: how old workbooks are read."""

    fuzzy_threshold: float = Field(description="0–100")
    months: list[str] = Field(description="regular expressions with (?P<month>…), optionally (?P<year>…)")
    year: str = Field(description="a regular expression with (?P<year>…)")
    year_total: list[Label]
    total_rows: list[Label]
    ignored_headers: list[Label]
    strip: list[str]
    max_rows: int
    max_columns: int
    max_sheets: int
    max_bytes: int


# --------------------------------------------------------------------------- validation.yaml

class _CheckNames(ConfigModel):
    unknown_word: ClassVar[str] = "unknown check"


class _MessageNames(ConfigModel):
    unknown_word: ClassVar[str] = "unknown message"


Checks = fixed("Checks", BUILTIN_CHECKS, Literal["error", "warning"], base=_CheckNames)
def _methods(value: Any) -> Any:
    if not isinstance(value, list) or not all(isinstance(m, str) for m in value):
        raise ValueError(f"must be a list of {', '.join(OUTLIER_METHODS)}")
    unknown = sorted(set(value) - set(OUTLIER_METHODS))
    if unknown:
        raise ValueError(f"unknown method {unknown[0]!r} (known: {', '.join(OUTLIER_METHODS)})")
    return value


def _above_zero(value: Any, info: Any) -> Any:
    default = OUTLIER_DEFAULTS[info.field_name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{value!r} must be a number above 0")
    if isinstance(default, int) and value != int(value):
        raise ValueError(f"{value!r} must be a whole number")
    return type(default)(value)


Outliers = create_model("Outliers", __base__=SettingsModel, methods=(
    Annotated[list[Literal[OUTLIER_METHODS]] | None, BeforeValidator(_methods)], None), **{  # type: ignore[valid-type]
        name: (Annotated[type(default), BeforeValidator(_above_zero)], default)
        for name, default in OUTLIER_DEFAULTS.items()})
NarrativeLimits = defaults_of("NarrativeLimits", NARRATIVE_LIMITS)
Confirmations = create_model("Confirmations", __base__=ConfigModel,
                             **{k: (int, v) for k, v in CONFIRMATION_LIMITS.items()})


class ValidationFile(ConfigModel):
    """validation.yaml: importance of each check, outlier settings, limits and the wording."""

    checks: Checks  # type: ignore[valid-type]
    narratives: NarrativeLimits | None = None  # type: ignore[valid-type]
    outliers: Outliers  # type: ignore[valid-type]
    confirmations: Confirmations | None = None  # type: ignore[valid-type]
    messages: dict[str, Any] = Field(description="texts by check; the keys the code uses are checked on load")
    common_uoms: list[Any] = Field(description="units of measure (text)")


# --------------------------------------------------------------------------- template.yaml

TemplateLayout = fixed("TemplateLayout", (), **{
    "sheets": (fixed("Sheets", SHEET_ROLES), ...),
    "value_headers": (list[str], ...), "narrative_headers": (list[str], ...),
    "narrative_kinds": (fixed("NarrativeKinds", ("highlight", "problem", "plan")), ...),
    "contact": (fixed("ContactLabels", ("name", "phone")), ...),
    "ledger_sheets": (fixed("LedgerSheets", ("projects", "events")), ...),
    "project_headers": (list[str], ...), "event_headers": (list[str], ...)})
TemplateWords = fixed("TemplateWords", TEMPLATE_WORDS,
                      facts=(fixed("Facts", FACTS), ...))


class TemplateFile(ConfigModel):
    """template.yaml: the Excel template's title and rules, the names it is read back by, its words."""

    title: str
    rules: list[str] = Field(min_length=1)
    layout: TemplateLayout | None = Field(None, description="required by the template (checked when it is written)")  # type: ignore[valid-type]
    words: TemplateWords | None = Field(None, description="required by the template (checked when it is written)")  # type: ignore[valid-type]


# --------------------------------------------------------------------------- ledger.yaml


class Status(ConfigModel):
    name: str
    needs_cause: bool = False


class CampaignCount(ConfigModel):
    name: str
    uom: str


LedgerLimits = fixed("LedgerLimits", LEDGER_LIMITS, int)
LedgerMessages = fixed("LedgerMessages", LEDGER_MESSAGES, base=_MessageNames)
LedgerFile = create_model(
    "LedgerFile", __base__=ConfigModel, __doc__="ledger.yaml: the vocabularies of the projects register and events.",
    investment_indicator=(str, ...), tolerance=(float, ...), limits=(LedgerLimits, ...),
    statuses=(dict[str, Status], ...), campaign_counts=(dict[str, CampaignCount], ...),
    messages=(LedgerMessages, ...), fields=(dict[str, str], ...),
    **{name: (dict[str, str], ...) for name in LEDGER_WORDS})


# --------------------------------------------------------------------------- projects.yaml


class Land(ConfigModel):
    acres: float
    households: float = 0


class Milestone(ConfigModel):
    name: str
    planned: date


def _project_year(value: Any) -> Any:
    if not isinstance(value, int) or isinstance(value, bool) or not 2000 <= value <= 2100:
        raise ValueError("a year is written as four digits, e.g. 2025")
    return value


class ProjectYear(ConfigModel):
    nature: str
    plan: float
    schedule: list[float] | None = Field(None, description="12 cumulative percentages of the plan")
    milestones: list[Milestone] = []
    level: str | None = None


class Project(ConfigModel):
    code: str
    name: str
    category: str
    level: str
    scale: str
    reporting_unit: str
    owner: str
    townships: list[str] = []
    land: Land | None = None
    total_investment: float
    funding: dict[str, float]
    county_in_place: float = 0.0
    start: str | date
    completion: str | date
    years: dict[Annotated[int, BeforeValidator(_project_year)], ProjectYear]


class ProjectsFile(ConfigModel):
    """projects.yaml: the key projects register (checked against units.yaml and ledger.yaml on load)."""

    projects: list[Project] = []


# --------------------------------------------------------------------------- example.yaml


class Contact(ConfigModel):
    name: str | None = None
    phone: str | None = None


class ExampleFile(ConfigModel):
    """example.yaml: the placeholders of the example submission."""

    narratives: dict[str, str]
    contact: Contact


# --------------------------------------------------------------------------- wording dictionaries

WORDING_SECTIONS = ("title", "title_breaks", "opening", "spans", "headings", "themes", "lines", "style", "figures",
                    "items", "merge", "problems", "plans", "attachments", "circular", "numbers", "marks", "words",
                    "layout", "counties", "projects", "events")
WordingFile = create_model(
    "WordingFile", __base__=ConfigModel,
    __doc__="wording.yaml: the summaries' and the circular's wording, in fixed sections.",
    **{name: (list[Any] if name == "themes" else dict[str, Any], None) for name in WORDING_SECTIONS})
