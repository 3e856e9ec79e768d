"""template.yaml: the Excel template's wording (title, rules), its names and its other words.

The names (sheets, headers, narrative kinds, contact labels) are what units' files are read
back by (inbox.py); the words are the guide's labels, the 填报要求 column and Excel's prompts.
Every key is checked on load: a ConfigError names template.yaml and the key.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from county_reports.core.config import ConfigError, config_path, read_config_file
from county_reports.collect.protocol import NARRATIVE_KINDS

SHEET_ROLES = ("guide", "values", "narratives", "meta")

_BUNDLED_WORDING = Path(__file__).resolve().parents[2] / "config" / "template.yaml"


def load_wording(config_dir: str | Path | None = None) -> dict[str, Any]:
    """The template wording from ``template.yaml``: {title: str, rules: [str, …]}.

    A config directory without its own template.yaml (e.g. a test catalogue) uses the wording
    shipped with the package, so admins only copy the file when they want to change it.
    """
    if not config_path("template.yaml", config_dir).is_file():
        config_dir = _BUNDLED_WORDING.parent
    data = read_config_file("template.yaml", config_dir)
    if not isinstance(data, dict):
        raise ConfigError("template.yaml", "(file)", "expected a mapping with title and rules")
    _validate(data)
    if not isinstance(data.get("title"), str) or not data["title"].strip():
        raise ConfigError("template.yaml", "title", "missing or not text")
    rules = data.get("rules")
    if not isinstance(rules, list) or not rules or not all(isinstance(r, str) for r in rules):
        raise ConfigError("template.yaml", "rules", "missing or not a list of text lines")
    return {"title": data["title"], "rules": list(rules)}


def render_wording(wording: dict[str, Any], fields: dict[str, str]) -> dict[str, Any]:
    def fill(key: str, text: str) -> str:
        try:
            return text.format(**fields)
        except KeyError as exc:
            raise ConfigError("template.yaml", key, f"unknown placeholder {{{exc.args[0]}}}; "
                              f"known: {', '.join(sorted(fields))}") from None
        except (ValueError, IndexError):
            raise ConfigError("template.yaml", key, "unbalanced { } (write {{ for a brace)") from None

    return {"title": fill("title", wording["title"]),
            "rules": [fill(f"rules[{i}]", r) for i, r in enumerate(wording["rules"])]}


@dataclass(frozen=True)
class Layout:
    """template.yaml's ``layout`` (the names units' files are read back by) and ``words``."""

    sheets: dict[str, str]             # role (guide, values, narratives, meta) -> sheet name
    value_headers: tuple[str, ...]     # code, name, uom, line of work, value, requirement
    narrative_headers: tuple[str, ...]  # kind, line of work, text
    narrative_kinds: dict[str, str]    # protocol kind -> the word picked in the dropdown
    contact: dict[str, str]            # name, phone: the guide's labels of the contact rows
    words: dict[str, Any]

    @property
    def sheet_order(self) -> tuple[str, ...]:
        return tuple(self.sheets[role] for role in SHEET_ROLES)

    @property
    def code_header(self) -> str:
        return self.value_headers[0]

    @property
    def value_header(self) -> str:
        return self.value_headers[4]

    def say(self, key: str, **fields: Any) -> str:
        return self.words[key].format(**fields)


_WORDS = {"unit": ("unit_name", "unit_code"), "rules_heading": (), "properties_title": ("unit_name", "period_label"),
          "requirement": ("kind", "min", "max", "when"), "integer": (), "decimal": (), "flow": (), "stock": (),
          "range_title": (), "range_error": ("kind", "min", "max"), "range_integer": (), "range_decimal": (),
          "choose_title": ("title",), "choose_error": ("title",), "confirmation_header": ()}
_FACTS = ("unit", "kind", "period", "due", "bureau")


def load_layout(config_dir: str | Path | None = None) -> Layout:
    """template.yaml's names and words, checked: every key there, every text filled with the
    placeholders the code supplies (ConfigError naming template.yaml and the key otherwise)."""
    if not config_path("template.yaml", config_dir).is_file():
        config_dir = _BUNDLED_WORDING.parent
    path = config_path("template.yaml", config_dir)
    return _layout(str(path.parent), path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _layout(config_dir: str, _mtime: int) -> Layout:
    data = read_config_file("template.yaml", config_dir)
    _validate(data)
    layout, words = (data or {}).get("layout"), (data or {}).get("words")
    if not isinstance(layout, dict):
        raise ConfigError("template.yaml", "layout", "missing or not a mapping")
    sheets = _names(layout, "sheets", SHEET_ROLES)
    kinds = _names(layout, "narrative_kinds", NARRATIVE_KINDS)
    contact = _names(layout, "contact", ("name", "phone"))
    headers = {key: _headers(layout, key, size) for key, size in (("value_headers", 6), ("narrative_headers", 3))}
    if not isinstance(words, dict):
        raise ConfigError("template.yaml", "words", "missing or not a mapping")
    _names(words, "facts", _FACTS, "words.")
    for key, fields in _WORDS.items():
        try:
            words[key].format(**dict.fromkeys(fields, ""))
        except (KeyError, IndexError, ValueError, AttributeError) as exc:
            raise ConfigError("template.yaml", f"words.{key}", f"missing, not text, or a placeholder other "
                              f"than {', '.join(fields) or 'none'}: {exc}") from None
    return Layout(sheets, headers["value_headers"], headers["narrative_headers"], kinds, contact, words)


def _validate(data: Any) -> None:
    """Every key of template.yaml known, of its type (config_models.texts.TemplateFile)."""
    from county_reports.core.config_models.base import validate
    from county_reports.core.config_models.texts import TemplateFile

    validate(TemplateFile, data, "template.yaml")


def _names(section: dict, key: str, roles: tuple[str, ...], prefix: str = "layout.") -> dict[str, str]:
    found = section.get(key)
    if not isinstance(found, dict):
        raise ConfigError("template.yaml", f"{prefix}{key}", "missing or not a mapping")
    for role in roles:
        if not isinstance(found.get(role), str) or not found[role].strip():
            raise ConfigError("template.yaml", f"{prefix}{key}.{role}", "missing or not text")
    if len({found[r] for r in roles}) != len(roles):
        raise ConfigError("template.yaml", f"{prefix}{key}", "two names are the same")
    return {role: found[role] for role in roles}


def _headers(layout: dict, key: str, size: int) -> tuple[str, ...]:
    found = layout.get(key)
    if not isinstance(found, list) or len(found) != size or not all(isinstance(h, str) and h for h in found) \
            or len(set(found)) != size:
        raise ConfigError("template.yaml", f"layout.{key}", f"must be a list of {size} different headers")
    return tuple(found)
