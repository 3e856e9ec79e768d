"""Delivery settings: ``include/config/delivery.yaml`` read and checked.

A mistake is reported as :class:`~county_reports.core.config.ConfigError` naming the file and key.
``${VAR}`` references are filled from the environment for the chosen channel only.
"""
from __future__ import annotations

import os
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from county_reports.core import paths
from county_reports.core.config import ConfigError, fill_env, read_config_file
from county_reports.core.config_models.base import validate
from county_reports.core.endpoint_policy import plain_http_problem

CHANNELS = ("http", "smtp", "folder")
CONFIG_FILE = "delivery.yaml"
TEMPLATE_FIELDS = ("sender", "recipient", "title", "year", "filename", "sha256", "attachments")

# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class HttpSettings:
    url: str
    token_conn_id: str
    connect_timeout: float = 10.0
    read_timeout: float = 120.0


@dataclass(frozen=True)
class SmtpSettings:
    conn_id: str
    sender: str                      # ``from`` in the file
    to: tuple[str, ...]
    subject: str
    body: str
    cc: tuple[str, ...] = ()
    attach: tuple[str, ...] = (".docx", ".xlsx")


@dataclass(frozen=True)
class FolderSettings:
    path: Path


@dataclass(frozen=True)
class DeliverySettings:
    channel: str
    recipient: str
    retries: int = 3
    backoff: float = 5.0
    backoff_max: float = 120.0
    http: HttpSettings | None = None
    smtp: SmtpSettings | None = None
    folder: FolderSettings | None = None

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ConfigError(CONFIG_FILE, "channel", f"{self.channel!r} is not one of {', '.join(CHANNELS)}")
        if getattr(self, self.channel) is None:
            raise ConfigError(CONFIG_FILE, self.channel, f"missing: the settings of channel {self.channel}")


def _value(data: dict, key: str, kinds: tuple, what: str, default: Any = ...) -> Any:
    """``data[key's last part]`` checked: present (or default), of the right type, not blank."""
    value = data.get(key.rpartition(".")[2])
    if value is None:
        if default is ...:
            raise ConfigError(CONFIG_FILE, key, "missing")
        return default
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise ConfigError(CONFIG_FILE, key, f"expected {what}, got {value!r}")
    if isinstance(value, str) and not value.strip():
        raise ConfigError(CONFIG_FILE, key, "is empty")
    if isinstance(value, (int, float)) and (value < 0 or (value == 0 and float in kinds)):
        raise ConfigError(CONFIG_FILE, key, f"{value} must be {'> 0' if float in kinds else '≥ 0'}")
    return value


def _section(data: Any, key: str, known: tuple[str, ...]) -> dict:
    """A mapping of the file (its keys were checked by the model, DeliveryFile)."""
    if not isinstance(data, dict):
        raise ConfigError(CONFIG_FILE, key or "(file)", "expected a mapping")
    return data


def _template(data: dict, key: str) -> str:
    value = _value(data, key, (str,), "text")
    try:
        unknown = sorted({f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
                         - set(TEMPLATE_FIELDS))
    except ValueError as exc:
        raise ConfigError(CONFIG_FILE, key, f"not a valid template: {exc}") from None
    if unknown:
        raise ConfigError(CONFIG_FILE, key, f"unknown placeholder {{{unknown[0]}}} (known: "
                          + ", ".join("{" + f + "}" for f in TEMPLATE_FIELDS) + ")")
    return value


def _addresses(data: dict, key: str, required: bool) -> tuple[str, ...]:
    value = _value(data, key, (str, list), "an address or a list of addresses", ... if required else [])
    values = [value] if isinstance(value, str) else value
    for item in values:
        if not isinstance(item, str) or "@" not in parseaddr(item)[1]:
            raise ConfigError(CONFIG_FILE, key, f"{item!r} is not a mail address")
    if required and not values:
        raise ConfigError(CONFIG_FILE, key, "needs at least one address")
    return tuple(values)


def _fill_env(value: str, key: str, env: Mapping[str, str]) -> str:
    return fill_env(value, CONFIG_FILE, key, env)


def parse_settings(data: Any, environ: Mapping[str, str] | None = None) -> DeliverySettings:
    """Check delivery.yaml's content; ``${VAR}`` is filled for the chosen channel only."""
    from county_reports.core.config_models.settings import DeliveryFile

    env, num = (os.environ if environ is None else environ), (int, float)
    if not isinstance(data, dict):
        raise ConfigError(CONFIG_FILE, "(file)", "expected a mapping")
    validate(DeliveryFile, data, CONFIG_FILE)
    top = _section(data, "", ("recipient", "channel", "retries", "backoff", "backoff_max", "http", "smtp", "folder"))
    channel = _value(top, "channel", (str,), "text")
    if channel not in CHANNELS:
        raise ConfigError(CONFIG_FILE, "channel", f"{channel!r} is not one of {', '.join(CHANNELS)}")
    parts: dict[str, Any] = {}
    if top.get("http") is not None:
        s = _section(top["http"], "http", ("url", "token_conn_id", "connect_timeout", "read_timeout"))
        url = _value(s, "http.url", (str,), "text")
        if channel == "http":
            url = _fill_env(url, "http.url", env)
            if not re.match(r"^https?://[^/]", url):
                raise ConfigError(CONFIG_FILE, "http.url", f"{url!r} must start with http:// or https://")
            if problem := plain_http_problem(url, env):      # the token and the document in clear
                raise ConfigError(CONFIG_FILE, "http.url", problem)
        parts["http"] = HttpSettings(url, _value(s, "http.token_conn_id", (str,), "text"),
                                     _value(s, "http.connect_timeout", num, "a number", 10.0),
                                     _value(s, "http.read_timeout", num, "a number", 120.0))
    if top.get("smtp") is not None:
        s = _section(top["smtp"], "smtp", ("conn_id", "from", "to", "cc", "attach", "subject", "body"))
        attach = _value(s, "smtp.attach", (list,), "a list of file endings", [".docx", ".xlsx"])
        if not all(isinstance(a, str) and a.startswith(".") for a in attach):
            raise ConfigError(CONFIG_FILE, "smtp.attach", f"expected file endings like .docx, got {attach!r}")
        parts["smtp"] = SmtpSettings(
            _value(s, "smtp.conn_id", (str,), "text"), _addresses(s, "smtp.from", True)[0],
            _addresses(s, "smtp.to", True), _template(s, "smtp.subject"), _template(s, "smtp.body"),
            _addresses(s, "smtp.cc", False), tuple(a.lower() for a in attach))
    if top.get("folder") is not None:
        raw = _value(_section(top["folder"], "folder", ("path",)), "folder.path", (str,), "text", "{data}/outbox")
        path = raw.replace("{data}", str(paths.data_dir()))
        if channel == "folder":
            path = _fill_env(path, "folder.path", env)
            if not Path(path).expanduser().is_absolute():
                raise ConfigError(CONFIG_FILE, "folder.path", f"{raw!r} must be absolute or start with {{data}}")
        parts["folder"] = FolderSettings(Path(path).expanduser())
    return DeliverySettings(channel, _value(top, "recipient", (str,), "text"),
                            _value(top, "retries", (int,), "a whole number", 3),
                            _value(top, "backoff", num, "a number", 5.0),
                            _value(top, "backoff_max", num, "a number", 120.0), **parts)


def load_settings(config_dir: str | Path | None = None,
                  environ: Mapping[str, str] | None = None) -> DeliverySettings:
    return parse_settings(read_config_file(CONFIG_FILE, config_dir), environ)
