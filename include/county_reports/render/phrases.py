"""The documents' fixed phrases: wording.yaml's ``numbers`` (how a figure, a change, a completion
and a month range are written), ``layout`` (what the layout engine itself prints), ``marks``
(the punctuation clauses and lists are joined with) and ``words`` (words the composer adds).

Number formatting, the item checks and the layout engine are called from many places without the wording in
hand (the circular, the tests), so these two sections are read here once per config folder,
through the one config reader, and every key is checked on load: a missing or non-text key is a
ConfigError naming ``wording.yaml`` and the key. ``compose.load_wording`` runs the same check,
so ``check-config`` reports a broken phrase before any document is written.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from county_reports.core import paths
from county_reports.core.config import ConfigError, config_path, read_config_file

# Every key of the two sections; each value is text (a template where it has {placeholders}).
REQUIRED = {
    "numbers": ("wan_yuan", "yi_yuan", "flat", "no_base", "yoy_up", "yoy_down",
                "points_up", "points_down", "points", "completion", "month", "month_range",
                "whole_year", "year_span", "year", "date", "year_month", "year_end",
                "month_end", "flat_word"),
    "layout": ("attachment_lead",),
    "marks": ("comma", "full_stop", "semicolon", "enumeration", "open_bracket", "close_bracket"),
    "words": ("county", "some_units", "indicators_trace", "again", "again_unit"),
}


def check(wording: object) -> None:
    """Raise ConfigError unless ``wording`` (wording.yaml, parsed) has every key of REQUIRED."""
    for section, keys in REQUIRED.items():
        table = wording.get(section) if isinstance(wording, dict) else None
        if not isinstance(table, dict):
            raise ConfigError("wording.yaml", section, "missing (the documents' fixed phrases)")
        for key in keys:
            if not isinstance(table.get(key), str):
                raise ConfigError("wording.yaml", f"{section}.{key}", "missing or not text")


@lru_cache(maxsize=8)
def _load(folder: str) -> dict:
    wording = read_config_file("wording.yaml", folder)
    check(wording)
    return {section: dict(wording[section]) for section in REQUIRED}


def section(name: str, config_dir: str | Path | None = None) -> dict[str, str]:
    """wording.yaml's ``name`` section (a key of REQUIRED) from ``config_dir`` (default:
    the project's); a folder without its own wording.yaml uses the bundled one."""
    return _load(_folder(str(config_dir) if config_dir else str(paths.config_dir())))[name]


@lru_cache(maxsize=32)
def _folder(given: str) -> str:
    """The folder whose wording.yaml is read (a document asks ~800 times; the answer is as stable
    as ``_load``'s cache of what it read)."""
    folder = Path(given)
    if not config_path("wording.yaml", folder).is_file():
        folder = paths.PROJECT_ROOT / "include" / "config"
    return str(folder.resolve())
