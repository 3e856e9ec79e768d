"""Wording of collection messages, kept in include/config/messages.yaml so admins can edit it."""
from __future__ import annotations

from functools import lru_cache

import yaml

from county_reports import settings


@lru_cache(maxsize=4)
def _load(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def text(group: str, key: str, **values: object) -> str:
    table = _load(str(settings.config_dir() / "messages.yaml"))
    return table[group][key].format(**values)
