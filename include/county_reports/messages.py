"""Wording of collection messages, kept in include/config/messages.yaml so admins can edit it.

A missing file, group or key, or a placeholder the text names but the caller does not supply, is a
:class:`~county_reports.config.ConfigError` naming ``messages.yaml`` and the key.
"""
from __future__ import annotations

from functools import lru_cache

from county_reports.config import ConfigError, config_path, read_config_file

FILE = "messages.yaml"


@lru_cache(maxsize=4)
def _load(config_dir: str, _mtime: int) -> dict:
    data = read_config_file(FILE, config_dir)
    if not isinstance(data, dict):
        raise ConfigError(FILE, "(file)", "expected a mapping of message group to texts")
    return data


def text(group: str, key: str, **values: object) -> str:
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
