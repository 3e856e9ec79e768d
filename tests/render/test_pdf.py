"""The rendered .docx opens in a real word processor: LibreOffice converts it to a PDF of
several pages that carries the title and the page numbers.

Needs ``soffice`` (Debian: libreoffice-writer-nogui) and ``pdftotext`` (poppler-utils). Without
them the test is skipped locally, but fails when ``CI=true``: CI must install them.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from county_reports.render.layout import render_docx


def require_tool(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    message = f"none of {', '.join(names)} on PATH (apt-get install libreoffice-writer-nogui poppler-utils)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def squeeze(text: str) -> str:
    # LibreOffice spaces CJK text out on the character grid; compare without any whitespace.
    return re.sub(r"\s+", "", text)


def test_libreoffice_converts_to_a_multi_page_pdf(tmp_path, make_sample):
    soffice = require_tool("soffice", "libreoffice")
    pdftotext = require_tool("pdftotext")
    model = make_sample()
    source = render_docx(model, tmp_path / "sample.docx")
    profile = tmp_path / "lo-profile"  # a private profile: concurrent runs do not collide
    result = subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    pdf = tmp_path / "sample.pdf"
    assert result.returncode == 0 and pdf.exists(), result.stdout + result.stderr

    text = subprocess.run(
        [pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    pages = text.count("\f")
    assert pages > 1
    flat = squeeze(text)
    assert squeeze(model.title) in flat
    assert "—1—" in flat and "—2—" in flat  # the PAGE field was evaluated on odd and even pages
    assert "附件1" in flat and "附件2" in flat
