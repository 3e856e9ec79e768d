"""The base of every config model, and a pydantic ValidationError turned into ConfigError.

A model refuses keys it does not define (``extra="forbid"``), so a misspelt key is an error
naming the file and the key — ``units.yaml: units.TS01.email: unknown key (did you mean
emails?)`` — never a default used silently. Types are strict (``"5"`` is not a number, ``true``
is not 1), as the hand checks were. A validator may raise :class:`ConfigError` itself (a
cross-field check keeping its message); it is passed on as raised.
"""
from __future__ import annotations

import difflib
from datetime import date
from types import UnionType
from typing import Annotated, Any, ClassVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from county_reports.core.config import ConfigError

_KINDS = {"int": "a whole number", "float": "a number", "string": "text", "bool": "true/false",
          "list": "a list", "dict": "a mapping", "model": "a mapping", "date": "a date", "tuple": "a list"}


class ConfigModel(BaseModel):
    """One mapping of a config file with a fixed set of keys; an empty value (``key:``) reads as
    the key's default, as the loaders always read it."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)
    none_is_default: ClassVar[bool] = True
    unknown_word: ClassVar[str] = "unknown key"     # what the file's messages call a key it lacks

    @model_validator(mode="before")
    @classmethod
    def _empty_is_default(cls, data: Any) -> Any:
        if cls.none_is_default and isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None}
        return data


class SettingsModel(ConfigModel):
    """A mapping of settings: a key it lacks is an "unknown setting" (as the messages say)."""

    unknown_word: ClassVar[str] = "unknown setting"


class Words(BaseModel):
    """A mapping of words the code looks up by key: any key, as long as the value is there."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)


def validate(model: type[BaseModel], data: Any, file: str, prefix: str = "", top: str = "") -> Any:
    """``data`` (a file's YAML) checked by ``model``; the first problem as ConfigError naming
    ``file`` and the key path (``prefix`` before it, e.g. ``bureau``; ``top`` before a top-level
    key only, e.g. ``(top)``, as some loaders name them)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = to_config_error(exc, data, file, prefix, model)
        if top and "." not in error.key and "[" not in error.key and error.key != "(file)":
            error = ConfigError(error.file, f"{top}.{error.key}", error.problem)
        raise error from None


def to_config_error(exc: ValidationError, data: Any, file: str, prefix: str = "",
                    model: type[BaseModel] | None = None) -> ConfigError:
    """The first error of ``exc`` as ``file: key.path: problem``. List items with a ``code`` are
    named by it (``units.TS01``), as the loaders name them; others by index (``rules[2]``)."""
    error = exc.errors(include_url=False)[0]
    raised = (error.get("ctx") or {}).get("error")
    if isinstance(raised, ConfigError):
        return raised
    key, node, _ = key_path(error["loc"], data, prefix)
    if error["type"] == "extra_forbidden":
        owner = mapping_model(model, error["loc"][:-1])
        return ConfigError(file, key, unknown_key(str(error["loc"][-1]), known_keys(owner),
                                                  getattr(owner, "unknown_word", "unknown key")))
    return ConfigError(file, key, _problem(error, node))


def key_path(loc: tuple, data: Any, prefix: str = "") -> tuple[str, Any, list]:
    """The key of a pydantic ``loc`` as the loaders write it, the value there and the keys of the
    mapping holding it (for "did you mean")."""
    key, node, siblings = prefix, data, []
    for part in loc:
        if isinstance(part, int) and isinstance(node, list):
            item = node[part] if part < len(node) else None
            code = item.get("code") if isinstance(item, dict) else None
            key += f".{code}" if isinstance(code, str) and code else f"[{part}]"
            node = item
        elif isinstance(node, dict) and (part in node or str(part) in map(str, node)):
            siblings = list(node)
            key += f".{part}" if key else str(part)
            node = node.get(part, next((v for k, v in node.items() if str(k) == str(part)), None))
        elif isinstance(part, str) and "[" not in part and part not in ("int", "str", "float", "list", "dict",
                                                                        "none", "bool", "date"):
            siblings = list(node) if isinstance(node, dict) else []
            key += f".{part}" if key else part
            node = None
    return key.lstrip(".") or "(file)", node, siblings


def mapping_model(model: Any, loc: tuple) -> Any:
    """The model of the mapping at ``loc`` inside ``model`` (None when it cannot be told)."""
    kind = model
    for part in loc:
        if isinstance(part, str) and "[" in part:
            continue
        kind = _unwrap(kind, part)
        if kind is None:
            return None
    kind = _unwrap(kind, None)
    return kind if isinstance(kind, type) and issubclass(kind, BaseModel) else None


def known_keys(model: Any) -> list[str]:
    """The keys a mapping of ``model`` may have, by their YAML names."""
    return [f.alias or name for name, f in model.model_fields.items()] if model else []


def _unwrap(kind: Any, part: Any) -> Any:
    """The type one step into ``kind`` (a field of a model, an item of a list or dict)."""
    for _ in range(5):
        origin, args = get_origin(kind), get_args(kind)
        if origin is Annotated:
            kind = args[0]
        elif origin in (Union, UnionType):
            kind = next((a for a in args if a is not type(None)), None)
        else:
            break
    if part is None:
        return kind
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        if "root" in kind.model_fields and part != "root":
            return _unwrap(kind.model_fields["root"].annotation, part)
        field = kind.model_fields.get(part) or next(
            (f for f in kind.model_fields.values() if f.alias == part), None)
        return field.annotation if field else None
    origin, args = get_origin(kind), get_args(kind)
    if origin in (list, tuple) and args:
        return args[0]
    if origin is dict and args:
        return args[1]
    return None


def _problem(error: dict, value: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "missing"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind in ("literal_error", "enum"):
        return f"{value!r} is not one of {error['ctx']['expected'].replace(' or ', ', ').replace(chr(39), '')}"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        base = kind.removesuffix("_type").removesuffix("_parsing").removesuffix("_from_datetime")
        return f"expected {_KINDS.get(base, base)}, got {value!r}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return f"{value!r}: {error['msg'][0].lower()}{error['msg'][1:]}"
    if kind == "string_too_short":
        return "is empty"
    if kind in ("too_short", "too_long"):
        return f"{error['msg'][0].lower()}{error['msg'][1:]}"
    if kind == "string_pattern_mismatch":
        return f"{value!r} does not match {error['ctx']['pattern']}"
    return str(error["msg"])


def unknown_key(name: str, known: list[str], word: str = "unknown key") -> str:
    """``unknown key (did you mean emails?)``, or the keys the mapping may have."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        return f"{word} (did you mean {close[0]}?)"
    return f"{word} (known: {', '.join(known)})" if known else word


def month(value: Any) -> str:
    """A month as admins write it, 2024-01 (YAML may read 2024-01-01 as a date)."""
    return value if isinstance(value, str) else value.isoformat()[:7] if isinstance(value, date) else value
