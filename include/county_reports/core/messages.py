"""Wording of collection messages, kept in include/config/messages.yaml so admins can edit it.

A missing file, group or key, or a placeholder the text names but the caller does not supply, is a
:class:`~county_reports.core.config.ConfigError` naming ``messages.yaml`` and the key.
"""
from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

from county_reports.core.config import ConfigError, config_path, read_config_file
from county_reports.core.config_models.base import validate
from county_reports.core.config_models.messages import REQUIRED, MessagesFile

FILE = "messages.yaml"


@lru_cache(maxsize=4)
def _load(config_dir: str, _mtime: int) -> dict:
    data = read_config_file(FILE, config_dir)
    if not isinstance(data, dict):
        raise ConfigError(FILE, "(file)", "expected a mapping of message group to texts")
    _validate(data)
    return data


def _validate(data: dict) -> None:
    """The groups are fixed (an unknown one is a typo), each a mapping of key to text."""
    validate(MessagesFile, data, FILE)


def text(group: str, key: str, /, **values: object) -> str:
    path = config_path(FILE)
    if not path.is_file():
        raise ConfigError(FILE, "(file)", f"file not found in {path.parent}")
    table = _load(str(path.parent), path.stat().st_mtime_ns)
    texts = table.get(group)
    if not isinstance(texts, dict):
        raise ConfigError(FILE, group, "missing or not a mapping of message key to text")
    template = texts.get(key)
    if not isinstance(template, str):
        raise ConfigError(FILE, f"{group}.{key}", "missing or not text")
    try:
        return template.format(**values)
    except KeyError as exc:
        raise ConfigError(FILE, f"{group}.{key}", f"unknown placeholder {{{exc.args[0]}}} "
                          f"(known: {', '.join(sorted(values)) or 'none'})") from None
    except (ValueError, IndexError) as exc:
        raise ConfigError(FILE, f"{group}.{key}", f"bad {{placeholder}}: {exc}") from None


def check(config_dir: str | Path | None = None) -> None:
    """Every key of :data:`REQUIRED` is text whose {placeholders} parse; ConfigError otherwise."""
    data = read_config_file(FILE, config_dir)
    if not isinstance(data, dict):
        raise ConfigError(FILE, "(file)", "expected a mapping of message group to texts")
    _validate(data)
    for group, keys in REQUIRED.items():
        for key in keys:
            value = (data.get(group) or {}).get(key)
            if not isinstance(value, str):
                raise ConfigError(FILE, f"{group}.{key}", "missing or not text (the code uses it)")
            try:
                list(string.Formatter().parse(value))
            except ValueError as exc:
                raise ConfigError(FILE, f"{group}.{key}", f"bad {{placeholder}}: {exc}") from None


def group(name: str) -> dict[str, str]:
    """A whole group (e.g. ``statuses``) as a mapping, for templates that look words up by key."""
    return {key: text(name, key) for key in REQUIRED[name]}


def join(items, key: str = "list") -> str:
    """Items joined the way the texts join them (``joins.list`` is 、)."""
    return text("joins", key).join(str(i) for i in items)


def status_word(status: str) -> str:
    """A verdict's word (accepted, accepted_with_warnings, rejected) from ``statuses``."""
    return text("statuses", status)


def outcome_word(outcome: str) -> str:
    """A collection outcome's word (received, missing, refused, failed) from ``outcomes``."""
    return text("outcomes", outcome)


def day_label(day) -> str:
    """2025年7月5日: a date as every message writes it (``dates.day``)."""
    return text("dates", "day", year=day.year, month=day.month, day=day.day)


def month_label(year: int, month: int) -> str:
    """2025年6月 (``dates.month``)."""
    return text("dates", "month", year=year, month=month)
