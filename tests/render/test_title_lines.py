"""A title too long for one line breaks where its words end (GB/T 9704 §7.2), chosen by the
layout engine from the measured line (2号 in 156 mm) and the break points of wording.yaml."""
from __future__ import annotations

import re
import subprocess

import docx
import pytest
from docx.oxml.ns import qn

from county_reports.core.config import ConfigError
from county_reports.render import compose, layout
from county_reports.render.model import Attachment, OfficialDocument
from county_reports.render.title_lines import TitleBreaks, break_title

HALF = "清河县交通运输局2025年上半年工作总结及下半年工作计划"
ANNUAL = "清河县交通运输局2024年工作总结及2025年工作打算"
CAPACITY = layout.TEXT_WIDTH_TWIPS / 20


@pytest.fixture(scope="module")
def rules() -> TitleBreaks:
    return TitleBreaks.from_config(compose.load_wording()["title_breaks"])


def width(line: str) -> float:
    return sum(layout.title_advance_pt(ch) for ch in line)


def test_the_line_holds_twenty_title_characters():
    assert width("字" * 20) <= CAPACITY < width("字" * 21)


@pytest.mark.parametrize("title, lines", [
    (HALF, ["清河县交通运输局2025年上半年工作总结", "及下半年工作计划"]),
    (ANNUAL, ["清河县交通运输局2024年工作总结", "及2025年工作打算"]),
    # too long before 及: the next best phrase boundary that fits, after a year
    ("清河县交通运输局综合行政执法大队2025年上半年工作总结及下半年工作计划",
     ["清河县交通运输局综合行政执法大队2025年", "上半年工作总结及下半年工作计划"]),
    ("县交通运输局2021年上半年工作总结和下半年工作思路", ["县交通运输局2021年上半年工作总结", "和下半年工作思路"]),
])
def test_summary_titles_break_before_the_conjunction_or_at_a_phrase_end(rules, title, lines):
    broken = layout.title_lines(title, rules)
    assert broken.split("\n") == lines
    assert all(width(line) <= CAPACITY for line in lines)
    assert not broken.split("\n")[0].endswith(("及", "和", "与"))      # never "…总结及 / 下半年…"


def test_short_titles_and_titles_with_their_own_breaks_are_left_alone(rules):
    assert layout.title_lines("2025年1—6月主要指标完成情况表", rules) == "2025年1—6月主要指标完成情况表"
    assert layout.title_lines("某某县某某局2025年\n上半年工作总结", rules) == "某某县某某局2025年\n上半年工作总结"


def test_equal_ranks_prefer_even_lines():
    rules = TitleBreaks(before={"和": 1})
    text = "甲" * 12 + "和" + "乙" * 6 + "和" + "丙" * 12        # 32 characters: two lines
    assert break_title(text, rules, CAPACITY, layout.title_advance_pt).split("\n") == \
        ["甲" * 12 + "和" + "乙" * 6, "和" + "丙" * 12]
    # a better rank wins over evenness
    rules = TitleBreaks(before={"和": 2}, after={"乙": 1})
    assert break_title(text, rules, CAPACITY, layout.title_advance_pt).split("\n")[0].endswith("乙")


def test_without_a_fitting_break_point_lines_are_even_and_numbers_whole():
    text = "某某县交通运输局关于印发2025年农村公路养护工程质量考核评比实施细则的通知"
    broken = break_title(text, TitleBreaks(), CAPACITY, layout.title_advance_pt)
    lines = broken.split("\n")
    assert "".join(lines) == text and len(lines) == 2
    assert all(width(line) <= CAPACITY for line in lines)
    assert abs(width(lines[0]) - width(lines[1])) <= 2 * layout.TITLE_PT
    for split in range(1, 4):                       # "2025" is never split, wherever the line ends
        nudged = "某" * (20 - split) + "2025年工作总结"
        for line in break_title(nudged, TitleBreaks(), CAPACITY, layout.title_advance_pt).split("\n"):
            assert not re.match(r"^\d", line) or line.startswith("2025")
    very_long = "字" * 70
    lines = break_title(very_long, TitleBreaks(), CAPACITY, layout.title_advance_pt).split("\n")
    assert "".join(lines) == very_long and all(width(line) <= CAPACITY for line in lines)


@pytest.mark.parametrize("data, key", [
    ("及", "title_breaks"),
    ({"middle": {}}, "title_breaks.middle"),
    ({"before": ["及"]}, "title_breaks.before"),
    ({"before": {"及": 0}}, "title_breaks.before.及"),
    ({"after": {"局": "high"}}, "title_breaks.after.局"),
])
def test_config_errors_name_the_file_and_key(data, key):
    with pytest.raises(ConfigError) as error:
        TitleBreaks.from_config(data)
    assert error.value.file == "wording.yaml" and error.value.key == key


def test_rendered_title_carries_the_break_and_libreoffice_keeps_it(tmp_path, rules, require_tool):
    doc = OfficialDocument(title=HALF, opening=["正文。"], date_text="2025年7月10日",
                           attachments=[Attachment("附件", "2025年1—6月主要指标完成情况表", ["甲", "乙"], [["1", "2"]])])
    path = layout.render_docx(doc, tmp_path / "title.docx", title_breaks=rules)
    document = docx.Document(str(path))
    title = document.paragraphs[0]
    assert title.text == "清河县交通运输局2025年上半年工作总结\n及下半年工作计划"
    assert len(title._p.findall(f".//{qn('w:br')}")) == 1
    assert document.core_properties.title == HALF
    again = layout.render_docx(doc, tmp_path / "again.docx", title_breaks=rules)
    assert again.read_bytes() == path.read_bytes()

    soffice, pdftotext = require_tool("soffice", "libreoffice"), require_tool("pdftotext")
    done = subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                           "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    text = subprocess.run([pdftotext, str(tmp_path / "title.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    lines = [re.sub(r"\s+", "", line) for line in text.splitlines() if line.strip()]
    assert lines[:2] == ["清河县交通运输局2025年上半年工作总结", "及下半年工作计划"]   # no further wrap
