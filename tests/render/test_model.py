"""render/model.py: the document model: sequences frozen to tuples (immutable, hashable, equal by
value), every wrong shape refused with the field and index named."""
from __future__ import annotations

import pytest

from county_reports.render.model import Attachment, Heading1Section, Heading2Section, Heading3, OfficialDocument


def _doc(**kw):
    section = Heading1Section("一、工作成效", ["段落", Heading3("1.农村公路")],
                              [Heading2Section("（一）道路建设", ["完成投资。"])])
    table = Attachment("附件", "主要指标", ["指标", "数值"], [["公路", "1"], ["水运", "2"]])
    return OfficialDocument(**{"title": "总结", "opening": ["开头"], "sections": [section],
                               "signature": "交通运输局", "date_text": "2025年7月5日", "attachments": [table], **kw})


def test_frozen_to_tuples_equal_by_value_and_hashable():
    one, two = _doc(), _doc()
    assert one == two and hash(one) == hash(two)
    assert isinstance(one.opening, tuple) and isinstance(one.sections[0].subsections, tuple)
    assert isinstance(one.attachments[0].rows[0], tuple)
    with pytest.raises(AttributeError):
        one.title = "other"
    assert _doc(opening=["另一开头"]) != one


@pytest.mark.parametrize("make, error, words", [
    (lambda: Heading3("  "), ValueError, "Heading3.text must be a non-empty string"),
    (lambda: Heading2Section("（一）", "一段话"), TypeError, "not a single string"),
    (lambda: Heading1Section("一、", [3]), TypeError, "Heading1Section.paragraphs[0] must be str or Heading3, got int"),
    (lambda: Heading1Section("一、", [], [Heading3("1.")]), TypeError, "subsections[0] must be Heading2Section"),
    (lambda: _doc(title=""), ValueError, "OfficialDocument.title"),
    (lambda: _doc(signature=None), TypeError, "signature must be a string"),
    (lambda: _doc(attachments=["附件"]), TypeError, "attachments[0] must be Attachment"),
])
def test_wrong_shapes_refused(make, error, words):
    with pytest.raises(error) as err:
        make()
    assert words in str(err.value)


@pytest.mark.parametrize("kw, error, words", [
    ({"columns": []}, ValueError, "has no columns"),
    ({"rows": [["公路"]]}, ValueError, "row 0 has 1 cells, expected 2"),
    ({"rows": ["公路,1"]}, TypeError, "row 0 must be a sequence of cells"),
    ({"rows": [["公路", 1]]}, TypeError, "every cell must be a string"),
    ({"group_rows": [5]}, ValueError, "group row 5 is not a row"),
    ({"columns": ["a", "b", "c"], "rows": [["一", "组", "x"]], "group_rows": [0]}, ValueError, "only its first two"),
    ({"column_align": ["left"]}, ValueError, "column_align has 1 entries, expected 2"),
    ({"column_align": ["left", "middle"]}, ValueError, "'middle' is not one of"),
])
def test_attachment_tables_checked(kw, error, words):
    base = {"label": "附件1", "title": "表", "columns": ["指标", "数值"], "rows": [["公路", "1"]]}
    with pytest.raises(error) as err:
        Attachment(**{**base, **kw})
    assert words in str(err.value)


def test_a_group_row_spans():
    table = Attachment("附件1", "表", ["序号", "指标", "数值"], [["一", "道路建设", ""], ["1", "公路", "3"]],
                       group_rows=[0], column_align=["center", "", "right"])
    assert table.group_rows == (0,) and table.column_align == ("center", "", "right")
