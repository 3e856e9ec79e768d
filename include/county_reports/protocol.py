"""Submission protocol version 1: turn the bytes a unit sent into a payload dict, or say why not.

Only the envelope is checked here (JSON object, protocol 1, fields of the right type). Whether
the figures are acceptable is validation's business, later in the flow.
"""
from __future__ import annotations

import json
from typing import Any

from county_reports import messages

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


def parse_json_payload(raw: bytes, content_type: str | None = None) -> dict[str, Any]:
    mtype, charset = media_type(content_type)
    if content_type is not None and mtype != JSON_MEDIA_TYPE:
        raise Unreadable("content_type", detail=mtype or "（空）")
    try:
        payload = json.loads(decode(raw, charset))
    except json.JSONDecodeError as exc:
        raise Unreadable("bad_json", detail=f"第{exc.lineno}行第{exc.colno}列：{exc.msg}") from None
    except RecursionError:
        raise Unreadable("bad_json", detail="嵌套层数过多") from None
    return check_envelope(payload)


def check_envelope(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise Unreadable("not_object", detail=type(payload).__name__)
    if payload.get("protocol") != PROTOCOL_VERSION:
        raise Unreadable("wrong_protocol", detail=payload.get("protocol"))
    for name in ("unit", "period", "values"):
        if name not in payload:
            raise Unreadable("missing_field", detail=name)
    for name, kind, label, required in (("unit", str, "文本", True), ("period", str, "文本", True),
                                        ("values", dict, "对象（指标代码: 数值）", True),
                                        ("narratives", list, "列表", False), ("contact", dict, "对象", False)):
        value = payload.get(name)
        if (value is None and required) or (value is not None and not isinstance(value, kind)):
            raise Unreadable("wrong_field_type", field=name, detail=f"应为{label}")
    for i, item in enumerate(payload.get("narratives") or []):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise Unreadable("wrong_field_type", field=f"narratives[{i}]",
                             detail="应为包含 kind、section、text 的对象")
    return payload
