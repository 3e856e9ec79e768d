"""edited.yaml: the limits an edited draft is held to, the patterns its figures and headings are
recognised by, and the words the admins read — every key checked on load (``file: key: problem``)."""
from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from county_reports.core import paths
from county_reports.core.config import ConfigError, Fields, read_config_file
from county_reports.core.config_models.base import validate
from county_reports.core.config_models.texts import EDITED_LIMITS as LIMITS

FILE = "edited.yaml"
HEADINGS = ("heading1", "heading2", "heading3")
# Every text the code fills, with the placeholders it supplies.
MESSAGES = {
    "empty": (), "too_large": ("size", "limit"), "old_format": (), "not_docx": (),
    "too_many_parts": ("count", "limit"), "too_big_unpacked": ("size", "limit"),
    "ratio": ("part", "ratio", "limit"), "bad_part_name": ("part",), "encrypted_part": ("part",),
    "macro": ("part",), "no_document": (), "doctype": ("part",), "damaged": ("detail",),
    "too_many_paragraphs": ("count", "limit"), "too_much_text": ("count", "limit"),
    "revisions": ("count",), "no_title": ("expected",),
    "other_year": ("found", "found_year", "expected", "expected_year"),
    "other_kind": ("found", "found_kind", "expected", "expected_kind"),
    "other_report": ("found", "expected"),
}
LAYOUT = {
    "page_size": (), "margin": ("side",), "odd_even": (), "footer": ("which",), "page_field": (),
    "missing": (), "section_break": (), "none": (), "style": (), "font": (), "size": (), "bold": (),
    "line_spacing": (), "exact_spacing": ("points",), "align": (), "first_line": (),
    "chars": ("chars",), "signature": (), "date": (), "yes_word": (), "no_word": (), "mm": ("mm",), "pt": ("pt",),
}
LAYOUT_TABLES = {"sides": ("top", "bottom", "left", "right"), "footers": ("default", "even"),
                 "aligns": ("both", "center", "left", "right")}
DIFF = {"added": (), "removed": (), "changed": (), "paragraph": ("index",), "none": (),
        "figure_changed": ("index", "old", "new", "sentence"),
        "figure_added": ("index", "new", "sentence")}


@dataclass(frozen=True)
class ReviewSettings:
    limits: dict[str, int]
    forbidden_parts: tuple[str, ...]
    sentence_ends: str
    headings: dict[str, re.Pattern]
    ordinals: tuple[re.Pattern, ...]
    figure_units: tuple[str, ...]
    dates: tuple[str, ...]
    messages: dict
    layout: dict
    diff: dict

    def says(self, key: str, **values) -> str:
        return self.messages[key].format(**values)

    def words(self, key: str, **values) -> str:
        return self.layout[key].format(**values)


def load_settings(config_dir: str | Path | None = None) -> ReviewSettings:
    folder = Path(config_dir) if config_dir else paths.config_dir()
    file = folder / FILE
    # keyed by the file's time too: an admin's edit is seen without a restart
    return _load(str(folder.resolve()), file.stat().st_mtime_ns if file.is_file() else 0)


@lru_cache(maxsize=4)
def _load(folder: str, _mtime: int) -> ReviewSettings:
    from county_reports.core.config_models.texts import EditedFile

    fields = Fields(FILE, "(file)", read_config_file(FILE, folder))
    validate(EditedFile, fields.data, FILE)
    limits = Fields(FILE, "limits", fields.get("limits", dict))
    numbers = {}
    for key in LIMITS:
        numbers[key] = limits.get(key, int)
        if numbers[key] <= 0:
            raise limits.error(key, f"{numbers[key]} must be a positive whole number")
    forbidden = fields.get("forbidden_parts", list)
    if not forbidden or not all(isinstance(p, str) and p.strip() for p in forbidden):
        raise ConfigError(FILE, "forbidden_parts", "must list part names (text)")
    heads = Fields(FILE, "headings", fields.get("headings", dict))
    units = _texts_list(fields, "figure_units")
    return ReviewSettings(
        limits=numbers, forbidden_parts=tuple(forbidden),
        sentence_ends=fields.text("sentence_ends"),
        headings={k: _pattern(f"headings.{k}", heads.text(k)) for k in HEADINGS},
        ordinals=tuple(_pattern(f"ordinals[{i}]", p) for i, p in enumerate(fields.get("ordinals", list))),
        figure_units=tuple(sorted(units, key=len, reverse=True)),
        dates=tuple(_texts_list(fields, "dates")),
        messages=_texts(fields, "messages", MESSAGES, {"kinds": ("half_year", "annual")}),
        layout=_texts(fields, "layout", LAYOUT, LAYOUT_TABLES),
        diff=_texts(fields, "diff", DIFF, {}))


def _texts_list(fields: Fields, key: str) -> list[str]:
    items = fields.get(key, list)
    if not all(isinstance(item, str) and item.strip() for item in items):
        raise ConfigError(FILE, key, "must list texts")
    return items


def _pattern(key: str, text: object) -> re.Pattern:
    if not isinstance(text, str):
        raise ConfigError(FILE, key, "must be a regular expression (text)")
    try:
        return re.compile(text)
    except re.error as exc:
        raise ConfigError(FILE, key, f"not a valid regular expression: {exc}") from None


def _texts(fields: Fields, section: str, keys: dict, tables: dict) -> dict:
    """A section of texts, each with exactly the placeholders the code fills; and its tables
    (mappings of fixed keys to text)."""
    table = Fields(FILE, section, fields.get(section, dict))
    out = {}
    for key, placeholders in keys.items():
        text = table.text(key)
        try:
            named = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:
            raise table.error(key, f"bad {{placeholder}}: {exc}") from None
        if not named <= set(placeholders):
            raise table.error(key, f"unknown placeholder {{{sorted(named - set(placeholders))[0]}}} "
                                   f"(known: {', '.join(placeholders) or 'none'})")
        out[key] = text
    for name, needed in tables.items():
        sub = Fields(FILE, f"{section}.{name}", table.get(name, dict))
        out[name] = {key: sub.text(key) for key in needed}
        out[name].update({k: v for k, v in sub.data.items() if isinstance(v, str)})
    return out
