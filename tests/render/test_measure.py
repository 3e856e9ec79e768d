"""render/measure.py: the GB/T 9704 page's arithmetic: 28 characters a line, widths, indents."""
from __future__ import annotations

from county_reports.render import measure
from county_reports.render.model import OfficialDocument


def test_text_block_and_condensed_spacing_fit_28_characters():
    assert abs(measure.TEXT_WIDTH_TWIPS - 156 / 25.4 * 1440) < 2      # 156 mm
    spacing = measure.condensed_spacing(measure.TEXT_WIDTH_TWIPS)
    assert spacing == -5                                         # 0.25 pt condensed
    pitch = measure.BODY_PT + spacing / 20
    width_pt = measure.TEXT_WIDTH_TWIPS / 20
    assert 28 * pitch <= width_pt < 29 * pitch
    assert measure.condensed_spacing(28 * 16 * 20) == 0         # exactly 28 em: nothing to condense
    assert measure.LINES_PER_PAGE * measure.LINE_PITCH_TWIPS <= 225 / 25.4 * 1440


def test_widths_of_text():
    assert measure.display_width("2025年1—6月") == 2.0 + 1 + 0.5 + 1 + 0.5 + 1
    assert measure.title_advance_pt("交") == 22 - 0.25
    assert measure.title_advance_pt("2") == 0.55 * 22 - 0.25


def test_signature_two_characters_in_and_date_under_it():
    # a long signature: the date's right indent makes its first character 2 right of the signature's
    sig, date = measure.signature_indents("某某县交通运输局", "2025年7月5日")
    assert sig == 2.0 and date == 8 - measure.display_width("2025年7月5日")
    # a signature shorter than the date: the date keeps 2 characters, the signature moves in
    sig, date = measure.signature_indents("交通局", "2025年12月31日")
    assert date == 2.0 and sig == measure.display_width("2025年12月31日") + 4 - 3


def test_titles_break_into_lines_that_fit():
    from county_reports.render.title_lines import TitleBreaks

    rules = TitleBreaks(before={"关于": 1})
    long = "某某县交通运输局关于2025年上半年交通运输工作总结及下半年工作计划的报告"
    broken = measure.title_lines(long, rules)
    lines = broken.split("\n")
    assert len(lines) >= 2 and "".join(lines) == long
    per_line = measure.TEXT_WIDTH_TWIPS / 20
    assert all(sum(measure.title_advance_pt(c) for c in line) <= per_line for line in lines)
    doc = OfficialDocument(title=long)
    assert measure.with_title_lines(doc, rules).title == broken
