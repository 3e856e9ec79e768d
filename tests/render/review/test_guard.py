"""render/review/guard.py: an uploaded .docx judged before any parser reads it — size, parts,
names, encryption, macros, bombs, DOCTYPE — then opened (no revisions left) and its identity
checked: another year, another kind of report, or another document, each named."""
from __future__ import annotations

import dataclasses
import io
import zipfile

import pytest
from docx import Document

from county_reports.render.review import guard
from county_reports.render.review.settings import load_settings

TITLE = "清河县交通运输局2025年上半年工作总结及下半年工作计划"
SIDECAR = {"title": TITLE, "year": 2025, "kind": "half_year"}


@pytest.fixture(scope="module")
def settings():
    return load_settings()


def _docx(title=TITLE) -> bytes:
    doc = Document()
    doc.add_paragraph(title)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _with_parts(extra: dict[str, bytes], base: bytes | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base or _docx())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, extra.pop(info.filename, None) or src.read(info.filename))
        for name, data in extra.items():
            dst.writestr(name, data)
    return out.getvalue()


def _refused(raw, settings) -> str:
    with pytest.raises(guard.EditedRefused) as err:
        guard.check_package(raw, settings)
    return err.value.reason


def test_a_sound_document_passes_and_opens(settings):
    raw = _docx()
    guard.check_package(raw, settings)
    assert guard.open_document(raw, settings).paragraphs[0].text == TITLE


@pytest.mark.parametrize("raw, key", [
    (b"", "empty"), (guard.OLE_SIGNATURE + b"\0" * 100, "old_format"), (b"plain text", "not_docx"),
    (b"PK\x03\x04broken", "not_docx")])
def test_not_a_docx(settings, raw, key):
    assert _refused(raw, settings) == settings.says(key)


def test_limits(settings):
    small = dataclasses.replace(settings, limits={**settings.limits, "max_bytes": 100})
    assert "100" in _refused(_docx(), small)
    few = dataclasses.replace(settings, limits={**settings.limits, "max_members": 3})
    assert _refused(_docx(), few) == settings.says("too_many_parts", count=len(zipfile.ZipFile(io.BytesIO(_docx())).infolist()), limit=3)
    bomb = _with_parts({"word/media/big.xml": b"<a/>" + b" " * 5_000_000})
    assert "big.xml" in _refused(bomb, settings)


@pytest.mark.parametrize("name", ["../evil.xml", "/abs.xml", "word\\x.xml", "C:x.xml", "WORD/DOCUMENT.XML"])
def test_bad_part_names(settings, name):
    assert settings.says("bad_part_name", part=name) == _refused(_with_parts({name: b"<x/>"}), settings)


@pytest.mark.parametrize("name", ["word/vbaProject.bin", "word/activeX/activeX1.xml", "customXml/vbaData.xml"])
def test_code_parts(settings, name):
    assert _refused(_with_parts({name: b"\0"}), settings) == settings.says("macro", part=name)


def test_macro_content_type_and_doctype(settings):
    raw = _docx()
    types = zipfile.ZipFile(io.BytesIO(raw)).read("[Content_Types].xml")
    macro = _with_parts({"[Content_Types].xml": types.replace(b"document.main+xml", b"document.macroEnabled.main+xml")})
    assert _refused(macro, settings) == settings.says("macro", part="[Content_Types].xml")
    entity = _with_parts({"word/styles.xml": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>'})
    assert _refused(entity, settings) == settings.says("doctype", part="word/styles.xml")


def test_no_main_part(settings):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
    assert _refused(out.getvalue(), settings) == settings.says("no_document")


def test_revisions_left_are_refused(settings):
    raw = _docx()
    body = zipfile.ZipFile(io.BytesIO(raw)).read("word/document.xml")
    tracked = body.replace(b"</w:p>", b'<w:ins w:id="1" w:author="a"><w:r><w:t>new</w:t></w:r></w:ins></w:p>', 1)
    with pytest.raises(guard.EditedRefused) as err:
        guard.open_document(_with_parts({"word/document.xml": tracked}), settings)
    assert err.value.reason == settings.says("revisions", count=1)


def test_identity(settings):
    guard.check_identity(TITLE.replace("上半年", "上半年 "), SIDECAR, settings)        # spaces do not matter
    kinds = settings.messages["kinds"]
    other_year, other_kind = TITLE.replace("2025", "2024"), "清河县交通运输局2025年工作总结及2026年工作打算"
    cases = {
        "": settings.says("no_title", expected=TITLE),
        other_year: settings.says("other_year", found=other_year, found_year="2024", expected=TITLE,
                                  expected_year=2025),
        other_kind: settings.says("other_kind", found=other_kind, found_kind=kinds["annual"], expected=TITLE,
                                  expected_kind=kinds["half_year"]),
        "关于道路养护的通知": settings.says("other_report", found="关于道路养护的通知", expected=TITLE)}
    for found, reason in cases.items():
        with pytest.raises(guard.EditedRefused) as err:
            guard.check_identity(found, SIDECAR, settings)
        assert err.value.reason == reason
