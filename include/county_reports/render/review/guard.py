"""Is the uploaded file a sound .docx, and is it this report? Bounded before anything is parsed.

The zip is judged from its central directory first (size, part count, unpacked size, compression
ratio, names, encryption, macro and ActiveX parts, the main part present), then the XML parts are
read — each bounded by its declared size, which zipfile enforces — for a DOCTYPE (OOXML has none;
one is an entity attack). Only then does python-docx open it. Then the identity: the first
paragraph must be the draft's title; a different year or kind of report is named as such.

The unit workbooks' check (``inbox.check_file`` / ``inbox._sniff``) only sniffs the signature; the
zip-structure part here (:func:`check_package`) is format-neutral and could serve the inbox's
.xlsx as well, with its own forbidden parts.
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePosixPath

from county_reports.core.config import config_path, read_config_file
from county_reports.render.review.settings import ReviewSettings

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, .wps, a password-protected .docx
ZIP_SIGNATURE = b"PK\x03\x04"
MAIN_PART = "word/document.xml"
# A small part compresses well by nature (a run of spaces); the ratio is judged from this size on.
RATIO_FROM_BYTES = 64 * 1024
MACRO_CONTENT_TYPE = b"macroEnabled"
REVISION_TAGS = ("ins", "del", "moveFrom", "moveTo")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class EditedRefused(ValueError):
    """The edited document is refused: ``reason`` (Chinese) says why, for the admin."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def check_package(raw: bytes, settings: ReviewSettings) -> None:
    """Raise EditedRefused unless ``raw`` is a zip within the limits, without code parts."""
    says, limits = settings.says, settings.limits
    if not raw:
        raise EditedRefused(says("empty"))
    if len(raw) > limits["max_bytes"]:
        raise EditedRefused(says("too_large", size=len(raw), limit=limits["max_bytes"]))
    if raw.startswith(OLE_SIGNATURE):
        raise EditedRefused(says("old_format"))
    try:
        if not raw.startswith(ZIP_SIGNATURE):
            raise zipfile.BadZipFile("no zip signature")
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            infos = archive.infolist()
            _check_directory(infos, settings)
            _check_xml_parts(archive, infos, settings)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
        if isinstance(exc, EditedRefused):
            raise
        raise EditedRefused(says("not_docx")) from None


def _check_directory(infos: list[zipfile.ZipInfo], settings: ReviewSettings) -> None:
    says, limits = settings.says, settings.limits
    if len(infos) > limits["max_members"]:
        raise EditedRefused(says("too_many_parts", count=len(infos), limit=limits["max_members"]))
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        path = PurePosixPath(name)
        if (name.startswith(("/", "\\")) or ".." in path.parts or ":" in name or "\\" in name
                or name.lower() in seen):
            raise EditedRefused(says("bad_part_name", part=name[:80]))
        seen.add(name.lower())
        if info.flag_bits & 0x1:
            raise EditedRefused(says("encrypted_part", part=name))
        if _forbidden(name, settings.forbidden_parts):
            raise EditedRefused(says("macro", part=name))
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= RATIO_FROM_BYTES and ratio > limits["max_ratio"]:
            raise EditedRefused(says("ratio", part=name, ratio=round(ratio), limit=limits["max_ratio"]))
    if total > limits["max_uncompressed_bytes"]:
        raise EditedRefused(says("too_big_unpacked", size=total, limit=limits["max_uncompressed_bytes"]))
    if MAIN_PART not in seen:
        raise EditedRefused(says("no_document"))


def _forbidden(name: str, forbidden: tuple[str, ...]) -> bool:
    lower = name.lower()
    for part in forbidden:
        part = part.lower()
        if part.endswith("/") and (lower.startswith(part) or f"/{part}" in f"/{lower}"):
            return True
        if lower == part or lower.endswith(f"/{part}"):
            return True
    return False


def _check_xml_parts(archive: zipfile.ZipFile, infos, settings: ReviewSettings) -> None:
    for info in infos:
        if not info.filename.endswith((".xml", ".rels")):
            continue
        with archive.open(info) as part:  # never more than the declared (bounded) size
            data = part.read(info.file_size + 1)
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:  # XML spells both in capitals
            raise EditedRefused(settings.says("doctype", part=info.filename))
        if info.filename == "[Content_Types].xml" and MACRO_CONTENT_TYPE.lower() in data.lower():
            raise EditedRefused(settings.says("macro", part=info.filename))


def open_document(raw: bytes, settings: ReviewSettings):
    """The python-docx Document of a checked package, or EditedRefused (damaged, revisions left)."""
    import docx

    try:
        document = docx.Document(io.BytesIO(raw))
    except Exception as exc:  # python-docx raises many kinds for a damaged package
        raise EditedRefused(settings.says("damaged", detail=type(exc).__name__)) from None
    body = document.element.body
    revisions = sum(1 for tag in REVISION_TAGS for _ in body.iter(f"{_W}{tag}"))
    if revisions:
        raise EditedRefused(settings.says("revisions", count=revisions))
    return document


def check_identity(title_found: str | None, sidecar: dict, settings: ReviewSettings,
                   config_dir=None) -> None:
    """The document's title is the draft's; else say whether it is another year, another kind of
    report (the title templates of wording.yaml tell the kind) or another report altogether."""
    expected = _squeeze(sidecar["title"])
    found = _squeeze(title_found or "")
    if found == expected:
        return
    if not found:
        raise EditedRefused(settings.says("no_title", expected=sidecar["title"]))
    found = found[:200]  # the clerk's text goes into the message: bounded (and escaped by who shows it)
    years = re.findall(r"(?<!\d)(\d{4})(?!\d)", found)
    if years and int(years[0]) != int(sidecar["year"]):
        raise EditedRefused(settings.says("other_year", found=found, found_year=years[0],
                                          expected=expected, expected_year=sidecar["year"]))
    kinds = settings.messages["kinds"]
    found_kind = _kind_of(found, config_dir)
    if found_kind and found_kind != sidecar["kind"] and found_kind in kinds:
        raise EditedRefused(settings.says("other_kind", found=found, found_kind=kinds[found_kind],
                                          expected=expected, expected_kind=kinds.get(sidecar["kind"], "")))
    raise EditedRefused(settings.says("other_report", found=found, expected=expected))


def _kind_of(title: str, config_dir=None) -> str | None:
    """Which kind's title template (wording.yaml ``title``) the title fits, if any."""
    if config_dir and not config_path("wording.yaml", config_dir).is_file():
        config_dir = None  # a folder holding only edited.yaml: the project's wording, as phrases does
    templates = (read_config_file("wording.yaml", config_dir) or {}).get("title") or {}
    for kind, template in templates.items():
        if isinstance(template, str) and re.fullmatch(_template_pattern(template), title):
            return kind
    return None


def _template_pattern(template: str) -> str:
    parts = re.split(r"(\{[^{}]*\})", template)
    return "".join(".+?" if p.startswith("{") and p.endswith("}") else re.escape(_squeeze(p))
                   for p in parts)


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)
