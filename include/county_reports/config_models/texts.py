"""Models of the files of words and reading rules: edited.yaml, history.yaml, validation.yaml,
template.yaml, ledger.yaml, projects.yaml, example.yaml, and the wording dictionaries
messages.yaml and wording.yaml (their sections are fixed; a section's texts are looked up by key).

Placeholders, regular expressions and references to other files are checked by the loaders.
"""
from __future__ import annotations

from dataclasses import fields as dataclass_fields
from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, create_model

from county_reports import messages as _messages
from county_reports import template_projects as _template_projects
from county_reports import template_wording as _template
from county_reports.config_models.base import ConfigModel, SettingsModel
from county_reports.projects import vocabulary as _ledger
from county_reports.render.review import settings as _edited
from county_reports.validate import narratives as _narratives
from county_reports.validate import options as _validation

Text = str
Label = str | int | float     # a header or row label as YAML reads it (1-12月 is text, 2024 a number)


def fixed(name: str, keys, kind: Any = str, base: type = ConfigModel, **more: Any) -> type[ConfigModel]:
    """A mapping of fixed keys, each of ``kind`` (all required)."""
    return create_model(name, __base__=base, **{k: (kind, ...) for k in keys}, **more)


def defaults_of(name: str, dataclass: type, **more: Any) -> type[ConfigModel]:
    """A mapping of the dataclass's fields, each optional with the dataclass's default."""
    return create_model(name, __base__=SettingsModel, **more, **{
        f.name: (type(f.default), f.default) for f in dataclass_fields(dataclass) if f.name not in more})


# --------------------------------------------------------------------------- edited.yaml

EditedLimits = fixed("EditedLimits", _edited.LIMITS, int)
Headings = fixed("Headings", _edited.HEADINGS)


class Table(ConfigModel):
    """A table of words with some keys required and others allowed (edited.yaml's sides …)."""

    model_config = {**ConfigModel.model_config, "extra": "allow"}


EditedMessages = fixed("EditedMessages", _edited.MESSAGES, kinds=(fixed("Kinds", ("half_year", "annual"),
                                                                       base=Table), ...))
EditedLayout = fixed("EditedLayout", _edited.LAYOUT, **{
    name: (fixed(f"Layout_{name}", keys, base=Table), ...) for name, keys in _edited.LAYOUT_TABLES.items()})
EditedDiff = fixed("EditedDiff", _edited.DIFF)


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


Checks = fixed("Checks", _validation.BUILTIN_CHECKS, Literal["error", "warning"], base=_CheckNames)
def _methods(value: Any) -> Any:
    _validation._methods(value)          # its ConfigError ("unknown method …") is passed on as raised
    return value


def _above_zero(value: Any, info: Any) -> Any:
    default = _validation.OutlierSettings.__dataclass_fields__[info.field_name].default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{value!r} must be a number above 0")
    if isinstance(default, int) and value != int(value):
        raise ValueError(f"{value!r} must be a whole number")
    return type(default)(value)


Outliers = create_model("Outliers", __base__=SettingsModel, methods=(
    Annotated[list[Literal[_validation.OUTLIER_METHODS]] | None, BeforeValidator(_methods)], None), **{  # type: ignore[valid-type]
        f.name: (Annotated[type(f.default), BeforeValidator(_above_zero)], f.default)
        for f in dataclass_fields(_validation.OutlierSettings) if f.name != "methods"})
NarrativeLimits = defaults_of("NarrativeLimits", _narratives.NarrativeLimits)
Confirmations = create_model("Confirmations", __base__=ConfigModel,
                             **{k: (int, v) for k, v in _validation.CONFIRMATION_LIMITS.items()})


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
    "sheets": (fixed("Sheets", _template.SHEET_ROLES), ...),
    "value_headers": (list[str], ...), "narrative_headers": (list[str], ...),
    "narrative_kinds": (fixed("NarrativeKinds", ("highlight", "problem", "plan")), ...),
    "contact": (fixed("ContactLabels", ("name", "phone")), ...),
    "ledger_sheets": (fixed("LedgerSheets", ("projects", "events")), ...),
    "project_headers": (list[str], ...), "event_headers": (list[str], ...)})
TemplateWords = fixed("TemplateWords", (*_template._WORDS, *_template_projects.WORDS),
                      facts=(fixed("Facts", _template._FACTS), ...))


class TemplateFile(ConfigModel):
    """template.yaml: the Excel template's title and rules, the names it is read back by, its words."""

    title: str
    rules: list[str] = Field(min_length=1)
    layout: TemplateLayout  # type: ignore[valid-type]
    words: TemplateWords  # type: ignore[valid-type]


# --------------------------------------------------------------------------- ledger.yaml


class Status(ConfigModel):
    name: str
    needs_cause: bool = False


class CampaignCount(ConfigModel):
    name: str
    uom: str


LedgerLimits = fixed("LedgerLimits", _ledger.LIMITS, int)
LedgerMessages = fixed("LedgerMessages", _ledger.MESSAGES, base=_MessageNames)
LedgerFile = create_model(
    "LedgerFile", __base__=ConfigModel, __doc__="ledger.yaml: the vocabularies of the projects register and events.",
    investment_indicator=(str, ...), tolerance=(float, ...), limits=(LedgerLimits, ...),
    statuses=(dict[str, Status], ...), campaign_counts=(dict[str, CampaignCount], ...),
    messages=(LedgerMessages, ...), fields=(dict[str, str], ...),
    **{name: (dict[str, str], ...) for name in _ledger.WORDS})


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

MessagesFile = create_model(
    "MessagesFile", __base__=ConfigModel,
    __doc__="messages.yaml: message groups (fixed) of texts looked up by key.",
    **{group: (dict[str, str], {}) for group in (*_messages.REQUIRED, "history_import")})

WORDING_SECTIONS = ("title", "title_breaks", "opening", "spans", "headings", "themes", "lines", "style", "figures",
                    "items", "merge", "problems", "plans", "attachments", "circular", "numbers", "marks", "words",
                    "layout", "counties", "projects", "events")
WordingFile = create_model(
    "WordingFile", __base__=ConfigModel,
    __doc__="wording.yaml: the summaries' and the circular's wording, in fixed sections.",
    **{name: (list[Any] if name == "themes" else dict[str, Any], None) for name in WORDING_SECTIONS})
