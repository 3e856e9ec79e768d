"""Submission protocol version 1: turn the bytes a unit sent into a payload dict, or say why not.

Only the envelope is checked here (JSON object, protocol 1, fields of the right type). Whether
the figures are acceptable is validation's business, later in the flow.
"""
from __future__ import annotations

import json
from typing import Any

from county_reports.core import messages

# The kinds of a submission's narrative items (工作亮点, 存在问题, 下步计划), in protocol v1 and the template.
NARRATIVE_KINDS = ("highlight", "problem", "plan")

PROTOCOL_VERSION = 1
JSON_MEDIA_TYPE = "application/json"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Chinese platforms still send GBK now and then; GB18030 is its superset.
_GB_CHARSETS = {"gbk", "gb2312", "gb18030", "cp936"}


class Unreadable(ValueError):
    """The bytes are not a protocol-v1 submission; ``reason`` is what the unit is told."""

    def __init__(self, key: str, **values: object):
        self.key = key
        self.reason = messages.text("refused", key, **values)
        super().__init__(self.reason)


def media_type(content_type: str | None) -> tuple[str, str | None]:
    """Split a Content-Type header into (media type, charset)."""
    if not content_type:
        return "", None
    parts = [p.strip() for p in content_type.split(";")]
    charset = None
    for p in parts[1:]:
        if p.lower().startswith("charset="):
            charset = p.split("=", 1)[1].strip().strip('"').lower()
    return parts[0].lower(), charset


def decode(raw: bytes, charset: str | None) -> str:
    """Decode a body: the declared charset if any, else UTF-8, else GB18030 when that reads cleanly."""
    if charset in _GB_CHARSETS:
        charset = "gb18030"
    candidates = [charset] if charset else ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            return raw.decode(encoding).lstrip("\ufeff")
        except (UnicodeDecodeError, LookupError):
            continue
    raise Unreadable("not_utf8", encoding=charset or "UTF-8")


class _Huge:
    """An integer literal too long to read (Python refuses more than 4,300 digits)."""

    def __init__(self, digits: int):
        self.digits = digits


class _Constant:
    """NaN / Infinity / -Infinity: JSON has no such numbers (Python's json accepts them)."""

    def __init__(self, text: str):
        self.text = text


_DIGITS_LIMIT = 4300


def _parse_int(text: str) -> int | _Huge:
    digits = len(text.lstrip("-"))
    return _Huge(digits) if digits > _DIGITS_LIMIT else int(text)


def _parse_float(text: str) -> float | _Huge:
    return _Huge(len(text)) if len(text) > _DIGITS_LIMIT else float(text)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise Unreadable("duplicate_key", field=key)
        out[key] = value
    return out


def _find_surprise(value: Any, path: str) -> None:
    """Refuse, naming the field, a number that was not read (too long, NaN, Infinity)."""
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, _Huge):
            raise Unreadable("huge_number", field=where or _word("top_level"), digits=item.digits)
        if isinstance(item, _Constant):
            raise Unreadable("bad_constant", field=where or _word("top_level"), detail=item.text)
        if isinstance(item, dict):
            stack += [(v, f"{where}.{k}" if where else str(k)) for k, v in item.items()]
        elif isinstance(item, list):
            stack += [(v, f"{where}[{i}]") for i, v in enumerate(item)]


def loads(text: str) -> Any:
    """``json.loads`` that never raises anything but ``Unreadable`` or ``JSONDecodeError``:
    duplicate keys, integers over 4,300 digits, NaN and Infinity are refused naming the field."""
    value = json.loads(text, object_pairs_hook=_pairs, parse_int=_parse_int,
                       parse_float=_parse_float, parse_constant=_Constant)
    _find_surprise(value, "")
    return value


def parse_json_payload(raw: bytes, content_type: str | None = None) -> dict[str, Any]:
    mtype, charset = media_type(content_type)
    if content_type is not None and mtype != JSON_MEDIA_TYPE:
        raise Unreadable("content_type", detail=mtype or _word("empty_type"))
    try:
        payload = loads(decode(raw, charset))
    except json.JSONDecodeError as exc:
        detail = _word("json_position", line=exc.lineno, column=exc.colno, message=exc.msg)
        raise Unreadable("bad_json", detail=detail) from None
    except RecursionError:
        raise Unreadable("bad_json", detail=_word("too_deep")) from None
    except (ValueError, TypeError, OverflowError) as exc:   # Unreadable is a ValueError: re-raised
        if isinstance(exc, Unreadable):
            raise
        raise Unreadable("unexpected", detail=type(exc).__name__) from None
    return check_envelope(payload)


def check_envelope(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise Unreadable("not_object", detail=type(payload).__name__)
    if payload.get("protocol") != PROTOCOL_VERSION:
        raise Unreadable("wrong_protocol", detail=payload.get("protocol"))
    for name in ("unit", "period", "values"):
        if name not in payload:
            raise Unreadable("missing_field", detail=name)
    for name, kind, label, required in (("unit", str, "type_text", True), ("period", str, "type_text", True),
                                        ("values", dict, "type_values", True),
                                        ("narratives", list, "type_list", False),
                                        ("contact", dict, "type_object", False)):
        value = payload.get(name)
        if (value is None and required) or (value is not None and not isinstance(value, kind)):
            raise Unreadable("wrong_field_type", field=name, detail=_word("expected", label=_word(label)))
    for i, item in enumerate(payload.get("narratives") or []):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise Unreadable("wrong_field_type", field=f"narratives[{i}]",
                             detail=_word("narrative_item"))
    return payload


def _word(key: str, **values: Any) -> str:
    return messages.text("protocol", key, **values)
